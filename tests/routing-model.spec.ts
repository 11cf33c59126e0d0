/**
 * One test per ingress-nginx canary rule (traffic-routing.md), against the nginx router model
 * (`@phoenix/release-model`, routers/nginx).
 */
import { strict as assert } from "assert";
import { nginx } from "@phoenix/release-model";

const {
    ANNOTATIONS,
    admitIngress,
    describeOutcomes,
    routeDistribution,
    routePreview,
    routeProduction,
    routeRequest,
    rulesFromKubernetesIngress,
    serviceKey,
    soleService,
} = nginx;
type IngressRule = nginx.IngressRule;
type KubernetesIngressLike = nginx.KubernetesIngressLike;
type ReadyEndpoints = nginx.ReadyEndpoints;
type RouteOutcome = nginx.RouteOutcome;

const HOST = "calc.example.com";
const BLUE = { namespace: "blue-calculator", name: "blue-calculator" };
const GREEN = { namespace: "green-calculator", name: "green-calculator" };

function main(extra: Record<string, string> = {}, over: Partial<IngressRule> = {}): IngressRule {
    return {
        namespace: BLUE.namespace,
        name: "calculator",
        creationOrder: 1,
        ingressClassName: "nginx",
        host: HOST,
        path: "/",
        pathType: "Prefix",
        annotations: { [ANNOTATIONS.canary]: "false", ...extra },
        backend: BLUE,
        ...over,
    };
}
function canary(extra: Record<string, string> = {}, over: Partial<IngressRule> = {}): IngressRule {
    return {
        namespace: GREEN.namespace,
        name: "calculator",
        creationOrder: 2,
        ingressClassName: "nginx",
        host: HOST,
        path: "/",
        pathType: "Prefix",
        annotations: { [ANNOTATIONS.canary]: "true", [ANNOTATIONS.canaryByHeader]: "canary", ...extra },
        backend: GREEN,
        ...over,
    };
}
const BOTH_READY: ReadyEndpoints = { [serviceKey(BLUE)]: 2, [serviceKey(GREEN)]: 2 };

function served(o: RouteOutcome): string {
    return o.kind === "served" ? serviceKey(o.service) : `error ${o.status}`;
}
/** Routes the request for a spread of weight draws and returns the set of destinations. */
function destinations(
    rules: IngressRule[],
    eps: ReadyEndpoints,
    req: { headers?: Record<string, string>; cookies?: Record<string, string>; path?: string; host?: string },
): Set<string> {
    const out = new Set<string>();
    for (let i = 0; i < 100; i++) {
        out.add(
            served(
                routeRequest(rules, eps, {
                    host: req.host ?? HOST,
                    path: req.path ?? "/",
                    headers: req.headers,
                    cookies: req.cookies,
                    random: i / 100,
                }),
            ),
        );
    }
    return out;
}
const only = (...s: string[]) => new Set(s);
const B = serviceKey(BLUE);
const G = serviceKey(GREEN);

describe("routing model (ingress-nginx canary rules)", () => {
    it("no main Ingress for the host/path: 404 for everyone, even with canary: always", () => {
        const rules = [canary({ [ANNOTATIONS.canaryWeight]: "100" })];
        assert.deepEqual(destinations(rules, BOTH_READY, { headers: { canary: "always" } }), only("error 404"));
        assert.deepEqual(destinations(rules, BOTH_READY, {}), only("error 404"));
        // and a main for another host does not help
        assert.deepEqual(
            destinations([main({}, { host: "other.example.com" }), ...rules], BOTH_READY, { headers: { canary: "always" } }),
            only("error 404"),
        );
    });

    it("main Service with zero ready endpoints: 503 for all traffic, including canary: always and weight 100", () => {
        const rules = [main(), canary({ [ANNOTATIONS.canaryWeight]: "100" })];
        const eps = { [G]: 3 };
        assert.deepEqual(destinations(rules, eps, {}), only("error 503"));
        assert.deepEqual(destinations(rules, eps, { headers: { canary: "always" } }), only("error 503"));
        // sanity: with one ready main endpoint the same requests reach green
        assert.deepEqual(destinations(rules, { ...eps, [B]: 1 }, { headers: { canary: "always" } }), only(G));
    });

    it("canary Service with zero ready endpoints: header and weight requests silently go to main", () => {
        const rules = [main(), canary({ [ANNOTATIONS.canaryWeight]: "100" })];
        const eps = { [B]: 2, [G]: 0 };
        assert.deepEqual(destinations(rules, eps, { headers: { canary: "always" } }), only(B));
        assert.deepEqual(destinations(rules, eps, {}), only(B));
        const o = routeRequest(rules, eps, { host: HOST, path: "/", headers: { canary: "always" }, random: 0 });
        assert.equal(o.kind, "served");
        assert.equal(o.kind === "served" && o.reason, "canary-has-no-endpoints");
    });

    it("precedence: header before cookie before weight", () => {
        const rules = [main(), canary({ [ANNOTATIONS.canaryByCookie]: "preview", [ANNOTATIONS.canaryWeight]: "100" })];
        // header never beats cookie always and weight 100
        assert.deepEqual(destinations(rules, BOTH_READY, { headers: { canary: "never" }, cookies: { preview: "always" } }), only(B));
        // cookie never beats weight 100
        assert.deepEqual(destinations(rules, BOTH_READY, { cookies: { preview: "never" } }), only(B));
        // an unrecognised header value falls through to the cookie
        const rules0 = [main(), canary({ [ANNOTATIONS.canaryByCookie]: "preview", [ANNOTATIONS.canaryWeight]: "0" })];
        assert.deepEqual(destinations(rules0, BOTH_READY, { headers: { canary: "maybe" }, cookies: { preview: "always" } }), only(G));
        // header always beats cookie never
        assert.deepEqual(destinations(rules0, BOTH_READY, { headers: { canary: "always" }, cookies: { preview: "never" } }), only(G));
    });

    it("canary-by-header: always → canary, never → main, other values fall through; name case-insensitive, value case-sensitive", () => {
        const w0 = [main(), canary({ [ANNOTATIONS.canaryWeight]: "0" })];
        const w100 = [main(), canary({ [ANNOTATIONS.canaryWeight]: "100" })];
        assert.deepEqual(destinations(w0, BOTH_READY, { headers: { CaNaRy: "always" } }), only(G));
        assert.deepEqual(destinations(w100, BOTH_READY, { headers: { CANARY: "never" } }), only(B));
        assert.deepEqual(destinations(w0, BOTH_READY, { headers: { canary: "Always" } }), only(B), "value compare is case-sensitive");
        assert.deepEqual(
            destinations(w100, BOTH_READY, { headers: { canary: "NEVER" } }),
            only(G),
            "NEVER is not never: falls through to weight",
        );
    });

    it("canary-by-header-value: the exact value reaches the canary, any other value (never included) falls through", () => {
        const secret = "s3cr3t-Preview-Value";
        const w0 = [main(), canary({ [ANNOTATIONS.canaryByHeaderValue]: secret, [ANNOTATIONS.canaryWeight]: "0" })];
        const w100 = [main(), canary({ [ANNOTATIONS.canaryByHeaderValue]: secret, [ANNOTATIONS.canaryWeight]: "100" })];
        assert.deepEqual(destinations(w0, BOTH_READY, { headers: { canary: secret } }), only(G));
        assert.deepEqual(destinations(w0, BOTH_READY, { headers: { canary: secret.toLowerCase() } }), only(B));
        assert.deepEqual(destinations(w0, BOTH_READY, { headers: { canary: "always" } }), only(B), "always is not the value");
        assert.deepEqual(destinations(w100, BOTH_READY, { headers: { canary: "never" } }), only(G), "never loses its meaning");
    });

    it("canary-by-cookie: always → canary, never → main, other values fall through to weight", () => {
        const rules = [main(), canary({ [ANNOTATIONS.canaryByCookie]: "preview", [ANNOTATIONS.canaryWeight]: "0" })];
        assert.deepEqual(destinations(rules, BOTH_READY, { cookies: { preview: "always" } }), only(G));
        assert.deepEqual(destinations(rules, BOTH_READY, { cookies: { preview: "yes" } }), only(B));
        const w100 = [main(), canary({ [ANNOTATIONS.canaryByCookie]: "preview", [ANNOTATIONS.canaryWeight]: "100" })];
        assert.deepEqual(destinations(w100, BOTH_READY, { cookies: { preview: "never" } }), only(B));
        assert.deepEqual(destinations(w100, BOTH_READY, { cookies: { Preview: "never" } }), only(G), "cookie names are case-sensitive");
    });

    it("canary-weight with canary-weight-total: share of draws, 0 never and total always", () => {
        const at = (w: string, total?: string) => [
            main(),
            canary({ [ANNOTATIONS.canaryWeight]: w, ...(total ? { [ANNOTATIONS.canaryWeightTotal]: total } : {}) }),
        ];
        assert.deepEqual(destinations(at("0"), BOTH_READY, {}), only(B));
        assert.deepEqual(destinations(at("100"), BOTH_READY, {}), only(G));
        const split = routeDistribution(at("25"), BOTH_READY, { host: HOST, path: "/" });
        assert.deepEqual(
            split.map((o) => [served(o.outcome), o.probability]),
            [
                [G, 0.25],
                [B, 0.75],
            ],
        );
        const split2 = routeDistribution(at("1", "4"), BOTH_READY, { host: HOST, path: "/" });
        assert.deepEqual(
            split2.map((o) => [served(o.outcome), o.probability]),
            [
                [G, 0.25],
                [B, 0.75],
            ],
        );
        // deterministic draw mirrors math.random(total) <= weight
        assert.equal(served(routeRequest(at("25"), BOTH_READY, { host: HOST, path: "/", random: 0.2499 })), G);
        assert.equal(served(routeRequest(at("25"), BOTH_READY, { host: HOST, path: "/", random: 0.25 })), B);
        assert.throws(() => routeRequest(at("25"), BOTH_READY, { host: HOST, path: "/", random: 1 }), RangeError);
    });

    it("at most one canary per host/path: the oldest is used, and the webhook rejects a second", () => {
        const third = { namespace: "red", name: "red" };
        const second = canary(
            { [ANNOTATIONS.canaryWeight]: "100" },
            { namespace: "red", name: "calculator-2", creationOrder: 3, backend: third },
        );
        const rules = [main(), canary({ [ANNOTATIONS.canaryWeight]: "100" }), second];
        assert.deepEqual(destinations(rules, { ...BOTH_READY, [serviceKey(third)]: 1 }, {}), only(G));
        const verdict = admitIngress([main(), canary()], [second]);
        assert.equal(verdict.allowed, false);
        assert.match(!verdict.allowed ? verdict.reason : "", /already defined in ingress green-calculator\/calculator/);
    });

    it('two main Ingresses: rejected when neither carries canary, admitted with explicit canary "false" and the oldest wins', () => {
        const bare = (over: Partial<IngressRule>) => ({ ...main(), annotations: {}, ...over });
        const older = bare({ name: "old", creationOrder: 1 });
        const newer = bare({ namespace: GREEN.namespace, name: "new", creationOrder: 5, backend: GREEN });
        const rejected = admitIngress([older], [newer]);
        assert.equal(rejected.allowed, false);
        assert.match(
            !rejected.allowed ? rejected.reason : "",
            /host "calc.example.com" and path "\/" is already defined in ingress blue-calculator\/old/,
        );
        const explicit = { ...newer, annotations: { [ANNOTATIONS.canary]: "false" } };
        assert.deepEqual(admitIngress([older], [explicit]), { allowed: true });
        assert.deepEqual(destinations([explicit, older], BOTH_READY, {}), only(B), "oldest main wins regardless of list order");
        // updating the same Ingress never conflicts with itself; other paths never conflict
        assert.deepEqual(admitIngress([older], [{ ...older, backend: GREEN }]), { allowed: true });
        assert.deepEqual(admitIngress([older], [{ ...newer, path: "/api" }]), { allowed: true });
    });

    it("session affinity on the main Ingress wins over header, cookie and weight", () => {
        const rules = [main({ [ANNOTATIONS.affinity]: "cookie" }), canary({ [ANNOTATIONS.canaryWeight]: "100" })];
        assert.deepEqual(destinations(rules, BOTH_READY, { headers: { canary: "always" }, cookies: { INGRESSCOOKIE: "abc" } }), only(B));
        // without the affinity cookie the canary rules apply
        assert.deepEqual(destinations(rules, BOTH_READY, { headers: { canary: "always" } }), only(G));
        const named = [
            main({ [ANNOTATIONS.affinity]: "cookie", [ANNOTATIONS.sessionCookieName]: "route" }),
            canary({ [ANNOTATIONS.canaryWeight]: "100" }),
        ];
        assert.deepEqual(destinations(named, BOTH_READY, { cookies: { route: "x" } }), only(B));
    });

    it("a canary inherits the main Ingress's annotations: its own affinity is ignored", () => {
        const rules = [main(), canary({ [ANNOTATIONS.canaryWeight]: "100", [ANNOTATIONS.affinity]: "cookie" })];
        assert.deepEqual(destinations(rules, BOTH_READY, { cookies: { INGRESSCOOKIE: "abc" } }), only(G));
    });

    it("a canary pairs only with the main of the same host, path and pathType; longest path wins; other classes are ignored", () => {
        const api = canary({ [ANNOTATIONS.canaryWeight]: "100" }, { path: "/api" });
        assert.deepEqual(destinations([main(), api], BOTH_READY, { path: "/api/x" }), only(B), "canary without its own main is ignored");
        const exactMain = main({}, { name: "api", path: "/api", pathType: "Exact" });
        assert.deepEqual(
            destinations(
                [main(), exactMain, canary({ [ANNOTATIONS.canaryWeight]: "100" }, { path: "/api", pathType: "Prefix" })],
                BOTH_READY,
                { path: "/api" },
            ),
            only(B),
        );
        const prefixMain = main({}, { name: "api", path: "/api", pathType: "Prefix", backend: BLUE });
        assert.deepEqual(destinations([main({}, { backend: GREEN }), prefixMain, api], BOTH_READY, { path: "/api/x" }), only(G));
        assert.deepEqual(
            destinations([main({}, { backend: GREEN }), prefixMain], BOTH_READY, { path: "/apix" }),
            only(G),
            "/api does not prefix /apix",
        );
        assert.deepEqual(destinations([main({}, { ingressClassName: "other" })], BOTH_READY, {}), only("error 404"));
        assert.deepEqual(
            destinations([main(), canary({ [ANNOTATIONS.canaryWeight]: "100" }, { ingressClassName: undefined })], BOTH_READY, {}),
            only(B),
        );
    });

    it("helpers: production and preview summaries, Kubernetes object conversion", () => {
        const objs: KubernetesIngressLike[] = [
            {
                metadata: { name: "calculator", namespace: BLUE.namespace, annotations: { [ANNOTATIONS.canary]: "false" } },
                spec: {
                    ingressClassName: "nginx",
                    rules: [
                        { host: HOST, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: BLUE.name } } }] } },
                    ],
                },
            },
            {
                metadata: {
                    name: "calculator",
                    namespace: GREEN.namespace,
                    annotations: {
                        [ANNOTATIONS.canary]: "true",
                        [ANNOTATIONS.canaryByHeader]: "canary",
                        [ANNOTATIONS.canaryWeight]: "100",
                    },
                },
                spec: {
                    ingressClassName: "nginx",
                    rules: [
                        { host: HOST, http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: GREEN.name } } }] } },
                    ],
                },
            },
        ];
        const rules = objs.flatMap((o, i) => rulesFromKubernetesIngress(o, i));
        assert.deepEqual(soleService(routeProduction(rules, BOTH_READY, { host: HOST })), GREEN);
        assert.deepEqual(soleService(routePreview(rules, BOTH_READY, { host: HOST, header: "canary", value: "never" })), BLUE);
        assert.equal(describeOutcomes(routeProduction(rules, {}, { host: HOST })), "503 100%");
        assert.throws(
            () =>
                rulesFromKubernetesIngress(
                    { spec: { rules: [{ http: { paths: [{ pathType: "Weird", backend: { service: { name: "x" } } }] } }] } },
                    0,
                ),
            /unsupported pathType/,
        );
    });
});
