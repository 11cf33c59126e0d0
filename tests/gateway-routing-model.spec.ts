/**
 * One test per routing rule of the Gateway API router model (`@phoenix/release-model`,
 * routers/gateway-api), each titled with the Gateway API v1.x spec text it encodes
 * (`apis/v1/httproute_types.go`, `apis/v1beta1/referencegrant_types.go`; see gateway-api.md), on
 * small hand-written HTTPRoute and ReferenceGrant objects; then properties (fast-check) over
 * generated routes. Every test checks both sides of its rule: the request the rule lets through
 * and the one it must not.
 */
import { strict as assert } from "assert";
import fc from "fast-check";
import {
    gatewayApi,
    routerModel,
    serviceKey,
    type KubeObject,
    type ReadyEndpoints,
    type RouteOutcome,
    type RouteRequest,
} from "@phoenix/release-model";

const GW = routerModel("gateway-api");
const GROUP = "gateway.networking.k8s.io";
const NS = "shop";
const HOST = "shop.example.com";
const PARENT = [{ group: GROUP, kind: "Gateway", name: "gw", namespace: "gateway" }];

type Obj = Record<string, unknown>;
interface RouteOpts {
    ns?: string;
    hostnames?: string[];
    /** Omit to attach to the Gateway; `[]` or `null` for a route without parents. */
    parentRefs?: unknown[] | null;
    /** RFC 3339 creationTimestamp; without one, earlier objects in the list are older. */
    created?: string;
}

function httpRoute(name: string, rules: Obj[] | undefined, o: RouteOpts = {}): KubeObject {
    const spec: Obj = {};
    if (o.parentRefs !== null) spec.parentRefs = o.parentRefs ?? PARENT;
    if (o.hostnames) spec.hostnames = o.hostnames;
    if (rules) spec.rules = rules;
    return {
        apiVersion: `${GROUP}/v1`,
        kind: "HTTPRoute",
        metadata: { name, namespace: o.ns ?? NS, ...(o.created ? { creationTimestamp: o.created } : {}) },
        spec,
    };
}

/** A Service backendRef on port 80 in the route's namespace unless `extra` says otherwise. */
function be(name: string, weight?: number, extra: Obj = {}): Obj {
    return { name, port: 80, ...(weight !== undefined ? { weight } : {}), ...extra };
}
const prefix = (value: string, extra: Obj = {}): Obj => ({ path: { type: "PathPrefix", value }, ...extra });
const exact = (value: string, extra: Obj = {}): Obj => ({ path: { type: "Exact", value }, ...extra });
const hdr = (name: string, value: string) => ({ type: "Exact", name, value });
const rule = (matches: Obj[] | undefined, backendRefs: Obj[]): Obj => ({ ...(matches ? { matches } : {}), backendRefs });
/** A route with one rule sending everything it matches to one Service. */
const to = (name: string, service: string, matches?: Obj[], o: RouteOpts = {}) => httpRoute(name, [rule(matches, [be(service)])], o);

function grant(targetNs: string, from: Obj[], to: Obj[]): KubeObject {
    return { apiVersion: `${GROUP}/v1beta1`, kind: "ReferenceGrant", metadata: { name: "allow", namespace: targetNs }, spec: { from, to } };
}
const fromRoutes = (ns: string) => ({ group: GROUP, kind: "HTTPRoute", namespace: ns });
const toService = (name?: string) => ({ group: "", kind: "Service", ...(name ? { name } : {}) });

const READY: ReadyEndpoints = {
    "shop/blue": 2,
    "shop/green": 2,
    "shop/red": 1,
    "shop/yellow": 1,
    "blue-app/blue-app": 2,
    "green-app/green-app": 2,
};

function key(o: RouteOutcome): string {
    return o.kind === "served" ? o.service.name : String(o.status);
}

/** Where a request goes: destination (Service name or status) → probability, merged. */
function dist(objects: KubeObject[], req: Partial<RouteRequest> = {}, ready: ReadyEndpoints = READY): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of GW.distribution(objects, ready, { host: HOST, path: "/", ...req })) {
        const k = key(d.outcome);
        out[k] = (out[k] ?? 0) + d.probability;
    }
    return out;
}
/** The single destination of a request (fails when the outcome is split). */
function dest(objects: KubeObject[], req: Partial<RouteRequest> = {}, ready: ReadyEndpoints = READY): string {
    const d = dist(objects, req, ready);
    const keys = Object.keys(d);
    assert.equal(keys.length, 1, `expected one destination, got ${JSON.stringify(d)}`);
    return keys[0];
}
/** The error reasons a request can get. */
function reasons(objects: KubeObject[], req: Partial<RouteRequest> = {}, ready: ReadyEndpoints = READY): string[] {
    return GW.distribution(objects, ready, { host: HOST, path: "/", ...req }).flatMap((d) =>
        d.outcome.kind === "error" ? [d.outcome.reason] : [],
    );
}
function approx(actual: Record<string, number>, expected: Record<string, number>, message = ""): void {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${message} ${JSON.stringify(actual)}`);
    for (const [k, v] of Object.entries(expected)) assert.ok(Math.abs(actual[k] - v) < 1e-12, `${message} ${k}: ${actual[k]} ≠ ${v}`);
}

describe("Gateway API routing model: backend weights", () => {
    it('"Weight specifies the proportion of requests forwarded to the referenced backend. This is computed as weight/(sum of all weights in this BackendRefs list) … Weight is not a percentage and the sum of weights does not need to equal 100."', () => {
        const split = (...ws: number[]) =>
            dist([
                httpRoute("r", [
                    rule(
                        undefined,
                        ws.map((w, i) => be(["blue", "green", "red"][i], w)),
                    ),
                ]),
            ]);
        approx(split(1, 3), { blue: 0.25, green: 0.75 });
        approx(split(30, 70), { blue: 0.3, green: 0.7 });
        approx(split(7, 3), { blue: 0.7, green: 0.3 });
        approx(split(1, 1, 2), { blue: 0.25, green: 0.25, red: 0.5 });
        approx(split(1_000_000, 1), { blue: 1_000_000 / 1_000_001, green: 1 / 1_000_001 });
        // The per-request draw lands in proportion too: 1000 evenly spread draws, 250 to blue.
        const objs = [httpRoute("r", [rule(undefined, [be("blue", 1), be("green", 3)])])];
        const hits = Array.from({ length: 1000 }, (_, i) => key(GW.route(objs, READY, { host: HOST, path: "/", random: i / 1000 })));
        assert.equal(hits.filter((h) => h === "blue").length, 250);
    });

    it('"If only one backend is specified and it has a weight greater than 0, 100% of the traffic is forwarded to that backend."', () => {
        approx(dist([httpRoute("r", [rule(undefined, [be("green", 5)])])]), { green: 1 });
        approx(dist([httpRoute("r", [rule(undefined, [be("green", 1_000_000)])])]), { green: 1 });
    });

    it('"If unspecified, weight defaults to 1."', () => {
        approx(dist([httpRoute("r", [rule(undefined, [be("blue"), be("green")])])]), { blue: 0.5, green: 0.5 });
        approx(dist([httpRoute("r", [rule(undefined, [be("blue"), be("green", 3)])])]), { blue: 0.25, green: 0.75 });
        // Not 0: an unset weight beside an explicit 0 takes everything.
        approx(dist([httpRoute("r", [rule(undefined, [be("blue"), be("green", 0)])])]), { blue: 1 });
    });

    it('"If weight is set to 0, no traffic should be forwarded for this entry."', () => {
        const objs = [httpRoute("r", [rule(undefined, [be("blue", 0), be("green", 100)])])];
        approx(dist(objs), { green: 1 });
        for (let i = 0; i < 1000; i++) assert.equal(key(GW.route(objs, READY, { host: HOST, path: "/", random: i / 1000 })), "green");
        // A weight-0 entry is never reached, so not even its being invalid or drained shows.
        approx(dist([httpRoute("r", [rule(undefined, [be("gone", 0), be("green", 1)])])]), { green: 1 });
        approx(dist(objs, {}, { ...READY, "shop/blue": 0 }), { green: 1 });
    });

    it('all-zero rule refused: "Never let every backend of a rule be 0: implementations disagree (Envoy rejects the config; others answer 500 or 503)" (gateway-api.md; the spec leaves it open) → the model answers 500', () => {
        const zero = [httpRoute("r", [rule(undefined, [be("blue", 0), be("green", 0)])])];
        approx(dist(zero), { 500: 1 });
        assert.match(reasons(zero).join(), /the matching rule gives every backend weight 0/);
        approx(dist([httpRoute("r", [rule(undefined, [be("green", 0)])])]), { 500: 1 });
        // One weight above 0 is enough to route.
        approx(dist([httpRoute("r", [rule(undefined, [be("blue", 0), be("green", 1)])])]), { green: 1 });
    });
});

describe("Gateway API routing model: header matches", () => {
    const preview = (headers: unknown[]) => [to("production", "blue"), to("preview", "green", [prefix("/", { headers })])];

    it('"Name matching MUST be case-insensitive."', () => {
        const objs = preview([hdr("X-Preview", "yes")]);
        for (const name of ["X-Preview", "x-preview", "X-PREVIEW"]) assert.equal(dest(objs, { headers: { [name]: "yes" } }), "green", name);
        assert.equal(dest(objs, { headers: { "X-Preview-2": "yes" } }), "blue");
        assert.equal(dest(objs), "blue");
    });

    it('HeaderMatchType "Exact" (Core): the value must equal the match value exactly, case included', () => {
        const objs = preview([hdr("canary", "Secret-1")]);
        assert.equal(dest(objs, { headers: { canary: "Secret-1" } }), "green");
        for (const v of ["secret-1", "SECRET-1", "Secret-", "Secret-12", " Secret-1", ""])
            assert.equal(dest(objs, { headers: { canary: v } }), "blue", JSON.stringify(v));
    });

    it('"If multiple entries specify equivalent header names, only the first entry with an equivalent name MUST be considered for a match. Subsequent entries with an equivalent header name MUST be ignored."', () => {
        const objs = preview([hdr("canary", "a"), hdr("Canary", "b")]);
        assert.equal(dest(objs, { headers: { canary: "a" } }), "green");
        assert.equal(dest(objs, { headers: { canary: "b" } }), "blue");
        // For precedence the ignored duplicate does not count as a second header match: the older
        // route with one header ties with it on headers and wins on age.
        const older = to("older", "red", [prefix("/", { headers: [hdr("canary", "a")] })], { created: "2026-01-01T00:00:00Z" });
        const newer = to("newer", "green", [prefix("/", { headers: [hdr("canary", "a"), hdr("CANARY", "a")] })], {
            created: "2026-02-01T00:00:00Z",
        });
        assert.equal(dest([newer, older], { headers: { canary: "a" } }), "red");
        // Control: a genuine second header does win.
        const two = to("newer", "green", [prefix("/", { headers: [hdr("canary", "a"), hdr("x-other", "a")] })], {
            created: "2026-02-01T00:00:00Z",
        });
        assert.equal(dest([two, older], { headers: { canary: "a", "x-other": "a" } }), "green");
    });

    it('"Multiple match values are ANDed together, meaning, a request must match all the specified headers to select the route."', () => {
        const objs = preview([hdr("a", "1"), hdr("b", "2")]);
        assert.equal(dest(objs, { headers: { a: "1", b: "2" } }), "green");
        assert.equal(dest(objs, { headers: { a: "1" } }), "blue");
        assert.equal(dest(objs, { headers: { b: "2" } }), "blue");
        assert.equal(dest(objs, { headers: { a: "1", b: "3" } }), "blue");
    });
});

describe("Gateway API routing model: paths, query parameters, methods", () => {
    it('Exact: "an exact path match on `/abc` will only match requests to `/abc`, NOT `/abc/`, `/Abc`, or `/abcd`."', () => {
        const objs = [to("r", "green", [exact("/abc")])];
        assert.equal(dest(objs, { path: "/abc" }), "green");
        assert.equal(dest(objs, { path: "/abc?x=1" }), "green", "the query string is not part of the path");
        for (const path of ["/abc/", "/Abc", "/abcd", "/ab", "/abc/d", "/"]) assert.equal(dest(objs, { path }), "404", path);
    });

    it('PathPrefix: "Matching is case-sensitive and done on a path element by element basis … the paths `/abc`, `/abc/`, and `/abc/def` would all match the prefix `/abc`, but the path `/abcd` would not."', () => {
        const objs = [to("r", "green", [prefix("/abc")])];
        for (const path of ["/abc", "/abc/", "/abc/def", "/abc?q=1"]) assert.equal(dest(objs, { path }), "green", path);
        for (const path of ["/abcd", "/Abc", "/ab", "/", "/x/abc"]) assert.equal(dest(objs, { path }), "404", path);
    });

    it('PathPrefix: "When specified, a trailing `/` is ignored."', () => {
        const objs = [to("r", "green", [prefix("/abc/")])];
        for (const path of ["/abc", "/abc/", "/abc/def"]) assert.equal(dest(objs, { path }), "green", path);
        assert.equal(dest(objs, { path: "/abcd" }), "404");
    });

    it('"If no matches are specified, the default is a prefix path match on "/", which has the effect of matching every HTTP request." (and a match without a path: "a default prefix match on the "/" path is provided")', () => {
        for (const objs of [[to("r", "green")], [to("r", "green", [{}])], [to("r", "green", [{ headers: [hdr("x", "1")] }])]]) {
            const needsHeader = JSON.stringify(objs).includes('"headers"');
            for (const path of ["/", "/a", "/a/b/c?d=e"]) assert.equal(dest(objs, { path, headers: { x: "1" } }), "green", path);
            assert.equal(dest(objs, { path: "/a" }), needsHeader ? "404" : "green");
        }
    });

    it('"Each match is independent, i.e. this rule will be matched if **any** one of the matches is satisfied."', () => {
        const objs = [to("r", "green", [prefix("/foo", { headers: [hdr("version", "v2")] }), prefix("/v2/foo")])];
        assert.equal(dest(objs, { path: "/foo", headers: { version: "v2" } }), "green");
        assert.equal(dest(objs, { path: "/v2/foo" }), "green");
        assert.equal(dest(objs, { path: "/foo" }), "404");
    });

    it('"Multiple match types are ANDed together, i.e. the match will evaluate to true only if all conditions are satisfied."', () => {
        const objs = [
            to("r", "green", [
                prefix("/foo", { headers: [hdr("version", "v1")], queryParams: [{ name: "q", value: "1" }], method: "POST" }),
            ]),
        ];
        const ok = { path: "/foo?q=1", headers: { version: "v1" }, method: "POST" };
        assert.equal(dest(objs, ok), "green");
        for (const broken of [{ path: "/bar?q=1" }, { path: "/foo" }, { headers: {} }, { method: "GET" }])
            assert.equal(dest(objs, { ...ok, ...broken }), "404", JSON.stringify(broken));
    });

    it('QueryParams: Name "must be an exact string match"; "it is *recommended* that implementations should match against the first value of the param"', () => {
        const objs = [to("production", "blue"), to("preview", "green", [prefix("/", { queryParams: [{ name: "token", value: "a=b" }] })])];
        assert.equal(dest(objs, { path: "/?token=a=b" }), "green", "a value may itself contain '='");
        assert.equal(dest(objs, { path: "/?token=a%3Db" }), "green", "percent-encoded");
        assert.equal(dest(objs, { path: "/?x=1&token=a=b" }), "green");
        assert.equal(dest(objs, { path: "/?token=a=b&token=zzz" }), "green", "the first value counts");
        assert.equal(dest(objs, { path: "/?token=zzz&token=a=b" }), "blue");
        for (const path of ["/?Token=a=b", "/?token=a", "/?token=A=B", "/?token", "/"]) assert.equal(dest(objs, { path }), "blue", path);
        // A malformed escape is a request that does not match, never a crash of the proxy.
        assert.equal(dest(objs, { path: "/?token=%zz" }), "blue");
        assert.equal(dest(objs, { path: "/?%zz=1&token=a=b" }), "green");
    });

    it('Method: "When specified, this route will be matched only if the request has the specified method."', () => {
        const objs = [to("r", "green", [prefix("/", { method: "POST" })])];
        assert.equal(dest(objs, { method: "POST" }), "green");
        assert.equal(dest(objs, { method: "post" }), "green", "HTTP methods arrive in upper case; the model normalises");
        assert.equal(dest(objs, { method: "GET" }), "404");
        assert.equal(dest(objs), "404", "a request without a method is a GET");
    });
});

describe("Gateway API routing model: precedence across rules and routes", () => {
    // Every test makes the expected winner the newest route and the last alphabetically, so that only
    // the criterion under test can make it win.
    const OLD = "2026-01-01T00:00:00Z";
    const NEW = "2026-06-01T00:00:00Z";
    const loser = (service: string, matches: Obj[]) => to("a-loser", service, matches, { created: OLD });
    const winner = (service: string, matches: Obj[]) => to("z-winner", service, matches, { created: NEW });

    it('"precedence must be given to the match having: * "Exact" path match."', () => {
        const objs = [
            loser("blue", [prefix("/api/calc", { headers: [hdr("a", "1"), hdr("b", "2")], method: "GET" })]),
            winner("green", [exact("/api/calc")]),
        ];
        assert.equal(dest(objs, { path: "/api/calc", headers: { a: "1", b: "2" } }), "green");
        assert.equal(
            dest(objs, { path: "/api/calc/x", headers: { a: "1", b: "2" } }),
            "blue",
            "the exact match does not match a longer path",
        );
    });

    it('"* "Prefix" path match with largest number of characters."', () => {
        const objs = [
            loser("blue", [prefix("/", { headers: [hdr("a", "1")], method: "GET", queryParams: [{ name: "q", value: "1" }] })]),
            winner("green", [prefix("/api")]),
        ];
        assert.equal(dest(objs, { path: "/api/x?q=1", headers: { a: "1" } }), "green");
        assert.equal(dest(objs, { path: "/other?q=1", headers: { a: "1" } }), "blue");
    });

    it('"* Method match."', () => {
        const objs = [
            loser("blue", [prefix("/", { headers: [hdr("a", "1"), hdr("b", "2")], queryParams: [{ name: "q", value: "1" }] })]),
            winner("green", [prefix("/", { method: "GET" })]),
        ];
        assert.equal(dest(objs, { path: "/?q=1", headers: { a: "1", b: "2" }, method: "GET" }), "green");
        assert.equal(dest(objs, { path: "/?q=1", headers: { a: "1", b: "2" }, method: "POST" }), "blue");
    });

    it('"* Largest number of header matches."', () => {
        const objs = [
            loser("blue", [
                prefix("/", {
                    headers: [hdr("a", "1")],
                    queryParams: [
                        { name: "q", value: "1" },
                        { name: "r", value: "1" },
                    ],
                }),
            ]),
            winner("green", [prefix("/", { headers: [hdr("a", "1"), hdr("b", "2")] })]),
        ];
        assert.equal(dest(objs, { path: "/?q=1&r=1", headers: { a: "1", b: "2" } }), "green");
        assert.equal(dest(objs, { path: "/?q=1&r=1", headers: { a: "1" } }), "blue");
    });

    it('"* Largest number of query param matches."', () => {
        const objs = [
            loser("blue", [prefix("/", { queryParams: [{ name: "q", value: "1" }] })]),
            winner("green", [
                prefix("/", {
                    queryParams: [
                        { name: "q", value: "1" },
                        { name: "r", value: "2" },
                    ],
                }),
            ]),
        ];
        assert.equal(dest(objs, { path: "/?q=1&r=2" }), "green");
        assert.equal(dest(objs, { path: "/?q=1" }), "blue");
    });

    it('"If ties still exist across multiple Routes, matching precedence MUST be determined in order of the following criteria, continuing on ties: * The oldest Route based on creation timestamp."', () => {
        const older = to("z-older", "green", [prefix("/")], { created: OLD });
        const newer = to("a-newer", "blue", [prefix("/")], { created: NEW });
        assert.equal(dest([newer, older]), "green");
        assert.equal(dest([older, newer]), "green");
        // Without timestamps, list order stands for age.
        assert.equal(dest([to("z", "green"), to("a", "blue")]), "green");
    });

    it('"* The Route appearing first in alphabetical order by "{namespace}/{name}"."', () => {
        const same = { created: OLD };
        const a = to("zzz", "green", [prefix("/")], { ...same, ns: "shop" });
        const b = to("aaa", "blue", [prefix("/")], { ...same, ns: "shop2" });
        // "shop/zzz" < "shop2/aaa": the namespace decides before the name, whatever the list order.
        for (const objs of [
            [a, b],
            [b, a],
        ])
            assert.equal(dest(objs, {}, { ...READY, "shop2/blue": 1 }), "green");
        const c = to("app-b", "blue", [prefix("/")], same);
        const d = to("app-a", "green", [prefix("/")], same);
        for (const objs of [
            [c, d],
            [d, c],
        ])
            assert.equal(dest(objs), "green");
    });

    it('"If ties still exist within an HTTPRoute, matching precedence MUST be granted to the FIRST matching rule (in list order) with a match meeting the above criteria."', () => {
        const objs = [httpRoute("r", [rule([prefix("/")], [be("green")]), rule([prefix("/")], [be("blue")])])];
        assert.equal(dest(objs), "green");
        // A later rule with a better match still wins: first-rule order only breaks ties.
        const better = [httpRoute("r", [rule([prefix("/")], [be("green")]), rule([prefix("/api")], [be("blue")])])];
        assert.equal(dest(better, { path: "/api" }), "blue");
        assert.equal(dest(better, { path: "/x" }), "green");
    });

    it('across routes: a preview rule "PathPrefix / + header" beats the production rule "PathPrefix /" in another HTTPRoute (more header matches), but a production rule with a longer prefix beats it (prefix characters come first), so a preview route must repeat every path match', () => {
        const prod = httpRoute("app-production", [rule([prefix("/"), prefix("/api")], [be("blue", 100), be("green", 0)])], {
            created: OLD,
        });
        const previewSlash = to("app-preview", "green", [prefix("/", { headers: [hdr("canary", "s3cret")] })], { created: NEW });
        assert.equal(dest([prod, previewSlash], { path: "/", headers: { canary: "s3cret" } }), "green");
        assert.equal(
            dest([prod, previewSlash], { path: "/api/calc", headers: { canary: "s3cret" } }),
            "blue",
            "the longer production prefix wins: the preview is lost on /api",
        );
        const previewAll = to(
            "app-preview",
            "green",
            [prefix("/", { headers: [hdr("canary", "s3cret")] }), prefix("/api", { headers: [hdr("canary", "s3cret")] })],
            { created: NEW },
        );
        for (const path of ["/", "/api/calc"]) {
            assert.equal(dest([prod, previewAll], { path, headers: { canary: "s3cret" } }), "green", path);
            assert.equal(dest([prod, previewAll], { path }), "blue", path);
            assert.equal(dest([prod, previewAll], { path, headers: { canary: "guess" } }), "blue", path);
        }
    });
});

describe("Gateway API routing model: hostnames", () => {
    it('"Hostnames that are prefixed with a wildcard label (`*.`) are interpreted as a suffix match. That means that a match for `*.example.com` would match both `test.example.com`, and `foo.test.example.com`, but not `example.com`."', () => {
        const objs = [to("r", "green", undefined, { hostnames: ["*.example.com"] })];
        for (const host of ["test.example.com", "foo.test.example.com", "TEST.Example.com"])
            assert.equal(dest(objs, { host }), "green", host);
        for (const host of ["example.com", "test.example.net", "testexample.com", "example.com.evil.net"])
            assert.equal(dest(objs, { host }), "404", host);
    });

    it('"Hostnames defines a set of hostnames that should match against the HTTP Host header to select a HTTPRoute" — exact names match exactly (DNS case aside); a route without hostnames matches every host', () => {
        const objs = [to("r", "green", undefined, { hostnames: ["shop.example.com", "www.example.com"] })];
        for (const host of ["shop.example.com", "www.example.com", "Shop.Example.COM"]) assert.equal(dest(objs, { host }), "green", host);
        for (const host of ["example.com", "a.shop.example.com", "shop.example.co"]) assert.equal(dest(objs, { host }), "404", host);
        const any = [to("r", "green")];
        for (const host of ["shop.example.com", "anything.test", "10.0.0.1"]) assert.equal(dest(any, { host }), "green", host);
    });

    it('"Implementations MUST ignore any port value specified in the HTTP Host header while performing a match"', () => {
        const objs = [to("r", "green", undefined, { hostnames: ["shop.example.com"] })];
        for (const host of ["shop.example.com:80", "shop.example.com:8443"]) assert.equal(dest(objs, { host }), "green", host);
        assert.equal(dest(objs, { host: "other.example.com:80" }), "404");
    });

    it('"precedence must be given to rules from the HTTPRoute with the largest number of: * Characters in a matching non-wildcard hostname. * Characters in a matching hostname."', () => {
        // Hostname precedence comes before every path/header criterion.
        const exactHost = to("z-exact", "green", [prefix("/")], { hostnames: ["shop.example.com"], created: "2026-06-01T00:00:00Z" });
        const longWildcard = to("b-long", "red", [exact("/api", { headers: [hdr("a", "1")] })], {
            hostnames: ["*.shop.example.com"],
            created: "2026-01-01T00:00:00Z",
        });
        const wildcard = to("a-wild", "blue", [exact("/api", { headers: [hdr("a", "1")] })], {
            hostnames: ["*.example.com"],
            created: "2026-01-01T00:00:00Z",
        });
        const anyHost = to("a-any", "yellow", [exact("/api", { headers: [hdr("a", "1"), hdr("b", "1")] })], {
            created: "2026-01-01T00:00:00Z",
        });
        const all = [anyHost, wildcard, longWildcard, exactHost];
        const req = { path: "/api", headers: { a: "1", b: "1" } };
        assert.equal(dest(all, { ...req, host: "shop.example.com" }), "green", "non-wildcard beats wildcards and no hostnames");
        assert.equal(dest(all, { ...req, host: "x.shop.example.com" }), "red", "the longer wildcard beats the shorter");
        assert.equal(dest(all, { ...req, host: "x.example.com" }), "blue");
        assert.equal(
            dest([anyHost, longWildcard], { ...req, host: "x.shop.example.com" }),
            "red",
            "a wildcard beats a route without hostnames",
        );
        assert.equal(dest(all, { ...req, host: "other.test" }), "yellow", "only the route without hostnames matches");
        // A route that lists both an exact and a wildcard name is scored by the better matching one.
        const both = to("z-both", "green", [prefix("/")], {
            hostnames: ["*.example.com", "shop.example.com"],
            created: "2026-06-01T00:00:00Z",
        });
        assert.equal(dest([wildcard, both], { path: "/api", headers: { a: "1" }, host: "shop.example.com" }), "green");
        assert.equal(
            dest([wildcard, both], { path: "/api", headers: { a: "1" }, host: "x.example.com" }),
            "blue",
            "both wildcards: the exact path decides",
        );
    });
});

describe("Gateway API routing model: invalid backends (500) and ReferenceGrants", () => {
    const cross = (name = "blue-app", ns = "blue-app") =>
        httpRoute("r", [rule(undefined, [be(name, 1, { namespace: ns })])], { ns: "app-routes" });

    it('"A BackendRef is invalid if: * It refers to an unknown or unsupported kind of resource."', () => {
        for (const ref of [
            { kind: "ServiceImport", group: "multicluster.x-k8s.io" },
            { kind: "Service", group: "example.com" },
            { kind: "Backend", group: "gateway.envoyproxy.io" },
        ]) {
            const objs = [httpRoute("r", [rule(undefined, [be("blue", 1, ref)])])];
            approx(dist(objs), { 500: 1 });
            assert.match(reasons(objs).join(), /is not a Service/);
        }
        approx(dist([httpRoute("r", [rule(undefined, [be("blue", 1, { kind: "Service", group: "" })])])]), { blue: 1 });
    });

    it('"A BackendRef is invalid if: … * It refers to a resource that does not exist."', () => {
        const objs = [httpRoute("r", [rule(undefined, [be("gone")])])];
        approx(dist(objs), { 500: 1 });
        assert.match(reasons(objs).join(), /does not exist/);
        approx(dist(objs, {}, { ...READY, "shop/gone": 1 }), { gone: 1 });
    });

    it('Port: "Port is required when the referent is a Kubernetes Service." (CEL: "Must have port for Service reference")', () => {
        const noPort = [httpRoute("r", [rule(undefined, [{ name: "blue" }])])];
        approx(dist(noPort), { 500: 1 });
        assert.match(reasons(noPort).join(), /has no port/);
        assert.match(gatewayApi.routeObjectProblems(noPort[0]).join(), /has no port/);
        approx(dist([httpRoute("r", [rule(undefined, [{ name: "blue", port: 8080 }])])]), { blue: 1 });
    });

    it('"A BackendRef is invalid if: … * It refers a resource in another namespace when the reference has not been explicitly allowed by a ReferenceGrant" ("a ReferenceGrant object is required in the referent namespace")', () => {
        const g = grant("blue-app", [fromRoutes("app-routes")], [toService("blue-app")]);
        approx(dist([cross()]), { 500: 1 });
        assert.match(reasons([cross()]).join(), /no ReferenceGrant allows it/);
        approx(dist([cross(), g]), { "blue-app": 1 });
        approx(dist([cross()]), { 500: 1 }, "removing the grant revokes access at once");
        // A grant anywhere but the referent's namespace grants nothing.
        approx(dist([cross(), grant("app-routes", [fromRoutes("app-routes")], [toService("blue-app")])]), { 500: 1 });
        // The same namespace needs no grant.
        approx(dist([httpRoute("r", [rule(undefined, [be("blue", 1, { namespace: NS })])])]), { blue: 1 });
    });

    it('ReferenceGrant To: "Name is the name of the referent. When unspecified, this policy refers to all resources of the specified Group and Kind in the local namespace." — a grant for another Service name does not admit this one', () => {
        approx(dist([cross(), grant("blue-app", [fromRoutes("app-routes")], [toService("green-app")])]), { 500: 1 });
        approx(dist([cross(), grant("blue-app", [fromRoutes("app-routes")], [toService(undefined)])]), { "blue-app": 1 });
        approx(dist([cross(), grant("blue-app", [fromRoutes("app-routes")], [{ group: "", kind: "Secret", name: "blue-app" }])]), {
            500: 1,
        });
        approx(dist([cross(), grant("blue-app", [fromRoutes("app-routes")], [toService("green-app"), toService("blue-app")])]), {
            "blue-app": 1,
        });
    });

    it('ReferenceGrant From: "From describes the trusted namespaces and kinds that can reference the resources described in `To`." — a grant from another namespace (or kind) does not admit this route', () => {
        approx(dist([cross(), grant("blue-app", [fromRoutes("other-routes")], [toService("blue-app")])]), { 500: 1 });
        approx(
            dist([cross(), grant("blue-app", [{ group: GROUP, kind: "GRPCRoute", namespace: "app-routes" }], [toService("blue-app")])]),
            { 500: 1 },
        );
        approx(dist([cross(), grant("blue-app", [{ group: GROUP, kind: "Gateway", namespace: "app-routes" }], [toService("blue-app")])]), {
            500: 1,
        });
        approx(dist([cross(), grant("blue-app", [fromRoutes("other-routes"), fromRoutes("app-routes")], [toService("blue-app")])]), {
            "blue-app": 1,
        });
    });

    it('"If multiple backends are specified, and some are invalid, the proportion of requests that would otherwise have been routed to an invalid backend MUST receive a 500 status code." ("if two backends are specified with equal weights, and one is invalid, 50 percent of traffic must receive a 500")', () => {
        approx(dist([httpRoute("r", [rule(undefined, [be("blue"), be("gone")])])]), { blue: 0.5, 500: 0.5 });
        approx(dist([httpRoute("r", [rule(undefined, [be("blue", 90), be("gone", 10)])])]), { blue: 0.9, 500: 0.1 });
    });

    it('"If *all* entries in BackendRefs are invalid, and there are also no filters specified in this route rule, *all* traffic which matches this rule MUST receive a 500 status code." (a rule with no backendRefs too)', () => {
        approx(dist([httpRoute("r", [rule(undefined, [be("gone"), be("blue", 1, { kind: "ConfigMap" }), { name: "green" }])])]), {
            500: 1,
        });
        approx(dist([httpRoute("r", [rule(undefined, [])])]), { 500: 1 });
        approx(dist([httpRoute("r", [{ matches: [prefix("/")] }])]), { 500: 1 });
    });
});

describe("Gateway API routing model: Services without ready endpoints (503), no match (404), attachment", () => {
    it('"When a HTTPBackendRef refers to a Service that has no ready endpoints, implementations SHOULD return a 503 for requests to that backend instead." — only for the share routed there', () => {
        const split = (b: number, g: number) => [httpRoute("r", [rule(undefined, [be("blue", b), be("green", g)])])];
        const drained = { ...READY, "shop/blue": 0 };
        approx(dist(split(100, 0), {}, drained), { 503: 1 });
        approx(dist(split(50, 50), {}, drained), { 503: 0.5, green: 0.5 });
        approx(dist(split(0, 100), {}, drained), { green: 1 }, "a drained slot at weight 0 costs production nothing");
        assert.match(reasons(split(100, 0), {}, drained).join(), /no ready endpoints/);
        // 503 (no endpoints) and 500 (no Service) stay apart.
        approx(dist(split(50, 50), {}, { "shop/green": 1 }), { 500: 0.5, green: 0.5 });
    });

    it('"When no rules matching a request have been successfully attached to the parent a request is coming from, a HTTP 404 status code MUST be returned."', () => {
        approx(dist([]), { 404: 1 });
        const objs = [to("r", "green", [prefix("/api", { headers: [hdr("canary", "1")] })], { hostnames: [HOST] })];
        assert.equal(dest(objs, { path: "/api", headers: { canary: "1" } }), "green");
        assert.equal(dest(objs, { path: "/api" }), "404");
        assert.equal(dest(objs, { path: "/", headers: { canary: "1" } }), "404");
        assert.equal(dest(objs, { host: "other.example.com", path: "/api", headers: { canary: "1" } }), "404");
    });

    it('ParentRefs: "ParentRefs references the resources (usually Gateways) that a Route wants to be attached to." — a route without parentRefs is attached to nothing and routes nothing', () => {
        const detached = to("a-detached", "green", [exact("/", { headers: [hdr("a", "1")] })], {
            parentRefs: null,
            created: "2020-01-01T00:00:00Z",
        });
        const attached = to("z-attached", "blue", [prefix("/")], { created: "2026-01-01T00:00:00Z" });
        assert.equal(dest([detached]), "404");
        assert.equal(dest([to("r", "green", undefined, { parentRefs: [] })]), "404");
        assert.equal(dest([detached, attached], { headers: { a: "1" } }), "blue", "it would win every criterion if it were attached");
        const reattached = to("a-detached", "green", [exact("/", { headers: [hdr("a", "1")] })], { created: "2020-01-01T00:00:00Z" });
        assert.equal(dest([reattached, attached], { headers: { a: "1" } }), "green");
    });

    it('"RegularExpression" matches and filters are "Implementation-specific": the model refuses a route that uses them rather than guess', () => {
        const refuse = (r: KubeObject) =>
            assert.throws(() => GW.distribution([r], READY, { host: HOST, path: "/" }), gatewayApi.UnsupportedRouteError);
        refuse(to("r", "green", [{ path: { type: "RegularExpression", value: "/a.*" } }]));
        refuse(to("r", "green", [prefix("/", { headers: [{ type: "RegularExpression", name: "x", value: ".*" }] })]));
        refuse(to("r", "green", [prefix("/", { queryParams: [{ type: "RegularExpression", name: "x", value: ".*" }] })]));
        refuse(
            httpRoute("r", [
                {
                    backendRefs: [be("green")],
                    filters: [{ type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x", value: "1" }] } }],
                },
            ]),
        );
        assert.equal(
            dest([to("r", "green", [prefix("/", { headers: [{ name: "x", value: "1" }] })])], { headers: { x: "1" } }),
            "green",
            "type defaults to Exact",
        );
    });
});

describe("Gateway API routing model: properties (fast-check)", () => {
    const SLOTS = ["blue", "green"] as const;
    const HEADER = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/);
    const VALUE = fc.stringMatching(/^[A-Za-z0-9._~-]{1,16}$/);
    const PATHS = fc.uniqueArray(fc.constantFrom("/", "/api", "/api/calculation", "/static", "/v2"), { minLength: 1, maxLength: 3 });
    const REQ_PATH = fc.constantFrom("/", "/api", "/api/calculation", "/api/calculation/1", "/static/a.js", "/v2", "/other");
    const production = (paths: string[], w: number) =>
        httpRoute(
            "app-production",
            [
                rule(
                    paths.map((p) => prefix(p)),
                    [be("blue", w), be("green", 100 - w)],
                ),
            ],
            { created: "2026-01-01T00:00:00Z" },
        );

    it("production never changes while only the preview route changes (added, removed, retargeted, other header or paths)", () => {
        const previewRoute = fc.record({
            header: HEADER,
            value: VALUE,
            target: fc.constantFrom(...SLOTS),
            paths: PATHS,
            exactPaths: fc.boolean(),
            name: fc.constantFrom("app-preview", "a-preview", "zz-preview"),
            created: fc.constantFrom("2025-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
        });
        fc.assert(
            fc.property(
                PATHS,
                fc.integer({ min: 0, max: 100 }),
                fc.option(previewRoute),
                REQ_PATH,
                fc.dictionary(HEADER, VALUE, { maxKeys: 2 }),
                fc.constantFrom(0, 1, 2),
                (paths, w, pv, path, headers, blueReady) => {
                    const ready = { ...READY, "shop/blue": blueReady };
                    const base = [production(paths, w)];
                    const objs = pv
                        ? [
                              ...base,
                              httpRoute(
                                  pv.name,
                                  [
                                      rule(
                                          pv.paths.map((p) =>
                                              pv.exactPaths
                                                  ? exact(p, { headers: [hdr(pv.header, pv.value)] })
                                                  : prefix(p, { headers: [hdr(pv.header, pv.value)] }),
                                          ),
                                          [be(pv.target)],
                                      ),
                                  ],
                                  { created: pv.created },
                              ),
                          ]
                        : base;
                    // A production request: it never carries the preview header's value.
                    const req = { path, headers: pv && Object.keys(headers).some((h) => h.toLowerCase() === pv.header) ? {} : headers };
                    assert.deepEqual(dist(objs, req, ready), dist(base, req, ready));
                },
            ),
            { numRuns: 300 },
        );
    });

    it("weights w/(100-w) give exactly those probabilities, and the per-request draw sends a request to blue iff random < w/100", () => {
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (w, random) => {
                const objs = [production(["/"], w)];
                const expected: Record<string, number> = {};
                if (w > 0) expected.blue = w / 100;
                if (w < 100) expected.green = (100 - w) / 100;
                assert.deepEqual(dist(objs), expected);
                assert.equal(key(GW.route(objs, READY, { host: HOST, path: "/", random })), random < w / 100 ? "blue" : "green");
            }),
            { numRuns: 500 },
        );
    });

    it("the preview header reaches the preview target whatever the production weights, when the preview route repeats every production path", () => {
        fc.assert(
            fc.property(
                PATHS,
                fc.integer({ min: 0, max: 100 }),
                fc.constantFrom(...SLOTS),
                HEADER,
                VALUE,
                REQ_PATH,
                (paths, w, target, header, value, path) => {
                    const objs = [
                        production(paths, w),
                        httpRoute(
                            "app-preview",
                            [
                                rule(
                                    paths.map((p) => prefix(p, { headers: [hdr(header, value)] })),
                                    [be(target)],
                                ),
                            ],
                            { created: "2026-02-01T00:00:00Z" },
                        ),
                    ];
                    const prodDest = dist([production(paths, w)], { path });
                    const got = dist(objs, { path, headers: { [header.toUpperCase()]: value } });
                    // Where production has no rule (404), neither has the preview; everywhere else the header wins.
                    assert.deepEqual(got, "404" in prodDest ? { 404: 1 } : { [target]: 1 });
                },
            ),
            { numRuns: 300 },
        );
    });

    it("with creation timestamps the outcome does not depend on the order routes are listed in", () => {
        const arbRoute = fc.record({
            name: fc.constantFrom("a", "b", "c", "d"),
            ns: fc.constantFrom("shop", "shop2"),
            created: fc.constantFrom("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
            path: fc.constantFrom("/", "/api"),
            header: fc.boolean(),
            service: fc.constantFrom("blue", "green", "red"),
        });
        fc.assert(
            fc.property(
                fc.uniqueArray(arbRoute, { minLength: 1, maxLength: 5, selector: (r) => `${r.ns}/${r.name}` }),
                fc.boolean(),
                (specs, withHeader) => {
                    const objs = specs.map((s) =>
                        to(s.name, s.service, [prefix(s.path, s.header ? { headers: [hdr("x", "1")] } : {})], {
                            ns: s.ns,
                            created: s.created,
                        }),
                    );
                    const ready = { ...READY, "shop2/blue": 1, "shop2/green": 1, "shop2/red": 1 };
                    const req = { path: "/api/x", headers: withHeader ? { x: "1" } : {} };
                    const forward = GW.distribution(objs, ready, { host: HOST, ...req });
                    const backward = GW.distribution([...objs].reverse(), ready, { host: HOST, ...req });
                    assert.deepEqual(
                        backward.map((d) => (d.outcome.kind === "served" ? serviceKey(d.outcome.service) : d.outcome.status)),
                        forward.map((d) => (d.outcome.kind === "served" ? serviceKey(d.outcome.service) : d.outcome.status)),
                    );
                },
            ),
            { numRuns: 300 },
        );
    });
});
