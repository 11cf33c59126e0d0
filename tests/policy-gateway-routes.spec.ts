/**
 * The Gateway API release policies (policy/src/gateway-routes.ts) over what the release stack really
 * registers (stacks/release under the mock runtime, Gateway API platform outputs, several release
 * states) and over broken copies of it: each policy passes every real state and flags exactly the
 * broken input, naming the resource; unknown values during preview reach the SDK; no violation
 * message carries the per-release preview secret.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { validateReleaseState } from "@phoenix/release-model";
import * as gr from "../policy/src/gateway-routes";
import { TYPES } from "../policy/src/define";
import { main } from "../stacks/release/program";
import {
    checkResource,
    checkStack,
    plain,
    policyResource,
    resourceArgs,
    stackArgs,
    UNKNOWN,
    type PolicyOutcome,
} from "./support/policy-harness";
import { MOCK_KUBECONFIG, runProgram, type RegisteredResource } from "./support/pulumi-harness";

type Props = Record<string, unknown>;
interface BackendRef {
    group?: string;
    kind?: string;
    name: string;
    namespace?: string;
    port?: number;
    weight?: number;
}
interface Rule {
    matches?: Array<{ path?: { type?: string; value?: string }; headers?: Array<{ type?: string; name: string; value: string }> }>;
    backendRefs: BackendRef[];
    filters?: unknown[];
}
interface RouteProps {
    metadata: { name: string; namespace: string };
    spec: { rules: Rule[] };
}
interface GrantProps {
    metadata: { name: string; namespace: string };
    spec: { from: Array<{ group: string; kind: string; namespace: string }>; to: Array<{ group: string; kind: string; name?: string }> };
}

const PROJECT_DIR = path.join(__dirname, "..", "stacks", "release");
const HOST = "shop.example.com";
const SECRET = "pv-c2VjcmV0LXByZXZpZXc";
const PLATFORM = {
    kubeconfig: MOCK_KUBECONFIG,
    registryLoginServer: "phoenixshared.azurecr.io",
    host: HOST,
    publicUrl: `http://${HOST}`,
    appInsightsConnectionString: "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://mock/",
    routerKind: "gateway-api",
    gatewayName: "phoenix-gateway",
    gatewayNamespace: "phoenix-gateway",
    gatewayClass: "phoenix-envoy",
    legacyNginx: false,
};

/** Release states the stack is run in; the last carries the per-release secret preview value. */
const STATES: Array<{ label: string; stack: "dev" | "prod"; slots: object; secret?: boolean }> = [
    { label: "blue live only", stack: "dev", slots: { blue: { role: "live", version: "1.4.0", replicas: 2 }, green: { role: "absent" } } },
    {
        label: "blue live + green candidate",
        stack: "dev",
        slots: { blue: { role: "live", version: "1.4.0" }, green: { role: "candidate", version: "1.5.0", replicas: 1 } },
    },
    {
        label: "green live + blue standby",
        stack: "prod",
        slots: { blue: { role: "standby", version: "1.4.0" }, green: { role: "live", version: "1.5.0" } },
    },
    {
        label: "green live + blue candidate, secret preview value",
        stack: "prod",
        secret: true,
        slots: { blue: { role: "candidate", version: "1.6.0" }, green: { role: "live", version: "1.5.0" } },
    },
];

const runs = new Map<string, RegisteredResource[]>();
async function registered(label: string): Promise<RegisteredResource[]> {
    const cached = runs.get(label);
    if (cached) return cached;
    const s = STATES.find((x) => x.label === label) ?? assert.fail(label);
    const r = await runProgram({
        projectDir: PROJECT_DIR,
        stack: s.stack,
        configOverrides: {
            state: JSON.stringify(validateReleaseState({ slots: s.slots } as never)),
            ...(s.secret ? { previewHeaderValue: SECRET } : {}),
        },
        secretKeys: s.secret ? ["previewHeaderValue"] : [],
        captureStackTraces: false,
        hooks: { newResource: (a) => (a.type === "pulumi:pulumi:StackReference" ? { outputs: PLATFORM } : undefined) },
        program: main,
    });
    runs.set(label, r.resources);
    return r.resources;
}

/** What the analyzer hands a stack policy: every resource's (unwrapped) state. */
function view(resources: RegisteredResource[], preview = false): PolicyResource[] {
    return resources.map((r) =>
        policyResource(
            { type: r.type, name: r.name, urn: r.urn, props: plain(r.state) as Props },
            { stack: "dev", project: "phoenix-release", preview },
        ),
    );
}
const stack = (p: StackValidationPolicy, rs: RegisteredResource[], preview = false) => checkStack(p, stackArgs(view(rs, preview)));
async function perResource(p: ResourceValidationPolicy, rs: RegisteredResource[]): Promise<Array<PolicyOutcome & { name: string }>> {
    const out: Array<PolicyOutcome & { name: string }> = [];
    for (const r of rs)
        out.push({
            name: r.name,
            ...(await checkResource(p, resourceArgs({ type: r.type, name: r.name, urn: r.urn, props: plain(r.inputs) as Props }))),
        });
    return out;
}

/** A deep copy with `mutate` applied to the inputs and state of the one resource named `name` (e.g. `router-production`). */
function broken<T>(rs: RegisteredResource[], name: string, mutate: (props: T) => void): RegisteredResource[] {
    let hit = 0;
    const copy = rs.map((r) => {
        const c = JSON.parse(JSON.stringify({ ...r, inputs: plain(r.inputs), state: plain(r.state) })) as RegisteredResource;
        if (c.name === name) {
            hit++;
            mutate(c.inputs as T);
            mutate(c.state as T);
        }
        return c;
    });
    assert.equal(hit, 1, `exactly one resource named ${name}`);
    return copy;
}
const without = (rs: RegisteredResource[], name: string) => {
    assert.ok(
        rs.some((r) => r.name === name),
        name,
    );
    return rs.filter((r) => r.name !== name);
};
const rulesOf = (p: RouteProps) => p.spec.rules;
const messages = (o: PolicyOutcome) => o.violations.map((v) => v.message);

const STACK_POLICIES = [
    gr.gatewayWeightOnReadySlot,
    gr.gatewayProductionRouteBothSlots,
    gr.gatewayPreviewRouteSeparate,
    gr.gatewayNoAllZeroRule,
    gr.gatewayReferenceGrantForCrossNamespaceBackend,
    gr.gatewaySupportedRouteFeatures,
];

describe("policy pack: Gateway API release policies", function () {
    this.timeout(30000);

    it("the release stack's routes and grants, in every state, pass every gateway route policy", async () => {
        for (const s of STATES) {
            const rs = await registered(s.label);
            const kinds = rs
                .filter((r) => r.type === TYPES.httpRoute || r.type === TYPES.referenceGrant)
                .map((r) => r.name)
                .sort();
            assert.deepEqual(
                kinds,
                [
                    "router-grant-blue",
                    "router-grant-green",
                    ...(s.label.includes("candidate") ? ["router-preview"] : []),
                    "router-production",
                ],
                s.label,
            );
            for (const p of STACK_POLICIES) assert.deepEqual(await stack(p, rs), { violations: [] }, `${p.name}: ${s.label}`);
            for (const o of await perResource(gr.gatewayRouteObjectsAdmitted, rs))
                assert.deepEqual(o.violations, [], `${o.name}: ${s.label}`);
        }
    });

    describe("gateway-weight-on-ready-slot (mandatory): the readiness rule as far as a preview sees it", () => {
        it("flags production weight on a slot whose release runs no replica, and one whose release does not wait for its pods", async () => {
            const zero = broken<{ values: { replicaCount: number } }>(
                await registered("green live + blue standby"),
                "green-release",
                (p) => {
                    p.values.replicaCount = 0;
                },
            );
            const out = await stack(gr.gatewayWeightOnReadySlot, zero);
            assert.deepEqual(messages(out), [
                "production HTTPRoute calculator-routes/calculator-production gives 100 % of production to green-calculator/green-calculator: green has no ready endpoints (0 of 0), so 100 % of production would fail.",
            ]);
            assert.match(out.violations[0].urn ?? "", /Release::green-release$/);
            const noWait = broken<{ skipAwait?: boolean }>(await registered("blue live only"), "blue-release", (p) => {
                p.skipAwait = true;
            });
            assert.match(
                messages(await stack(gr.gatewayWeightOnReadySlot, noWait)).join(),
                /gives 100 % of production to blue-calculator\/blue-calculator, whose release has skipAwait: true/,
            );
        });
        it("flags weight on a slot the stack has no release for; a slot at weight 0 may run nothing", async () => {
            const gone = without(await registered("green live + blue standby"), "green-release");
            assert.match(messages(await stack(gr.gatewayWeightOnReadySlot, gone)).join(), /green has no Helm release in this stack/);
            const standbyZero = broken<{ values: { replicaCount: number } }>(
                await registered("green live + blue standby"),
                "blue-release",
                (p) => {
                    p.values.replicaCount = 0;
                },
            );
            assert.deepEqual(await stack(gr.gatewayWeightOnReadySlot, standbyZero), { violations: [] });
        });
    });

    describe("gateway-production-route-both-slots (mandatory)", () => {
        it("flags a production rule that lost a slot Service, naming the slot", async () => {
            const rs = broken<RouteProps>(await registered("blue live + green candidate"), "router-production", (p) => {
                rulesOf(p)[0].backendRefs.splice(1, 1);
            });
            const out = await stack(gr.gatewayProductionRouteBothSlots, rs);
            assert.deepEqual(messages(out), [
                "production HTTPRoute calculator-routes/calculator-production rule 0 does not list the green slot Service (green-calculator/green-calculator); both slots must be listed at all times and only their weights change.",
            ]);
            assert.match(out.violations[0].urn ?? "", /HTTPRoute::router-production$/);
        });
        it("flags a backend swapped for another Service (a renamed backend rebuilds the proxy's clusters)", async () => {
            const rs = broken<RouteProps>(await registered("green live + blue standby"), "router-production", (p) => {
                rulesOf(p)[0].backendRefs[0].name = "blue-calculator-v2";
            });
            assert.match(messages(await stack(gr.gatewayProductionRouteBothSlots, rs)).join(), /does not list the blue slot Service/);
        });
        it("flags a second rule in the production route, and a missing production route", async () => {
            const twoRules = broken<RouteProps>(await registered("blue live only"), "router-production", (p) => {
                rulesOf(p).push(JSON.parse(JSON.stringify(rulesOf(p)[0])) as Rule);
            });
            assert.deepEqual(messages(await stack(gr.gatewayProductionRouteBothSlots, twoRules)), [
                "production HTTPRoute calculator-routes/calculator-production has 2 rules; expected exactly one (adding, removing or reordering rules renames the proxy's clusters).",
            ]);
            const gone = without(await registered("blue live + green candidate"), "router-production");
            const out = await stack(gr.gatewayProductionRouteBothSlots, gone);
            assert.deepEqual(messages(out), [
                "app calculator has routes in calculator-routes but no production HTTPRoute calculator-production: production requests get 404.",
            ]);
            assert.match(out.violations[0].urn ?? "", /HTTPRoute::router-preview$/);
        });
        it("recognises the production route by the model's names only", () => {
            assert.equal(gr.productionRouteApp({ namespace: "calculator-routes", name: "calculator-production" }), "calculator");
            for (const r of [
                { namespace: "calculator-routes", name: "calculator-preview" },
                { namespace: "calculator", name: "calculator-production" },
                { namespace: "shop-routes", name: "calculator-production" },
                { namespace: "-routes", name: "-production" },
            ]) {
                assert.equal(gr.productionRouteApp(r), undefined, JSON.stringify(r));
            }
        });
    });

    describe("gateway-preview-route-separate (mandatory)", () => {
        it("flags a preview rule moved into the production route", async () => {
            const base = await registered("blue live + green candidate");
            const previewRule = (plain(base.find((r) => r.name === "router-preview")!.state) as RouteProps).spec.rules[0];
            const rs = broken<RouteProps>(without(base, "router-preview"), "router-production", (p) => {
                rulesOf(p).unshift(previewRule);
            });
            const out = await stack(gr.gatewayPreviewRouteSeparate, rs);
            assert.deepEqual(messages(out), [
                "production HTTPRoute calculator-routes/calculator-production carries preview rule 0 (header matches); move them to a preview HTTPRoute of their own.",
            ]);
        });
        it("flags a preview route that also holds a production rule (no header), and passes a preview-only route", async () => {
            const base = await registered("blue live + green candidate");
            const rs = broken<RouteProps>(base, "router-preview", (p) => {
                rulesOf(p).push({
                    matches: [{ path: { type: "PathPrefix", value: "/" } }],
                    backendRefs: [{ name: "blue-calculator", namespace: "blue-calculator", port: 80 }],
                });
            });
            assert.deepEqual(messages(await stack(gr.gatewayPreviewRouteSeparate, rs)), [
                "HTTPRoute calculator-routes/calculator-preview mixes preview rules 0 (header matches) with production rules; a preview route holds preview rules only.",
            ]);
        });
        it("never quotes the secret header value", async () => {
            const base = await registered("green live + blue candidate, secret preview value");
            assert.ok(JSON.stringify(base.map((r) => plain(r.state))).includes(SECRET), "the fixture carries the secret");
            const previewRule = (plain(base.find((r) => r.name === "router-preview")!.state) as RouteProps).spec.rules[0];
            const rs = broken<RouteProps>(base, "router-production", (p) => {
                rulesOf(p).push(previewRule);
            });
            const out = await stack(gr.gatewayPreviewRouteSeparate, rs);
            assert.equal(out.violations.length, 1);
            assert.ok(!JSON.stringify(out).includes(SECRET));
        });
    });

    describe("gateway-no-all-zero-rule (mandatory)", () => {
        it("flags a production rule whose weights are all 0", async () => {
            const rs = broken<RouteProps>(await registered("green live + blue standby"), "router-production", (p) => {
                for (const b of rulesOf(p)[0].backendRefs) b.weight = 0;
            });
            const out = await stack(gr.gatewayNoAllZeroRule, rs);
            assert.deepEqual(messages(out), [
                "HTTPRoute calculator-routes/calculator-production rule 0 gives every backend weight 0 (refused: implementations disagree): every request it matches fails.",
            ]);
            assert.match(out.violations[0].urn ?? "", /HTTPRoute::router-production$/);
        });
        it("flags a preview rule without backends and a lone weight-0 backend, never quoting the secret; an unset weight counts as 1", async () => {
            const base = await registered("green live + blue candidate, secret preview value");
            const empty = broken<RouteProps>(base, "router-preview", (p) => {
                rulesOf(p)[0].backendRefs = [];
            });
            const out = await stack(gr.gatewayNoAllZeroRule, empty);
            assert.deepEqual(messages(out), [
                "HTTPRoute calculator-routes/calculator-preview rule 0 has no backends: every request it matches fails.",
            ]);
            assert.ok(!JSON.stringify(out).includes(SECRET));
            const zero = broken<RouteProps>(base, "router-preview", (p) => {
                rulesOf(p)[0].backendRefs[0].weight = 0;
            });
            assert.equal((await stack(gr.gatewayNoAllZeroRule, zero)).violations.length, 1);
            const unset = broken<RouteProps>(base, "router-preview", (p) => {
                delete rulesOf(p)[0].backendRefs[0].weight;
            });
            assert.deepEqual(await stack(gr.gatewayNoAllZeroRule, unset), { violations: [] });
        });
    });

    describe("gateway-reference-grant-for-cross-namespace-backend (mandatory)", () => {
        it("flags the slot whose ReferenceGrant is missing, once per backend", async () => {
            const rs = without(await registered("blue live + green candidate"), "router-grant-blue");
            const out = await stack(gr.gatewayReferenceGrantForCrossNamespaceBackend, rs);
            assert.deepEqual(messages(out), [
                "HTTPRoute calculator-routes/calculator-production references Service blue-calculator/blue-calculator in another namespace and no ReferenceGrant of this stack in blue-calculator allows it: its share of requests gets 500.",
            ]);
            const green = without(await registered("blue live + green candidate"), "router-grant-green");
            assert.deepEqual(
                (await stack(gr.gatewayReferenceGrantForCrossNamespaceBackend, green)).violations
                    .map((v) => v.urn?.split("::").pop())
                    .sort(),
                ["router-preview", "router-production"],
            );
        });
        it("flags a grant for another Service name and a grant from another namespace; an unnamed grant admits every Service", async () => {
            const base = await registered("blue live only");
            const cases: Array<[string, (g: GrantProps) => void, number]> = [
                [
                    "another Service",
                    (g) => {
                        g.spec.to[0].name = "blue-calculator-old";
                    },
                    1,
                ],
                [
                    "another namespace",
                    (g) => {
                        g.spec.from[0].namespace = "other-routes";
                    },
                    1,
                ],
                [
                    "another kind",
                    (g) => {
                        g.spec.from[0].kind = "GRPCRoute";
                    },
                    1,
                ],
                [
                    "the wrong namespace",
                    (g) => {
                        g.metadata.namespace = "calculator-routes";
                    },
                    1,
                ],
                [
                    "every Service",
                    (g) => {
                        delete g.spec.to[0].name;
                    },
                    0,
                ],
            ];
            for (const [label, mutate, n] of cases) {
                const out = await stack(
                    gr.gatewayReferenceGrantForCrossNamespaceBackend,
                    broken<GrantProps>(base, "router-grant-blue", mutate),
                );
                assert.equal(out.violations.length, n, `${label}: ${JSON.stringify(out)}`);
            }
        });
        it("a backend in the route's own namespace needs no grant", async () => {
            const rs = broken<RouteProps>(
                without(without(await registered("blue live only"), "router-grant-blue"), "router-grant-green"),
                "router-production",
                (p) => {
                    for (const b of rulesOf(p)[0].backendRefs) b.namespace = "calculator-routes";
                },
            );
            assert.deepEqual(await stack(gr.gatewayReferenceGrantForCrossNamespaceBackend, rs), { violations: [] });
        });
    });

    describe("gateway-route-objects-admitted (mandatory)", () => {
        const only = async (rs: RegisteredResource[]) =>
            (await perResource(gr.gatewayRouteObjectsAdmitted, rs))
                .filter((o) => o.violations.length > 0)
                .map((o) => [o.name, ...messages(o)]);
        it("flags a Service backend without a port, an unclean path, a weight out of range and an empty grant, each on its own resource", async () => {
            const base = await registered("blue live + green candidate");
            assert.deepEqual(
                await only(
                    broken<RouteProps>(base, "router-production", (p) => {
                        delete rulesOf(p)[0].backendRefs[1].port;
                    }),
                ),
                [
                    [
                        "router-production",
                        "HTTPRoute calculator-routes/calculator-production: rule 0: backend Service green-calculator has no port [Must have port for Service reference (backendRef: `(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true`)].",
                    ],
                ],
            );
            assert.match(
                JSON.stringify(
                    await only(
                        broken<RouteProps>(base, "router-preview", (p) => {
                            rulesOf(p)[0].matches![0].path!.value = "/a//b";
                        }),
                    ),
                ),
                /router-preview.*is not a clean absolute path/,
            );
            assert.match(
                JSON.stringify(
                    await only(
                        broken<RouteProps>(base, "router-production", (p) => {
                            rulesOf(p)[0].backendRefs[0].weight = 1_000_001;
                        }),
                    ),
                ),
                /weight 1000001 is outside 0..1000000/,
            );
            assert.match(
                JSON.stringify(
                    await only(
                        broken<GrantProps>(base, "router-grant-green", (g) => {
                            g.spec.from = [];
                        }),
                    ),
                ),
                /router-grant-green.*from has 0 entries/,
            );
        });
        it("follows the CRD's CEL exactly: 128 matches in a route are admitted (rule `<= 128`), 129 are not; a RegularExpression path is not held to the Exact/PathPrefix path rules", async () => {
            const base = await registered("blue live only");
            const withMatches = (n: number) =>
                broken<RouteProps>(base, "router-production", (p) => {
                    const rule = rulesOf(p)[0];
                    rulesOf(p).splice(
                        0,
                        1,
                        ...[0, 1].map((r) => ({
                            ...rule,
                            matches: Array.from({ length: r === 0 ? 64 : n - 64 }, (_, i) => ({
                                path: { type: "PathPrefix", value: `/p${r}-${i}` },
                            })),
                        })),
                    );
                });
            assert.deepEqual(await only(withMatches(128)), []);
            assert.match(JSON.stringify(await only(withMatches(129))), /2 rules with 129 matches/);
            const regex = broken<RouteProps>(base, "router-production", (p) => {
                rulesOf(p)[0].matches![0].path = { type: "RegularExpression", value: "^/api/.*$" };
            });
            assert.deepEqual(await only(regex), []);
        });
    });

    describe("gateway-supported-route-features (advisory)", () => {
        it("flags a route the model cannot read (a filter, a RegularExpression match); the mandatory route policies skip it rather than guess", async () => {
            const rs = broken<RouteProps>(await registered("blue live only"), "router-production", (p) => {
                rulesOf(p)[0].filters = [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x", value: "1" }] } }];
            });
            assert.deepEqual(messages(await stack(gr.gatewaySupportedRouteFeatures, rs)), [
                "HTTPRoute calculator-routes/calculator-production rule 0: filters are not modelled.",
            ]);
            const regex = broken<RouteProps>(await registered("blue live + green candidate"), "router-preview", (p) => {
                rulesOf(p)[0].matches![0].headers![0].type = "RegularExpression";
            });
            assert.match(
                messages(await stack(gr.gatewaySupportedRouteFeatures, regex)).join(),
                /calculator-preview: header match type RegularExpression is implementation-specific/,
            );
            for (const p of [gr.gatewayProductionRouteBothSlots, gr.gatewayNoAllZeroRule])
                assert.deepEqual(await stack(p, rs), { violations: [] }, p.name);
            assert.equal(gr.gatewaySupportedRouteFeatures.enforcementLevel, "advisory");
        });
    });

    it("during preview an unknown weight or grant reaches the SDK (downgraded), never passes silently", async () => {
        const weight = broken<RouteProps>(await registered("blue live only"), "router-production", (p) => {
            (rulesOf(p)[0].backendRefs[0] as unknown as Props).weight = UNKNOWN.number;
        });
        for (const p of [gr.gatewayNoAllZeroRule, gr.gatewayProductionRouteBothSlots]) {
            const out = await stack(p, weight, true);
            assert.match(out.unknown ?? "", /can't be known during preview/, p.name);
            assert.equal(out.violations.length, 0);
        }
        const grant = broken<GrantProps>(await registered("blue live only"), "router-grant-blue", (g) => {
            (g.spec.to[0] as Props).name = UNKNOWN.string;
        });
        assert.match(
            (await stack(gr.gatewayReferenceGrantForCrossNamespaceBackend, grant, true)).unknown ?? "",
            /can't be known during preview/,
        );
    });
});
