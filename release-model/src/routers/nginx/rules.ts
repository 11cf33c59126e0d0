/**
 * The routing model: ingress-nginx's canary rules as a pure function.
 *
 * The single source of the rules in `traffic-routing.md` (controller v1.15.1). The release stack
 * tests, the planner, the local backend's proxy and the policy pack all ask this module (through
 * the nginx `RouterModel`, or directly for Ingress-level checks) where a request goes; none of them
 * re-implements a rule.
 *
 * What it models, rule by rule (names match the tests in tests/routing-model.spec.ts):
 * - no main Ingress for the host/path → 404 for everyone, even with `canary: always`;
 * - main Service with zero ready endpoints → 503 for all traffic (header-routed and weight 100 too);
 * - canary Service with zero ready endpoints → silent fallback to the main Service;
 * - precedence header → cookie → weight; session affinity on the main Ingress wins over all three;
 * - `canary-by-header`: `always`/`never`, name case-insensitive, value case-sensitive;
 * - `canary-by-header-value`: exact match → canary; any other value (even `never`) falls through;
 * - `canary-by-cookie`: `always`/`never`;
 * - `canary-weight` 0..total with `canary-weight-total` (default 100), drawn like Lua's
 *   `math.random(total) <= weight`;
 * - at most one canary per host/path (the oldest is the one the balancer uses);
 * - two main Ingresses for one host/path: the oldest wins at runtime; the admission webhook
 *   ({@link admitIngress}) rejects the second when neither carries `canary` or both are canaries;
 * - a canary inherits the main Ingress's annotations (its own non-canary annotations are ignored).
 *
 * Not modelled: `canary-by-header-pattern` (regex), `use-regex` paths, TLS. Routers in this repo
 * never set them; {@link unsupportedAnnotations} lets callers refuse objects that do.
 */

import {
    describeOutcomes,
    headerValue,
    normaliseHost,
    serviceKey,
    soleService,
    type ReadyEndpoints,
    type RouteRequest,
    type SampledRequest,
    type ServiceRef,
    type WeightedOutcome,
} from "../router-model";

export { describeOutcomes, serviceKey, soleService };
export type { ReadyEndpoints, RouteRequest, SampledRequest, ServiceRef, WeightedOutcome };

/** The annotation prefix ingress-nginx reads. */
export const NGINX_ANNOTATION_PREFIX = "nginx.ingress.kubernetes.io/";

/** Annotation keys (full names) the model reads. */
export const ANNOTATIONS = {
    canary: `${NGINX_ANNOTATION_PREFIX}canary`,
    canaryByHeader: `${NGINX_ANNOTATION_PREFIX}canary-by-header`,
    canaryByHeaderValue: `${NGINX_ANNOTATION_PREFIX}canary-by-header-value`,
    canaryByHeaderPattern: `${NGINX_ANNOTATION_PREFIX}canary-by-header-pattern`,
    canaryByCookie: `${NGINX_ANNOTATION_PREFIX}canary-by-cookie`,
    canaryWeight: `${NGINX_ANNOTATION_PREFIX}canary-weight`,
    canaryWeightTotal: `${NGINX_ANNOTATION_PREFIX}canary-weight-total`,
    affinity: `${NGINX_ANNOTATION_PREFIX}affinity`,
    sessionCookieName: `${NGINX_ANNOTATION_PREFIX}session-cookie-name`,
    useRegex: `${NGINX_ANNOTATION_PREFIX}use-regex`,
} as const;

/** ingress-nginx's default session-affinity cookie name. */
export const DEFAULT_SESSION_COOKIE_NAME = "INGRESSCOOKIE";
/** The ingress class the controller watches unless told otherwise. */
export const DEFAULT_INGRESS_CLASS = "nginx";

export type PathType = "Exact" | "Prefix" | "ImplementationSpecific";

/**
 * One host/path rule of one Ingress object (an Ingress with several paths is several rules
 * sharing `namespace`/`name`). {@link rulesFromKubernetesIngress} builds these from objects.
 */
export interface IngressRule {
    namespace: string;
    name: string;
    /** Smaller is older (the controller orders by `creationTimestamp`, then namespace/name). */
    creationOrder: number;
    /** `spec.ingressClassName`; undefined means "no class" (ignored by the default controller). */
    ingressClassName?: string;
    /** Empty string: a rule without `host` (the default server). */
    host: string;
    path: string;
    pathType: PathType;
    annotations: Record<string, string>;
    backend: ServiceRef;
}

/** Why a request reached the Service it reached. */
export type RouteReason = "no-canary" | "affinity" | "header" | "header-value" | "cookie" | "weight" | "canary-has-no-endpoints";

/** ingress-nginx's outcome: the general `RouteOutcome` plus which Ingress served and why. */
export type RouteOutcome =
    | { kind: "served"; service: ServiceRef; via: "main" | "canary"; ingress: string; reason: RouteReason }
    | { kind: "error"; status: 404 | 503; reason: string };

export interface RoutingOptions {
    /** The ingress class the controller serves; default `nginx`. */
    ingressClass?: string;
}

/** Go's `strconv.ParseBool`, which the controller uses for boolean annotations. */
export function parseGoBool(v: string | undefined): boolean | undefined {
    if (v === undefined) return undefined;
    if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
    if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
    return undefined;
}

/** True when the rule's Ingress is a canary (`canary` annotation parses to true). */
export function isCanary(rule: Pick<IngressRule, "annotations">): boolean {
    return parseGoBool(rule.annotations[ANNOTATIONS.canary]) === true;
}

/** True when the Ingress carries the `canary` annotation at all (any value). */
export function carriesCanaryAnnotation(rule: Pick<IngressRule, "annotations">): boolean {
    return Object.prototype.hasOwnProperty.call(rule.annotations, ANNOTATIONS.canary);
}

/** Annotations present that the model does not interpret (callers may refuse such objects). */
export function unsupportedAnnotations(rule: Pick<IngressRule, "annotations">): string[] {
    return [ANNOTATIONS.canaryByHeaderPattern, ANNOTATIONS.useRegex].filter((k) => k in rule.annotations);
}

/** The key ingress-nginx groups Ingress rules by (host, path, pathType): one main and one canary per key. */
export function locationKey(r: Pick<IngressRule, "host" | "path" | "pathType">): string {
    return `${normaliseHost(r.host)}\u0000${r.path}\u0000${r.pathType}`;
}

function olderFirst(a: IngressRule, b: IngressRule): number {
    return a.creationOrder - b.creationOrder || serviceKey(a).localeCompare(serviceKey(b));
}

function hostMatches(ruleHost: string, reqHost: string): "exact" | "wildcard" | undefined {
    const rh = normaliseHost(ruleHost);
    if (rh === reqHost) return "exact";
    if (rh.startsWith("*.")) {
        const suffix = rh.slice(1); // ".example.com"
        const label = reqHost.slice(0, reqHost.length - suffix.length);
        if (reqHost.endsWith(suffix) && label.length > 0 && !label.includes(".")) return "wildcard";
    }
    return undefined;
}

/** Match strength of a rule's path for a request path, or undefined. Longer wins; Exact beats Prefix. */
function pathScore(rule: Pick<IngressRule, "path" | "pathType">, reqPath: string): number | undefined {
    const p = rule.path === "" ? "/" : rule.path;
    switch (rule.pathType) {
        case "Exact":
            return reqPath === p ? p.length * 2 + 1 : undefined;
        case "Prefix": {
            if (p === "/") return 2;
            const base = p.endsWith("/") ? p.slice(0, -1) : p;
            return reqPath === base || reqPath.startsWith(`${base}/`) ? base.length * 2 : undefined;
        }
        case "ImplementationSpecific":
            // nginx's plain prefix location.
            return reqPath.startsWith(p) ? p.length * 2 : undefined;
    }
}

interface Location {
    main: IngressRule;
    canary?: IngressRule;
}

/** The locations the controller builds: only main rules create them; canaries attach to them. */
function buildLocations(rules: IngressRule[], opts: RoutingOptions): Map<string, Location> {
    const cls = opts.ingressClass ?? DEFAULT_INGRESS_CLASS;
    const ours = rules.filter((r) => r.ingressClassName === cls).sort(olderFirst);
    const locations = new Map<string, Location>();
    for (const r of ours) {
        if (isCanary(r)) continue;
        const key = locationKey(r);
        // Two mains for one host/path (admitted with explicit `canary: "false"`): the oldest wins.
        if (!locations.has(key)) locations.set(key, { main: r });
    }
    for (const r of ours) {
        if (!isCanary(r)) continue;
        const loc = locations.get(locationKey(r));
        // A canary without a main is ignored; only the first (oldest) canary is used.
        if (loc && !loc.canary) loc.canary = r;
    }
    return locations;
}

function findLocation(locations: Map<string, Location>, req: RouteRequest): Location | undefined {
    const host = normaliseHost(req.host);
    const path = req.path.split("?")[0] || "/";
    // nginx server selection: exact name, then wildcard, then the default server (rules without host).
    const all = [...locations.values()];
    const exact = all.filter((l) => l.main.host !== "" && hostMatches(l.main.host, host) === "exact");
    const wild = all.filter((l) => l.main.host !== "" && hostMatches(l.main.host, host) === "wildcard");
    const dflt = all.filter((l) => l.main.host === "");
    let server: Location[] = exact.length > 0 ? exact : dflt;
    if (exact.length === 0 && wild.length > 0) {
        const longest = Math.max(...wild.map((l) => l.main.host.length));
        server = wild.filter((l) => l.main.host.length === longest);
    }
    let best: { loc: Location; score: number } | undefined;
    for (const loc of server) {
        const score = pathScore(loc.main, path);
        if (score !== undefined && (best === undefined || score > best.score)) best = { loc, score };
    }
    return best?.loc;
}

/** An integer annotation as the controller parses it (Go's `strconv.Atoi` after trimming), else undefined. */
export function parseIntStrict(v: string | undefined): number | undefined {
    if (v === undefined || !/^\s*-?\d+\s*$/.test(v)) return undefined;
    return Number.parseInt(v, 10);
}

/** The canary's weight split: weight out of total (Lua: `math.random(total) <= weight`). */
export function canaryWeights(canary: Pick<IngressRule, "annotations">): { weight: number; total: number } {
    const totalRaw = parseIntStrict(canary.annotations[ANNOTATIONS.canaryWeightTotal]);
    const total = totalRaw !== undefined && totalRaw > 0 ? totalRaw : 100;
    const w = parseIntStrict(canary.annotations[ANNOTATIONS.canaryWeight]) ?? 0;
    return { weight: Math.min(Math.max(w, 0), total), total };
}

/** Every possible outcome for a request, with its probability over the weight draw. */
/** A {@link WeightedOutcome} whose outcome says which Ingress served. */
export interface NginxWeightedOutcome {
    outcome: RouteOutcome;
    probability: number;
}

interface Decision {
    final?: RouteOutcome;
    /** When no rule decided: the canary is chosen with this probability. */
    weighted?: { main: RouteOutcome; canary: RouteOutcome; weight: number; total: number };
}

function decide(rules: IngressRule[], endpoints: ReadyEndpoints, req: RouteRequest, opts: RoutingOptions): Decision {
    const loc = findLocation(buildLocations(rules, opts), req);
    if (!loc) {
        return { final: { kind: "error", status: 404, reason: `no main Ingress for host "${req.host}" path "${req.path}"` } };
    }
    const { main, canary } = loc;
    if ((endpoints[serviceKey(main.backend)] ?? 0) <= 0) {
        return {
            final: {
                kind: "error",
                status: 503,
                reason: `main Service ${serviceKey(main.backend)} has no ready endpoints (503 for all traffic, canary rules not consulted)`,
            },
        };
    }
    const ingressId = (r: IngressRule) => `${r.namespace}/${r.name}`;
    const toMain = (reason: RouteReason): RouteOutcome => ({
        kind: "served",
        service: main.backend,
        via: "main",
        ingress: ingressId(main),
        reason,
    });
    if (!canary) return { final: toMain("no-canary") };

    // Session affinity comes from the main Ingress (the canary inherits, its own is ignored).
    const affinity = main.annotations[ANNOTATIONS.affinity];
    const cookieName = main.annotations[ANNOTATIONS.sessionCookieName] ?? DEFAULT_SESSION_COOKIE_NAME;
    if (affinity === "cookie" && req.cookies?.[cookieName] !== undefined) return { final: toMain("affinity") };

    // No ready endpoints: the controller has no balancer for the canary backend, so it falls back silently.
    if ((endpoints[serviceKey(canary.backend)] ?? 0) <= 0) return { final: toMain("canary-has-no-endpoints") };
    const toCanary = (reason: RouteReason): RouteOutcome => ({
        kind: "served",
        service: canary.backend,
        via: "canary",
        ingress: ingressId(canary),
        reason,
    });

    const a = canary.annotations;
    const headerName = a[ANNOTATIONS.canaryByHeader];
    if (headerName) {
        const v = headerValue(req.headers, headerName);
        if (v !== undefined) {
            const wanted = a[ANNOTATIONS.canaryByHeaderValue];
            if (wanted !== undefined && wanted.length > 0) {
                if (v === wanted) return { final: toCanary("header-value") };
                // any other value, `never` included, falls through
            } else if (v === "always") {
                return { final: toCanary("header") };
            } else if (v === "never") {
                return { final: toMain("header") };
            }
        }
    }
    const cookie = a[ANNOTATIONS.canaryByCookie];
    if (cookie) {
        const v = req.cookies?.[cookie];
        if (v === "always") return { final: toCanary("cookie") };
        if (v === "never") return { final: toMain("cookie") };
    }
    const { weight, total } = canaryWeights(canary);
    return { weighted: { main: toMain("weight"), canary: toCanary("weight"), weight, total } };
}

/** Where one request goes, the weight draw fixed by `req.random` ∈ [0, 1). */
export function routeRequest(
    rules: IngressRule[],
    endpoints: ReadyEndpoints,
    req: SampledRequest,
    opts: RoutingOptions = {},
): RouteOutcome {
    if (!(req.random >= 0 && req.random < 1)) throw new RangeError(`random must be in [0, 1), got ${req.random}`);
    const d = decide(rules, endpoints, req, opts);
    if (d.final) return d.final;
    const w = d.weighted!;
    const draw = Math.floor(req.random * w.total) + 1; // math.random(total): an integer in 1..total
    return draw <= w.weight ? w.canary : w.main;
}

/** Every outcome a request can have over all weight draws, with probabilities (zero-probability ones left out). */
export function routeDistribution(
    rules: IngressRule[],
    endpoints: ReadyEndpoints,
    req: RouteRequest,
    opts: RoutingOptions = {},
): NginxWeightedOutcome[] {
    const d = decide(rules, endpoints, req, opts);
    if (d.final) return [{ outcome: d.final, probability: 1 }];
    const w = d.weighted!;
    const p = w.weight / w.total;
    return [
        { outcome: w.canary, probability: p },
        { outcome: w.main, probability: 1 - p },
    ].filter((o) => o.probability > 0);
}

/** Where a production request (no preview header or cookie) to host/path can go. */
export function routeProduction(
    rules: IngressRule[],
    endpoints: ReadyEndpoints,
    target: { host: string; path?: string },
    opts: RoutingOptions = {},
): NginxWeightedOutcome[] {
    return routeDistribution(rules, endpoints, { host: target.host, path: target.path ?? "/" }, opts);
}

/** Where a preview request (carrying `header: value`) to host/path can go. */
export function routePreview(
    rules: IngressRule[],
    endpoints: ReadyEndpoints,
    target: { host: string; path?: string; header: string; value: string },
    opts: RoutingOptions = {},
): NginxWeightedOutcome[] {
    return routeDistribution(
        rules,
        endpoints,
        { host: target.host, path: target.path ?? "/", headers: { [target.header]: target.value } },
        opts,
    );
}

export type AdmissionResult = { allowed: true } | { allowed: false; reason: string };

/**
 * The ingress-nginx admission webhook's overlap check for one Ingress object (all its rules)
 * against the Ingresses already in the cluster. Updating an Ingress (same namespace/name) never
 * conflicts with itself. Two rules for one host/path/pathType conflict when neither Ingress carries
 * the `canary` annotation, or both are canaries; an explicit `canary: "false"` on either is admitted
 * (and then the oldest main wins at runtime, see {@link routeRequest}).
 */
export function admitIngress(existing: IngressRule[], incoming: IngressRule[], opts: RoutingOptions = {}): AdmissionResult {
    const cls = opts.ingressClass ?? DEFAULT_INGRESS_CLASS;
    for (const inc of incoming) {
        if (inc.ingressClassName !== cls) continue;
        for (const ex of existing) {
            if (ex.ingressClassName !== cls) continue;
            if (ex.namespace === inc.namespace && ex.name === inc.name) continue;
            if (locationKey(ex) !== locationKey(inc)) continue;
            const neitherCarries = !carriesCanaryAnnotation(ex) && !carriesCanaryAnnotation(inc);
            const bothCanaries = isCanary(ex) && isCanary(inc);
            if (neitherCarries || bothCanaries) {
                return {
                    allowed: false,
                    reason:
                        `host "${inc.host}" and path "${inc.path}" is already defined in ingress ${ex.namespace}/${ex.name}` +
                        (bothCanaries ? " (at most one canary per host/path)" : ""),
                };
            }
        }
    }
    return { allowed: true };
}

/** The subset of a `networking.k8s.io/v1` Ingress the model reads. */
export interface KubernetesIngressLike {
    metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; creationTimestamp?: string };
    spec?: {
        ingressClassName?: string;
        rules?: Array<{
            host?: string;
            http?: { paths?: Array<{ path?: string; pathType?: string; backend?: { service?: { name?: string } } }> };
        }>;
    };
}

/**
 * Expands a Kubernetes Ingress object into model rules. `creationOrder` orders Ingresses by age
 * (pass the index of creation; smaller is older). The backend Service is in the Ingress's namespace.
 */
export function rulesFromKubernetesIngress(obj: KubernetesIngressLike, creationOrder: number, defaultNamespace = "default"): IngressRule[] {
    const namespace = obj.metadata?.namespace ?? defaultNamespace;
    const name = obj.metadata?.name ?? "";
    const out: IngressRule[] = [];
    for (const rule of obj.spec?.rules ?? []) {
        for (const p of rule.http?.paths ?? []) {
            const svc = p.backend?.service?.name;
            if (!svc) continue;
            const pathType = p.pathType as PathType;
            if (!["Exact", "Prefix", "ImplementationSpecific"].includes(pathType)) {
                throw new Error(`Ingress ${namespace}/${name}: unsupported pathType ${String(p.pathType)}`);
            }
            out.push({
                namespace,
                name,
                creationOrder,
                ingressClassName: obj.spec?.ingressClassName,
                host: rule.host ?? "",
                path: p.path ?? "/",
                pathType,
                annotations: { ...(obj.metadata?.annotations ?? {}) },
                backend: { namespace, name: svc },
            });
        }
    }
    return out;
}
