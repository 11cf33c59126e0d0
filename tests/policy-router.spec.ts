/**
 * The router's stack policies over Ingress + Helm release sets, with full StackValidationArgs.
 * Fixtures follow docs/contracts.md: main Ingress → blue Service, canary Ingress → green.
 */
import { strict as assert } from "assert";
import type { StackValidationPolicy } from "@pulumi/policy";
import * as router from "../policy/src/router";
import { TYPES } from "../policy/src/define";
import { ArgsContext, checkStack, policyResource, stackArgs, UNKNOWN } from "./support/policy-harness";

type Props = Record<string, unknown>;
const A = "nginx.ingress.kubernetes.io/";
const HOST = "phoenix-dev.westeurope.cloudapp.azure.com";

interface IngressOpts {
    canary?: string;
    weight?: string;
    host?: string;
    path?: string;
    pathType?: string;
    service?: string;
    ingressClassName?: string;
    annotations?: Record<string, string>;
}

function ingress(name: string, ns: string, o: IngressOpts = {}): { type: string; name: string; props: Props } {
    const annotations: Record<string, string> = { ...(o.annotations ?? {}) };
    if (o.canary !== undefined) annotations[`${A}canary`] = o.canary;
    if (o.weight !== undefined) annotations[`${A}canary-weight`] = o.weight;
    return {
        type: TYPES.ingress,
        name,
        props: {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: { name, namespace: ns, annotations },
            spec: {
                ingressClassName: o.ingressClassName ?? "nginx",
                rules: [
                    {
                        host: o.host ?? HOST,
                        http: {
                            paths: [
                                {
                                    path: o.path ?? "/",
                                    pathType: o.pathType ?? "Prefix",
                                    backend: { service: { name: o.service ?? ns, port: { number: 80 } } },
                                },
                            ],
                        },
                    },
                ],
            },
        },
    };
}

function release(name: string, replicaCount: unknown): { type: string; name: string; props: Props } {
    return {
        type: TYPES.helmRelease,
        name,
        props: {
            name,
            namespace: name,
            chart: "oci://acr.azurecr.io/helm/calculator",
            version: "1.0.0",
            atomic: true,
            values: { replicaCount, slot: name.split("-")[0], image: { tag: "1.0.0" } },
        },
    };
}

type R = ReturnType<typeof ingress>;

/** The release stack's steady state: blue live (weight 0), green candidate behind the header. */
function compliant(): R[] {
    return [
        release("blue-calculator", 2),
        release("green-calculator", 1),
        ingress("calculator-main", "blue-calculator", { canary: "false" }),
        ingress("calculator-canary", "green-calculator", {
            canary: "true",
            weight: "0",
            annotations: { [`${A}canary-by-header`]: "canary" },
        }),
    ];
}

function check(policy: StackValidationPolicy, rs: R[], ctx: ArgsContext = {}) {
    const resources = rs.map((r) => policyResource(r, { stack: "dev", project: "phoenix-release", ...ctx }));
    return checkStack(policy, stackArgs(resources, { stackTags: { environment: "dev" }, ...ctx }));
}

const ALL = router.routerPolicies;

describe("policy pack: router stack policies", () => {
    it("the contract's router (main → blue, canary → green, explicit annotations, weight 0/100) passes every router policy", async () => {
        for (const weight of ["0", "100"]) {
            const rs = compliant();
            ((rs[3].props.metadata as Props).annotations as Record<string, string>)[`${A}canary-weight`] = weight;
            for (const p of ALL) assert.deepEqual(await check(p, rs), { violations: [] }, `${p.name} weight ${weight}`);
        }
    });

    it("router-single-canary-per-host-path: a second canary for the same host/path is one violation, on the newer Ingress", async () => {
        const rs = [...compliant(), ingress("calculator-canary-2", "green-calculator", { canary: "true", weight: "50" })];
        const out = await check(router.routerSingleCanary, rs);
        assert.equal(out.violations.length, 1);
        assert.match(out.violations[0].message, /calculator-canary-2 duplicates canary green-calculator\/calculator-canary/);
        assert.equal(
            out.violations[0].urn,
            "urn:pulumi:dev::phoenix-release::kubernetes:networking.k8s.io/v1:Ingress::calculator-canary-2",
        );
        // Host case and a trailing dot are the same host to nginx (the model's normalisation).
        const sameHost = [...compliant(), ingress("c2", "green-calculator", { canary: "true", host: `${HOST.toUpperCase()}.` })];
        assert.equal((await check(router.routerSingleCanary, sameHost)).violations.length, 1);
        // Another path, another pathType or another class is another location.
        for (const o of [{ path: "/api" }, { pathType: "Exact" }, { ingressClassName: "other" }]) {
            const rs2 = [...compliant(), ingress("c3", "green-calculator", { canary: "true", ...o })];
            assert.equal((await check(router.routerSingleCanary, rs2)).violations.length, 0, JSON.stringify(o));
        }
    });

    it("router-canary-has-main: a canary without a main Ingress at its host/path is a violation (404 for everyone)", async () => {
        const noMain = compliant().filter((r) => r.name !== "calculator-main");
        const out = await check(router.routerCanaryHasMain, noMain);
        assert.equal(out.violations.length, 1);
        assert.match(out.violations[0].message, /no main Ingress .* 404/);
        const wrongPathType = compliant().map((r) =>
            r.name === "calculator-main" ? ingress("calculator-main", "blue-calculator", { canary: "false", pathType: "Exact" }) : r,
        );
        assert.equal((await check(router.routerCanaryHasMain, wrongPathType)).violations.length, 1);
    });

    it("router-explicit-canary-annotation: a missing or unparseable canary annotation is a violation", async () => {
        const missing = compliant().map((r) => (r.name === "calculator-main" ? ingress("calculator-main", "blue-calculator") : r));
        const out = await check(router.routerExplicitCanaryAnnotation, missing);
        assert.equal(out.violations.length, 1);
        assert.match(
            out.violations[0].message,
            /blue-calculator\/calculator-main .* has no nginx.ingress.kubernetes.io\/canary annotation/,
        );
        const garbled = compliant().map((r) =>
            r.name === "calculator-main" ? ingress("calculator-main", "blue-calculator", { canary: "no" }) : r,
        );
        assert.match(
            (await check(router.routerExplicitCanaryAnnotation, garbled)).violations[0].message,
            /canary is "no"; expected "true" or "false"/,
        );
        const badPathType = [...compliant(), ingress("odd", "blue-calculator", { canary: "false", pathType: "Regex", path: "/x" })];
        assert.match(
            (await check(router.routerExplicitCanaryAnnotation, badPathType)).violations[0].message,
            /cannot be read as routing rules: .*unsupported pathType Regex/,
        );
        const otherClass = [...compliant(), ingress("traefik", "blue-calculator", { ingressClassName: "traefik" })];
        assert.equal(
            (await check(router.routerExplicitCanaryAnnotation, otherClass)).violations.length,
            0,
            "other controllers' Ingresses are out of scope",
        );
    });

    it("router-canary-weight-range: weights are integers 0..100 (0..total)", async () => {
        const withWeight = (weight: string, extra: Record<string, string> = {}) =>
            compliant().map((r) =>
                r.name === "calculator-canary"
                    ? ingress("calculator-canary", "green-calculator", { canary: "true", weight, annotations: extra })
                    : r,
            );
        for (const w of ["0", "1", "50", "100"])
            assert.equal((await check(router.routerCanaryWeightRange, withWeight(w))).violations.length, 0, w);
        for (const w of ["101", "-1", "12.5", "abc", ""]) {
            const out = await check(router.routerCanaryWeightRange, withWeight(w));
            assert.equal(out.violations.length, 1, w);
            assert.match(out.violations[0].message, /canary-weight is .*; expected an integer from 0 to 100/);
        }
        assert.equal(
            (await check(router.routerCanaryWeightRange, withWeight("20", { [`${A}canary-weight-total`]: "10" }))).violations.length,
            1,
            "weight above its total",
        );
        assert.equal(
            (await check(router.routerCanaryWeightRange, withWeight("5", { [`${A}canary-weight-total`]: "0" }))).violations.length,
            1,
            "non-positive total",
        );
    });

    it("router-main-slot-replicas: the release behind the main Ingress must keep ≥ 1 replica and must exist", async () => {
        const drained = compliant().map((r) => (r.name === "blue-calculator" ? release("blue-calculator", 0) : r));
        const out = await check(router.routerMainSlotReplicas, drained);
        assert.equal(out.violations.length, 1);
        assert.match(
            out.violations[0].message,
            /main-side release blue-calculator\/blue-calculator has values.replicaCount 0; expected at least 1/,
        );
        assert.equal(out.violations[0].urn, "urn:pulumi:dev::phoenix-release::kubernetes:helm.sh/v3:Release::blue-calculator");
        const greenDrained = compliant().map((r) => (r.name === "green-calculator" ? release("green-calculator", 0) : r));
        assert.equal((await check(router.routerMainSlotReplicas, greenDrained)).violations.length, 0, "the canary side may scale to zero");
        const gone = compliant().filter((r) => r.name !== "blue-calculator");
        assert.match(
            (await check(router.routerMainSlotReplicas, gone)).violations[0].message,
            /which no Helm release in this stack provides/,
        );
        assert.equal((await check(router.routerMainSlotReplicas, compliant(), { config: { minReplicas: 3 } })).violations.length, 1);
    });

    it("router-supported-annotations (advisory) flags annotations the routing model does not interpret", async () => {
        const rs = compliant().map((r) =>
            r.name === "calculator-canary"
                ? ingress("calculator-canary", "green-calculator", {
                      canary: "true",
                      annotations: { [`${A}canary-by-header-pattern`]: "^yes$" },
                  })
                : r,
        );
        assert.equal((await check(router.routerSupportedAnnotations, rs)).violations.length, 1);
    });

    it("during preview an unknown annotation downgrades the check (SDK UnknownValueError), it never crashes or passes silently", async () => {
        const rs = compliant();
        ((rs[3].props.metadata as Props).annotations as Record<string, string>)[`${A}canary-weight`] = UNKNOWN.string;
        const out = await check(router.routerCanaryWeightRange, rs, { preview: true });
        assert.match(out.unknown ?? "", /can't be known during preview/);
        assert.equal(out.violations.length, 0);
    });
});
