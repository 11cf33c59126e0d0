/**
 * platform/dev and platform/prod (default front door: Envoy Gateway; the nginx-only checks run the
 * same stacks with `gateway: nginx`) under the mock runtime with ./Pulumi.<stack>.yaml and the
 * Pulumi.yaml defaults, the registry stack's real outputs fed to the StackReference as a first
 * deployment would: every requirement of the platform stack asserted on the registered inputs, the
 * contract outputs, secrets kept out of plain outputs, tags everywhere, and bad config refused
 * before any resource exists.
 */
import { strict as assert } from "assert";
import {
    MOCK_DEPLOYER_OBJECT_ID,
    MOCK_KUBECONFIG,
    MOCK_SUBSCRIPTION_ID,
    MOCK_TENANT_ID,
    byType,
    inventory,
    one,
    readProject,
    RegisteredResource,
    RunResult,
} from "./support/pulumi-harness";
import { MOCK_CONNECTION_STRING, MOCK_SECRET_MARKERS } from "./support/azure-mocks";
import * as path from "path";
import { clusterGrants } from "../stacks/platform/program";
import { readPlatformConfig } from "../stacks/platform/config";
import { VAULT_SECRETS } from "../release-engine/src/settings/keyvault";
import { locationFromNames } from "../release-engine/src/record-store/location";
import { DEFAULT_RECORD_CONTAINER as ENGINE_DEFAULT_CONTAINER } from "../release-engine/src/record-store/open-store";
import { DEFAULT_RECORD_CONTAINER } from "../components/release-record-store";
import {
    at,
    azureResources,
    declarationProblems,
    DEFAULT_REGISTRY_STACK,
    documentedKeys,
    expectConfigFailure,
    isTaggable,
    keysRead,
    plainInputs,
    ROOT,
    runPlatform,
    runRegistry,
    stackFileValues,
    unwrapSecret,
} from "./support/phoenix-stacks";

const RA = "azure-native:authorization:RoleAssignment";
const MC = "azure-native:containerservice:ManagedCluster";
const ROLE = {
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    SecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
    SecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    AksClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
    StorageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
};
const roleId = (guid: string) => `/subscriptions/${MOCK_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;

export const PLATFORM_CONTRACT_OUTPUTS = [
    "environment",
    "appName",
    "resourceGroupName",
    "location",
    "clusterName",
    "kubeconfig",
    "publicFqdn",
    "publicIp",
    "publicUrl",
    "host",
    "routerKind",
    "appInsightsConnectionString",
    "appInsightsAppId",
    "logAnalyticsWorkspaceId",
    "logAnalyticsWorkspaceResourceId",
    "keyVaultName",
    "keyVaultUri",
    "registryLoginServer",
    "releaseRecordAccount",
    "releaseRecordContainer",
    "releaseRecordUrl",
];
/** Exported while ingress-nginx runs (gateway nginx, or legacyNginx beside a Gateway). */
export const NGINX_OUTPUTS = ["ingressClassName", "ingressNamespace"];
/** Exported wherever the platform runs a Gateway. */
export const GATEWAY_OUTPUTS = ["gatewayName", "gatewayNamespace", "gatewayClass", "gatewayFqdn", "gatewayIp"];
const SECRET_OUTPUTS = ["kubeconfig", "appInsightsConnectionString"];

const KEY_VAULT_SECRETS = [
    "acr-name",
    "aks-group",
    "aks-name",
    "appinsights-app-id",
    "appinsights-connection-string",
    "log-analytics-workspace-id",
    "phoenix-fqdn",
    "phoenix-namespace",
    "release-record-account",
    "release-record-container",
];
const SA = "azure-native:storage:StorageAccount";

function assignments(run: RunResult, guid: string): RegisteredResource[] {
    return byType(run.resources, RA).filter((r) => r.inputs.roleDefinitionId === roleId(guid));
}

describe("platform stack (platform/dev, platform/prod)", () => {
    let registry: RunResult;
    const runs: Record<"dev" | "prod", RunResult> = {} as Record<"dev" | "prod", RunResult>;
    const nginxRuns: Record<"dev" | "prod", RunResult> = {} as Record<"dev" | "prod", RunResult>;
    const envoyRuns: Record<"dev" | "prod", RunResult> = {} as Record<"dev" | "prod", RunResult>;
    before(async () => {
        registry = await runRegistry();
        runs.dev = await runPlatform("dev", registry.outputs);
        runs.prod = await runPlatform("prod", registry.outputs);
        nginxRuns.dev = await runPlatform("dev", registry.outputs, { configOverrides: { gateway: "nginx" } });
        nginxRuns.prod = await runPlatform("prod", registry.outputs, { configOverrides: { gateway: "nginx" } });
        envoyRuns.dev = await runPlatform("dev", registry.outputs, { configOverrides: { gateway: "envoy", gatewayApiCrds: "phoenix" } });
        envoyRuns.prod = await runPlatform("prod", registry.outputs, { configOverrides: { gateway: "envoy", gatewayApiCrds: "phoenix" } });
    });

    it("reads the registry stack named in config through a StackReference", () => {
        for (const env of ["dev", "prod"] as const) {
            assert.equal(one(runs[env].resources, "pulumi:pulumi:StackReference").inputs.name, DEFAULT_REGISTRY_STACK);
        }
    });

    it("follows the configured registry stack name (not a hard-coded one)", async () => {
        const other = await runPlatform("dev", registry.outputs, { configOverrides: { registryStack: "contoso/phoenix-registry/shared" } });
        assert.equal(one(other.resources, "pulumi:pulumi:StackReference").inputs.name, "contoso/phoenix-registry/shared");
        assert.equal(other.outputs.registryLoginServer, registry.outputs.loginServer);
    });

    it("derives unset names from prefix, environment and the resource group (Pulumi.yaml empty defaults)", async () => {
        const derived = await runPlatform("dev", registry.outputs, {
            configOverrides: { prefix: "acme", resourceGroupName: "shop-dev" },
            configRemovals: ["aksNodeResourceGroupName"],
        });
        const mc = one(derived.resources, MC);
        assert.equal(mc.inputs.resourceName, "acme-dev-aks");
        assert.equal(mc.inputs.nodeResourceGroup, "shop-dev-nodes");
        assert.equal(one(derived.resources, "azure-native:resources:ResourceGroup").inputs.resourceGroupName, "shop-dev");
        assert.match(one(derived.resources, "azure-native:keyvault:Vault").inputs.vaultName as string, /^acme-dev-[a-z0-9]{5}$/);
    });

    it("stops with a clear error when the registry stack has not been deployed", async () => {
        await assert.rejects(
            runPlatform("dev", {}),
            /organization\/phoenix-registry\/shared has no output "pipelineIdentityPrincipalId": deploy the registry stack first/,
        );
    });

    for (const env of ["dev", "prod"] as const) {
        describe(`platform/${env}`, () => {
            const r = () => runs[env];
            const n = () => nginxRuns[env];

            it("has one resource group per environment, named from config, in the configured region", () => {
                const rg = one(r().resources, "azure-native:resources:ResourceGroup");
                assert.equal(rg.inputs.resourceGroupName, `phoenix-${env}-rg`);
                assert.equal(rg.inputs.location, "westeurope");
                for (const res of azureResources(r().resources).filter(
                    (x) => "resourceGroupName" in x.inputs && x.type !== "azure-native:resources:ResourceGroup",
                )) {
                    assert.equal(
                        res.inputs.resourceGroupName,
                        `phoenix-${env}-rg`,
                        `${res.type} ${res.name} lives in the environment's group`,
                    );
                }
            });

            it("tags every taggable Azure resource with environment, service, managed-by and the config tags", () => {
                const taggable = azureResources(r().resources).filter((x) => isTaggable(x.type));
                assert.deepEqual([...new Set(taggable.map((x) => x.type))].sort(), [
                    "azure-native:applicationinsights:Component",
                    "azure-native:applicationinsights:Workbook",
                    "azure-native:containerservice:ManagedCluster",
                    "azure-native:keyvault:Secret",
                    "azure-native:keyvault:Vault",
                    "azure-native:monitor:ActionGroup",
                    "azure-native:monitor:ScheduledQueryRule",
                    "azure-native:network:PublicIPAddress",
                    "azure-native:operationalinsights:Workspace",
                    "azure-native:resources:ResourceGroup",
                    "azure-native:storage:StorageAccount",
                ]);
                const expected: Record<string, string> = {
                    environment: env,
                    service: "calculator",
                    "managed-by": "pulumi",
                    "cost-center": "platform-1234",
                    owner: "platform-team",
                };
                if (env === "prod") expected.criticality = "high";
                // The cluster also records who owns its Gateway API CRDs (release-model/src/routers/gateway-api/crd-compatibility.ts).
                for (const res of taggable)
                    assert.deepEqual(
                        plainInputs(res.inputs.tags),
                        res.type === MC ? { ...expected, "gateway-api-crds": "managed" } : expected,
                        `${res.type} ${res.name}`,
                    );
                assert.deepEqual(at(one(r().resources, MC).inputs, "agentPoolProfiles[0].tags"), expected, "node pool tagged too");
            });

            it("creates a Log Analytics workspace and a workspace-based Application Insights", () => {
                const ws = one(r().resources, "azure-native:operationalinsights:Workspace");
                assert.equal(ws.inputs.workspaceName, `phoenix-${env}-logs`);
                assert.deepEqual(ws.inputs.sku, { name: "PerGB2018" });
                assert.equal(ws.inputs.retentionInDays, env === "dev" ? 30 : 90);
                assert.deepEqual(ws.inputs.workspaceCapping, env === "dev" ? { dailyQuotaGb: 5 } : undefined);
                const ai = one(r().resources, "azure-native:applicationinsights:Component");
                assert.equal(ai.inputs.resourceName, `phoenix-${env}-appi`);
                assert.equal(ai.inputs.kind, "web");
                assert.equal(ai.inputs.applicationType, "web");
                assert.equal(ai.inputs.ingestionMode, "LogAnalytics");
                assert.equal(ai.inputs.workspaceResourceId, ws.id);
            });

            it("creates a Key Vault with RBAC authorization, retention and purge protection from config, tenant from getClientConfig", () => {
                const kv = one(r().resources, "azure-native:keyvault:Vault");
                const props = plainInputs(kv.inputs.properties) as Record<string, unknown>;
                assert.equal(props.enableRbacAuthorization, true);
                assert.equal(props.tenantId, MOCK_TENANT_ID);
                assert.deepEqual(props.sku, { family: "A", name: "standard" });
                assert.equal(props.softDeleteRetentionInDays, env === "dev" ? 7 : 90);
                // Azure rejects an explicit false: off means the property is absent.
                assert.equal(props.enablePurgeProtection, env === "prod" ? true : undefined);
                assert.deepEqual(props.accessPolicies, []);
                const name = kv.inputs.vaultName as string;
                assert.match(name, new RegExp(`^phoenix-${env}-[a-z0-9]{5}$`));
                assert.ok(name.length <= 24);
                assert.ok(r().invokes.some((i) => i.token === "azure-native:authorization:getClientConfig"));
            });

            it("writes the pipeline settings to the vault as secrets, with the seed's names, values marked secret", () => {
                const secrets = byType(r().resources, "azure-native:keyvault:Secret");
                assert.deepEqual(secrets.map((s) => s.inputs.secretName).sort(), KEY_VAULT_SECRETS);
                const kvName = one(r().resources, "azure-native:keyvault:Vault").inputs.vaultName;
                const value = (n: string) => {
                    const s = secrets.find((x) => x.inputs.secretName === n) as RegisteredResource;
                    assert.equal(s.inputs.vaultName, kvName);
                    assert.ok(unwrapSecret(s.inputs.properties).secret, `${n} is sent as a secret`);
                    return at(s.inputs, "properties.value");
                };
                const ip = one(r().resources, "azure-native:network:PublicIPAddress");
                assert.equal(value("aks-name"), `phoenix-${env}-aks`);
                assert.equal(value("aks-group"), `phoenix-${env}-rg`);
                assert.equal(value("acr-name"), registry.outputs.registryName);
                assert.equal(
                    value("phoenix-fqdn"),
                    `${at(ip.inputs, "dnsSettings.domainNameLabel") as string}.westeurope.cloudapp.azure.com`,
                );
                assert.equal(value("phoenix-namespace"), "calculator");
                assert.equal(value("appinsights-connection-string"), MOCK_CONNECTION_STRING);
                assert.equal(value("appinsights-app-id"), one(r().resources, "azure-native:applicationinsights:Component").state.appId);
                assert.equal(
                    value("log-analytics-workspace-id"),
                    one(r().resources, "azure-native:operationalinsights:Workspace").state.customerId,
                );
                assert.equal(value("release-record-account"), one(r().resources, SA).inputs.accountName);
                assert.equal(value("release-record-container"), "release-records");
            });

            it("writes the record store's names where the release engine looks, in a form it accepts, and exports the URL it would build", () => {
                const secrets = byType(r().resources, "azure-native:keyvault:Secret");
                const value = (n: string) =>
                    at(
                        (secrets.find((x) => x.inputs.secretName === n) ?? assert.fail(`no secret ${n}`)).inputs,
                        "properties.value",
                    ) as string;
                const account = value(VAULT_SECRETS.recordAccount);
                const container = value(VAULT_SECRETS.recordContainer);
                const loc = locationFromNames(account, container, "calculator", env);
                assert.equal(`${loc.accountUrl}/${loc.container}`, r().outputs.releaseRecordUrl);
                assert.equal(
                    ENGINE_DEFAULT_CONTAINER,
                    DEFAULT_RECORD_CONTAINER,
                    "the engine's default container (vault names only the account) is the one the platform creates",
                );
            });

            it("provisions the release record store: a StorageV2 account reachable only with Azure AD, no public blobs, TLS 1.2, HTTPS only, named <prefix><env>st<5 random>", () => {
                const sa = one(r().resources, SA);
                assert.match(sa.inputs.accountName as string, new RegExp(`^phoenix${env}st[a-z0-9]{5}$`));
                assert.ok((sa.inputs.accountName as string).length <= 24);
                assert.equal(sa.inputs.kind, "StorageV2");
                assert.deepEqual(sa.inputs.sku, { name: env === "dev" ? "Standard_LRS" : "Standard_ZRS" });
                assert.equal(sa.inputs.allowSharedKeyAccess, false);
                assert.equal(sa.inputs.defaultToOAuthAuthentication, true);
                assert.equal(sa.inputs.allowBlobPublicAccess, false);
                assert.equal(sa.inputs.minimumTlsVersion, "TLS1_2");
                assert.equal(sa.inputs.enableHttpsTrafficOnly, true);
                assert.equal(sa.inputs.location, "westeurope");
            });

            it("turns on blob versioning, blob soft delete and container soft delete on the record account, with the configured retention", () => {
                const sa = one(r().resources, SA);
                const bs = one(r().resources, "azure-native:storage:BlobServiceProperties");
                const days = env === "dev" ? 7 : 30;
                assert.equal(bs.inputs.accountName, sa.inputs.accountName);
                assert.equal(bs.inputs.blobServicesName, "default");
                assert.equal(bs.inputs.isVersioningEnabled, true);
                assert.deepEqual(bs.inputs.deleteRetentionPolicy, { enabled: true, days, allowPermanentDelete: false });
                assert.deepEqual(bs.inputs.containerDeleteRetentionPolicy, { enabled: true, days });
            });

            it("creates one private record container, after the blob service settings", () => {
                const c = one(r().resources, "azure-native:storage:BlobContainer");
                assert.equal(c.inputs.containerName, "release-records");
                assert.equal(c.inputs.accountName, one(r().resources, SA).inputs.accountName);
                assert.equal(c.inputs.publicAccess, "None");
                const bs = one(r().resources, "azure-native:storage:BlobServiceProperties");
                assert.ok(
                    (c.options?.dependencies ?? []).some((d) => d.endsWith(`$azure-native:storage:BlobServiceProperties::${bs.name}`)),
                    "the container depends on the blob service settings",
                );
            });

            it("grants Storage Blob Data Contributor to the pipeline identity on the record container only (not the account)", () => {
                const sa = one(r().resources, SA);
                const [grant, ...more] = assignments(r(), ROLE.StorageBlobDataContributor);
                assert.equal(more.length, 0);
                assert.equal(grant.inputs.principalId, registry.outputs.pipelineIdentityPrincipalId);
                assert.equal(grant.inputs.principalType, "ServicePrincipal");
                assert.equal(grant.inputs.scope, `${sa.id}/blobServices/default/containers/release-records`);
                assert.equal(
                    one(r().resources, "azure-native:storage:BlobContainer").id,
                    grant.inputs.scope,
                    "the scope is the container's resource id",
                );
            });

            it("grants Key Vault Secrets User to the pipeline identity and Secrets Officer to the deploying principal", () => {
                const kv = one(r().resources, "azure-native:keyvault:Vault");
                const [user] = assignments(r(), ROLE.SecretsUser);
                assert.equal(assignments(r(), ROLE.SecretsUser).length, 1);
                assert.equal(user.inputs.principalId, registry.outputs.pipelineIdentityPrincipalId);
                assert.equal(user.inputs.principalType, "ServicePrincipal");
                assert.equal(user.inputs.scope, kv.id);
                const [officer] = assignments(r(), ROLE.SecretsOfficer);
                assert.equal(assignments(r(), ROLE.SecretsOfficer).length, 1);
                assert.equal(officer.inputs.principalId, MOCK_DEPLOYER_OBJECT_ID);
                assert.equal(officer.inputs.principalType, env === "dev" ? "User" : "ServicePrincipal");
                assert.equal(officer.inputs.scope, kv.id);
            });

            it("writes every role assignment subscription-qualified, with a principal type and no name", () => {
                for (const ra of byType(r().resources, RA)) {
                    assert.match(
                        ra.inputs.roleDefinitionId as string,
                        new RegExp(
                            `^/subscriptions/${MOCK_SUBSCRIPTION_ID}/providers/Microsoft\\.Authorization/roleDefinitions/[0-9a-f-]{36}$`,
                        ),
                    );
                    assert.ok(["User", "ServicePrincipal", "Group"].includes(ra.inputs.principalType as string), ra.name);
                    assert.equal(ra.inputs.roleAssignmentName, undefined);
                    assert.ok(typeof ra.inputs.principalId === "string" && ra.inputs.principalId !== "", ra.name);
                }
            });

            it("builds AKS with managed identity, Entra ID + Azure RBAC, OIDC issuer and workload identity", () => {
                const mc = one(r().resources, MC);
                assert.equal(mc.inputs.resourceName, `phoenix-${env}-aks`);
                assert.deepEqual(mc.inputs.identity, { type: "SystemAssigned" });
                assert.equal(mc.inputs.servicePrincipalProfile, undefined);
                assert.equal(at(mc.inputs, "aadProfile.managed"), true);
                assert.equal(at(mc.inputs, "aadProfile.enableAzureRBAC"), true);
                assert.equal(at(mc.inputs, "aadProfile.tenantID"), MOCK_TENANT_ID);
                assert.equal(mc.inputs.enableRBAC, true);
                assert.equal(at(mc.inputs, "oidcIssuerProfile.enabled"), true);
                assert.equal(at(mc.inputs, "securityProfile.workloadIdentity.enabled"), true);
                assert.equal(mc.inputs.disableLocalAccounts, env === "prod");
            });

            it("sends Container Insights to the workspace (omsagent + logAnalyticsWorkspaceResourceID)", () => {
                const mc = one(r().resources, MC);
                const ws = one(r().resources, "azure-native:operationalinsights:Workspace");
                assert.deepEqual(at(mc.inputs, "addonProfiles"), {
                    omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: ws.id } },
                });
            });

            it("makes the first pool an autoscaling System pool sized from config, and names the node resource group from config", () => {
                const mc = one(r().resources, MC);
                const pools = at(mc.inputs, "agentPoolProfiles") as Record<string, unknown>[];
                assert.equal(pools.length, 1);
                const pool = pools[0];
                assert.equal(pool.mode, "System");
                assert.equal(pool.enableAutoScaling, true);
                assert.equal(pool.name, "system");
                assert.equal(pool.minCount, env === "dev" ? 1 : 3);
                assert.equal(pool.maxCount, env === "dev" ? 3 : 6);
                assert.equal(pool.count, pool.minCount);
                assert.equal(pool.vmSize, env === "dev" ? "Standard_D2s_v5" : "Standard_D4s_v5");
                assert.deepEqual(pool.availabilityZones, env === "dev" ? undefined : ["1", "2", "3"]);
                assert.equal(mc.inputs.nodeResourceGroup, `phoenix-${env}-nodes-rg`);
            });

            it("takes the Kubernetes version, upgrade channels and tier from config", () => {
                const mc = one(r().resources, MC);
                assert.equal(mc.inputs.kubernetesVersion, "1.34");
                assert.deepEqual(
                    mc.inputs.autoUpgradeProfile,
                    env === "dev"
                        ? { upgradeChannel: "patch", nodeOSUpgradeChannel: "NodeImage" }
                        : { upgradeChannel: "stable", nodeOSUpgradeChannel: "SecurityPatch" },
                );
                assert.deepEqual(mc.inputs.sku, { name: "Base", tier: env === "dev" ? "Free" : "Standard" });
            });

            it("grants the kubelet identity AcrPull on the shared registry from the registry stack", () => {
                const mc = one(r().resources, MC);
                const [pull] = assignments(r(), ROLE.AcrPull);
                assert.equal(assignments(r(), ROLE.AcrPull).length, 1);
                assert.equal(pull.inputs.scope, registry.outputs.registryId);
                assert.equal(
                    pull.inputs.principalId,
                    (mc.state.identityProfile as Record<string, Record<string, string>>).kubeletidentity.objectId,
                );
                assert.equal(pull.inputs.principalType, "ServicePrincipal");
            });

            it("grants AKS RBAC Cluster Admin on the cluster to the pipeline identity and to the deploying principal", () => {
                const mc = one(r().resources, MC);
                const admins = assignments(r(), ROLE.AksClusterAdmin);
                assert.deepEqual(
                    admins.map((a) => a.inputs.principalId).sort(),
                    [registry.outputs.pipelineIdentityPrincipalId, MOCK_DEPLOYER_OBJECT_ID].sort(),
                );
                for (const a of admins) assert.equal(a.inputs.scope, mc.id);
            });

            it("builds a Kubernetes provider from the cluster's user credentials, kubeconfig secret, and installs every Kubernetes object through it", () => {
                const provider = one(r().resources, "pulumi:providers:kubernetes");
                const kc = unwrapSecret(provider.inputs.kubeconfig);
                assert.ok(kc.secret, "the provider's kubeconfig is secret");
                assert.equal(kc.value, MOCK_KUBECONFIG);
                const call = r().invokes.find((i) => i.token === "azure-native:containerservice:listManagedClusterUserCredentials");
                assert.ok(call);
                assert.equal(call.args.resourceName, `phoenix-${env}-aks`);
                assert.equal(call.args.resourceGroupName, `phoenix-${env}-rg`);
                for (const run of [r(), n()]) {
                    const objects = run.resources.filter((x) => x.type.startsWith("kubernetes:"));
                    assert.ok(objects.length >= 1);
                    for (const o of objects)
                        assert.ok(
                            o.provider?.includes("pulumi:providers:kubernetes::aks-k8s::"),
                            `${o.type} ${o.name} uses the cluster provider: ${o.provider}`,
                        );
                }
            });

            it("reserves a Standard static public IP with a DNS label, where the cluster may use it (Network Contributor on the Gateway's IP; on the group for nginx)", () => {
                const rg = one(r().resources, "azure-native:resources:ResourceGroup");
                for (const run of [r(), n()]) {
                    const ip = one(run.resources, "azure-native:network:PublicIPAddress");
                    assert.deepEqual(ip.inputs.sku, { name: "Standard", tier: "Regional" });
                    assert.equal(ip.inputs.publicIPAllocationMethod, "Static");
                    assert.match(at(ip.inputs, "dnsSettings.domainNameLabel") as string, new RegExp(`^phoenix-${env}-[a-z0-9]{5}$`));
                    const mc = one(run.resources, MC);
                    const [nc] = assignments(run, ROLE.NetworkContributor);
                    assert.equal(assignments(run, ROLE.NetworkContributor).length, 1);
                    assert.equal(nc.inputs.scope, run === n() ? rg.id : ip.id);
                    assert.equal(nc.inputs.principalId, (mc.state.identity as Record<string, string>).principalId);
                }
            });

            it("with gateway nginx: installs ingress-nginx with a pinned chart: replicas, PDB, Local traffic policy, the IP and its group, health probe, metrics, webhook", () => {
                const release = one(n().resources, "kubernetes:helm.sh/v3:Release");
                const ip = one(n().resources, "azure-native:network:PublicIPAddress");
                assert.equal(release.inputs.chart, "ingress-nginx");
                assert.equal(release.inputs.version, "4.15.1");
                assert.deepEqual(release.inputs.repositoryOpts, { repo: "https://kubernetes.github.io/ingress-nginx" });
                assert.equal(release.inputs.namespace, "ingress-nginx");
                assert.equal(release.inputs.atomic, true);
                const values = plainInputs(release.inputs.values) as Record<string, Record<string, unknown>>;
                const c = values.controller as Record<string, unknown>;
                assert.equal(c.replicaCount, env === "dev" ? 2 : 3);
                assert.equal(c.minAvailable, 1, "a PodDisruptionBudget keeps one controller");
                assert.equal(at(c, "service.externalTrafficPolicy"), "Local");
                assert.equal(at(c, "service.loadBalancerIP"), ip.state.ipAddress);
                const annotations = at(c, "service.annotations") as Record<string, string>;
                assert.equal(annotations["service.beta.kubernetes.io/azure-load-balancer-resource-group"], `phoenix-${env}-rg`);
                assert.equal(annotations["service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path"], "/healthz");
                assert.equal(annotations["service.beta.kubernetes.io/azure-load-balancer-ipv4"], ip.state.ipAddress);
                assert.equal(at(c, "metrics.enabled"), true);
                assert.equal(at(c, "admissionWebhooks.enabled"), true);
                assert.equal(at(c, "ingressClassResource.name"), "nginx");
            });

            it("exports the contract outputs with the right values (Gateway outputs by default, nginx ones with gateway nginx)", () => {
                const o = r().outputs;
                for (const k of [...PLATFORM_CONTRACT_OUTPUTS, ...GATEWAY_OUTPUTS])
                    assert.ok(typeof o[k] === "string" && o[k] !== "", `${k} = ${String(o[k])}`);
                for (const k of NGINX_OUTPUTS) assert.equal(o[k], undefined, `${k} only while ingress-nginx runs`);
                const ip = one(r().resources, "azure-native:network:PublicIPAddress");
                const fqdn = `${at(ip.inputs, "dnsSettings.domainNameLabel") as string}.westeurope.cloudapp.azure.com`;
                assert.equal(o.environment, env);
                assert.equal(o.appName, "calculator");
                assert.equal(o.publicFqdn, fqdn);
                assert.equal(o.host, fqdn);
                assert.equal(o.publicUrl, `http://${fqdn}`);
                assert.equal(o.publicIp, ip.state.ipAddress);
                assert.equal(o.routerKind, "gateway-api");
                assert.equal(o.legacyNginx, false);
                assert.deepEqual(o.gatewayRouteNamespaceLabel, { key: "phoenix.dev/gateway", value: "phoenix-gateway" });
                const legacy = n().outputs;
                for (const k of [...PLATFORM_CONTRACT_OUTPUTS, ...NGINX_OUTPUTS])
                    assert.ok(typeof legacy[k] === "string" && legacy[k] !== "", `nginx ${k} = ${String(legacy[k])}`);
                for (const k of [...GATEWAY_OUTPUTS, "gatewayRouteNamespaceLabel"])
                    assert.equal(legacy[k], undefined, `nginx mode exports no ${k}`);
                assert.equal(legacy.ingressClassName, "nginx");
                assert.equal(legacy.routerKind, "nginx");
                assert.equal(legacy.publicUrl, `http://${legacy.publicFqdn as string}`);
                assert.equal(o.clusterName, `phoenix-${env}-aks`);
                assert.equal(o.resourceGroupName, `phoenix-${env}-rg`);
                assert.equal(o.location, "westeurope");
                assert.equal(o.registryLoginServer, registry.outputs.loginServer);
                assert.equal(o.logAnalyticsWorkspaceId, one(r().resources, "azure-native:operationalinsights:Workspace").state.customerId);
                assert.equal(o.keyVaultName, one(r().resources, "azure-native:keyvault:Vault").inputs.vaultName);
                assert.equal(o.keyVaultUri, `https://${o.keyVaultName as string}.vault.azure.net/`);
                assert.equal(o.kubeconfig, MOCK_KUBECONFIG);
                assert.equal(o.appInsightsConnectionString, MOCK_CONNECTION_STRING);
                const account = one(r().resources, SA).inputs.accountName as string;
                assert.equal(o.releaseRecordAccount, account);
                assert.equal(o.releaseRecordContainer, "release-records");
                assert.equal(o.releaseRecordUrl, `https://${account}.blob.core.windows.net/release-records`);
            });

            it("exports the kubeconfig and the connection string only as secrets; no secret value in any plain output", () => {
                assert.deepEqual([...r().secretOutputs].sort(), [...SECRET_OUTPUTS].sort());
                for (const [k, v] of Object.entries(r().outputs)) {
                    if (r().secretOutputs.includes(k)) continue;
                    const text = JSON.stringify(v);
                    for (const marker of MOCK_SECRET_MARKERS) assert.ok(!text.includes(marker), `plain output ${k} leaks a secret`);
                }
            });
        });
    }

    it("reads exactly the keys Pulumi.yaml declares (types the CLI accepts, stack values of those types), all documented", () => {
        const declared = readProject(ROOT).config;
        assert.equal(readProject(ROOT).name, "phoenix-platform");
        for (const env of ["dev", "prod"] as const) {
            assert.deepEqual(keysRead(readPlatformConfig, runs[env].config, "phoenix-platform"), Object.keys(declared).sort());
            assert.deepEqual(declarationProblems(declared, stackFileValues(path.join(ROOT, `Pulumi.${env}.yaml`), "phoenix-platform")), []);
        }
        assert.deepEqual(documentedKeys("phoenix-platform"), Object.keys(declared).sort());
    });

    it("holds the System pool's defaults only in Pulumi.yaml (the CLI applies them; the reader has none)", () => {
        const declared = readProject(ROOT).config;
        for (const key of ["aksSystemPoolName", "aksNodeVmSize", "aksNodeMin", "aksNodeMax", "aksNodeOsDiskGb"]) {
            assert.notEqual(declared[key].default, undefined, `Pulumi.yaml declares a default for ${key}`);
            const raw = (k: string): string | undefined => (k === key ? undefined : runs.dev.config[`phoenix-platform:${k}`]);
            assert.throws(
                () => readPlatformConfig(raw),
                (e: Error) => {
                    const lines = e.message.split("\n").filter((l) => l.includes("phoenix-platform:aks"));
                    assert.equal(lines.length, 1, e.message);
                    assert.match(lines[0], new RegExp(`phoenix-platform:${key}: expected .*required`));
                    return true;
                },
            );
        }
    });

    it("makes prod bigger and stricter than dev", () => {
        const mc = (env: "dev" | "prod") => one(runs[env].resources, MC).inputs;
        const kv = (env: "dev" | "prod") =>
            plainInputs(one(runs[env].resources, "azure-native:keyvault:Vault").inputs.properties) as Record<string, unknown>;
        const ws = (env: "dev" | "prod") => one(runs[env].resources, "azure-native:operationalinsights:Workspace").inputs;
        const helm = (env: "dev" | "prod") =>
            at(one(nginxRuns[env].resources, "kubernetes:helm.sh/v3:Release").inputs, "values.controller.replicaCount") as number;
        const proxies = (env: "dev" | "prod") =>
            at(
                one(envoyRuns[env].resources, "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy").inputs,
                "spec.provider.kubernetes.envoyDeployment.replicas",
            ) as number;
        assert.ok(proxies("prod") > proxies("dev"));
        assert.ok((at(mc("prod"), "agentPoolProfiles[0].minCount") as number) > (at(mc("dev"), "agentPoolProfiles[0].minCount") as number));
        assert.ok((at(mc("prod"), "agentPoolProfiles[0].maxCount") as number) > (at(mc("dev"), "agentPoolProfiles[0].maxCount") as number));
        assert.ok(helm("prod") > helm("dev"));
        assert.ok((ws("prod").retentionInDays as number) > (ws("dev").retentionInDays as number));
        assert.ok((kv("prod").softDeleteRetentionInDays as number) > (kv("dev").softDeleteRetentionInDays as number));
        assert.equal(kv("prod").enablePurgeProtection, true);
        assert.equal(mc("prod").disableLocalAccounts, true);
        assert.equal(at(mc("prod"), "sku.tier"), "Standard");
    });

    it("inventories: registry/shared, platform/dev, platform/prod (type → count)", () => {
        const inv = {
            "registry/shared": inventory(registry.resources),
            "platform/dev": inventory(runs.dev.resources),
            "platform/prod": inventory(runs.prod.resources),
            "platform/dev (gateway nginx)": inventory(nginxRuns.dev.resources),
        };
        if (process.env.PHOENIX_PRINT_INVENTORY) console.log(JSON.stringify(inv, null, 2));
        assert.deepEqual(inv["platform/dev"], inv["platform/prod"], "the same shape in every environment; only sizes differ");
        assert.equal(inv["platform/dev"]["azure-native:keyvault:Secret"], 10);
        assert.equal(inv["platform/dev"]["azure-native:authorization:RoleAssignment"], 7);
        assert.equal(inv["platform/dev"]["azure-native:storage:StorageAccount"], 1);
        assert.equal(inv["platform/dev"]["azure-native:storage:BlobContainer"], 1);
        assert.equal(inv["platform/dev"]["kubernetes:helm.sh/v3:Release"], undefined, "app-routing-istio: AKS runs the controller");
        assert.equal(inv["platform/dev"]["command:local:Command"], 1, "the az aks update that enables it");
        assert.equal(inv["platform/dev"]["kubernetes:gateway.networking.k8s.io/v1:Gateway"], 1);
        assert.equal(inventory(envoyRuns.dev.resources)["kubernetes:helm.sh/v3:Release"], 1, "Envoy Gateway");
        assert.equal(inv["platform/dev (gateway nginx)"]["kubernetes:helm.sh/v3:Release"], 1, "ingress-nginx");
        assert.equal(inv["platform/dev (gateway nginx)"]["kubernetes:gateway.networking.k8s.io/v1:Gateway"], undefined);
    });

    describe("cluster grants", () => {
        it("gives the pipeline its configured role and the deployer cluster-admin", () => {
            assert.deepEqual(
                clusterGrants({ pipelinePrincipalId: "p", pipelineRole: "writer", deployerObjectId: "d", deployerPrincipalType: "User" }),
                [
                    { principalId: "p", principalType: "ServicePrincipal", role: "writer" },
                    { principalId: "d", principalType: "User", role: "cluster-admin" },
                ],
            );
        });
        it("assigns once when the pipeline identity is the deployer (Azure rejects a duplicate)", async () => {
            assert.deepEqual(
                clusterGrants({
                    pipelinePrincipalId: "p",
                    pipelineRole: "reader",
                    deployerObjectId: "p",
                    deployerPrincipalType: "ServicePrincipal",
                }),
                [{ principalId: "p", principalType: "ServicePrincipal", role: "cluster-admin" }],
            );
            const same = await runPlatform("prod", { ...registry.outputs, pipelineIdentityPrincipalId: MOCK_DEPLOYER_OBJECT_ID });
            assert.equal(assignments(same, ROLE.AksClusterAdmin).length, 1);
        });
    });

    describe("refuses invalid config before registering anything", () => {
        const cases: {
            what: string;
            stack?: "dev" | "prod";
            overrides?: Record<string, unknown>;
            removals?: string[];
            key: string;
            expect: RegExp;
        }[] = [
            {
                what: "a prefix that yields a Key Vault name over 24 characters",
                overrides: { prefix: "phoenixplatformteam" },
                key: "phoenix-platform:prefix",
                expect: /valid Key Vault name.*3–24 characters/,
            },
            {
                what: "a prefix that starts with a digit",
                overrides: { prefix: "9phoenix" },
                key: "phoenix-platform:prefix",
                expect: /a letter followed by/,
            },
            {
                what: "min nodes > max nodes",
                overrides: { aksNodeMin: 5, aksNodeMax: 3 },
                key: "phoenix-platform:aksNodeMin",
                expect: /≤ aksNodeMax \(3\), got 5/,
            },
            {
                what: "a System pool that scales to zero",
                overrides: { aksNodeMin: 0 },
                key: "phoenix-platform:aksNodeMin",
                expect: /integer ≥ 1 \(a System pool cannot scale to zero\), got 0/,
            },
            {
                what: "more nodes than a pool may have",
                overrides: { aksNodeMax: 1001 },
                key: "phoenix-platform:aksNodeMax",
                expect: /≤ 1000, got 1001/,
            },
            {
                what: "a pool name with upper case",
                overrides: { aksSystemPoolName: "System" },
                key: "phoenix-platform:aksSystemPoolName",
                expect: /1–12 lower-case letters and digits, starting with a letter, got "System"/,
            },
            {
                what: "a node count that is not a number",
                overrides: { aksNodeMax: "three" },
                key: "phoenix-platform:aksNodeMax",
                expect: /^\s*- phoenix-platform:aksNodeMax: expected an integer, got "three"$/,
            },
            {
                what: "an unknown Key Vault SKU",
                overrides: { keyVaultSku: "gold" },
                key: "phoenix-platform:keyVaultSku",
                expect: /one of standard, premium, got "gold"/,
            },
            {
                what: "Key Vault retention under 7 days",
                overrides: { keyVaultRetentionDays: 5 },
                key: "phoenix-platform:keyVaultRetentionDays",
                expect: /integer ≥ 7 and ≤ 90, got 5/,
            },
            {
                what: "Key Vault retention over 90 days",
                overrides: { keyVaultRetentionDays: 91 },
                key: "phoenix-platform:keyVaultRetentionDays",
                expect: /≤ 90, got 91/,
            },
            {
                what: "a non-integer retention",
                overrides: { keyVaultRetentionDays: "thirty" },
                key: "phoenix-platform:keyVaultRetentionDays",
                expect: /integer/,
            },
            {
                what: "an unknown upgrade channel",
                overrides: { aksUpgradeChannel: "latest" },
                key: "phoenix-platform:aksUpgradeChannel",
                expect: /one of none, patch, stable, rapid, node-image/,
            },
            {
                what: "a malformed Kubernetes version",
                overrides: { aksKubernetesVersion: "v1.34" },
                key: "phoenix-platform:aksKubernetesVersion",
                expect: /<major>\.<minor>/,
            },
            {
                what: "no Kubernetes version",
                removals: ["aksKubernetesVersion"],
                key: "phoenix-platform:aksKubernetesVersion",
                expect: /required/,
            },
            {
                what: "log retention under 30 days",
                overrides: { logRetentionDays: 7 },
                key: "phoenix-platform:logRetentionDays",
                expect: /≥ 30/,
            },
            {
                what: "an unpinned chart version",
                overrides: { ingressChartVersion: "^4.15.0" },
                key: "phoenix-platform:ingressChartVersion",
                expect: /exact chart version/,
            },
            { what: "a single ingress replica", overrides: { ingressReplicas: 1 }, key: "phoenix-platform:ingressReplicas", expect: /≥ 2/ },
            {
                what: "a DNS label prefix with upper case and underscores",
                overrides: { dnsLabelPrefix: "Phoenix_Dev" },
                key: "phoenix-platform:dnsLabelPrefix",
                expect: /valid DNS label/,
            },
            {
                what: "an admin group that is not a GUID",
                overrides: { aksAdminGroupObjectIds: ["platform-admins"] },
                key: "phoenix-platform:aksAdminGroupObjectIds[0]",
                expect: /GUID/,
            },
            {
                what: "the node resource group equal to the environment's",
                overrides: { aksNodeResourceGroupName: "phoenix-dev-rg" },
                key: "phoenix-platform:aksNodeResourceGroupName",
                expect: /other than resourceGroupName/,
            },
            {
                what: "an unknown pipeline cluster role",
                overrides: { pipelineClusterRole: "owner" },
                key: "phoenix-platform:pipelineClusterRole",
                expect: /cluster-admin, admin, writer, reader/,
            },
            {
                what: "a boolean that is not one",
                overrides: { keyVaultPurgeProtection: "yes" },
                key: "phoenix-platform:keyVaultPurgeProtection",
                expect: /true or false/,
            },
            {
                what: "an environment name with upper case",
                overrides: { environment: "Prod" },
                key: "phoenix-platform:environment",
                expect: /lower-case/,
            },
            {
                what: "a record container name with upper case",
                overrides: { releaseRecordContainer: "Release-Records" },
                key: "phoenix-platform:releaseRecordContainer",
                expect: /3–63 lower-case letters, digits and single hyphens.*got "Release-Records"/,
            },
            {
                what: "a record container name with a double hyphen",
                overrides: { releaseRecordContainer: "release--records" },
                key: "phoenix-platform:releaseRecordContainer",
                expect: /single hyphens/,
            },
            {
                what: "a record container name of two characters",
                overrides: { releaseRecordContainer: "rr" },
                key: "phoenix-platform:releaseRecordContainer",
                expect: /3–63/,
            },
            {
                what: "record soft-delete retention of 0 days",
                overrides: { releaseRecordRetentionDays: 0 },
                key: "phoenix-platform:releaseRecordRetentionDays",
                expect: /integer ≥ 1 and ≤ 365, got 0/,
            },
            {
                what: "record soft-delete retention over 365 days",
                overrides: { releaseRecordRetentionDays: 366 },
                key: "phoenix-platform:releaseRecordRetentionDays",
                expect: /≤ 365, got 366/,
            },
            {
                what: "a Premium record store SKU",
                overrides: { releaseRecordSku: "Premium_LRS" },
                key: "phoenix-platform:releaseRecordSku",
                expect: /one of Standard_LRS, .*got "Premium_LRS"/,
            },
            {
                what: "a malformed tag",
                stack: "prod",
                overrides: { tags: ["owner"] },
                key: "phoenix-platform:tags[0]",
                expect: /name=value/,
            },
        ];
        for (const c of cases) {
            it(c.what, async () => {
                const { message, registered } = await expectConfigFailure(
                    (hooks) =>
                        runPlatform(c.stack ?? "dev", registry.outputs, {
                            configOverrides: c.overrides,
                            configRemovals: c.removals,
                            hooks,
                        }),
                    registry.outputs,
                );
                assert.equal(registered, 0, "no resource (not even the StackReference) may be registered");
                const line = message.split("\n").find((l) => l.includes(`${c.key}:`));
                assert.ok(line, `the error names ${c.key}: ${message}`);
                assert.match(line, c.expect);
            });
        }

        it("lists every problem at once", async () => {
            const { message } = await expectConfigFailure(
                (hooks) =>
                    runPlatform("prod", registry.outputs, {
                        configOverrides: { aksNodeMin: 9, keyVaultSku: "gold", keyVaultRetentionDays: 3 },
                        hooks,
                    }),
                registry.outputs,
            );
            assert.match(message, /3 problems/);
        });
    });
});
