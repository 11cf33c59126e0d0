/**
 * Realistic computed outputs for the azure-native, random and kubernetes resources Phoenix registers,
 * as `MockHooks.newResource` results for tests/support/pulumi-harness.ts: ARM ids, login servers,
 * identity ids, App Insights connection strings, FQDNs. Values that must never leak carry a
 * searchable marker (MOCK_SECRET_MARKERS).
 */
import * as pulumi from "@pulumi/pulumi";
import { MOCK_KUBECONFIG, MOCK_SUBSCRIPTION_ID, MOCK_TENANT_ID, MockHooks } from "./pulumi-harness";

export const MOCK_INSTRUMENTATION_KEY = "11111111-2222-3333-4444-MOCKIKEYLEAK";
export const MOCK_CONNECTION_STRING = `InstrumentationKey=${MOCK_INSTRUMENTATION_KEY};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/`;
/** Substrings that must appear only in secret outputs. */
export const MOCK_SECRET_MARKERS = [
    "MOCK-KUBE-TOKEN-do-not-leak",
    MOCK_INSTRUMENTATION_KEY,
    Buffer.from(MOCK_KUBECONFIG).toString("base64"),
];

/** A stable, deterministic GUID-like id from a string. */
export function fakeGuid(seed: string): string {
    let h = 2166136261;
    const hex: string[] = [];
    for (let round = 0; hex.join("").length < 32; round++) {
        for (const c of `${seed}#${round}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
        hex.push(h.toString(16).padStart(8, "0"));
    }
    const s = hex.join("").slice(0, 32);
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

function str(v: unknown, fallback: string): string {
    return typeof v === "string" && v !== "" ? v : fallback;
}

const PROVIDER_PATHS: Record<string, string> = {
    "azure-native:containerregistry:Registry": "Microsoft.ContainerRegistry/registries",
    "azure-native:managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "azure-native:operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces",
    "azure-native:applicationinsights:Component": "Microsoft.Insights/components",
    "azure-native:keyvault:Vault": "Microsoft.KeyVault/vaults",
    "azure-native:containerservice:ManagedCluster": "Microsoft.ContainerService/managedClusters",
    "azure-native:network:PublicIPAddress": "Microsoft.Network/publicIPAddresses",
    "azure-native:applicationinsights:Workbook": "Microsoft.Insights/workbooks",
    "azure-native:monitor:ActionGroup": "Microsoft.Insights/actionGroups",
    "azure-native:monitor:ScheduledQueryRule": "Microsoft.Insights/scheduledQueryRules",
    "azure-native:storage:StorageAccount": "Microsoft.Storage/storageAccounts",
};

/** Extra state per resource type; undefined for types the harness defaults handle. */
export function azureResourceState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> | undefined {
    const inputs = args.inputs as Record<string, unknown>;
    const rg = str(inputs.resourceGroupName, "rg");
    const sub = `/subscriptions/${MOCK_SUBSCRIPTION_ID}`;
    switch (args.type) {
        case "azure-native:resources:ResourceGroup":
            return { id: `${sub}/resourceGroups/${str(inputs.resourceGroupName, args.name)}` };
        case "random:index/randomString:RandomString": {
            const length = typeof inputs.length === "number" ? inputs.length : 8;
            const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
            const seed = fakeGuid(args.name).replace(/-/g, "");
            let result = "";
            for (let i = 0; i < length; i++) result += alphabet[parseInt(seed[i % seed.length], 16) + ((i * 7) % 20)];
            return { result };
        }
        case "azure-native:authorization:RoleAssignment":
            return { id: `${str(inputs.scope, sub)}/providers/Microsoft.Authorization/roleAssignments/${fakeGuid(args.name)}` };
        case "azure-native:managedidentity:FederatedIdentityCredential":
            return {};
        case "azure-native:keyvault:Secret":
            return {};
        case "azure-native:storage:BlobServiceProperties":
        case "azure-native:storage:BlobContainer": {
            // Children of the account: `<account id>/blobServices/default[/containers/<name>]`.
            const account = `${sub}/resourceGroups/${rg}/providers/Microsoft.Storage/storageAccounts/${str(inputs.accountName, "account")}`;
            return args.type === "azure-native:storage:BlobContainer"
                ? {
                      id: `${account}/blobServices/default/containers/${str(inputs.containerName, args.name)}`,
                      name: str(inputs.containerName, args.name),
                  }
                : { id: `${account}/blobServices/default`, name: "default" };
        }
    }
    const path = PROVIDER_PATHS[args.type];
    if (!path) return undefined;
    const nameInput = [
        "registryName",
        "resourceName",
        "workspaceName",
        "vaultName",
        "publicIpAddressName",
        "actionGroupName",
        "ruleName",
        "accountName",
    ]
        .map((k) => inputs[k])
        .find((v) => typeof v === "string");
    const name = str(nameInput, args.name);
    const id = `${sub}/resourceGroups/${rg}/providers/${path}/${name}`;
    switch (args.type) {
        case "azure-native:containerregistry:Registry":
            return { id, name, loginServer: `${name.toLowerCase()}.azurecr.io` };
        case "azure-native:managedidentity:UserAssignedIdentity":
            return {
                id,
                name,
                clientId: fakeGuid(`${args.name}-client`),
                principalId: fakeGuid(`${args.name}-principal`),
                tenantId: MOCK_TENANT_ID,
            };
        case "azure-native:operationalinsights:Workspace":
            return { id, name, customerId: fakeGuid(`${args.name}-customer`) };
        case "azure-native:applicationinsights:Component":
            return {
                id,
                name,
                appId: fakeGuid(`${args.name}-app`),
                instrumentationKey: MOCK_INSTRUMENTATION_KEY,
                connectionString: MOCK_CONNECTION_STRING,
            };
        case "azure-native:keyvault:Vault":
            return {
                id,
                name,
                properties: { ...(inputs.properties as Record<string, unknown>), vaultUri: `https://${name}.vault.azure.net/` },
            };
        case "azure-native:containerservice:ManagedCluster":
            return {
                id,
                name,
                identity: { type: "SystemAssigned", principalId: fakeGuid(`${args.name}-cp`), tenantId: MOCK_TENANT_ID },
                identityProfile: {
                    kubeletidentity: { objectId: fakeGuid(`${args.name}-kubelet`), clientId: fakeGuid(`${args.name}-kubelet-client`) },
                },
                oidcIssuerProfile: {
                    enabled: true,
                    issuerURL: `https://westeurope.oic.prod-aks.azure.com/${MOCK_TENANT_ID}/${fakeGuid(args.name)}/`,
                },
            };
        case "azure-native:storage:StorageAccount":
            return { id, name, primaryEndpoints: { blob: `https://${name}.blob.core.windows.net/` } };
        case "azure-native:network:PublicIPAddress": {
            const dns = (inputs.dnsSettings ?? {}) as Record<string, unknown>;
            const label = str(dns.domainNameLabel, "label");
            return {
                id,
                name,
                ipAddress: "20.31.42.53",
                dnsSettings: { ...dns, fqdn: `${label}.${str(inputs.location, "westeurope")}.cloudapp.azure.com` },
            };
        }
    }
    return { id };
}

/** Hooks combining Azure state with a StackReference's outputs keyed by stack name. */
export function azureHooks(stackOutputs: Record<string, Record<string, unknown>> = {}): MockHooks {
    return {
        newResource(args) {
            if (args.type === "pulumi:pulumi:StackReference") {
                const name = str((args.inputs as Record<string, unknown>).name, args.name);
                return { outputs: stackOutputs[name] ?? {} };
            }
            return azureResourceState(args);
        },
    };
}
