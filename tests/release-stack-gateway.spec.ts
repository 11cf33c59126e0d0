/**
 * The release stack on a Gateway API platform (the default), under the Pulumi mock runtime with the
 * real stack files: for a table of release states, the routes namespace, ReferenceGrants and
 * HTTPRoutes it registers, each validated against the Gateway API schemas (`@kubernetes-models/
 * gateway-api`, unknown fields refused) and the CRDs' CEL rules; the registered objects fed into the
 * Gateway API router model to see where production and preview requests go; the "never" rules of
 * issue 12 over every case; the migration from ingress-nginx walked state by state through both
 * routing models; and both migrations of docs/gateway-migration.md (nginx → Gateway API, Envoy
 * Gateway → app-routing-istio) walked step by step with the platform stack's real outputs feeding
 * the release stack, every front door clients can reach at each step checked through its routing model.
 *
 * PHOENIX_PRINT_ROUTING_TABLE=1 prints the state → destination table the tests computed.
 */
import { strict as assert } from "assert";
import * as path from "path";
import {
    describeOutcomes,
    gatewayApi,
    routerModel,
    soleService,
    validateReleaseState,
    type KubeObject,
    type ReadyEndpoints,
    type ReleaseState,
    type SlotName,
    type WeightedOutcome,
} from "@phoenix/release-model";
import { gatewayApiProblems } from "./support/gateway-models";
import { MOCK_KUBECONFIG, RegisteredResource, RunResult, byType, runProgram } from "./support/pulumi-harness";
import { main } from "../stacks/release/program";
import { plan } from "../release-engine/src/planner/plan";
import { runPlatform, runRegistry } from "./support/phoenix-stacks";
import type { EngineRecord } from "../release-engine/src/planner/types";

const PROJECT_DIR = path.join(__dirname, "..", "stacks", "release");
const HOST = "shop.example.com";
const CONN = "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://mock/";
const PREVIEW_SECRET = "pv-Zm9vYmFyYmF6cXV4";
const GATEWAY = { name: "phoenix-gateway", namespace: "phoenix-gateway" };
const BASE_OUTPUTS = {
    kubeconfig: MOCK_KUBECONFIG,
    registryLoginServer: "phoenixshared.azurecr.io",
    host: HOST,
    publicUrl: `http://${HOST}`,
    appInsightsConnectionString: CONN,
};
const GATEWAY_OUTPUTS = {
    ...BASE_OUTPUTS,
    routerKind: "gateway-api",
    gatewayName: GATEWAY.name,
    gatewayNamespace: GATEWAY.namespace,
    gatewayClass: "phoenix-envoy",
    legacyNginx: false,
};
const NGINX_OUTPUTS = { ...BASE_OUTPUTS, routerKind: "nginx", publicFqdn: HOST, ingressClassName: "nginx" };
const BOTH_OUTPUTS = { ...GATEWAY_OUTPUTS, legacyNginx: true, publicFqdn: HOST, ingressClassName: "nginx" };

const T = {
    ns: "kubernetes:core/v1:Namespace",
    route: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    grant: "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    release: "kubernetes:helm.sh/v3:Release",
};

const SECRET_KEY = "4dabf18193072939515e22adb298388d";
function unwrap(v: unknown): { value: unknown; secret: boolean } {
    if (v && typeof v === "object" && SECRET_KEY in (v as Record<string, unknown>))
        return { value: (v as Record<string, unknown>).value, secret: true };
    return { value: v, secret: false };
}

async function run(
    stack: "dev" | "prod",
    platform: Record<string, unknown>,
    overrides: Record<string, unknown> = {},
    secretKeys: string[] = [],
): Promise<RunResult> {
    return runProgram({
        projectDir: PROJECT_DIR,
        stack,
        configOverrides: overrides,
        secretKeys,
        captureStackTraces: false,
        hooks: { newResource: (a) => (a.type === "pulumi:pulumi:StackReference" ? { outputs: platform } : undefined) },
        program: main,
    });
}

/** The Kubernetes objects a run registered, secrets unwrapped, in registration order, with whether each part was secret. */
function objectsOf(r: RunResult, types: string[]): Array<{ object: KubeObject; secretParts: string[]; resource: RegisteredResource }> {
    return r.resources
        .filter((x) => types.includes(x.type))
        .map((res) => {
            const md = unwrap(res.inputs.metadata);
            const spec = unwrap(res.inputs.spec);
            const [, apiAndKind] = res.type.split("kubernetes:");
            const i = apiAndKind.lastIndexOf(":");
            const apiVersion = apiAndKind.slice(0, i).replace(/^core\//, "");
            return {
                object: { apiVersion, kind: apiAndKind.slice(i + 1), metadata: md.value as KubeObject["metadata"], spec: spec.value },
                secretParts: [...(md.secret ? ["metadata"] : []), ...(spec.secret ? ["spec"] : [])],
                resource: res,
            };
        });
}

/** Ready endpoints: every pod of each deployed slot (replicaCount of its release) is ready. */
function endpointsOf(r: RunResult): ReadyEndpoints {
    const e: ReadyEndpoints = {};
    for (const rel of byType(r.resources, T.release))
        e[`${String(rel.inputs.namespace)}/${String(rel.inputs.name)}`] = Number(
            (rel.inputs.values as { replicaCount: number }).replicaCount,
        );
    return e;
}

const slotOf = (outcomes: WeightedOutcome[] | undefined): string => {
    if (!outcomes) return "-";
    const svc = soleService(outcomes);
    return svc ? svc.name.split("-")[0] : describeOutcomes(outcomes);
};

type Slots = ReleaseState["slots"];
const slotsOf = (blue: Slots["blue"], green: Slots["green"]): Slots => ({ blue, green });
const V1 = "1.4.0";
const V2 = "1.5.0-rc.1";

interface Case {
    name: string;
    stack: "dev" | "prod";
    slots: Slots;
    secretPreview?: boolean;
    production: SlotName;
    preview?: { value: string; target: SlotName };
}

const CASES: Case[] = [
    {
        name: "first release: blue live only",
        stack: "dev",
        slots: slotsOf({ role: "live", version: V1, replicas: 2 }, { role: "absent" }),
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
        name: "green live + blue standby (promoted)",
        stack: "prod",
        slots: slotsOf({ role: "standby", version: V1 }, { role: "live", version: V2 }),
        production: "green",
    },
    {
        name: "green live + blue candidate, secret preview value",
        stack: "dev",
        secretPreview: true,
        slots: slotsOf({ role: "candidate", version: "1.6.0" }, { role: "live", version: V2 }),
        production: "green",
        preview: { value: PREVIEW_SECRET, target: "blue" },
    },
    {
        name: "green live + blue candidate",
        stack: "prod",
        slots: slotsOf({ role: "candidate", version: "1.6.0" }, { role: "live", version: V2 }),
        production: "green",
        preview: { value: "always", target: "blue" },
    },
    {
        name: "green live, blue absent (a failed blue candidate after a first release in green)",
        stack: "dev",
        slots: slotsOf({ role: "absent" }, { role: "live", version: V2 }),
        production: "green",
    },
    {
        name: "blue live + green standby scaled to zero",
        stack: "prod",
        slots: slotsOf({ role: "live", version: V1 }, { role: "standby", version: V2, replicas: 0 }),
        production: "blue",
    },
];

const table: string[] = [];

describe("release stack on the Gateway API (default router)", function () {
    this.timeout(30000);
    const results = new Map<string, RunResult>();
    const gw = routerModel("gateway-api");

    for (const c of CASES) {
        it(`${c.stack}: ${c.name}`, async () => {
            const state = validateReleaseState({ slots: c.slots });
            const r = await run(
                c.stack,
                GATEWAY_OUTPUTS,
                { state: JSON.stringify(state), ...(c.secretPreview ? { previewHeaderValue: PREVIEW_SECRET } : {}) },
                c.secretPreview ? ["previewHeaderValue"] : [],
            );
            results.set(c.name, r);
            assert.equal(byType(r.resources, T.ingress).length, 0, "no Ingress on a Gateway API platform");

            // The routes namespace, labelled so the platform's Gateway admits its routes
            const routesNs = byType(r.resources, T.ns).filter((n) => (n.inputs.metadata as { name: string }).name === "calculator-routes");
            assert.equal(routesNs.length, 1);
            assert.equal((routesNs[0].inputs.metadata as { labels: Record<string, string> }).labels["phoenix.dev/gateway"], GATEWAY.name);

            const objs = objectsOf(r, [T.route, T.grant]);
            const routes = objs.filter((o) => o.object.kind === "HTTPRoute");
            const grants = objs.filter((o) => o.object.kind === "ReferenceGrant");
            // Every object: Gateway API schema (unknown fields refused) and the CRDs' CEL rules
            for (const o of objs) {
                assert.deepEqual(
                    gatewayApiProblems(o.object as unknown as { apiVersion: string; kind: string } & Record<string, unknown>),
                    [],
                    `${o.object.kind} ${o.object.metadata.name}`,
                );
                assert.deepEqual(gatewayApi.routeObjectProblems(o.object), []);
            }
            // A ReferenceGrant in each slot namespace for the routes namespace
            assert.deepEqual(grants.map((g) => g.object.metadata.namespace).sort(), ["blue-calculator", "green-calculator"]);

            // The production route: one rule, both slots, fixed order and names, only weights differ
            const production = routes.find((o) => o.object.metadata.name === "calculator-production") ?? assert.fail("no production route");
            const prodRules = (
                production.object.spec as {
                    rules: Array<{
                        matches: unknown[];
                        backendRefs: Array<{ name: string; namespace: string; port: number; weight: number }>;
                    }>;
                }
            ).rules;
            assert.equal(prodRules.length, 1, "one rule, never inserted or reordered");
            assert.deepEqual(
                prodRules[0].backendRefs.map((b) => `${b.namespace}/${b.name}:${b.port}`),
                ["blue-calculator/blue-calculator:80", "green-calculator/green-calculator:80"],
            );
            const weights = prodRules[0].backendRefs.map((b) => b.weight);
            assert.ok(
                weights.some((w) => w > 0),
                "never every weight 0",
            );
            assert.deepEqual(weights, c.production === "blue" ? [100, 0] : [0, 100]);
            const ready = endpointsOf(r);
            for (const b of prodRules[0].backendRefs)
                if (b.weight > 0) assert.ok((ready[`${b.namespace}/${b.name}`] ?? 0) > 0, "never a weight on a slot with no ready pods");

            // The preview route exists only with a candidate, repeats the production path match and adds one exact header
            const preview = routes.find((o) => o.object.metadata.name === "calculator-preview");
            assert.equal(preview !== undefined, c.preview !== undefined);
            if (preview && c.preview) {
                const rules = (
                    preview.object.spec as {
                        rules: Array<{
                            matches: Array<{ path: unknown; headers: Array<{ type: string; name: string; value: string }> }>;
                            backendRefs: Array<{ name: string }>;
                        }>;
                    }
                ).rules;
                assert.equal(rules.length, 1);
                assert.deepEqual(
                    rules[0].matches.map((m) => m.path),
                    (prodRules[0].matches as Array<{ path: unknown }>).map((m) => m.path),
                );
                assert.deepEqual(rules[0].matches[0].headers, [{ type: "Exact", name: "canary", value: c.preview.value }]);
                assert.deepEqual(
                    rules[0].backendRefs.map((b) => b.name),
                    [`${c.preview.target}-calculator`],
                );
                assert.deepEqual(preview.secretParts, c.secretPreview ? ["spec"] : [], "the per-release value travels as a secret");
            }
            for (const o of objs.filter((x) => x !== preview)) assert.deepEqual(o.secretParts, []);

            // Where traffic goes, per the Gateway API model, through exactly the objects registered
            const objects = objs.map((o) => o.object);
            const prodOut = gw.distribution(objects, ready, { host: HOST, path: "/api/calculation" });
            assert.equal(slotOf(prodOut), c.production, describeOutcomes(prodOut));
            const prevOut = c.preview
                ? gw.distribution(objects, ready, { host: HOST, path: "/api/calculation", headers: { canary: c.preview.value } })
                : undefined;
            if (c.preview) assert.equal(slotOf(prevOut), c.preview.target);
            if (c.secretPreview) {
                assert.equal(
                    slotOf(gw.distribution(objects, ready, { host: HOST, path: "/", headers: { canary: "always" } })),
                    c.production,
                    "a guess does not reach the candidate",
                );
                assert.ok(r.secretOutputs.includes("previewHeaderValue"));
            }
            // Outputs
            assert.deepEqual(r.outputs.routers, ["gateway-api"], "one router: no legacy Ingresses beside the routes");
            assert.equal(r.outputs.liveSlot, c.production);
            assert.deepEqual(r.outputs.routerWeights, c.production === "blue" ? { blue: 100, green: 0 } : { blue: 0, green: 100 });
            assert.equal(r.outputs.previewTarget, c.preview?.target ?? null);
            const plain = JSON.stringify(Object.fromEntries(Object.entries(r.outputs).filter(([k]) => !r.secretOutputs.includes(k))));
            for (const secret of ["MOCK-KUBE-TOKEN", CONN, PREVIEW_SECRET])
                assert.ok(!plain.includes(secret), `plain outputs leak ${secret}`);
            // The engine reads the slots' pods with the platform's kubeconfig: re-exported, secret only.
            assert.ok(
                r.secretOutputs.includes("kubeconfig") && String(r.outputs.kubeconfig).includes("MOCK-KUBE-TOKEN"),
                "the kubeconfig is a secret output",
            );

            table.push(
                `| ${c.stack} | ${c.name} | ${slotOf(prodOut)} (weights ${weights.join("/")}) | ${prevOut ? `canary: ${c.secretPreview ? "<secret>" : c.preview?.value} → ${slotOf(prevOut)}` : "-"} |`,
            );
        });
    }

    it("the backend Services are never renamed and the production rule never moves: identical across every state", () => {
        const shapes = new Set<string>();
        for (const r of results.values()) {
            const production = objectsOf(r, [T.route]).find((o) => o.object.metadata.name === "calculator-production")!;
            const rule = (production.object.spec as { rules: Array<{ matches: unknown; backendRefs: Array<Record<string, unknown>> }> })
                .rules[0];
            shapes.add(JSON.stringify({ matches: rule.matches, backends: rule.backendRefs.map(({ weight: _w, ...rest }) => rest) }));
        }
        assert.equal(results.size, CASES.length);
        assert.equal(shapes.size, 1, [...shapes].join("\n"));
    });

    it("the model's checks can fail: an all-zero rule, a missing grant, a backend without a port", () => {
        const r = results.get(CASES[0].name)!;
        const objects = objectsOf(r, [T.route, T.grant]).map((o) => o.object);
        const ready = endpointsOf(r);
        const prod = objects.find((o) => o.metadata.name === "calculator-production")!;
        const zeroed = JSON.parse(JSON.stringify(prod)) as KubeObject;
        for (const b of (zeroed.spec as { rules: Array<{ backendRefs: Array<{ weight: number }> }> }).rules[0].backendRefs) b.weight = 0;
        assert.match(describeOutcomes(gw.distribution([zeroed], ready, { host: HOST, path: "/" })), /^500/);
        assert.match(
            describeOutcomes(gw.distribution([prod], ready, { host: HOST, path: "/" })),
            /^500/,
            "without the ReferenceGrants the cross-namespace backend is invalid",
        );
        const noPort = JSON.parse(JSON.stringify(prod)) as KubeObject;
        delete (noPort.spec as { rules: Array<{ backendRefs: Array<{ port?: number }> }> }).rules[0].backendRefs[0].port;
        assert.match(gatewayApi.routeObjectProblems(noPort).join(), /has no port/);
        assert.ok(
            gatewayApiProblems({
                ...(prod as unknown as Record<string, unknown>),
                apiVersion: prod.apiVersion,
                kind: prod.kind,
                spec: { ...(prod.spec as object), rulez: [] },
            }).length > 0,
            "an unknown field is refused",
        );
    });

    it("refuses a state the router cannot carry and an unknown routerKind before registering anything", async () => {
        let registered = 0;
        await assert.rejects(
            runProgram({
                projectDir: PROJECT_DIR,
                stack: "dev",
                configOverrides: { routerKind: "istio" },
                hooks: {
                    newResource: () => {
                        registered++;
                        return undefined;
                    },
                },
                program: main,
            }),
            /phoenix-release:routerKind: expected one of gateway-api, nginx/,
        );
        assert.equal(registered, 0);
    });

    after(() => {
        if (process.env.PHOENIX_PRINT_ROUTING_TABLE === "1" && table.length > 0) {
            console.log(["| stack | state | production → | preview → |", "|---|---|---|---|", ...table].join("\n"));
        }
    });
});

describe("moving an environment from ingress-nginx to the Gateway API (docs/gateway-migration.md)", function () {
    this.timeout(60000);
    const gw = routerModel("gateway-api");
    const ng = routerModel("nginx");

    /** Where production goes through each front door the run registered objects for. */
    function frontDoors(r: RunResult): { nginx?: string; gateway?: string } {
        const ready = endpointsOf(r);
        const ingresses = objectsOf(r, [T.ingress]).map((o) => o.object);
        const routes = objectsOf(r, [T.route, T.grant]).map((o) => o.object);
        const out: { nginx?: string; gateway?: string } = {};
        if (ingresses.length) out.nginx = slotOf(ng.distribution(ingresses, ready, { host: HOST, path: "/api/calculation" }));
        if (routes.length) out.gateway = slotOf(gw.distribution(routes, ready, { host: HOST, path: "/api/calculation" }));
        return out;
    }

    it("each step of the sequence keeps production on the live slot through every front door that runs", async () => {
        const blueLive = JSON.stringify({
            slots: { blue: { role: "live", version: V1, replicas: 2 }, green: { role: "standby", version: "1.3.0", replicas: 2 } },
        });
        const steps: Array<[string, Record<string, unknown>, { nginx?: string; gateway?: string }]> = [
            ["0. nginx pinned", NGINX_OUTPUTS, { nginx: "blue" }],
            ["1-3. both front doors, routes on both (DNS moves between them)", BOTH_OUTPUTS, { nginx: "blue", gateway: "blue" }],
            ["4. ingress-nginx removed", GATEWAY_OUTPUTS, { gateway: "blue" }],
        ];
        for (const [name, outputs, expected] of steps) {
            const r = await run("dev", outputs, { state: blueLive });
            assert.deepEqual(frontDoors(r), expected, name);
            // The list the engine checks its router setting against: one router per front door, the Gateway API's first.
            assert.deepEqual(
                r.outputs.routers,
                expected.gateway ? (expected.nginx ? ["gateway-api", "nginx"] : ["gateway-api"]) : ["nginx"],
                name,
            );
            // The nginx router keeps its resource names through the migration: its Ingresses are never replaced.
            for (const ing of byType(r.resources, T.ingress)) assert.match(ing.name, /^router-(main|canary)$/);
        }
    });

    it("a release during the migration (planned with the nginx router) keeps both front doors on the same slot at every step", async () => {
        const start: EngineRecord = {
            state: validateReleaseState({
                slots: { blue: { role: "live", version: V1, replicas: 2 }, green: { role: "standby", version: "1.3.0", replicas: 2 } },
            }),
        };
        const p = plan(start, { kind: "release", version: V2 }, { defaultReplicas: 2, router: ng });
        assert.equal(p.outcome, "apply");
        const seen: string[] = [];
        for (const step of p.steps) {
            const st = step.record.state!;
            const r = await run("dev", BOTH_OUTPUTS, { state: JSON.stringify(st) });
            const doors = frontDoors(r);
            const live = st.slots.blue.role === "live" ? "blue" : "green";
            assert.deepEqual(doors, { nginx: live, gateway: live }, `${step.name}: ${JSON.stringify(doors)}`);
            seen.push(`${step.name}: ${live}`);
        }
        assert.deepEqual(
            seen.map((s) => s.split(":")[0]),
            ["deploy-candidate", "promote", "roll-home", "return-home", "restore-standby", "complete"],
        );
    });

    it("while both routers run, a state nginx cannot carry is refused (blue absent)", async () => {
        await assert.rejects(
            run("dev", BOTH_OUTPUTS, {
                state: JSON.stringify({ slots: { blue: { role: "absent" }, green: { role: "live", version: V1 } } }),
            }),
            /phoenix-release:state: expected a state the gateway-api and nginx router can carry: .*slot blue must not be absent/,
        );
        // Gateway API alone carries it.
        const r = await run("dev", GATEWAY_OUTPUTS, {
            state: JSON.stringify({ slots: { blue: { role: "absent" }, green: { role: "live", version: V1 } } }),
        });
        assert.equal(frontDoors(r).gateway, "green");
    });
});

describe("the migration guide's steps, platform and release stack together (docs/gateway-migration.md)", function () {
    this.timeout(120000);
    const gw = routerModel("gateway-api");
    const ng = routerModel("nginx");
    type Door = "nginx" | "gateway";
    /** One step: the platform's config after it, and the front doors clients may use while and after it runs (DNS). */
    interface Step {
        name: string;
        platform: Record<string, unknown>;
        clients: Door[];
    }
    const HOSTED = { publicHostname: HOST };
    const blueLive = JSON.stringify({
        slots: { blue: { role: "live", version: V1, replicas: 2 }, green: { role: "standby", version: "1.3.0", replicas: 2 } },
    });
    const PLATFORM_KEYS = [
        "routerKind",
        "legacyNginx",
        "host",
        "publicUrl",
        "publicFqdn",
        "gatewayName",
        "gatewayNamespace",
        "gatewayClass",
        "ingressClassName",
    ];
    let registry: Record<string, unknown>;
    before(async () => {
        registry = (await runRegistry()).outputs;
    });

    /** The platform after a step: which front doors run (their resources, to prove one clients use is never touched) and the outputs the release stack reads. */
    async function platformAt(config: Record<string, unknown>) {
        const r = await runPlatform("dev", registry, { configOverrides: { ...HOSTED, ...config } });
        const doorResources = (component: string) =>
            r.resources
                .filter((x) => x.options?.parent?.includes(`::${component}`))
                .map((x) => `${x.type}::${x.name} ${JSON.stringify(x.inputs)}`)
                .sort();
        const doors: Partial<Record<Door, string[]>> = {};
        if (r.resources.some((x) => x.type === "phoenix:ingress:IngressController"))
            doors.nginx = doorResources("phoenix:ingress:IngressController");
        if (r.resources.some((x) => x.type === "phoenix:gateway:GatewayFrontDoor"))
            doors.gateway = doorResources("phoenix:gateway:GatewayFrontDoor");
        const outputs: Record<string, unknown> = { ...BASE_OUTPUTS };
        for (const k of PLATFORM_KEYS) if (r.outputs[k] !== undefined) outputs[k] = r.outputs[k];
        return { doors, outputs, run: r };
    }

    function production(r: RunResult, door: Door): string {
        const ready = endpointsOf(r);
        const objs = door === "nginx" ? objectsOf(r, [T.ingress]) : objectsOf(r, [T.route, T.grant]);
        if (objs.length === 0) return "no routes";
        const model = door === "nginx" ? ng : gw;
        return slotOf(
            model.distribution(
                objs.map((o) => o.object),
                ready,
                { host: HOST, path: "/api/calculation" },
            ),
        );
    }

    /**
     * Walks the steps: the platform updates first, then the release stack. Every front door clients may
     * use during a step must run before and after the platform's update with identical resources, and
     * route production to the live slot with the release stack's objects before and after its update.
     */
    async function walk(steps: Step[]): Promise<string[]> {
        const log: string[] = [];
        let before = await platformAt(steps[0].platform);
        let objects = await run("dev", before.outputs, { state: blueLive });
        for (const [i, step] of steps.entries()) {
            const after = i === 0 ? before : await platformAt(step.platform);
            const next = await run("dev", after.outputs, { state: blueLive });
            for (const door of step.clients) {
                assert.ok(
                    before.doors[door] && after.doors[door],
                    `${step.name}: clients use ${door}, which must run before and after the platform update`,
                );
                assert.deepEqual(after.doors[door], before.doors[door], `${step.name}: the ${door} front door clients use is not touched`);
                assert.equal(
                    production(objects, door),
                    "blue",
                    `${step.name}: production through ${door} with the release stack's objects before its update`,
                );
                assert.equal(production(next, door), "blue", `${step.name}: production through ${door} after the release stack's update`);
            }
            log.push(
                `${step.name}: ${step.clients.join("+")} → blue; doors ${Object.keys(after.doors).sort().join("+")}; class ${String(after.outputs.gatewayClass ?? "-")}`,
            );
            before = after;
            objects = next;
        }
        return log;
    }

    it("nginx → Gateway API (app-routing-istio, the default): every production request lands on the live slot at every step", async () => {
        const log = await walk([
            { name: "0. nginx pinned", platform: { gateway: "nginx" }, clients: ["nginx"] },
            { name: "1-2. the Gateway beside ingress-nginx, routes on both", platform: { legacyNginx: true }, clients: ["nginx"] },
            { name: "3. DNS moves (both answer during the TTL)", platform: { legacyNginx: true }, clients: ["nginx", "gateway"] },
            { name: "4. ingress-nginx removed", platform: {}, clients: ["gateway"] },
        ]);
        assert.deepEqual(
            log.map((l) => l.split(";")[1].trim()),
            ["doors nginx", "doors gateway+nginx", "doors gateway+nginx", "doors gateway"],
        );
    });

    it("Envoy Gateway → app-routing-istio, bridged by ingress-nginx while the CRDs change owner: every production request lands on the live slot at every step", async () => {
        const ENVOY = { gateway: "envoy", gatewayApiCrds: "phoenix" };
        const ISTIO = { gateway: "app-routing-istio", gatewayApiCrds: "managed" };
        const log = await walk([
            { name: "0. Envoy Gateway, Phoenix's CRDs", platform: ENVOY, clients: ["gateway"] },
            {
                name: "1. ingress-nginx beside Envoy Gateway, routes on both",
                platform: { ...ENVOY, legacyNginx: true },
                clients: ["gateway"],
            },
            {
                name: "2. DNS moves to ingress-nginx (both answer during the TTL)",
                platform: { ...ENVOY, legacyNginx: true },
                clients: ["gateway", "nginx"],
            },
            { name: "3. Envoy Gateway removed (gateway nginx), then its CRDs deleted", platform: { gateway: "nginx" }, clients: ["nginx"] },
            {
                name: "4. app-routing-istio beside ingress-nginx on AKS-managed CRDs",
                platform: { ...ISTIO, legacyNginx: true },
                clients: ["nginx"],
            },
            {
                name: "5. DNS moves to the new Gateway (both answer during the TTL)",
                platform: { ...ISTIO, legacyNginx: true },
                clients: ["nginx", "gateway"],
            },
            { name: "6. ingress-nginx removed", platform: ISTIO, clients: ["gateway"] },
        ]);
        assert.deepEqual(
            log.map((l) => l.split(";").slice(1).join(";").trim()),
            [
                "doors gateway; class phoenix-envoy",
                "doors gateway+nginx; class phoenix-envoy",
                "doors gateway+nginx; class phoenix-envoy",
                "doors nginx; class -",
                "doors gateway+nginx; class approuting-istio",
                "doors gateway+nginx; class approuting-istio",
                "doors gateway; class approuting-istio",
            ],
        );
    });

    it("the walk fails a step that would drop requests: DNS on the Gateway while Envoy Gateway is replaced by app-routing-istio in place", async () => {
        await assert.rejects(
            walk([
                { name: "0. Envoy Gateway", platform: { gateway: "envoy", gatewayApiCrds: "phoenix" }, clients: ["gateway"] },
                { name: "1. straight to app-routing-istio", platform: {}, clients: ["gateway"] },
            ]),
            /1\. straight to app-routing-istio: the gateway front door clients use is not touched/,
        );
    });
});
