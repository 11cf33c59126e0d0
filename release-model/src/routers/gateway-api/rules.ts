/**
 * The Gateway API's HTTPRoute semantics as a pure function (spec v1.6.1, `apis/v1/httproute_types.go`,
 * `apis/v1beta1/referencegrant_types.go`; see gateway-api.md). Every rule names the spec sentence it
 * encodes; tests/gateway-routing-model.spec.ts has one test per rule.
 *
 * Modelled:
 * - hostnames: a route without hostnames matches every host; `*.example.com` matches any name ending in
 *   `.example.com` (not `example.com` itself); the route with the longest matching non-wildcard
 *   hostname, then the longest matching hostname, wins ("precedence must be given to rules from the
 *   HTTPRoute with the largest number of: characters in a matching non-wildcard hostname; characters
 *   in a matching hostname");
 * - matches: path `Exact` / `PathPrefix` (element-wise; default `PathPrefix /`), header `Exact` (name
 *   case-insensitive; "only the first entry with an equivalent name MUST be considered"), query `Exact`,
 *   method; all conditions of one match must hold, any match of a rule selects the rule;
 * - precedence across all routes on the listener: exact path, longest prefix, method, most header
 *   matches, most query matches; then the oldest route, then `{namespace}/{name}` alphabetically; inside
 *   one route the first matching rule;
 * - backends: weight / sum of weights (unset → 1); a backend that is invalid (not a Service, Service
 *   missing, cross-namespace without a ReferenceGrant, no port) answers 500 for its share; a Service
 *   with no ready endpoints answers 503; a rule whose weights are all 0 is refused (500: Envoy rejects
 *   such a config, other implementations answer 500 or 503 — Phoenix never registers one);
 * - no matching rule → 404.
 * Not modelled: `RegularExpression` matches (implementation-specific), filters, timeouts, retries,
 * session persistence (experimental channel). {@link parseHTTPRoute} refuses routes that use them.
 */
import {
    normaliseHost,
    serviceKey,
    type ReadyEndpoints,
    type RouteOutcome,
    type RouteRequest,
    type ServiceRef,
    type WeightedOutcome,
} from "../router-model";

export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export type PathMatchType = "Exact" | "PathPrefix";

export interface HeaderMatch {
    name: string;
    value: string;
}

export interface RouteMatch {
    path: { type: PathMatchType; value: string };
    headers: HeaderMatch[];
    queryParams: HeaderMatch[];
    method?: string;
}

export interface BackendRef {
    group: string;
    kind: string;
    name: string;
    /** Resolved: the route's own namespace when the ref gives none. */
    namespace: string;
    port?: number;
    weight: number;
}

export interface RouteRule {
    matches: RouteMatch[];
    backendRefs: BackendRef[];
}

/** An HTTPRoute as the model reads it. */
export interface HTTPRoute {
    namespace: string;
    name: string;
    /** Smaller is older. */
    creationOrder: number;
    /** False when the route names no parent (it is attached to nothing). */
    attached: boolean;
    hostnames: string[];
    rules: RouteRule[];
}

/** A ReferenceGrant as the model reads it: lives in the target namespace. */
export interface ReferenceGrant {
    namespace: string;
    from: Array<{ group: string; kind: string; namespace: string }>;
    to: Array<{ group: string; kind: string; name?: string }>;
}

/** A route the model cannot reason about (a field whose behaviour is implementation-specific). */
export class UnsupportedRouteError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UnsupportedRouteError";
    }
}

/** The subset of a `gateway.networking.k8s.io/v1` HTTPRoute object the model reads. */
export interface HTTPRouteLike {
    metadata?: { name?: string; namespace?: string; creationTimestamp?: string };
    spec?: {
        parentRefs?: Array<{ name?: string; namespace?: string }>;
        hostnames?: string[];
        rules?: Array<{
            matches?: Array<{
                path?: { type?: string; value?: string };
                headers?: Array<{ type?: string; name?: string; value?: string }>;
                queryParams?: Array<{ type?: string; name?: string; value?: string }>;
                method?: string;
            }>;
            backendRefs?: Array<{ group?: string; kind?: string; name?: string; namespace?: string; port?: number; weight?: number }>;
            filters?: unknown[];
        }>;
    };
}

export interface ReferenceGrantLike {
    metadata?: { namespace?: string };
    spec?: {
        from?: Array<{ group?: string; kind?: string; namespace?: string }>;
        to?: Array<{ group?: string; kind?: string; name?: string }>;
    };
}

function exactOnly(kind: string, type: string | undefined, where: string): void {
    if ((type ?? "Exact") !== "Exact")
        throw new UnsupportedRouteError(`${where}: ${kind} match type ${type} is implementation-specific; only Exact is modelled`);
}

/** An HTTPRoute object → model route, with the CRD's defaults applied. `creationOrder`: smaller is older. */
export function parseHTTPRoute(obj: HTTPRouteLike, creationOrder: number): HTTPRoute {
    const namespace = obj.metadata?.namespace ?? "default";
    const name = obj.metadata?.name ?? "";
    const where = `HTTPRoute ${namespace}/${name}`;
    const rules: RouteRule[] = (obj.spec?.rules ?? [{}]).map((r, ri) => {
        if (r.filters && r.filters.length > 0) throw new UnsupportedRouteError(`${where} rule ${ri}: filters are not modelled`);
        // CRD default: a rule without matches matches PathPrefix "/".
        const matches = (r.matches && r.matches.length > 0 ? r.matches : [{}]).map((m): RouteMatch => {
            const type = m.path?.type ?? "PathPrefix";
            if (type !== "Exact" && type !== "PathPrefix")
                throw new UnsupportedRouteError(`${where}: path match type ${type} is implementation-specific`);
            for (const h of m.headers ?? []) exactOnly("header", h.type, where);
            for (const q of m.queryParams ?? []) exactOnly("query", q.type, where);
            return {
                path: { type, value: m.path?.value ?? "/" },
                headers: (m.headers ?? []).map((h) => ({ name: h.name ?? "", value: h.value ?? "" })),
                queryParams: (m.queryParams ?? []).map((q) => ({ name: q.name ?? "", value: q.value ?? "" })),
                ...(m.method ? { method: m.method } : {}),
            };
        });
        const backendRefs = (r.backendRefs ?? []).map((b): BackendRef => ({
            group: b.group ?? "",
            kind: b.kind ?? "Service",
            name: b.name ?? "",
            namespace: b.namespace ?? namespace,
            ...(b.port !== undefined ? { port: b.port } : {}),
            weight: b.weight ?? 1,
        }));
        return { matches, backendRefs };
    });
    return {
        namespace,
        name,
        creationOrder,
        attached: (obj.spec?.parentRefs ?? []).length > 0,
        hostnames: (obj.spec?.hostnames ?? []).map(normaliseHost),
        rules,
    };
}

export function parseReferenceGrant(obj: ReferenceGrantLike): ReferenceGrant {
    return {
        namespace: obj.metadata?.namespace ?? "default",
        from: (obj.spec?.from ?? []).map((f) => ({ group: f.group ?? "", kind: f.kind ?? "", namespace: f.namespace ?? "" })),
        to: (obj.spec?.to ?? []).map((t) => ({ group: t.group ?? "", kind: t.kind ?? "", ...(t.name ? { name: t.name } : {}) })),
    };
}

/** Hostname match strength of a route for a host: [non-wildcard characters, characters], or undefined. */
function hostnameScore(route: HTTPRoute, host: string): [number, number] | undefined {
    if (route.hostnames.length === 0) return [0, 0];
    let best: [number, number] | undefined;
    for (const h of route.hostnames) {
        let score: [number, number] | undefined;
        if (h === host) score = [h.length, h.length];
        else if (h.startsWith("*.") && host.endsWith(h.slice(1)) && host.length > h.length - 1) score = [0, h.length];
        if (score && (!best || score[0] > best[0] || (score[0] === best[0] && score[1] > best[1]))) best = score;
    }
    return best;
}

/** "PathPrefix: matching is done on a path element by element basis"; a trailing slash is ignored. */
function pathMatches(m: RouteMatch["path"], reqPath: string): boolean {
    if (m.type === "Exact") return reqPath === m.value;
    const prefix = m.value.length > 1 && m.value.endsWith("/") ? m.value.slice(0, -1) : m.value;
    if (prefix === "/") return true;
    return reqPath === prefix || reqPath.startsWith(`${prefix}/`);
}

/** A percent-decoded query component; a malformed escape stays as sent (it matches nothing, it never throws). */
function decodeQueryPart(s: string): string {
    try {
        return decodeURIComponent(s);
    } catch {
        return s;
    }
}

/**
 * Path and query parameters of a request target. A parameter splits at its first `=` only (a value
 * may contain `=`); for a repeated parameter the first value counts ("it is *recommended* that
 * implementations should match against the first value of the param").
 */
function splitPath(path: string): { path: string; query: Map<string, string> } {
    const i = path.indexOf("?");
    const query = new Map<string, string>();
    if (i < 0) return { path: path || "/", query };
    for (const part of path.slice(i + 1).split("&")) {
        const eq = part.indexOf("=");
        const k = decodeQueryPart(eq < 0 ? part : part.slice(0, eq));
        const v = eq < 0 ? "" : decodeQueryPart(part.slice(eq + 1));
        if (k && !query.has(k)) query.set(k, v);
    }
    return { path: path.slice(0, i) || "/", query };
}

/** "Only the first entry with an equivalent header name MUST be considered": header names compared case-insensitively. */
function firstPerName(list: HeaderMatch[], caseInsensitive: boolean): HeaderMatch[] {
    const seen = new Set<string>();
    return list.filter((h) => {
        const k = caseInsensitive ? h.name.toLowerCase() : h.name;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
    });
}

function matchOf(m: RouteMatch, req: RouteRequest, path: string, query: Map<string, string>): boolean {
    if (!pathMatches(m.path, path)) return false;
    if (m.method !== undefined && m.method !== (req.method ?? "GET").toUpperCase()) return false;
    for (const h of firstPerName(m.headers, true)) {
        const want = h.name.toLowerCase();
        const got = Object.entries(req.headers ?? {}).find(([k, v]) => k.toLowerCase() === want && v !== undefined)?.[1];
        if (got !== h.value) return false;
    }
    for (const q of firstPerName(m.queryParams, false)) if (query.get(q.name) !== q.value) return false;
    return true;
}

interface Candidate {
    route: HTTPRoute;
    ruleIndex: number;
    /** Compared lexicographically, larger wins. */
    key: number[];
}

function compareCandidates(a: Candidate, b: Candidate): number {
    for (let i = 0; i < Math.max(a.key.length, b.key.length); i++) {
        const d = (b.key[i] ?? 0) - (a.key[i] ?? 0);
        if (d !== 0) return d;
    }
    // "the oldest Route based on creation timestamp", then "{namespace}/{name}" alphabetically, then the first rule.
    return (
        a.route.creationOrder - b.route.creationOrder ||
        `${a.route.namespace}/${a.route.name}`.localeCompare(`${b.route.namespace}/${b.route.name}`) ||
        a.ruleIndex - b.ruleIndex
    );
}

/** The rule that handles a request, or undefined (404). */
export function selectRule(routes: HTTPRoute[], req: RouteRequest): { route: HTTPRoute; rule: RouteRule } | undefined {
    const host = normaliseHost(req.host);
    const { path, query } = splitPath(req.path);
    const candidates: Candidate[] = [];
    for (const route of routes) {
        if (!route.attached) continue;
        const hs = hostnameScore(route, host);
        if (!hs) continue;
        route.rules.forEach((rule, ruleIndex) => {
            for (const m of rule.matches) {
                if (!matchOf(m, req, path, query)) continue;
                const exact = m.path.type === "Exact" ? 1 : 0;
                const prefixLen = m.path.type === "PathPrefix" ? m.path.value.length : 0;
                candidates.push({
                    route,
                    ruleIndex,
                    key: [
                        hs[0],
                        hs[1],
                        exact,
                        prefixLen,
                        m.method !== undefined ? 1 : 0,
                        firstPerName(m.headers, true).length,
                        firstPerName(m.queryParams, false).length,
                    ],
                });
            }
        });
    }
    candidates.sort(compareCandidates);
    const c = candidates[0];
    return c ? { route: c.route, rule: c.route.rules[c.ruleIndex] } : undefined;
}

/**
 * Whether a route may reference a backend: same namespace, or "a ReferenceGrant object is required in
 * the referent namespace" admitting HTTPRoutes from the route's namespace ("From") to this Service or
 * to every Service there ("To": "When unspecified, this policy refers to all resources of the
 * specified Group and Kind in the local namespace").
 */
export function referenceAllowed(
    route: Pick<HTTPRoute, "namespace">,
    b: Pick<BackendRef, "group" | "kind" | "name" | "namespace">,
    grants: ReferenceGrant[],
): boolean {
    if (b.namespace === route.namespace) return true;
    return grants.some(
        (g) =>
            g.namespace === b.namespace &&
            g.from.some((f) => f.group === GATEWAY_API_GROUP && f.kind === "HTTPRoute" && f.namespace === route.namespace) &&
            g.to.some((t) => t.group === b.group && t.kind === b.kind && (t.name === undefined || t.name === b.name)),
    );
}

/** Whether a backendRef resolves: a Service that exists, with a port, in a namespace the route may reach. */
export function backendProblem(route: HTTPRoute, b: BackendRef, grants: ReferenceGrant[], ready: ReadyEndpoints): string | undefined {
    if (b.group !== "" || b.kind !== "Service") return `backend ${b.group || "core"}/${b.kind} ${b.name} is not a Service`;
    if (b.port === undefined)
        return `backend Service ${b.namespace}/${b.name} has no port ("port is required when the referent is a Kubernetes Service")`;
    if (!referenceAllowed(route, b, grants)) {
        return `backend Service ${b.namespace}/${b.name} is in another namespace than HTTPRoute ${route.namespace}/${route.name} and no ReferenceGrant allows it`;
    }
    if (!(serviceKey(b) in ready)) return `backend Service ${b.namespace}/${b.name} does not exist`;
    return undefined;
}

/** The outcome of sending a request to one backend. */
function backendOutcome(route: HTTPRoute, b: BackendRef, grants: ReferenceGrant[], ready: ReadyEndpoints): RouteOutcome {
    const problem = backendProblem(route, b, grants, ready);
    if (problem) return { kind: "error", status: 500, reason: problem };
    const svc: ServiceRef = { namespace: b.namespace, name: b.name };
    if ((ready[serviceKey(svc)] ?? 0) <= 0)
        return { kind: "error", status: 503, reason: `Service ${serviceKey(svc)} has no ready endpoints` };
    return { kind: "served", service: svc, reason: `HTTPRoute ${route.namespace}/${route.name}` };
}

/**
 * Why a rule answers 500 to every request it selects whatever its backends' state, or undefined: it
 * has no backendRefs ("If *all* entries in BackendRefs are invalid … *all* traffic which matches this
 * rule MUST receive a 500"), or every weight is 0 (refused: implementations disagree).
 */
export function ruleRefusal(rule: RouteRule): string | undefined {
    if (rule.backendRefs.length === 0) return "has no backends";
    if (rule.backendRefs.reduce((n, b) => n + b.weight, 0) <= 0) return "gives every backend weight 0 (refused: implementations disagree)";
    return undefined;
}

/** Every outcome of a request with its probability (same outcomes merged). */
export function gatewayDistribution(
    routes: HTTPRoute[],
    grants: ReferenceGrant[],
    ready: ReadyEndpoints,
    req: RouteRequest,
): WeightedOutcome[] {
    const sel = selectRule(routes, req);
    if (!sel)
        return [
            {
                outcome: { kind: "error", status: 404, reason: `no HTTPRoute rule matches host "${req.host}" path "${req.path}"` },
                probability: 1,
            },
        ];
    const { route, rule } = sel;
    const refusal = ruleRefusal(rule);
    if (refusal)
        return [
            {
                outcome: { kind: "error", status: 500, reason: `HTTPRoute ${route.namespace}/${route.name}: the matching rule ${refusal}` },
                probability: 1,
            },
        ];
    const total = rule.backendRefs.reduce((n, b) => n + b.weight, 0);
    const merged = new Map<string, WeightedOutcome>();
    for (const b of rule.backendRefs) {
        if (b.weight <= 0) continue;
        const outcome = backendOutcome(route, b, grants, ready);
        const key = outcome.kind === "served" ? `s:${serviceKey(outcome.service)}` : `e:${outcome.status}:${outcome.reason}`;
        const prev = merged.get(key);
        if (prev) prev.probability += b.weight / total;
        else merged.set(key, { outcome, probability: b.weight / total });
    }
    return [...merged.values()];
}

/** Where one request goes, the weighted draw fixed by `random` ∈ [0, 1). */
export function gatewayRoute(
    routes: HTTPRoute[],
    grants: ReferenceGrant[],
    ready: ReadyEndpoints,
    req: RouteRequest & { random: number },
): RouteOutcome {
    if (!(req.random >= 0 && req.random < 1)) throw new RangeError(`random must be in [0, 1), got ${req.random}`);
    const sel = selectRule(routes, req);
    if (!sel) return { kind: "error", status: 404, reason: `no HTTPRoute rule matches host "${req.host}" path "${req.path}"` };
    const dist = gatewayDistribution([sel.route], grants, ready, req);
    let acc = 0;
    for (const d of dist) {
        acc += d.probability;
        if (req.random < acc) return d.outcome;
    }
    return dist[dist.length - 1].outcome;
}
