/**
 * The ComponentResources on their own, under the mock runtime: argument errors name the property,
 * and the resource options the mocks cannot see (dependsOn, ignoreChanges, provider) are captured
 * with a transformation on the component, which Pulumi applies to every child.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as YAML from "yaml";
import { AksCluster, AksClusterArgs } from "../components/aks-cluster";
import { ContainerRegistry } from "../components/container-registry";
import { IngressController, IngressControllerArgs } from "../components/ingress-controller";
import { KeyVault, KeyVaultArgs } from "../components/key-vault";
import { Monitoring } from "../components/monitoring";
import { PipelineIdentity } from "../components/pipeline-identity";
import { ReleaseRecordStore, ReleaseRecordStoreArgs } from "../components/release-record-store";
import { grantKey, shortHash } from "../components/role-assignment";
import { azureHooks } from "./support/azure-mocks";
import { byType, MockHooks, one, runProgram, RunResult } from "./support/pulumi-harness";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-components-"));
fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: phoenix-components\nruntime: nodejs\n");

type Captured = pulumi.ResourceTransformationArgs;

/** Runs `build` under mocks; returns the run and every child's transformation args (the component itself excluded). */
async function capture(
    build: (opts: pulumi.ComponentResourceOptions) => Record<string, unknown> | void,
    hooks: MockHooks = azureHooks(),
): Promise<{ run: RunResult; children: Captured[] }> {
    const children: Captured[] = [];
    const run = await runProgram({
        projectDir: dir,
        stack: "test",
        hooks,
        captureStackTraces: false,
        program: () =>
            build({
                transformations: [
                    (a) => {
                        children.push(a);
                        return undefined;
                    },
                ],
            }) ?? {},
    });
    return { run, children: children.filter((c) => !c.type.startsWith("phoenix:")) };
}

function inputErrors(fn: () => unknown): string[] {
    try {
        fn();
    } catch (e) {
        assert.ok(pulumi.InputPropertiesError.isInstance(e), `expected InputPropertiesError, got ${String(e)}`);
        return e.errors.map((x) => `${x.propertyPath}: ${x.reason}`);
    }
    assert.fail("expected an argument error");
}

/** Throws synchronously inside the mock runtime and returns the errors. */
async function argumentErrors(fn: () => unknown): Promise<string[]> {
    let errors: string[] = [];
    await runProgram({
        projectDir: dir,
        stack: "test",
        captureStackTraces: false,
        program: () => {
            errors = inputErrors(fn);
        },
    });
    return errors;
}

const tags = { environment: "t", service: "s", "managed-by": "pulumi" };
const FIC = "azure-native:managedidentity:FederatedIdentityCredential";

/** The names a child's `aliases` give (the SDK adds nameless entries inherited from the parent). */
function aliasNames(c: pulumi.ResourceTransformationArgs): string[] {
    return (c.opts.aliases ?? []).flatMap((a) =>
        typeof a === "object" && typeof (a as pulumi.Alias).name === "string" ? [(a as pulumi.Alias).name as string] : [],
    );
}
const RA = "azure-native:authorization:RoleAssignment";

describe("components: PipelineIdentity", () => {
    const connections = ["a", "b", "c"].map((n) => ({
        name: `ado-${n}x`,
        issuer: "https://vstoken.dev.azure.com/5f3b2c1d-8e7a-4b6c-9d0e-1a2b3c4d5e6f",
        subject: `sc://o/p/${n}`,
    }));

    it("chains the federated credentials with dependsOn (Azure rejects concurrent writes on one identity)", async () => {
        const { children } = await capture((opts) => {
            const p = new PipelineIdentity(
                "pi",
                { resourceGroupName: "rg", location: "westeurope", identityName: "pipeline-id", serviceConnections: connections, tags },
                opts,
            );
            return { id: p.principalId };
        });
        const fics = children.filter((c) => c.type === FIC);
        assert.equal(fics.length, 3);
        assert.deepEqual(fics[0].opts.dependsOn, []);
        for (let i = 1; i < fics.length; i++) {
            const deps = fics[i].opts.dependsOn as pulumi.Resource[];
            assert.equal(deps.length, 1);
            assert.equal(deps[0], fics[i - 1].resource, `credential ${i} waits for credential ${i - 1}`);
        }
        for (const c of children) assert.ok(c.opts.parent, `${c.name} is parented to the component`);
        assert.deepEqual(children.map((c) => c.name).sort(), ["pi-fic-ado-ax", "pi-fic-ado-bx", "pi-fic-ado-cx", "pi-identity"]);
    });

    it("refuses a malformed subject or issuer naming the property", async () => {
        const errors = await argumentErrors(
            () =>
                new PipelineIdentity("pi", {
                    resourceGroupName: "rg",
                    location: "l",
                    identityName: "id",
                    serviceConnections: [{ name: "x", issuer: "http://x", subject: "o/p/c" }],
                    tags,
                }),
        );
        assert.deepEqual(
            errors.map((e) => e.split(":")[0]),
            ["identityName", "serviceConnections[0].name", "serviceConnections[0].issuer", "serviceConnections[0].subject"],
        );
    });
});

describe("components: ContainerRegistry", () => {
    it("grants AcrPush and AcrPull to the given principals on the registry", async () => {
        const { run } = await capture((opts) => {
            const r = new ContainerRegistry(
                "acr",
                {
                    resourceGroupName: "rg",
                    location: "l",
                    namePrefix: "my-app",
                    sku: "Basic",
                    tags,
                    pushers: [{ principalId: "pusher", principalType: "ServicePrincipal" }],
                    pullers: [{ principalId: "puller", principalType: "ServicePrincipal" }],
                },
                opts,
            );
            return { name: r.registryName };
        });
        assert.match(run.outputs.name as string, /^myapp[a-z0-9]{5}$/);
        const registry = one(run.resources, "azure-native:containerregistry:Registry");
        const ras = byType(run.resources, RA);
        assert.deepEqual(
            ras.map((r) => [r.inputs.principalId, (r.inputs.roleDefinitionId as string).split("/").pop(), r.inputs.scope]).sort(),
            [
                ["puller", "7f951dda-4ed3-4680-a7ca-43fe172d538d", registry.id],
                ["pusher", "8311e382-0749-4cb8-b61a-304f252e45ec", registry.id],
            ],
        );
    });

    it("refuses a prefix that cannot make a registry name and an unknown SKU", async () => {
        const errors = await argumentErrors(
            () =>
                new ContainerRegistry("acr", {
                    resourceGroupName: "rg",
                    location: "l",
                    namePrefix: "x".repeat(46),
                    sku: "Gold" as "Basic",
                    tags,
                }),
        );
        assert.match(errors[0], /^namePrefix: .*5–50/);
        assert.match(errors[1], /^sku: expected one of Basic, Standard, Premium, got "Gold"/);
    });

    it("names each assignment by role and principal, so reordering the list renames nothing; the alias is the former index name", async () => {
        const names = async (pullers: { principalId: pulumi.Input<string>; principalType: "ServicePrincipal"; key?: string }[]) => {
            const { children } = await capture((opts) => {
                new ContainerRegistry(
                    "acr",
                    { resourceGroupName: "rg", location: "l", namePrefix: "app", sku: "Basic", tags, pullers },
                    opts,
                );
            });
            return children.filter((c) => c.type === RA).map((c) => [c.name, aliasNames(c).join()]);
        };
        const a = { principalId: "aaaa", principalType: "ServicePrincipal" as const };
        const b = { principalId: "bbbb", principalType: "ServicePrincipal" as const };
        const ab = await names([a, b]);
        assert.deepEqual(ab, [
            [`acr-acrpull-${shortHash("AcrPull/aaaa")}`, "acr-acrpull-0"],
            [`acr-acrpull-${shortHash("AcrPull/bbbb")}`, "acr-acrpull-1"],
        ]);
        const ba = await names([b, a]);
        assert.deepEqual(ba.map((x) => x[0]).sort(), ab.map((x) => x[0]).sort());
        // The same principal with another role is another name; an output principal is named by its key.
        assert.notEqual(grantKey("AcrPush", a), grantKey("AcrPull", a));
        const keyed = await names([{ principalId: pulumi.output("later"), principalType: "ServicePrincipal", key: "pipeline-identity" }]);
        assert.deepEqual(keyed[0][0], `acr-acrpull-${shortHash("AcrPull/key:pipeline-identity")}`);
    });

    it("refuses an output principal without a key, a malformed key and the same principal twice, before registering anything", async () => {
        const errors = await argumentErrors(
            () =>
                new ContainerRegistry("acr", {
                    resourceGroupName: "rg",
                    location: "l",
                    namePrefix: "app",
                    sku: "Basic",
                    tags,
                    pushers: [
                        { principalId: pulumi.output("later"), principalType: "ServicePrincipal" },
                        { principalId: "x", principalType: "User", key: "no spaces" },
                    ],
                    pullers: [
                        { principalId: "p", principalType: "ServicePrincipal" },
                        { principalId: "p", principalType: "ServicePrincipal" },
                    ],
                }),
        );
        assert.deepEqual(errors, [
            "pushers[0]: expected a plain principalId or a stable key (the assignment is named after its principal; an output is unknown then)",
            "pushers[1].key: expected 1–63 letters, digits, '.', '_' or '-', got \"no spaces\"",
            "pullers[1]: expected each principal once per role, got the same AcrPull grant as pullers[0]",
        ]);
    });
});

describe("components: KeyVault", () => {
    const args = (over: Partial<KeyVaultArgs> = {}): KeyVaultArgs => ({
        resourceGroupName: "rg",
        location: "l",
        namePrefix: "phoenix-dev",
        tenantId: "tenant",
        sku: "standard",
        softDeleteRetentionInDays: 7,
        purgeProtection: false,
        tags,
        secrets: { "a-secret": "one", "b-secret": pulumi.secret("two") },
        secretReaders: [{ principalId: "reader", principalType: "ServicePrincipal" }],
        secretOfficers: [{ principalId: "officer", principalType: "User" }],
        ...over,
    });

    it("writes secrets only after the Secrets Officer assignment exists", async () => {
        const { children } = await capture((opts) => {
            new KeyVault("kv", args(), opts);
        });
        const officer = children.find(
            (c) => c.type === RA && c.name === `kv-secrets-officer-${shortHash("KeyVaultSecretsOfficer/officer")}`,
        );
        assert.ok(officer);
        const secrets = children.filter((c) => c.type === "azure-native:keyvault:Secret");
        assert.equal(secrets.length, 2);
        for (const s of secrets) assert.deepEqual(s.opts.dependsOn, [officer.resource]);
    });

    it("omits purge protection when off (Azure rejects false) and sets it when on", async () => {
        for (const on of [false, true]) {
            const { run } = await capture((opts) => {
                new KeyVault("kv", args({ purgeProtection: on }), opts);
            });
            const props = one(run.resources, "azure-native:keyvault:Vault").inputs.properties as Record<string, unknown>;
            assert.equal(props.enablePurgeProtection, on ? true : undefined);
            assert.ok(!("enablePurgeProtection" in props) || on);
        }
    });

    it("refuses a prefix too long for 24 characters, retention outside 7–90 and a bad secret name", async () => {
        const errors = await argumentErrors(
            () =>
                new KeyVault(
                    "kv",
                    args({ namePrefix: "phoenix-platform-prod", softDeleteRetentionInDays: 91, secrets: { bad_name: "x" } }),
                ),
        );
        assert.deepEqual(
            errors.map((e) => e.split(":")[0]),
            ["namePrefix", "softDeleteRetentionInDays", "secrets.bad_name"],
        );
        assert.match(errors[0], /3–24 characters/);
    });
});

describe("components: AksCluster", () => {
    const base: AksClusterArgs = {
        resourceGroupName: "rg",
        location: "westeurope",
        clusterName: "c",
        dnsPrefix: "c1",
        nodeResourceGroupName: "rg-nodes",
        kubernetesVersion: "1.34",
        upgradeChannel: "patch",
        nodeOsUpgradeChannel: "NodeImage",
        skuTier: "Free",
        systemPool: { name: "system", vmSize: "Standard_D2s_v5", minCount: 1, maxCount: 3 },
        tenantId: "t",
        adminGroupObjectIds: [],
        disableLocalAccounts: true,
        logAnalyticsWorkspaceResourceId: "/ws",
        registryId: "/acr",
        clusterGrants: [
            { principalId: "pipeline", principalType: "ServicePrincipal", role: "writer" },
            { principalId: "me", principalType: "User", role: "cluster-admin" },
        ],
        kubeloginMode: "azurecli",
        tags,
    };
    const execKubeconfig = YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        users: [
            { name: "u", user: { exec: { command: "kubelogin", args: ["get-token", "--login", "devicecode", "--server-id", "sid"] } } },
        ],
    });
    const hooks: MockHooks = {
        ...azureHooks(),
        call: (a) =>
            a.token === "azure-native:containerservice:listManagedClusterUserCredentials"
                ? { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(execKubeconfig).toString("base64") }] }
                : undefined,
    };

    it("ignores changes to the System pool's count (the autoscaler owns it)", async () => {
        const { children } = await capture((opts) => {
            new AksCluster("aks", base, opts);
        }, hooks);
        const mc = children.find((c) => c.type === "azure-native:containerservice:ManagedCluster");
        assert.deepEqual(mc?.opts.ignoreChanges, ["agentPoolProfiles[0].count"]);
    });

    it("creates the Kubernetes provider only after the cluster RBAC grants, from a secret kubeconfig with unattended kubelogin", async () => {
        const { run, children } = await capture((opts) => {
            const aks = new AksCluster("aks", base, opts);
            return { kubeconfig: aks.kubeconfig };
        }, hooks);
        const grants = children.filter((c) => c.type === RA && c.name.startsWith("aks-rbac-"));
        assert.deepEqual(grants.map((g) => g.name).sort(), [
            `aks-rbac-cluster-admin-${shortHash("AksRbacClusterAdmin/me")}`,
            `aks-rbac-writer-${shortHash("AksRbacWriter/pipeline")}`,
        ]);
        assert.deepEqual(grants.map(aliasNames).sort(), [["aks-rbac-cluster-admin-1"], ["aks-rbac-writer-0"]]);
        const provider = children.find((c) => c.type === "pulumi:providers:kubernetes");
        assert.deepEqual(
            provider?.opts.dependsOn,
            grants.map((g) => g.resource),
        );
        assert.deepEqual(run.secretOutputs, ["kubeconfig"]);
        const user = (YAML.parse(run.outputs.kubeconfig as string) as { users: { user: { exec: { args: string[] } } }[] }).users[0];
        assert.deepEqual(user.user.exec.args, ["get-token", "--server-id", "sid", "--login", "azurecli"]);
        const kubeletPull = one(run.resources, RA, "aks-kubelet-acrpull");
        assert.equal(kubeletPull.inputs.scope, "/acr");
        assert.match(kubeletPull.inputs.principalId as string, /^[0-9a-f-]{36}$/);
    });

    it("refuses min > max, a zero-node System pool and a malformed version, naming each property", async () => {
        const errors = await argumentErrors(
            () =>
                new AksCluster("aks", {
                    ...base,
                    kubernetesVersion: "latest",
                    systemPool: { ...base.systemPool, minCount: 0, maxCount: -1 },
                }),
        );
        assert.deepEqual(errors, [
            'kubernetesVersion: expected <major>.<minor>[.<patch>], got "latest"',
            "systemPool.minCount: expected an integer ≥ 1 (a System pool cannot scale to zero), got 0",
            "systemPool.maxCount: expected an integer ≥ 1 and ≤ 1000, got -1",
        ]);
        const minMax = await argumentErrors(
            () => new AksCluster("aks", { ...base, systemPool: { ...base.systemPool, name: "System", minCount: 4, maxCount: 3 } }),
        );
        assert.deepEqual(minMax, [
            'systemPool.name: expected 1–12 lower-case letters and digits, starting with a letter, got "System"',
            "systemPool.minCount: expected a value ≤ maxCount (3), got 4",
        ]);
    });
});

describe("components: IngressController and Monitoring", () => {
    it("installs the release through the given provider, after Network Contributor for the cluster identity", async () => {
        const { run, children } = await capture((opts) => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "x" });
            const args: IngressControllerArgs = {
                resourceGroupName: "rg",
                resourceGroupId: "/subscriptions/s/resourceGroups/rg",
                location: "westeurope",
                dnsLabelPrefix: "app-dev",
                clusterPrincipalId: "cluster",
                provider,
                namespace: "ingress-nginx",
                chartVersion: "4.15.1",
                replicas: 2,
                tags,
            };
            const ingress = new IngressController("ingress", args, opts);
            return { fqdn: ingress.fqdn };
        });
        const nc = children.find((c) => c.type === RA);
        const release = children.find((c) => c.type === "kubernetes:helm.sh/v3:Release");
        assert.ok(nc && release);
        assert.deepEqual(release.opts.dependsOn, [nc.resource]);
        assert.ok(k8s.Provider.isInstance(release.opts.provider));
        assert.equal(one(run.resources, RA).inputs.principalId, "cluster");
        assert.match(run.outputs.fqdn as string, /^app-dev-[a-z0-9]{5}\.westeurope\.cloudapp\.azure\.com$/);
    });

    it("refuses one replica, a chart range and a bad DNS label prefix", async () => {
        const errors = await argumentErrors(
            () =>
                new IngressController("i", {
                    resourceGroupName: "rg",
                    resourceGroupId: "id",
                    location: "l",
                    dnsLabelPrefix: "Bad_Prefix",
                    clusterPrincipalId: "p",
                    provider: undefined as unknown as k8s.Provider,
                    namespace: "ingress-nginx",
                    chartVersion: "4.x",
                    replicas: 1,
                    tags,
                }),
        );
        assert.deepEqual(
            errors.map((e) => e.split(":")[0]),
            ["dnsLabelPrefix", "chartVersion", "replicas"],
        );
    });

    it("keeps the App Insights connection string secret and refuses retention outside 30–730", async () => {
        const { run } = await capture((opts) => {
            const m = new Monitoring(
                "mon",
                { resourceGroupName: "rg", location: "l", workspaceName: "ws", appInsightsName: "ai", retentionInDays: 30, tags },
                opts,
            );
            return { cs: m.connectionString, appId: m.appId };
        });
        assert.deepEqual(run.secretOutputs, ["cs"]);
        const errors = await argumentErrors(
            () =>
                new Monitoring("mon", {
                    resourceGroupName: "rg",
                    location: "l",
                    workspaceName: "ws",
                    appInsightsName: "ai",
                    retentionInDays: 7,
                    tags,
                }),
        );
        assert.match(errors[0], /^retentionInDays: expected an integer from 30 to 730, got 7/);
    });
});

describe("components: ReleaseRecordStore", () => {
    const args = (over: Partial<ReleaseRecordStoreArgs> = {}): ReleaseRecordStoreArgs => ({
        resourceGroupName: "rg",
        location: "westeurope",
        namePrefix: "phoenix-dev",
        sku: "Standard_LRS",
        containerName: "release-records",
        softDeleteRetentionDays: 7,
        contributors: [{ principalId: "pipeline", principalType: "ServicePrincipal" }],
        tags,
        ...over,
    });

    it("parents every child, orders the container after the blob service and grants each contributor on the container", async () => {
        const { run, children } = await capture((opts) => {
            const s = new ReleaseRecordStore(
                "rec",
                args({
                    contributors: [
                        { principalId: "pipeline", principalType: "ServicePrincipal" },
                        { principalId: "operator", principalType: "User" },
                    ],
                }),
                opts,
            );
            return { account: s.accountName, container: s.containerName, url: s.containerUrl, scope: s.containerId };
        });
        const account = one(run.resources, "azure-native:storage:StorageAccount");
        assert.match(account.inputs.accountName as string, /^phoenixdevst[a-z0-9]{5}$/);
        assert.equal(run.outputs.account, account.inputs.accountName);
        assert.equal(run.outputs.container, "release-records");
        assert.equal(run.outputs.url, `https://${account.inputs.accountName as string}.blob.core.windows.net/release-records`);
        assert.equal(run.outputs.scope, `${account.id}/blobServices/default/containers/release-records`);
        for (const c of children) assert.ok(c.opts.parent instanceof ReleaseRecordStore, `${c.type} ${c.name} is parented to the store`);
        const service = children.find((c) => c.type === "azure-native:storage:BlobServiceProperties");
        const container = children.find((c) => c.type === "azure-native:storage:BlobContainer");
        assert.ok(service && container);
        assert.deepEqual(container.opts.dependsOn, [service.resource]);
        const grants = byType(run.resources, RA);
        assert.deepEqual(
            grants
                .map((g) => [
                    g.name,
                    g.inputs.principalId,
                    g.inputs.principalType,
                    g.inputs.scope,
                    (g.inputs.roleDefinitionId as string).split("/").pop(),
                ])
                .sort(),
            [
                [
                    `rec-blob-contributor-${grantKey("StorageBlobDataContributor", { principalId: "operator", principalType: "User" })}`,
                    "operator",
                    "User",
                    run.outputs.scope,
                    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
                ],
                [
                    `rec-blob-contributor-${grantKey("StorageBlobDataContributor", { principalId: "pipeline", principalType: "ServicePrincipal" })}`,
                    "pipeline",
                    "ServicePrincipal",
                    run.outputs.scope,
                    "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
                ],
            ],
        );
    });

    it("applies the retention to blob and container soft delete, and never allows permanent delete", async () => {
        const { run } = await capture((opts) => {
            new ReleaseRecordStore("rec", args({ softDeleteRetentionDays: 30 }), opts);
        });
        const bs = one(run.resources, "azure-native:storage:BlobServiceProperties");
        assert.equal(bs.inputs.isVersioningEnabled, true);
        assert.deepEqual(bs.inputs.deleteRetentionPolicy, { enabled: true, days: 30, allowPermanentDelete: false });
        assert.deepEqual(bs.inputs.containerDeleteRetentionPolicy, { enabled: true, days: 30 });
    });

    it("refuses a prefix too long for 24 characters, an unknown SKU, a bad container name, retention outside 1–365 and no contributor, naming each property", async () => {
        const errors = await argumentErrors(
            () =>
                new ReleaseRecordStore(
                    "rec",
                    args({
                        namePrefix: "phoenix-platform-prod",
                        sku: "Premium_LRS" as ReleaseRecordStoreArgs["sku"],
                        containerName: "Records",
                        softDeleteRetentionDays: 0,
                        contributors: [],
                    }),
                ),
        );
        assert.deepEqual(
            errors.map((e) => e.split(":")[0]),
            ["namePrefix", "sku", "containerName", "softDeleteRetentionDays", "contributors"],
        );
        assert.match(errors[0], /3–24 characters; "phoenixplatformprodst\w{5}" has 26/);
        assert.match(errors[1], /one of Standard_LRS, .*got "Premium_LRS"/);
        assert.match(errors[2], /got "Records"/);
        assert.match(errors[3], /integer from 1 to 365, got 0/);
        assert.match(errors[4], /at least one principal/);
        const dup = await argumentErrors(
            () =>
                new ReleaseRecordStore(
                    "rec",
                    args({
                        softDeleteRetentionDays: 2.5,
                        contributors: [
                            { principalId: "p", principalType: "User" },
                            { principalId: "p", principalType: "User" },
                        ],
                    }),
                ),
        );
        assert.deepEqual(
            dup.map((e) => e.split(":")[0]),
            ["softDeleteRetentionDays", "contributors[1]"],
        );
    });
});
