/**
 * Each resource policy against a compliant and a violating resource, with full
 * ResourceValidationArgs (urn, opts, stackTags, getConfig, notApplicable), plus the
 * prod detection, config and preview (unknown value) behaviour they rely on.
 */
import { strict as assert } from "assert";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import * as acr from "../policy/src/registry";
import * as kv from "../policy/src/key-vault";
import * as aks from "../policy/src/aks";
import * as ai from "../policy/src/app-insights";
import * as ra from "../policy/src/role-assignments";
import * as tags from "../policy/src/tags";
import * as helm from "../policy/src/helm-releases";
import * as st from "../policy/src/storage";
import { TYPES } from "../policy/src/define";
import { ArgsContext, checkResource, PolicyOutcome, resourceArgs, UNKNOWN } from "./support/policy-harness";

const SUB = "/subscriptions/00000000-0000-0000-0000-00000000bbbb";
const RG = `${SUB}/resourceGroups/phoenix-dev-rg`;
const WORKSPACE_ID = `${RG}/providers/Microsoft.OperationalInsights/workspaces/phoenix-dev-logs`;
const TAGS = { environment: "dev", service: "phoenix", "managed-by": "pulumi" };
const role = (guid: string) => `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
const ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d";
const OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

type Props = Record<string, unknown>;

/** Compliant inputs per resource type, shaped like the stacks' real registrations. */
const GOOD: Record<string, () => Props> = {
    registry: () => ({
        registryName: "phoenixacr1a2b",
        resourceGroupName: "phoenix-registry-rg",
        sku: { name: "Premium" },
        adminUserEnabled: false,
        anonymousPullEnabled: false,
        tags: { ...TAGS },
    }),
    vault: () => ({
        vaultName: "phoenix-dev-ab12-kv",
        resourceGroupName: "phoenix-dev-rg",
        properties: {
            tenantId: "t",
            sku: { family: "A", name: "standard" },
            enableRbacAuthorization: true,
            enableSoftDelete: true,
            softDeleteRetentionInDays: 7,
            enablePurgeProtection: true,
            networkAcls: { defaultAction: "Deny", bypass: "AzureServices" },
        },
        tags: { ...TAGS },
    }),
    cluster: () => ({
        resourceName: "phoenix-dev-aks",
        enableRBAC: true,
        aadProfile: { managed: true, enableAzureRBAC: true, tenantID: "t" },
        identity: { type: "SystemAssigned" },
        addonProfiles: { omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: WORKSPACE_ID } } },
        agentPoolProfiles: [
            { name: "system", mode: "System", enableAutoScaling: true, minCount: 1, maxCount: 3, count: 1, vmSize: "Standard_D2s_v5" },
        ],
        disableLocalAccounts: true,
        apiServerAccessProfile: { authorizedIPRanges: ["203.0.113.0/24"] },
        oidcIssuerProfile: { enabled: true },
        securityProfile: { workloadIdentity: { enabled: true } },
        autoUpgradeProfile: { upgradeChannel: "patch" },
        tags: { ...TAGS },
    }),
    appInsights: () => ({
        resourceName: "phoenix-dev-ai",
        kind: "web",
        applicationType: "web",
        ingestionMode: "LogAnalytics",
        workspaceResourceId: WORKSPACE_ID,
        tags: { ...TAGS },
    }),
    roleAssignment: () => ({
        principalId: "p",
        principalType: "ServicePrincipal",
        roleDefinitionId: role(ACR_PULL),
        scope: `${SUB}/resourceGroups/phoenix-registry-rg/providers/Microsoft.ContainerRegistry/registries/phoenixacr1a2b`,
    }),
    appRelease: () => ({
        name: "blue-calculator",
        namespace: "blue-calculator",
        chart: "oci://phoenixacr1a2b.azurecr.io/helm/calculator",
        version: "1.4.2",
        atomic: true,
        cleanupOnFail: true,
        values: {
            image: { repository: "phoenixacr1a2b.azurecr.io/calculator", tag: "1.4.2" },
            replicaCount: 2,
            slot: "blue",
            version: "1.4.2",
            appInsights: { existingSecret: "appinsights" },
        },
    }),
    storageAccount: () => ({
        accountName: "phoenixdevstab12c",
        resourceGroupName: "phoenix-dev-rg",
        kind: "StorageV2",
        sku: { name: "Standard_LRS" },
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: "TLS1_2",
        enableHttpsTrafficOnly: true,
        tags: { ...TAGS },
    }),
    nginxRelease: () => ({
        name: "ingress-nginx",
        namespace: "ingress-nginx",
        chart: "ingress-nginx",
        version: "4.12.1",
        repositoryOpts: { repo: "https://kubernetes.github.io/ingress-nginx" },
        values: { controller: { replicaCount: 2 } },
    }),
};

const TYPE_OF: Record<string, string> = {
    registry: TYPES.registry,
    vault: TYPES.vault,
    cluster: TYPES.cluster,
    appInsights: TYPES.appInsights,
    roleAssignment: TYPES.roleAssignment,
    appRelease: TYPES.helmRelease,
    nginxRelease: TYPES.helmRelease,
    storageAccount: TYPES.storageAccount,
};

function run(policy: ResourceValidationPolicy, kind: string, props: Props, ctx: ArgsContext = {}): Promise<PolicyOutcome> {
    const name = kind === "appRelease" ? "blue" : kind;
    return checkResource(policy, resourceArgs({ type: TYPE_OF[kind], name, props }, { stack: "dev", ...ctx }));
}

interface Case {
    policy: ResourceValidationPolicy;
    kind: string;
    breakIt: (p: Props) => void;
    expect: RegExp;
    ctx?: ArgsContext;
    /** Tells apart several cases of one policy. */
    what?: string;
}

const PROD: ArgsContext = { stack: "prod" };
const props = (p: Props) => p.properties as Props;

const CASES: Case[] = [
    {
        policy: acr.acrAdminUserDisabled,
        kind: "registry",
        breakIt: (p) => {
            p.adminUserEnabled = true;
        },
        expect: /adminUserEnabled is true/,
    },
    {
        policy: acr.acrAnonymousPullDisabled,
        kind: "registry",
        breakIt: (p) => {
            p.anonymousPullEnabled = true;
        },
        expect: /anonymousPullEnabled is true/,
    },
    {
        policy: acr.acrPremiumInProd,
        kind: "registry",
        breakIt: (p) => {
            p.sku = { name: "Standard" };
        },
        expect: /"Standard".*Premium/,
        ctx: { ...PROD },
    },
    {
        policy: kv.keyVaultRbacAuthorization,
        kind: "vault",
        breakIt: (p) => {
            delete props(p).enableRbacAuthorization;
        },
        expect: /enableRbacAuthorization is unset/,
    },
    {
        policy: kv.keyVaultSoftDeleteRetention,
        kind: "vault",
        breakIt: (p) => {
            props(p).softDeleteRetentionInDays = 5;
        },
        expect: /softDeleteRetentionInDays is 5; expected an integer from 7 to 90/,
    },
    {
        policy: kv.keyVaultPurgeProtectionInProd,
        kind: "vault",
        breakIt: (p) => {
            props(p).enablePurgeProtection = false;
        },
        expect: /enablePurgeProtection is false/,
        ctx: PROD,
    },
    {
        policy: kv.keyVaultNetworkRules,
        kind: "vault",
        breakIt: (p) => {
            delete props(p).networkAcls;
        },
        expect: /defaultAction is unset/,
    },
    {
        policy: kv.keyVaultNoAccessPolicies,
        kind: "vault",
        breakIt: (p) => {
            props(p).accessPolicies = [{ objectId: "x" }];
        },
        expect: /1 entry/,
    },
    {
        policy: st.releaseRecordStorageHardened,
        kind: "storageAccount",
        what: "shared keys unset",
        breakIt: (p) => {
            delete p.allowSharedKeyAccess;
        },
        expect: /allowSharedKeyAccess is unset; expected false/,
    },
    {
        policy: st.releaseRecordStorageHardened,
        kind: "storageAccount",
        what: "public blobs",
        breakIt: (p) => {
            p.allowBlobPublicAccess = true;
        },
        expect: /allowBlobPublicAccess is true; expected false/,
    },
    {
        policy: st.releaseRecordStorageHardened,
        kind: "storageAccount",
        what: "TLS 1.1",
        breakIt: (p) => {
            p.minimumTlsVersion = "TLS1_1";
        },
        expect: /minimumTlsVersion is "TLS1_1"; expected one of TLS1_2, TLS1_3/,
    },
    {
        policy: st.releaseRecordStorageHardened,
        kind: "storageAccount",
        what: "HTTPS-only unset",
        breakIt: (p) => {
            delete p.enableHttpsTrafficOnly;
        },
        expect: /enableHttpsTrafficOnly is unset; expected true/,
    },
    {
        policy: aks.aksRbacEnabled,
        kind: "cluster",
        breakIt: (p) => {
            p.enableRBAC = false;
        },
        expect: /enableRBAC is false/,
    },
    {
        policy: aks.aksEntraAzureRbac,
        kind: "cluster",
        breakIt: (p) => {
            p.aadProfile = { managed: true, enableAzureRBAC: false };
        },
        expect: /enableAzureRBAC is false/,
    },
    {
        policy: aks.aksManagedIdentity,
        kind: "cluster",
        breakIt: (p) => {
            p.servicePrincipalProfile = { clientId: "sp", secret: "s" };
        },
        expect: /servicePrincipalProfile.clientId is set/,
    },
    {
        policy: aks.aksContainerInsights,
        kind: "cluster",
        breakIt: (p) => {
            p.addonProfiles = { omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceId: WORKSPACE_ID } } };
        },
        expect: /logAnalyticsWorkspaceResourceID is unset/,
    },
    {
        policy: aks.aksSystemPoolAutoscaling,
        kind: "cluster",
        breakIt: (p) => {
            p.agentPoolProfiles = [{ name: "system", mode: "System", enableAutoScaling: true, minCount: 4, maxCount: 3 }];
        },
        expect: /minCount 4, maxCount 3/,
    },
    {
        policy: aks.aksLocalAccountsDisabledInProd,
        kind: "cluster",
        breakIt: (p) => {
            p.disableLocalAccounts = false;
        },
        expect: /disableLocalAccounts is false/,
        ctx: PROD,
    },
    {
        policy: aks.aksApiServerAuthorizedIpRanges,
        kind: "cluster",
        breakIt: (p) => {
            delete p.apiServerAccessProfile;
        },
        expect: /open to the internet/,
    },
    {
        policy: aks.aksWorkloadIdentity,
        kind: "cluster",
        breakIt: (p) => {
            p.oidcIssuerProfile = { enabled: false };
        },
        expect: /oidcIssuerProfile.enabled/,
    },
    {
        policy: aks.aksAutoUpgradeChannel,
        kind: "cluster",
        breakIt: (p) => {
            p.autoUpgradeProfile = { upgradeChannel: "none" };
        },
        expect: /upgradeChannel is "none"/,
    },
    {
        policy: ai.appInsightsWorkspaceBased,
        kind: "appInsights",
        breakIt: (p) => {
            p.ingestionMode = "ApplicationInsights";
        },
        expect: /ingestionMode is "ApplicationInsights"/,
    },
    {
        policy: ra.roleAssignmentPrincipalType,
        kind: "roleAssignment",
        breakIt: (p) => {
            delete p.principalType;
        },
        expect: /principalType is unset/,
    },
    {
        policy: ra.roleAssignmentQualifiedRoleId,
        kind: "roleAssignment",
        breakIt: (p) => {
            p.roleDefinitionId = `/providers/Microsoft.Authorization/roleDefinitions/${ACR_PULL}`;
        },
        expect: /expected \/subscriptions/,
    },
    {
        policy: ra.roleAssignmentNoPrivilegedAtSubscription,
        kind: "roleAssignment",
        breakIt: (p) => {
            p.roleDefinitionId = role(OWNER);
            p.scope = SUB;
        },
        expect: /Owner is granted at scope/,
    },
    {
        policy: ra.roleAssignmentPrivilegedRoles,
        kind: "roleAssignment",
        breakIt: (p) => {
            p.roleDefinitionId = role("b24988ac-6180-42a0-ab88-20f7382dd24c");
        },
        expect: /Contributor is granted/,
    },
    {
        policy: tags.requiredTags,
        kind: "vault",
        breakIt: (p) => {
            p.tags = { environment: "dev", service: " " };
        },
        expect: /missing or empty tags: service, managed-by/,
    },
    {
        policy: helm.helmChartVersionPinned,
        kind: "appRelease",
        breakIt: (p) => {
            p.version = "^1.4.0";
        },
        expect: /version is "\^1.4.0"/,
    },
    {
        policy: helm.helmImageTagPinned,
        kind: "appRelease",
        breakIt: (p) => {
            (p.values as Props).image = { repository: "r", tag: "latest" };
        },
        expect: /values.image.tag is "latest"/,
    },
    {
        policy: helm.helmAppReleaseAtomic,
        kind: "appRelease",
        breakIt: (p) => {
            p.atomic = false;
        },
        expect: /atomic is false/,
    },
    {
        policy: helm.helmAppReleaseCleanupOnFail,
        kind: "appRelease",
        breakIt: (p) => {
            delete p.cleanupOnFail;
        },
        expect: /cleanupOnFail is unset/,
    },
];

describe("policy pack: resource policies, compliant vs violating", () => {
    for (const c of CASES) {
        it(`${c.policy.name}: passes a compliant ${c.kind}, flags exactly one violation on a broken one${c.what ? ` (${c.what})` : ""}`, async () => {
            const ok = await run(c.policy, c.kind, GOOD[c.kind](), c.ctx);
            assert.deepEqual(ok, { violations: [] }, `${c.policy.name} on compliant ${c.kind}`);
            const bad = GOOD[c.kind]();
            c.breakIt(bad);
            const out = await run(c.policy, c.kind, bad, c.ctx);
            assert.equal(out.notApplicable, undefined);
            assert.equal(out.violations.length, 1, JSON.stringify(out));
            assert.match(out.violations[0].message, c.expect);
        });
    }

    it("every policy ignores resource types it does not review (no violation, no not-applicable noise)", async () => {
        for (const c of CASES.filter((x) => x.policy !== tags.requiredTags)) {
            const other = c.kind === "appRelease" ? "vault" : "appRelease";
            const out = await run(c.policy, other, GOOD[other](), c.ctx);
            assert.deepEqual(out, { violations: [] }, `${c.policy.name} on ${other}`);
        }
    });
});

describe("policy pack: production detection", () => {
    const bad = () => {
        const v = GOOD.vault();
        props(v).enablePurgeProtection = false;
        return v;
    };
    const purge = kv.keyVaultPurgeProtectionInProd;

    it("is not applicable to a dev stack with dev tags", async () => {
        const out = await run(purge, "vault", bad(), { stack: "dev" });
        assert.equal(out.notApplicable, "not a production stack");
        assert.equal(out.violations.length, 0);
    });

    it("recognises prod by stack name, by stack tag, by resource tag, and by forced config", async () => {
        const taggedProd = bad();
        (taggedProd.tags as Props).environment = "prod";
        for (const [label, props, ctx] of [
            ["stack name", bad(), { stack: "phoenix-production" }],
            ["stack tag", bad(), { stack: "blue", stackTags: { environment: "Production" } }],
            ["resource tag", taggedProd, { stack: "eu1" }],
            ["config", bad(), { stack: "dev", config: { environment: "prod" } }],
        ] as Array<[string, Props, ArgsContext]>) {
            const out = await run(purge, "vault", props, ctx);
            assert.equal(out.violations.length, 1, label);
        }
    });

    it("honours a forced nonprod and a custom stack pattern", async () => {
        assert.equal(
            (await run(purge, "vault", bad(), { stack: "prod", config: { environment: "nonprod" } })).notApplicable,
            "not a production stack",
        );
        assert.equal((await run(purge, "vault", bad(), { stack: "live", config: { prodStackPattern: "^live$" } })).violations.length, 1);
        assert.equal((await run(purge, "vault", bad(), { stack: "product" })).notApplicable, "not a production stack");
    });
});

describe("policy pack: config and edge cases", () => {
    it("keyvault-soft-delete-retention applies the configured minimum, and Azure's 90-day default when unset", async () => {
        const p = kv.keyVaultSoftDeleteRetention;
        const v = GOOD.vault();
        props(v).softDeleteRetentionInDays = 14;
        assert.equal((await run(p, "vault", v)).violations.length, 0);
        assert.equal((await run(p, "vault", v, { config: { minRetentionDays: 30 } })).violations.length, 1);
        delete props(v).softDeleteRetentionInDays;
        assert.equal((await run(p, "vault", v, { config: { minRetentionDays: 30 } })).violations.length, 0);
        props(v).enableSoftDelete = false;
        assert.match((await run(p, "vault", v)).violations[0].message, /enableSoftDelete is false/);
    });

    it("aks-managed-identity needs a managed identity type; aks-system-pool-autoscaling needs a System pool that autoscales", async () => {
        const p = aks.aksSystemPoolAutoscaling;
        const c = GOOD.cluster();
        c.identity = { type: "None" };
        assert.match((await run(aks.aksManagedIdentity, "cluster", c)).violations[0].message, /identity.type is "None"/);
        c.agentPoolProfiles = [{ name: "user", mode: "User", enableAutoScaling: true, minCount: 1, maxCount: 2 }];
        assert.match((await run(p, "cluster", c)).violations[0].message, /no pool with mode "System"/);
        c.agentPoolProfiles = [{ name: "system", mode: "System", count: 3 }];
        assert.match((await run(p, "cluster", c)).violations[0].message, /enableAutoScaling is unset/);
        c.agentPoolProfiles = [{ name: "system", mode: "System", enableAutoScaling: true, minCount: 0, maxCount: 3 }];
        assert.equal((await run(p, "cluster", c)).violations.length, 1);
    });

    it("role-assignment-no-privileged-at-subscription: subscription, management group and root scopes are refused; a resource group is not", async () => {
        const p = ra.roleAssignmentNoPrivilegedAtSubscription;
        for (const [scope, n] of [
            [SUB, 1],
            [`${SUB}/`, 1],
            ["/providers/Microsoft.Management/managementGroups/mg", 1],
            ["/", 1],
            [`${SUB}/resourceGroups/rg`, 0],
        ] as const) {
            const r = GOOD.roleAssignment();
            r.roleDefinitionId = role("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9");
            r.scope = scope;
            assert.equal((await run(p, "roleAssignment", r)).violations.length, n, scope);
        }
    });

    it("required-tags: honours the configured tag list, extra taggable types and exemptions; non-taggable types are not applicable", async () => {
        const p = tags.requiredTags;
        const v = GOOD.vault();
        assert.equal(
            (await run(p, "vault", v, { config: { requiredTags: ["environment", "owner"] } })).violations[0].message,
            "missing or empty tags: owner.",
        );
        assert.equal(
            (await run(p, "vault", { ...v, tags: undefined }, { config: { exemptTypes: [TYPES.vault] } })).notApplicable,
            `${TYPES.vault} takes no tags`,
        );
        assert.equal((await run(p, "roleAssignment", GOOD.roleAssignment())).notApplicable, `${TYPES.roleAssignment} takes no tags`);
        const fic = resourceArgs(
            { type: "azure-native:managedidentity:FederatedIdentityCredential", name: "fic", props: {} },
            {
                config: {
                    additionalTaggableTypes: ["azure-native:managedidentity:FederatedIdentityCredential"],
                    requiredTags: ["environment"],
                },
            },
        );
        assert.match((await checkResource(p, fic)).violations[0].message, /tags are unset/);
        assert.deepEqual(await run(p, "appRelease", GOOD.appRelease()), { violations: [] }, "Kubernetes resources are not Azure resources");
    });

    it("helm-chart-version-pinned: only exact versions pass; local charts are accepted unless config forbids them", async () => {
        const p = helm.helmChartVersionPinned;
        for (const version of ["^1.4.0", "~1.4", "1.x", "*", ">=1.0.0", "1.4", "", undefined, "latest"]) {
            assert.equal((await run(p, "nginxRelease", { ...GOOD.nginxRelease(), version })).violations.length, 1, String(version));
        }
        for (const version of ["4.12.1", "1.0.0-rc.1", "v2.3.4", "1.2.3+build.5"]) {
            assert.equal((await run(p, "nginxRelease", { ...GOOD.nginxRelease(), version })).violations.length, 0, version);
        }
        const local = { ...GOOD.appRelease(), chart: "../../app/chart", version: undefined };
        assert.equal((await run(p, "appRelease", local)).violations.length, 0);
        assert.match((await run(p, "appRelease", local, { config: { allowLocalCharts: false } })).violations[0].message, /local directory/);
        assert.equal((await run(p, "appRelease", { ...local, version: "1.x" })).violations.length, 1);
    });

    it("helm-image-tag-pinned: the app release needs a tag; `latest` anywhere in any release's values is refused", async () => {
        const p = helm.helmImageTagPinned;
        const app = GOOD.appRelease();
        (app.values as Props).image = { repository: "r" };
        assert.match((await run(p, "appRelease", app)).violations[0].message, /application image tag is required/);
        const nginx = GOOD.nginxRelease();
        nginx.values = { controller: { image: { tag: "latest" } }, defaultBackend: { image: "registry.k8s.io/defaultbackend:latest" } };
        const out = await run(p, "nginxRelease", nginx);
        assert.deepEqual(
            out.violations.map((v) => v.message),
            [
                'values.controller.image.tag is "latest"; expected an immutable tag.',
                'values.defaultBackend.image is "latest"; expected an immutable tag.',
            ],
        );
        assert.deepEqual(
            await run(p, "nginxRelease", GOOD.nginxRelease()),
            { violations: [] },
            "a platform release need not set an image tag",
        );
    });

    it("helm app-release policies are not applicable to platform releases", async () => {
        assert.equal(
            (await run(helm.helmAppReleaseAtomic, "nginxRelease", GOOD.nginxRelease())).notApplicable,
            "not an application slot release",
        );
        const bySlot = { ...GOOD.appRelease(), name: "calculator-x", atomic: false };
        assert.equal((await run(helm.helmAppReleaseAtomic, "appRelease", bySlot)).violations.length, 1, "values.slot marks an app release");
    });
});

describe("policy pack: unknown values during preview", () => {
    const preview: ArgsContext = { stack: "dev", preview: true };

    it("a check that needs an unknown value throws the SDK's UnknownValueError (downgraded to advisory), never a TypeError or a false pass", async () => {
        const v = GOOD.vault();
        props(v).enableRbacAuthorization = UNKNOWN.boolean;
        const out = await run(kv.keyVaultRbacAuthorization, "vault", v, preview);
        assert.match(out.unknown ?? "", /can't be known during preview/);
        assert.equal(out.violations.length, 0);

        const c = GOOD.cluster();
        c.addonProfiles = { omsagent: { enabled: true, config: { logAnalyticsWorkspaceResourceID: UNKNOWN.string } } };
        assert.ok((await run(aks.aksContainerInsights, "cluster", c, preview)).unknown);

        const app = GOOD.appRelease();
        (app.values as Props).image = { repository: "r", tag: UNKNOWN.string };
        assert.ok((await run(helm.helmImageTagPinned, "appRelease", app, preview)).unknown);
    });

    it("an unknown value the check does not need leaves the verdict intact", async () => {
        const v = GOOD.vault();
        props(v).tenantId = UNKNOWN.string;
        assert.deepEqual(await run(kv.keyVaultRbacAuthorization, "vault", v, preview), { violations: [] });

        // Non-privileged role: the (unknown) scope is never read.
        const r = GOOD.roleAssignment();
        r.scope = UNKNOWN.string;
        assert.deepEqual(await run(ra.roleAssignmentNoPrivilegedAtSubscription, "roleAssignment", r, preview), { violations: [] });
        r.roleDefinitionId = role(OWNER);
        assert.ok(
            (await run(ra.roleAssignmentNoPrivilegedAtSubscription, "roleAssignment", r, preview)).unknown,
            "a privileged role needs the scope",
        );

        // An unknown Secret name in the app values does not hide the image check.
        const app = GOOD.appRelease();
        (app.values as Props).appInsights = { existingSecret: UNKNOWN.string };
        assert.deepEqual(await run(helm.helmImageTagPinned, "appRelease", app, preview), { violations: [] });
        (app.values as Props).image = { repository: "r", tag: "latest" };
        assert.equal((await run(helm.helmImageTagPinned, "appRelease", app, preview)).violations.length, 1);

        // Prod is decided by the stack name before the (unknown) resource tags are read.
        const pv = GOOD.vault();
        pv.tags = { environment: UNKNOWN.string };
        assert.deepEqual(await run(kv.keyVaultPurgeProtectionInProd, "vault", pv, { ...preview, stack: "prod" }), { violations: [] });
    });
});
