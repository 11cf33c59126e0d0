/**
 * The release stack with the nginx router (a platform that exports `routerKind: nginx`) under the Pulumi
 * mock runtime with Pulumi.dev.yaml and Pulumi.prod.yaml, for a table of release states: Helm releases, namespaces, Secrets and chart values; every Kubernetes
 * object against the Kubernetes schemas; the registered Ingress objects fed into the routing model to
 * see where production and preview requests go; bad states refused before anything is registered.
 *
 * PHOENIX_PRINT_ROUTING_TABLE=1 prints the state → destination table the tests computed.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020";
import * as YAML from "yaml";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { MOCK_KUBECONFIG, RegisteredResource, RunResult, byType, loadStackConfig, runProgram } from "./support/pulumi-harness";
import { main } from "../stacks/release/program";
import {
    describeOutcomes,
    nginx,
    soleService,
    type ReadyEndpoints,
    type ReleaseState,
    type SlotName,
    type WeightedOutcome,
} from "@phoenix/release-model";

const { ANNOTATIONS, routePreview, routeProduction, rulesFromKubernetesIngress } = nginx;
type KubernetesIngressLike = nginx.KubernetesIngressLike;

const PROJECT_DIR = path.join(__dirname, "..", "stacks", "release");
const LOGIN_SERVER = "phoenixshared.azurecr.io";
const FQDN = "phoenix-dev.westeurope.cloudapp.azure.com";
const CONN = "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://mock/";
const PREVIEW_SECRET = "pv-Zm9vYmFyYmF6cXV4";
const PLATFORM_OUTPUTS = {
    kubeconfig: MOCK_KUBECONFIG,
    registryLoginServer: LOGIN_SERVER,
    publicFqdn: FQDN,
    publicUrl: `http://${FQDN}`,
    ingressClassName: "nginx",
    routerKind: "nginx",
    appInsightsConnectionString: CONN,
};

const T = {
    ns: "kubernetes:core/v1:Namespace",
    secret: "kubernetes:core/v1:Secret",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    release: "kubernetes:helm.sh/v3:Release",
    stackRef: "pulumi:pulumi:StackReference",
    provider: "pulumi:providers:kubernetes",
};

async function run(stack: "dev" | "prod", overrides: Record<string, unknown> = {}, secretKeys: string[] = []): Promise<RunResult> {
    return runProgram({
        projectDir: PROJECT_DIR,
        stack,
        configOverrides: overrides,
        secretKeys,
        hooks: { newResource: (a) => (a.type === T.stackRef ? { outputs: PLATFORM_OUTPUTS } : undefined) },
        program: main,
    });
}

type Slots = ReleaseState["slots"];
const slotsOf = (blue: Slots["blue"], green: Slots["green"]): Slots => ({ blue, green });

/** Where requests go according to the routing model, given what the program registered. */
function routing(r: RunResult): { production: WeightedOutcome[]; preview?: WeightedOutcome[]; header: string } {
    const ingresses = byType(r.resources, T.ingress);
    const rules = ingresses.flatMap((ing, i) => rulesFromKubernetesIngress(ing.inputs as KubernetesIngressLike, i));
    // Ready endpoints: every pod of each deployed slot is ready (replicaCount of its release).
    const endpoints: ReadyEndpoints = {};
    for (const rel of byType(r.resources, T.release)) {
        const ns = String(rel.inputs.namespace);
        endpoints[`${ns}/${String(rel.inputs.name)}`] = Number((rel.inputs.values as { replicaCount: number }).replicaCount);
    }
    const header = String(r.outputs.previewHeader);
    const production = routeProduction(rules, endpoints, { host: FQDN });
    const value = r.outputs.previewHeaderValue;
    const preview = typeof value === "string" ? routePreview(rules, endpoints, { host: FQDN, header, value }) : undefined;
    return { production, preview, header };
}

function canaryIngressInputs(ingresses: RegisteredResource[]): Record<string, unknown> {
    assert.equal((ingresses[1].inputs.metadata as { namespace?: string }).namespace, "green-calculator");
    return ingresses[1].inputs;
}

const slotOf = (outcomes: WeightedOutcome[] | undefined): SlotName | string => {
    if (!outcomes) return "-";
    const svc = soleService(outcomes);
    if (!svc) return describeOutcomes(outcomes);
    return svc.name.split("-")[0];
};

interface Case {
    name: string;
    stack: "dev" | "prod";
    /** The state; the stack file's own state when `fromStackFile`. */
    slots: Slots;
    fromStackFile?: boolean;
    secretPreview?: boolean;
    production: SlotName;
    preview?: { value: string; target: SlotName };
}

/** The state a stack file holds, as the CLI would hand it to the program. */
function stackFileSlots(stack: "dev" | "prod"): Slots {
    const text = loadStackConfig(PROJECT_DIR, stack).config["phoenix-release:state"];
    return (JSON.parse(text) as ReleaseState).slots;
}

const V1 = "1.4.0";
const V2 = "1.5.0-rc.1";
const CASES: Case[] = [
    {
        name: "first release: blue live only (Pulumi.dev.yaml's state)",
        stack: "dev",
        fromStackFile: true,
        slots: stackFileSlots("dev"),
        production: "blue",
    },
    {
        name: "blue live + green candidate",
        stack: "dev",
        slots: slotsOf({ role: "live", version: V1 }, { role: "candidate", version: V2, replicas: 1 }),
        production: "blue",
        preview: { value: "always", target: "green" },
    },
    {
        name: "blue live + green candidate, secret preview value",
        stack: "prod",
        secretPreview: true,
        slots: slotsOf({ role: "live", version: V1 }, { role: "candidate", version: V2 }),
        production: "blue",
        preview: { value: PREVIEW_SECRET, target: "green" },
    },
    {
        name: "green live + blue standby (promoted; Pulumi.prod.yaml's state)",
        stack: "prod",
        fromStackFile: true,
        slots: stackFileSlots("prod"),
        production: "green",
    },
    {
        name: "green live + blue candidate",
        stack: "dev",
        slots: slotsOf({ role: "candidate", version: "1.6.0" }, { role: "live", version: V2 }),
        production: "green",
        preview: { value: "never", target: "blue" },
    },
    {
        name: "blue live + green standby (rolled back)",
        stack: "prod",
        slots: slotsOf({ role: "live", version: V1 }, { role: "standby", version: V2 }),
        production: "blue",
    },
    {
        name: "failed green candidate removed",
        stack: "dev",
        slots: slotsOf({ role: "live", version: V1 }, { role: "absent" }),
        production: "blue",
    },
    {
        name: "failed blue candidate: blue back to standby",
        stack: "dev",
        slots: slotsOf({ role: "standby", version: V1, replicas: 1 }, { role: "live", version: V2 }),
        production: "green",
    },
];

const table: string[] = [];
/** Runs of each case, reused by the tests that only read them (keeps the spec fast). */
const results = new Map<string, RunResult>();

/** Pulumi's wire signature for a secret value: the mock receives secrets wrapped in it. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
function unwrapSecret(v: unknown): unknown {
    const o = v as Record<string, unknown>;
    assert.equal(o?.["4dabf18193072939515e22adb298388d"], SECRET_SIG, `expected a secret, got ${JSON.stringify(v)}`);
    return o.value;
}

/** Helm coalesces the chart's values.yaml under the given values before validating the schema. */
function coalesce(defaults: unknown, given: unknown): unknown {
    if (typeof defaults !== "object" || defaults === null || Array.isArray(defaults)) return given === undefined ? defaults : given;
    if (typeof given !== "object" || given === null || Array.isArray(given)) return given === undefined ? defaults : given;
    const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
    for (const [k, v] of Object.entries(given as Record<string, unknown>)) out[k] = coalesce((defaults as Record<string, unknown>)[k], v);
    return out;
}

describe("release stack (phoenix-release)", function () {
    this.timeout(20000);

    for (const c of CASES) {
        it(`${c.stack}: ${c.name}`, async () => {
            const state: ReleaseState = { slots: c.slots };
            const r = await run(
                c.stack,
                {
                    ...(c.fromStackFile ? {} : { state: JSON.stringify(state) }),
                    ...(c.secretPreview ? { previewHeaderValue: PREVIEW_SECRET } : {}),
                },
                c.secretPreview ? ["previewHeaderValue"] : [],
            );
            results.set(c.name, r);
            const defaultReplicas = c.stack === "prod" ? 4 : 2;

            // Platform reference and provider
            const ref = byType(r.resources, T.stackRef);
            assert.equal(ref.length, 1);
            assert.equal(ref[0].inputs.name, `organization/phoenix-platform/${c.stack}`);
            assert.equal(byType(r.resources, T.provider).length, 1);

            // Namespaces and Secrets exist for both slots, whatever their role
            const namespaces = byType(r.resources, T.ns)
                .map((n) => (n.inputs.metadata as { name: string }).name)
                .sort();
            assert.deepEqual(namespaces, ["blue-calculator", "green-calculator"]);
            const secrets = byType(r.resources, T.secret);
            assert.deepEqual(secrets.map((s) => (s.inputs.metadata as { namespace: string }).namespace).sort(), namespaces);
            for (const s of secrets) {
                assert.equal((s.inputs.metadata as { name: string }).name, "calculator-appinsights");
                assert.deepEqual(
                    unwrapSecret(s.inputs.stringData),
                    { "connection-string": CONN },
                    "the connection string reaches the Secret as a secret",
                );
            }

            // One Helm release per present slot, fixed names, chart and version pinned
            const releases = byType(r.resources, T.release);
            const present = (["blue", "green"] as const).filter((s) => c.slots[s].role !== "absent");
            assert.deepEqual(
                releases.map((x) => x.inputs.name).sort(),
                present.map((s) => `${s}-calculator`),
            );
            for (const rel of releases) {
                const slot = String(rel.inputs.name).split("-")[0] as SlotName;
                const ss = c.slots[slot];
                assert.equal(rel.inputs.namespace, `${slot}-calculator`);
                assert.equal(rel.inputs.chart, `oci://${LOGIN_SERVER}/helm/calculator`);
                assert.equal(rel.inputs.version, ss.version, "chart version is the slot's release version");
                assert.equal(rel.inputs.atomic, true);
                assert.equal(rel.inputs.cleanupOnFail, true);
                assert.equal(rel.inputs.timeout, c.stack === "prod" ? 600 : 300);
                assert.deepEqual(rel.inputs.values, {
                    image: { repository: `${LOGIN_SERVER}/calculator`, tag: ss.version, pullPolicy: "IfNotPresent" },
                    replicaCount: ss.replicas ?? defaultReplicas,
                    slot,
                    version: ss.version,
                    appName: "calculator",
                    appInsights: { existingSecret: "calculator-appinsights", secretKey: "connection-string" },
                });
            }

            // Every Kubernetes object the program registers is valid against the Kubernetes schemas
            for (const ns of byType(r.resources, T.ns)) new Namespace(ns.inputs as ConstructorParameters<typeof Namespace>[0]).validate();
            for (const s of secrets)
                new Secret({ ...s.inputs, stringData: unwrapSecret(s.inputs.stringData) } as ConstructorParameters<
                    typeof Secret
                >[0]).validate();
            const ingresses = byType(r.resources, T.ingress);
            assert.equal(ingresses.length, 2, "both Ingress objects always exist");
            if (c.secretPreview) {
                // the canary's annotations carry the per-release value, so they travel as a secret
                ingresses[1].inputs.metadata = unwrapSecret(ingresses[1].inputs.metadata);
                assert.equal(
                    canaryIngressInputs(ingresses).metadata &&
                        (ingresses[1].inputs.metadata as KubernetesIngressLike["metadata"])?.annotations?.[ANNOTATIONS.canaryByHeaderValue],
                    PREVIEW_SECRET,
                );
            }
            for (const ing of ingresses) new Ingress(ing.inputs as ConstructorParameters<typeof Ingress>[0]).validate();
            const [mainIng, canaryIng] = ingresses.map((i) => i.inputs as KubernetesIngressLike);
            assert.equal(mainIng.metadata?.namespace, "blue-calculator");
            assert.equal(mainIng.metadata?.annotations?.[ANNOTATIONS.canary], "false");
            assert.equal(canaryIng.metadata?.namespace, "green-calculator");
            assert.equal(canaryIng.metadata?.annotations?.[ANNOTATIONS.canary], "true");
            assert.equal(canaryIng.metadata?.annotations?.[ANNOTATIONS.canaryWeight], c.production === "green" ? "100" : "0");
            for (const k of ["host", "path", "pathType"] as const) {
                const get = (o: KubernetesIngressLike) => (k === "host" ? o.spec?.rules?.[0].host : o.spec?.rules?.[0].http?.paths?.[0][k]);
                assert.equal(get(mainIng), get(canaryIng), `main and canary share ${k}`);
            }

            // Where traffic goes, per the routing model
            const routed = routing(r);
            assert.equal(slotOf(routed.production), c.production, `production: ${describeOutcomes(routed.production)}`);
            assert.equal(r.outputs.liveSlot, c.production);
            assert.deepEqual(r.outputs.routerWeights, c.production === "green" ? { blue: 0, green: 100 } : { blue: 100, green: 0 });
            if (c.preview) {
                assert.equal(r.outputs.previewHeaderValue, c.preview.value);
                assert.equal(slotOf(routed.preview), c.preview.target);
                assert.equal(r.outputs.candidateSlot, c.preview.target);
                assert.equal(r.outputs.candidateVersion, c.slots[c.preview.target].version);
            } else {
                assert.equal(r.outputs.previewHeaderValue, null);
                assert.equal(r.outputs.candidateSlot, null);
            }
            if (c.secretPreview) {
                assert.ok(r.secretOutputs.includes("previewHeaderValue"), "a per-release preview value is a secret output");
                // `always` does not reach the candidate: previews are not guessable
                const rules = ingresses.flatMap((ing, i) => rulesFromKubernetesIngress(ing.inputs as KubernetesIngressLike, i));
                const eps = { "blue-calculator/blue-calculator": 1, "green-calculator/green-calculator": 1 };
                assert.equal(slotOf(routePreview(rules, eps, { host: FQDN, header: "canary", value: "always" })), "blue");
            }

            // Outputs
            assert.equal(r.outputs.liveVersion, c.slots[c.production].version);
            assert.equal(r.outputs.publicUrl, `http://${FQDN}`);
            assert.equal(r.outputs.previewHeader, "canary");
            assert.deepEqual(r.outputs.routers, ["nginx"]);
            assert.equal(r.outputs.chartReference, `oci://${LOGIN_SERVER}/helm/calculator`);
            const plain = JSON.stringify(Object.fromEntries(Object.entries(r.outputs).filter(([k]) => !r.secretOutputs.includes(k))));
            for (const secret of ["MOCK-KUBE-TOKEN", CONN, PREVIEW_SECRET])
                assert.ok(!plain.includes(secret), `plain outputs leak ${secret}`);
            // The engine reads the slots' pods with the platform's kubeconfig: re-exported, secret only.
            assert.ok(
                r.secretOutputs.includes("kubeconfig") && String(r.outputs.kubeconfig).includes("MOCK-KUBE-TOKEN"),
                "the kubeconfig is a secret output",
            );

            table.push(
                `| ${c.stack} | ${c.name} | ${slotOf(routed.production)} | ${routed.preview ? `${routed.header}: ${c.secretPreview ? "<secret>" : c.preview?.value} → ${slotOf(routed.preview)}` : "-"} |`,
            );
        });
    }

    it("prod runs more pods per slot than dev", () => {
        const replicas = (stack: "dev" | "prod") =>
            [...results.entries()]
                .filter(([name]) => CASES.find((c) => c.name === name)?.stack === stack)
                .flatMap(([, x]) =>
                    byType(x.resources, T.release).map((rel) => (rel.inputs.values as { replicaCount: number }).replicaCount),
                );
        assert.ok(replicas("prod").length > 0 && replicas("dev").length > 0, "case runs missing");
        assert.ok(Math.min(...replicas("prod")) > Math.max(...replicas("dev")), `prod ${replicas("prod")} vs dev ${replicas("dev")}`);
    });

    it("a drained blue slot would be a 503 for everyone: the stack never allows it", async () => {
        // The model says what would happen; the state validation keeps it from being expressed.
        const r = results.get(CASES[3].name) ?? assert.fail("case run missing");
        assert.equal(r.outputs.liveSlot, "green");
        const rules = byType(r.resources, T.ingress).flatMap((ing, i) =>
            rulesFromKubernetesIngress(ing.inputs as KubernetesIngressLike, i),
        );
        assert.equal(describeOutcomes(routeProduction(rules, { "green-calculator/green-calculator": 2 }, { host: FQDN })), "503 100%");
        await assert.rejects(
            run("dev", {
                state: JSON.stringify({ slots: slotsOf({ role: "standby", version: V1, replicas: 0 }, { role: "live", version: V2 }) }),
            }),
            /phoenix-release:state: expected a state the nginx router can carry: .*replicas must be at least 1/,
        );
    });

    it("uses a local chart directory for development (no chart version) and the secret connection string from config", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-chart-"));
        fs.writeFileSync(path.join(dir, "Chart.yaml"), "apiVersion: v2\nname: calculator\nversion: 0.1.0\n");
        const override = "InstrumentationKey=from-key-vault";
        const r = await run("dev", { chart: dir, appInsightsConnectionString: override }, ["appInsightsConnectionString"]);
        const rel = byType(r.resources, T.release)[0];
        assert.equal(rel.inputs.chart, dir);
        assert.equal(rel.inputs.version, undefined);
        for (const s of byType(r.resources, T.secret))
            assert.deepEqual(unwrapSecret(s.inputs.stringData), { "connection-string": override });
        assert.deepEqual(r.outputs.chartVersions, { blue: null, green: null });
    });

    const schemaPath = path.join(__dirname, "..", "app", "chart", "values.schema.json");
    (fs.existsSync(schemaPath) ? it : it.skip)("every slot's values validate against app/chart/values.schema.json", async () => {
        const schema = JSON.parse(fs.readFileSync(schemaPath, "utf8")) as { $schema?: string };
        const ajv = String(schema.$schema ?? "").includes("2020-12")
            ? new Ajv2020({ allErrors: true, strict: false })
            : new Ajv({ allErrors: true, strict: false });
        const validate = ajv.compile(schema);
        const defaults = YAML.parse(fs.readFileSync(path.join(path.dirname(schemaPath), "values.yaml"), "utf8")) as unknown;
        let checked = 0;
        for (const c of CASES) {
            const r = results.get(c.name) ?? (await run(c.stack, { state: JSON.stringify({ slots: c.slots }) }));
            for (const rel of byType(r.resources, T.release)) {
                assert.ok(
                    validate(coalesce(defaults, rel.inputs.values)),
                    `${c.name}, ${String(rel.inputs.name)}: ${ajv.errorsText(validate.errors)}`,
                );
                checked++;
            }
        }
        assert.ok(checked >= 14, `checked ${checked}`);
        // and the schema does refuse bad values (the check can fail)
        const good = byType(results.get(CASES[1].name)!.resources, T.release)[0].inputs.values as Record<string, unknown>;
        for (const bad of [
            { ...good, slot: "red" },
            { ...good, version: "v1" },
            { ...good, image: { repository: "r", tag: "latest" } },
            { ...good, replicaCount: -1 },
            { ...good, extra: true },
        ]) {
            assert.equal(validate(coalesce(defaults, bad)), false, JSON.stringify(bad));
        }
    });

    const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
        [
            "two live slots",
            { state: JSON.stringify({ slots: slotsOf({ role: "live", version: V1 }, { role: "live", version: V2 }) }) },
            /phoenix-release:state: expected a valid release state: .*exactly one slot must be live, found blue and green/,
        ],
        [
            "no live slot",
            { state: JSON.stringify({ slots: slotsOf({ role: "candidate", version: V1 }, { role: "standby", version: V2 }) }) },
            /phoenix-release:state: expected a valid release state: .*exactly one slot must be live, found none/,
        ],
        [
            "blue absent (nginx)",
            { routerKind: "nginx", state: JSON.stringify({ slots: slotsOf({ role: "absent" }, { role: "live", version: V2 }) }) },
            /phoenix-release:state: expected a state the nginx router can carry: .*slot blue must not be absent/,
        ],
        [
            "build metadata (cannot be an image tag; same rule as the CLI, the pipeline and the chart)",
            { state: JSON.stringify({ slots: slotsOf({ role: "live", version: "1.6.0+build.7" }, { role: "absent" }) }) },
            /phoenix-release:state: expected slot blue versions usable as image tags: "1\.6\.0\+build\.7" — build metadata .* use a pre-release such as 1\.6\.0-build\.7/,
        ],
        [
            "version not semver",
            { state: JSON.stringify({ slots: slotsOf({ role: "live", version: "latest" }, { role: "absent" }) }) },
            /phoenix-release:state: expected a valid release state: .*version must be semver/,
        ],
        [
            "absent slot with a version",
            { state: JSON.stringify({ slots: slotsOf({ role: "live", version: V1 }, { role: "absent", version: V2 }) }) },
            /phoenix-release:state: expected a valid release state: .*absent but has a version/,
        ],
        [
            "candidate without version",
            { state: JSON.stringify({ slots: slotsOf({ role: "live", version: V1 }, { role: "candidate" }) }) },
            /phoenix-release:state: expected a valid release state: .*green is candidate but has no version/,
        ],
        ["state not JSON", { state: "{slots: blue" }, /phoenix-release:state: expected a valid release state: .*not valid JSON/],
        [
            "router kind gateway",
            { routerKind: "gateway" },
            /phoenix-release:routerKind: expected one of gateway-api, nginx, or empty for the platform's, got "gateway"/,
        ],
        [
            "header with underscore",
            { previewHeader: "x_preview" },
            /phoenix-release:previewHeader: expected letters, digits and dashes .*, got "x_preview"/,
        ],
        [
            "chart version range",
            { chartVersion: "^1.2.0" },
            /phoenix-release:chartVersion: expected an exact semver version \(no ranges\), got "\^1\.2\.0"/,
        ],
        [
            "https chart",
            { chart: "https://charts.example.com/calculator" },
            /phoenix-release:chart: expected an oci:\/\/ reference or a path relative to the repository root, got "https:/,
        ],
    ];
    for (const [name, overrides, expected] of BAD) {
        it(`refuses before registering anything: ${name}`, async () => {
            let registered: RegisteredResource[] | undefined;
            await assert.rejects(
                runProgram({
                    projectDir: PROJECT_DIR,
                    stack: "dev",
                    configOverrides: overrides,
                    hooks: {
                        newResource: (a) => {
                            registered = registered ?? [];
                            registered.push({ type: a.type } as RegisteredResource);
                            return undefined;
                        },
                    },
                    program: main,
                }),
                (e: Error) =>
                    e.name === "ConfigValidationError" &&
                    /^invalid configuration \(\d+ problems?\):/.test(e.message) &&
                    expected.test(e.message),
            );
            assert.equal(registered, undefined, "no resource was registered");
        });
    }

    it("refuses a malformed preview secret under its own key without showing it", async () => {
        const secret = "tooShortSecret1";
        const state = JSON.stringify({ slots: slotsOf({ role: "live", version: V1 }, { role: "candidate", version: V2 }) });
        await assert.rejects(
            runProgram({ projectDir: PROJECT_DIR, stack: "dev", configOverrides: { state, previewHeaderValue: secret }, program: main }),
            (e: Error) =>
                /phoenix-release:previewHeaderValue: expected a valid release state: previewHeaderValue must be 16 to 128/.test(
                    e.message,
                ) && !e.message.includes(secret),
        );
    });

    it("refuses a missing state and lists every problem at once", async () => {
        await assert.rejects(
            runProgram({
                projectDir: PROJECT_DIR,
                stack: "dev",
                configRemovals: ["state"],
                configOverrides: { routerKind: "gateway", replicas: 0 },
                program: main,
            }),
            (e: Error) =>
                /^invalid configuration \(3 problems\):/.test(e.message) &&
                /phoenix-release:replicas: expected an integer ≥ 1 and ≤ 100, got 0/.test(e.message) &&
                /phoenix-release:routerKind: expected one of gateway-api, nginx/.test(e.message) &&
                /phoenix-release:state: expected a release state as JSON \(required\)/.test(e.message),
        );
    });

    after(() => {
        if (process.env.PHOENIX_PRINT_ROUTING_TABLE === "1" && table.length > 0) {
            console.log(["| stack | state | production → | preview → |", "|---|---|---|---|", ...table].join("\n"));
        }
    });
});
