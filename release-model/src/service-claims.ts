/**
 * Service claims: which service of a shared platform owns which host + path prefix and which
 * namespaces. The platform stack declares the services it hosts (`phoenix-platform:services`) and
 * exports their claims; the policy pack reads them (`release-service-claims`) and refuses a release
 * stack whose routes reach into another service's host or path, or whose objects live in namespaces
 * that are not its own. Pure: no Pulumi, no I/O.
 *
 * Ownership follows the Gateway API's own precedence for path prefixes (longest matching prefix wins,
 * element by element), so a claim nested in another one (`/inventory` inside `/`) owns its sub-tree.
 */
import { SLOT_NAMES } from "./release-state";
import { normaliseHost, slotService } from "./routers/router-model";
import { routesNamespace } from "./routers/gateway-api/objects";

/** What one service owns on the platform. */
export interface ServiceClaim {
    /** The service's name (its app name: slots are `<slot>-<service>`, routes `<service>-routes`). */
    service: string;
    /** Host names its routes serve (lower case, concrete; the platform's own host when none was configured). */
    hostnames: string[];
    /** The path prefix it owns on each of those hosts (`/` for the whole host). */
    pathPrefix: string;
    /** The namespaces its release stack registers objects in: the two slot namespaces and the routes namespace. */
    namespaces: string[];
}

/**
 * The label the release stack sets on a service's routes namespace (its value: the service's name).
 * A Gateway listener for a service's own host admits routes only from namespaces carrying it.
 */
export const SERVICE_NAMESPACE_LABEL = "app.kubernetes.io/part-of";

/** A service name: a DNS-1123 label of at most 40 characters, so `green-<name>` and `<name>-routes` stay namespace names. */
export const SERVICE_NAME = /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/;

/** A path prefix: `/`, or `/`-separated non-empty segments of URL path characters, no trailing `/`, no `.`/`..` segment. */
const PATH_PREFIX = /^(\/|(\/(?!\.{1,2}(\/|$))[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+)$/;

export function isServicePathPrefix(p: string): boolean {
    return p.length <= 1024 && PATH_PREFIX.test(p);
}

/** The namespaces a service owns: `blue-<service>`, `green-<service>`, `<service>-routes`. */
export function serviceNamespaces(service: string): string[] {
    return [...SLOT_NAMES.map((slot) => slotService(slot, service).namespace), routesNamespace(service)];
}

/** A claim with its namespaces filled in and its host names normalised. */
export function serviceClaim(service: string, hostnames: string[], pathPrefix: string): ServiceClaim {
    return { service, hostnames: hostnames.map(normaliseHost), pathPrefix, namespaces: serviceNamespaces(service) };
}

/** "PathPrefix" containment, element by element: `/a` contains `/a` and `/a/b`, not `/ab`; `/` contains everything. */
export function prefixContains(prefix: string, path: string): boolean {
    const p = prefix.length > 1 && prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    if (p === "/") return true;
    return path === p || path.startsWith(`${p}/`);
}

/** The service owning a request path on a host: the claim of that host with the longest prefix containing the path. */
export function claimOwner(claims: readonly ServiceClaim[], host: string, path: string): ServiceClaim | undefined {
    const h = normaliseHost(host);
    let best: ServiceClaim | undefined;
    for (const c of claims) {
        if (!c.hostnames.includes(h) || !prefixContains(c.pathPrefix, path)) continue;
        if (!best || c.pathPrefix.length > best.pathPrefix.length) best = c;
    }
    return best;
}

/** Every problem of a set of claims, each naming the values: repeated names, a host + path claimed twice, a namespace owned twice. */
export function claimConflicts(claims: readonly ServiceClaim[]): string[] {
    const problems: string[] = [];
    const names = new Map<string, number>();
    const places = new Map<string, string>();
    const namespaces = new Map<string, string>();
    claims.forEach((c, i) => {
        if (!SERVICE_NAME.test(c.service))
            problems.push(`service ${JSON.stringify(c.service)}: expected a DNS-1123 label of at most 40 characters`);
        if (names.has(c.service)) {
            problems.push(`service "${c.service}" is listed twice (entries ${names.get(c.service)} and ${i})`);
            return;
        }
        names.set(c.service, i);
        if (!isServicePathPrefix(c.pathPrefix))
            problems.push(`service "${c.service}": path prefix ${JSON.stringify(c.pathPrefix)} is not a clean absolute path`);
        if (c.hostnames.length === 0) problems.push(`service "${c.service}" claims no host`);
        for (const h of c.hostnames) {
            const key = `${h}${c.pathPrefix === "/" ? "/" : c.pathPrefix}`;
            const other = places.get(key);
            if (other !== undefined && other !== c.service)
                problems.push(`services "${other}" and "${c.service}" both claim host ${h} path ${c.pathPrefix}`);
            else places.set(key, c.service);
        }
        for (const ns of c.namespaces) {
            const other = namespaces.get(ns);
            if (other !== undefined) problems.push(`services "${other}" and "${c.service}" would both own namespace ${ns}`);
            else namespaces.set(ns, c.service);
        }
    });
    return problems;
}

/** The service owning a namespace, or undefined. */
export function namespaceOwner(claims: readonly ServiceClaim[], namespace: string): string | undefined {
    return claims.find((c) => c.namespaces.includes(namespace))?.service;
}

/** One place a route asks to serve: a host (undefined: the route names none, so every host) and a path match. */
export interface RouteClaim {
    host: string | undefined;
    path: string;
}

/** The claimed hosts a route host name matches: itself, or every claimed host under a `*.` wildcard, or all of them when unset. */
function matchedHosts(claims: readonly ServiceClaim[], host: string | undefined): string[] {
    const all = [...new Set(claims.flatMap((c) => c.hostnames))];
    if (host === undefined) return all;
    const h = normaliseHost(host);
    if (!h.startsWith("*.")) return [h];
    return all.filter((x) => x.endsWith(h.slice(1)) && x.length > h.length - 1);
}

/**
 * Why `service` may not serve `route` (undefined: it may). On every claimed host the route reaches,
 * the owner of the route's path (the longest claimed prefix containing it) must be `service`. A
 * claim nested inside the route's path (`/inventory` under a route for `/`) is no problem: the
 * Gateway gives the longer prefix precedence, so the nested service keeps its traffic.
 */
export function routeClaimProblem(claims: readonly ServiceClaim[], service: string, route: RouteClaim): string | undefined {
    const own = claims.find((c) => c.service === service);
    if (!own) return `service "${service}" is not one the platform hosts (${claims.map((c) => c.service).join(", ") || "none"})`;
    const hosts = matchedHosts(claims, route.host);
    const shown = route.host === undefined ? "every host (no hostnames)" : `host ${route.host}`;
    if (route.host !== undefined && !route.host.startsWith("*.") && !claims.some((c) => c.hostnames.includes(hosts[0])))
        return `${shown} is claimed by no service of the platform (service "${service}" owns ${own.hostnames.join(", ")} ${own.pathPrefix})`;
    for (const h of hosts) {
        const owner = claimOwner(claims, h, route.path);
        if (owner?.service === service) continue;
        if (owner) return `${shown} path ${route.path} reaches host ${h} path ${owner.pathPrefix}, owned by service "${owner.service}"`;
        return `${shown} path ${route.path} reaches host ${h}, where service "${service}" owns no path containing ${route.path}`;
    }
    return undefined;
}
