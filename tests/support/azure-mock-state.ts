/**
 * Realistic provider outputs for the mock runtime, so policies see what Azure would return:
 * ARM-shaped ids (`/subscriptions/…/providers/Microsoft.X/…`), identity principal ids, login
 * servers, random suffixes. Used by the policy compliance run (`runProgram` hooks.newResource).
 */
import type * as pulumi from "@pulumi/pulumi";
import { MOCK_SUBSCRIPTION_ID, MOCK_TENANT_ID } from "./pulumi-harness";

/** ARM provider path per azure-native type token (module:Type). */
const ARM_PATHS: Record<string, string> = {
    "resources:ResourceGroup": "",
    "containerregistry:Registry": "Microsoft.ContainerRegistry/registries",
    "managedidentity:UserAssignedIdentity": "Microsoft.ManagedIdentity/userAssignedIdentities",
    "operationalinsights:Workspace": "Microsoft.OperationalInsights/workspaces",
    "applicationinsights:Component": "Microsoft.Insights/components",
    "keyvault:Vault": "Microsoft.KeyVault/vaults",
    "containerservice:ManagedCluster": "Microsoft.ContainerService/managedClusters",
    "network:PublicIPAddress": "Microsoft.Network/publicIPAddresses",
};

/** A stable GUID-shaped value derived from a name. */
export function fakeGuid(seed: string): string {
    let h = 2166136261;
    for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
    const hex = (h.toString(16).padStart(8, "0") + seed.length.toString(16).padStart(4, "0")).repeat(3);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function str(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

export function azureMockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> | undefined {
    const inputs = (args.inputs ?? {}) as Record<string, unknown>;
    if (args.type === "random:index/randomString:RandomString") {
        const n = typeof inputs.length === "number" ? inputs.length : 5;
        return { result: "k3v9q7w2x8".repeat(5).slice(0, n) };
    }
    if (!args.type.startsWith("azure-native:")) return undefined;
    const [, module, type] = args.type.split(":");
    const rg = str(inputs.resourceGroupName) ?? "mock-rg";
    const name = str(inputs.resourceName) ?? str(inputs.vaultName) ?? str(inputs.registryName) ?? str(inputs.workspaceName)
        ?? str(inputs.publicIpAddressName) ?? args.name;
    const armPath = ARM_PATHS[`${module}:${type}`];
    const sub = `/subscriptions/${MOCK_SUBSCRIPTION_ID}`;
    const id = `${module}:${type}` === "resources:ResourceGroup"
        ? `${sub}/resourceGroups/${str(inputs.resourceGroupName) ?? args.name}`
        : `${sub}/resourceGroups/${rg}/providers/${armPath ?? `Microsoft.${module}/${type}s`}/${name}`;
    const out: Record<string, unknown> = { id };
    // The harness maps the first name-like input to `name`, which is resourceGroupName for most
    // azure-native types; for the types above the resource's own name is the right one.
    if (armPath !== undefined) out.name = `${module}:${type}` === "resources:ResourceGroup" ? (str(inputs.resourceGroupName) ?? args.name) : name;
    switch (`${module}:${type}`) {
        case "managedidentity:UserAssignedIdentity":
            Object.assign(out, { principalId: fakeGuid(`${name}-principal`), clientId: fakeGuid(`${name}-client`), tenantId: MOCK_TENANT_ID });
            break;
        case "containerregistry:Registry":
            out.loginServer = `${name}.azurecr.io`;
            break;
        case "operationalinsights:Workspace":
            out.customerId = fakeGuid(`${name}-customer`);
            break;
        case "applicationinsights:Component":
            Object.assign(out, { appId: fakeGuid(`${name}-app`), instrumentationKey: fakeGuid(`${name}-ikey`), connectionString: `InstrumentationKey=${fakeGuid(`${name}-ikey`)};IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/` });
            break;
        case "keyvault:Vault":
            out.properties = { ...((inputs.properties as Record<string, unknown>) ?? {}), vaultUri: `https://${name}.vault.azure.net/` };
            break;
        case "containerservice:ManagedCluster":
            Object.assign(out, {
                fqdn: `${name}.hcp.westeurope.azmk8s.io`,
                identityProfile: { kubeletidentity: { objectId: fakeGuid(`${name}-kubelet`), clientId: fakeGuid(`${name}-kubelet-client`), resourceId: `${id}-agentpool` } },
                oidcIssuerProfile: { ...((inputs.oidcIssuerProfile as Record<string, unknown>) ?? {}), issuerURL: `https://westeurope.oic.prod-aks.azure.com/${MOCK_TENANT_ID}/${fakeGuid(name)}/` },
            });
            break;
        case "network:PublicIPAddress": {
            const label = str((inputs.dnsSettings as Record<string, unknown> | undefined)?.domainNameLabel) ?? name;
            Object.assign(out, { ipAddress: "20.0.0.10", dnsSettings: { ...((inputs.dnsSettings as Record<string, unknown>) ?? {}), fqdn: `${label}.westeurope.cloudapp.azure.com` } });
            break;
        }
    }
    return out;
}
