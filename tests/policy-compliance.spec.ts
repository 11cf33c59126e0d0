/**
 * The compliance run: the registry, platform (dev, prod) and release (several states) programs run
 * under the mock runtime with their real stack config, registry outputs feeding the platform's
 * StackReference and platform outputs feeding the release's, as a real deployment would. Every
 * registered resource goes through every policy with the sample pack config the pipeline uses
 * (policy/config/<env>.json): zero mandatory violations. Then one deliberately broken input per
 * stack must produce exactly the expected violation and nothing else.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { policies } from "../policy/src/policies";
import { TYPES } from "../policy/src/define";
import { TAGGABLE_TYPES } from "../policy/src/tags";
import { main as platformMain } from "../stacks/platform/program";
import { main as registryMain } from "../stacks/registry/program";
import { main as releaseMain } from "../stacks/release/program";
import { azureHooks } from "./support/azure-mocks";
import { countByPolicy, Diagnostic, mandatory, PackConfig, PackRun, plain, runPack } from "./support/policy-harness";
import { inventory, loadStackConfig, RegisteredResource, runProgram, RunOptions, RunResult } from "./support/pulumi-harness";

const ROOT = path.join(__dirname, "..");

function packConfig(env: "dev" | "prod"): PackConfig {
    return JSON.parse(fs.readFileSync(path.join(ROOT, "policy", "config", `${env}.json`), "utf8")) as PackConfig;
}

/** Runs a stack program with realistic Azure outputs, serving `refs` to its StackReferences. */
function runStack(
    opts: Pick<RunOptions, "projectDir" | "stack" | "program" | "configOverrides" | "secretKeys">,
    refs: Record<string, Record<string, unknown>> = {},
): Promise<RunResult> {
    return runProgram({ ...opts, hooks: azureHooks(refs), captureStackTraces: false });
}

/** The stack name a project's stack file references under `key` (registryStack, platformStack). */
function referencedStack(projectDir: string, stack: string, key: string): string {
    const { project, config } = loadStackConfig(projectDir, stack);
    const name = config[`${project}:${key}`];
    assert.ok(name, `${projectDir} Pulumi.${stack}.yaml sets ${key}`);
    return name;
}

interface Reviewed {
    label: string;
    run: RunResult;
    env: "dev" | "prod";
    stack: string;
    project: string;
    review: PackRun;
}

async function review(
    label: string,
    run: RunResult,
    env: "dev" | "prod",
    stack: string,
    project: string,
    resources?: RegisteredResource[],
): Promise<Reviewed> {
    const r = await runPack(policies, resources ?? run.resources, packConfig(env), { stack, project });
    return { label, run, env, stack, project, review: r };
}

/** Deep-copies captured resources and applies `mutate` to the one of `type` named `name`. */
function mutated(
    resources: RegisteredResource[],
    type: string,
    name: string | undefined,
    mutate: (inputs: Record<string, unknown>) => void,
): RegisteredResource[] {
    let hit = 0;
    const copy = resources.map((r) => {
        const c = JSON.parse(JSON.stringify(r)) as RegisteredResource;
        if (c.type === type && (name === undefined || c.name === name)) {
            hit++;
            mutate(c.inputs);
            mutate(c.state);
        }
        return c;
    });
    assert.equal(hit, 1, `exactly one ${type} ${name ?? ""} to break`);
    return copy;
}

/** Diagnostics of `broken` not in `baseline` (by policy, urn and message). */
function added(baseline: PackRun, broken: PackRun): Diagnostic[] {
    const key = (d: Diagnostic) => `${d.policyName}|${d.urn}|${d.message}`;
    const before = new Set(baseline.diagnostics.map(key));
    return broken.diagnostics.filter((d) => !before.has(key(d)));
}

interface ReleaseCase {
    env: "dev" | "prod";
    label: string;
    /** Overrides of the stack file's config (`state` as the engine writes it); none: the file as committed. */
    config?: Record<string, string>;
}

const state = (blue: object, green: object) => JSON.stringify({ slots: { blue, green } });

const RELEASE_CASES: ReleaseCase[] = [
    { env: "dev", label: "blue live only, as after a first release or a removed candidate (stack file)" },
    {
        env: "dev",
        label: "blue live + green candidate",
        config: { state: state({ role: "live", version: "1.0.0", replicas: 2 }, { role: "candidate", version: "1.1.0", replicas: 1 }) },
    },
    {
        env: "dev",
        label: "green live + blue candidate",
        config: { state: state({ role: "candidate", version: "1.2.0", replicas: 2 }, { role: "live", version: "1.1.0", replicas: 2 }) },
    },
    {
        env: "prod",
        label: "gateway-api: green live + blue candidate behind a secret header value",
        config: {
            state: state({ role: "candidate", version: "1.2.0", replicas: 2 }, { role: "live", version: "1.1.0", replicas: 4 }),
            previewHeaderValue: "s3cr3t-preview-value-0002",
        },
    },
    {
        env: "dev",
        label: "nginx: blue live + green candidate",
        config: {
            routerKind: "nginx",
            state: state({ role: "live", version: "1.0.0", replicas: 2 }, { role: "candidate", version: "1.1.0", replicas: 1 }),
        },
    },
    {
        env: "prod",
        label: "nginx: blue live + green candidate behind a secret header value",
        config: {
            routerKind: "nginx",
            state: state({ role: "live", version: "1.1.0", replicas: 4 }, { role: "candidate", version: "1.2.0", replicas: 2 }),
            previewHeaderValue: "s3cr3t-preview-value-0001",
        },
    },
    { env: "prod", label: "nginx: green live + blue standby (stack file)", config: { routerKind: "nginx" } },
];

describe("policy pack: compliance run over the real stacks", function () {
    this.timeout(60000);
    const reviewed: Reviewed[] = [];
    let registry: Reviewed;
    const platforms: Record<string, Reviewed> = {};
    const releases: Reviewed[] = [];

    before(async () => {
        const reg = await runStack({ projectDir: path.join(ROOT, "stacks", "registry"), stack: "shared", program: registryMain });
        registry = await review("registry/shared", reg, "prod", "shared", "phoenix-registry");
        reviewed.push(registry);

        // The platform stacks read the registry's real outputs through their StackReference; the
        // release stacks read the platform's real outputs, as a deployment in that order would.
        const platformOutputs: Record<string, Record<string, unknown>> = {};
        for (const env of ["dev", "prod"] as const) {
            const run = await runStack(
                { projectDir: ROOT, stack: env, program: platformMain },
                { [referencedStack(ROOT, env, "registryStack")]: reg.outputs },
            );
            const r = await review(`platform/${env}`, run, env, env, "phoenix-platform");
            platforms[env] = r;
            reviewed.push(r);
            platformOutputs[env] = run.outputs;
        }

        for (const c of RELEASE_CASES) {
            const releaseDir = path.join(ROOT, "stacks", "release");
            const run = await runStack(
                {
                    projectDir: releaseDir,
                    stack: c.env,
                    configOverrides: c.config ?? {},
                    secretKeys: ["previewHeaderValue"],
                    program: releaseMain,
                },
                { [referencedStack(releaseDir, c.env, "platformStack")]: platformOutputs[c.env] },
            );
            const r = await review(`release/${c.env}: ${c.label}`, run, c.env, c.env, "phoenix-release");
            releases.push(r);
            reviewed.push(r);
        }
    });

    it("every stack and state passes every mandatory policy (zero mandatory violations)", () => {
        const report: string[] = [];
        for (const r of reviewed) {
            const m = mandatory(r.review);
            report.push(
                `${r.label}: ${r.run.resources.length} resources (${Object.entries(inventory(r.run.resources))
                    .filter(([t]) => !t.startsWith("phoenix:"))
                    .map(([t, n]) => `${t.split(":").slice(1).join(":")}×${n}`)
                    .join(
                        " ",
                    )}), mandatory ${m.length}, advisory ${r.review.diagnostics.length - m.length} ${JSON.stringify(countByPolicy(r.review.diagnostics))}`,
            );
            assert.deepEqual(
                m.map((d) => `${d.policyName}: ${d.message}`),
                [],
                r.label,
            );
            assert.deepEqual(r.review.unknown, [], `${r.label}: no check hit an unknown value under mocks`);
        }
        console.log(`      ${report.join("\n      ")}`);
    });

    it("the run reviewed what matters: every policy type was exercised somewhere", () => {
        const types = new Set(reviewed.flatMap((r) => r.run.resources.map((x) => x.type)));
        for (const t of Object.values(TYPES)) assert.ok(types.has(t), `the stacks register ${t}`);
        // required-tags reviewed every taggable Azure resource (and only declined the untaggable ones).
        for (const r of reviewed) {
            const azure = r.run.resources.filter((x) => x.type.startsWith("azure-native:"));
            const untaggable = azure.filter((x) => !TAGGABLE_TYPES.includes(x.type)).length;
            assert.equal(r.review.notApplicable["required-tags"] ?? 0, untaggable, r.label);
        }
        // The secret preview header value reaches the router policies unwrapped, as the analyzer hands it over.
        const secretCase = releases.find((r) => r.label.startsWith("release/prod: nginx") && r.label.includes("secret header value"));
        const canary = secretCase?.run.resources.find((x) => x.name === "router-canary");
        const annotations = (plain(canary?.state) as { metadata: { annotations: Record<string, string> } }).metadata.annotations;
        assert.equal(annotations["nginx.ingress.kubernetes.io/canary-by-header-value"], "s3cr3t-preview-value-0001");
    });

    it("TAGGABLE_TYPES matches the installed azure-native typings for every Azure type the stacks register", () => {
        const types = new Set(reviewed.flatMap((r) => r.run.resources.map((x) => x.type)).filter((t) => t.startsWith("azure-native:")));
        for (const t of types) {
            const [, module, type] = t.split(":");
            const file = path.join(
                ROOT,
                "node_modules",
                "@pulumi",
                "azure-native",
                module,
                `${type[0].toLowerCase()}${type.slice(1)}.d.ts`,
            );
            const dts = fs.readFileSync(file, "utf8");
            const args = dts.slice(dts.indexOf(`export interface ${type}Args`));
            const hasTags = /^\s{4}tags\?:/m.test(args);
            assert.equal(TAGGABLE_TYPES.includes(t), hasTags, `${t}: typings say tags ${hasTags ? "accepted" : "absent"}`);
        }
    });

    it("registry/shared with the admin user enabled fails exactly acr-admin-user-disabled", async () => {
        const broken = mutated(registry.run.resources, "azure-native:containerregistry:Registry", undefined, (i) => {
            i.adminUserEnabled = true;
        });
        const r = await review("broken registry", registry.run, "prod", "shared", "phoenix-registry", broken);
        const diff = added(registry.review, r.review);
        assert.deepEqual(
            diff.map((d) => [d.policyName, d.enforcementLevel]),
            [["acr-admin-user-disabled", "mandatory"]],
        );
        assert.equal(diff[0].urn, "urn:pulumi:shared::phoenix-registry::azure-native:containerregistry:Registry::acr-registry");
    });

    it("platform/prod with keyVaultPurgeProtection=false in config fails exactly keyvault-purge-protection-in-prod", async () => {
        // The stack accepts the value (dev needs it), so this goes through the real config path.
        const base = platforms.prod;
        const run = await runStack(
            { projectDir: ROOT, stack: "prod", configOverrides: { keyVaultPurgeProtection: false }, program: platformMain },
            { [referencedStack(ROOT, "prod", "registryStack")]: registry.run.outputs },
        );
        const r = await review("broken platform", run, "prod", "prod", "phoenix-platform");
        const diff = added(base.review, r.review);
        assert.deepEqual(
            diff.map((d) => [d.policyName, d.enforcementLevel]),
            [["keyvault-purge-protection-in-prod", "mandatory"]],
        );
        assert.match(diff[0].urn ?? "", /azure-native:keyvault:Vault::/);
        assert.equal(r.review.diagnostics.length, base.review.diagnostics.length + 1, "nothing else changed");
    });

    it("platform/dev with a vault that lost RBAC authorization fails exactly keyvault-rbac-authorization", async () => {
        // The stack has no setting for it (always RBAC), so the captured inputs are broken instead.
        const base = platforms.dev;
        const broken = mutated(base.run.resources, "azure-native:keyvault:Vault", undefined, (i) => {
            (i.properties as Record<string, unknown>).enableRbacAuthorization = false;
        });
        const r = await review("broken vault", base.run, "dev", "dev", "phoenix-platform", broken);
        assert.deepEqual(
            added(base.review, r.review).map((d) => [d.policyName, d.enforcementLevel]),
            [["keyvault-rbac-authorization", "mandatory"]],
        );
    });

    // The release record store: each weakening of what the platform registers adds exactly one diagnostic.
    const HARDENING_BREAKS: Array<[string, (i: Record<string, unknown>) => void, RegExp]> = [
        [
            "shared keys allowed",
            (i) => {
                i.allowSharedKeyAccess = true;
            },
            /^allowSharedKeyAccess is true; expected false/,
        ],
        [
            "shared keys left to Azure's default",
            (i) => {
                delete i.allowSharedKeyAccess;
            },
            /^allowSharedKeyAccess is unset; expected false/,
        ],
        [
            "public blob access allowed",
            (i) => {
                i.allowBlobPublicAccess = true;
            },
            /^allowBlobPublicAccess is true; expected false/,
        ],
        [
            "TLS 1.0 accepted",
            (i) => {
                i.minimumTlsVersion = "TLS1_0";
            },
            /^minimumTlsVersion is "TLS1_0"; expected one of TLS1_2, TLS1_3/,
        ],
        [
            "plain HTTP accepted",
            (i) => {
                i.enableHttpsTrafficOnly = false;
            },
            /^enableHttpsTrafficOnly is false; expected true/,
        ],
    ];
    for (const env of ["dev", "prod"] as const) {
        for (const [how, breakIt, message] of HARDENING_BREAKS) {
            it(`platform/${env} with the record account weakened (${how}) fails exactly release-record-storage-hardened (mandatory)`, async () => {
                const base = platforms[env];
                const broken = mutated(base.run.resources, TYPES.storageAccount, undefined, breakIt);
                const r = await review("weakened record account", base.run, env, env, "phoenix-platform", broken);
                const diff = added(base.review, r.review);
                assert.deepEqual(
                    diff.map((d) => [d.policyName, d.enforcementLevel, d.urn?.split("::").pop()]),
                    [["release-record-storage-hardened", "mandatory", "records-account"]],
                );
                assert.match(diff[0].message, message);
            });
        }
    }

    for (const [env, level] of [
        ["prod", "mandatory"],
        ["dev", "advisory"],
    ] as const) {
        it(`platform/${env} with blob versioning off on the record account fails exactly release-record-storage-recoverable (${level})`, async () => {
            const base = platforms[env];
            const broken = mutated(base.run.resources, TYPES.blobService, undefined, (i) => {
                i.isVersioningEnabled = false;
            });
            const r = await review("weakened blob service", base.run, env, env, "phoenix-platform", broken);
            const diff = added(base.review, r.review);
            assert.deepEqual(
                diff.map((d) => [d.policyName, d.enforcementLevel, d.urn?.split("::").pop()]),
                [["release-record-storage-recoverable", level, "records-blob-service"]],
            );
            assert.match(
                diff[0].message,
                /^blob service records-blob-service of records-account: isVersioningEnabled is false; expected true\.$/,
            );
        });
    }

    it("platform/prod with soft delete off, permanent delete allowed and container soft delete gone fails release-record-storage-recoverable once per problem", async () => {
        const base = platforms.prod;
        const broken = mutated(base.run.resources, TYPES.blobService, undefined, (i) => {
            i.deleteRetentionPolicy = { enabled: true, days: 30, allowPermanentDelete: true };
            delete i.containerDeleteRetentionPolicy;
        });
        const r = await review("weakened blob service", base.run, "prod", "prod", "phoenix-platform", broken);
        assert.deepEqual(
            added(base.review, r.review).map((d) => [
                d.policyName,
                d.enforcementLevel,
                d.message.replace(/^blob service records-blob-service of records-account: /, "").split(";")[0],
            ]),
            [
                ["release-record-storage-recoverable", "mandatory", "deleteRetentionPolicy.allowPermanentDelete is true"],
                ["release-record-storage-recoverable", "mandatory", "containerDeleteRetentionPolicy.enabled is unset"],
            ],
        );
    });

    it("platform/prod without the record account's blob service settings fails exactly release-record-storage-recoverable", async () => {
        const base = platforms.prod;
        const broken = base.run.resources.filter((x) => x.type !== TYPES.blobService);
        assert.equal(broken.length, base.run.resources.length - 1);
        const r = await review("no blob service", base.run, "prod", "prod", "phoenix-platform", broken);
        const diff = added(base.review, r.review);
        assert.deepEqual(
            diff.map((d) => [d.policyName, d.enforcementLevel, d.urn?.split("::").pop()]),
            [["release-record-storage-recoverable", "mandatory", "records-account"]],
        );
        assert.match(diff[0].message, /has no blob service settings/);
    });

    it("platform/prod with releaseRecordRetentionDays=7 in config (accepted by the stack) fails exactly release-record-storage-recoverable: prod asks for 30", async () => {
        const base = platforms.prod;
        const run = await runStack(
            { projectDir: ROOT, stack: "prod", configOverrides: { releaseRecordRetentionDays: 7 }, program: platformMain },
            { [referencedStack(ROOT, "prod", "registryStack")]: registry.run.outputs },
        );
        const r = await review("short retention", run, "prod", "prod", "phoenix-platform");
        const diff = added(base.review, r.review);
        assert.deepEqual(
            diff.map((d) => [d.policyName, d.enforcementLevel, d.message.split(": ").slice(1).join(": ")]),
            [
                ["release-record-storage-recoverable", "mandatory", "deleteRetentionPolicy.days is 7; expected an integer from 30 to 365."],
                [
                    "release-record-storage-recoverable",
                    "mandatory",
                    "containerDeleteRetentionPolicy.days is 7; expected an integer from 30 to 365.",
                ],
            ],
        );
        // The same stack reviewed with dev's pack config (7 days, advisory) passes.
        const devReview = await runPack(policies, run.resources, packConfig("dev"), { stack: "prod", project: "phoenix-platform" });
        assert.ok(!devReview.diagnostics.some((d) => d.policyName.startsWith("release-record-storage")));
    });

    it("release/dev with a floating chart version fails exactly helm-chart-version-pinned", async () => {
        const base = releases[0];
        const broken = mutated(base.run.resources, "kubernetes:helm.sh/v3:Release", "blue-release", (i) => {
            i.version = "^1.0.0";
        });
        const r = await review("broken release", base.run, "dev", "dev", "phoenix-release", broken);
        assert.deepEqual(
            added(base.review, r.review).map((d) => [d.policyName, d.enforcementLevel]),
            [["helm-chart-version-pinned", "mandatory"]],
        );
    });

    it("release/prod (gateway-api) with the blue slot's ReferenceGrant granting another Service fails exactly gateway-reference-grant-for-cross-namespace-backend", async () => {
        const base = releases.find((r) => r.label.startsWith("release/prod: gateway-api")) ?? assert.fail("no gateway-api release case");
        const broken = mutated(base.run.resources, TYPES.referenceGrant, "router-grant-blue", (i) => {
            (i.spec as { to: Array<{ name: string }> }).to[0].name = "blue-calculator-old";
        });
        const r = await review("broken grant", base.run, "prod", "prod", "phoenix-release", broken);
        const diff = added(base.review, r.review);
        // Blue is the candidate here: both routes reference it, and each is flagged once.
        assert.deepEqual(diff.map((d) => [d.policyName, d.enforcementLevel, d.urn?.split("::").pop()]).sort(), [
            ["gateway-reference-grant-for-cross-namespace-backend", "mandatory", "router-preview"],
            ["gateway-reference-grant-for-cross-namespace-backend", "mandatory", "router-production"],
        ]);
        assert.ok(!JSON.stringify(r.review).includes("s3cr3t-preview-value-0002"), "no diagnostic quotes the preview secret");
    });

    it("the gateway-api release cases were reviewed by every gateway route policy, with routes and grants present", () => {
        const gateway = releases.filter((r) => !r.label.includes("nginx"));
        assert.ok(gateway.length >= 4);
        for (const r of gateway) {
            const names = r.run.resources.filter((x) => x.type === TYPES.httpRoute || x.type === TYPES.referenceGrant).map((x) => x.name);
            assert.ok(
                names.includes("router-production") && names.includes("router-grant-blue") && names.includes("router-grant-green"),
                `${r.label}: ${names.join(", ")}`,
            );
            assert.ok(!r.review.diagnostics.some((d) => d.policyName.startsWith("gateway-")), r.label);
        }
    });

    it("release/prod with the main-side (blue) slot scaled to zero fails exactly router-main-slot-replicas", async () => {
        const base = releases[releases.length - 1];
        const broken = mutated(base.run.resources, "kubernetes:helm.sh/v3:Release", "blue-release", (i) => {
            (i.values as Record<string, unknown>).replicaCount = 0;
        });
        const r = await review("broken router", base.run, "prod", "prod", "phoenix-release", broken);
        assert.deepEqual(
            added(base.review, r.review).map((d) => [d.policyName, d.enforcementLevel]),
            [["router-main-slot-replicas", "mandatory"]],
        );
    });
});
