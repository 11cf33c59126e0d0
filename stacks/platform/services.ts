/**
 * The services a platform hosts (`phoenix-platform:services`), read from their config strings and
 * validated, and their claims once the platform's own host is known. Pure.
 *
 * An entry is `<name>`, `<name>=<path>`, `<name>=<host>[,<host>…]` or `<name>=<host>[,<host>…]<path>`:
 * without hosts the service is served on the platform's own host (`publicHostname`, else the front
 * door's cloudapp.azure.com name); without a path it owns the whole host (`/`).
 */
import { claimConflicts, isServicePathPrefix, SERVICE_NAME, serviceClaim, type ServiceClaim } from "@phoenix/release-model";
import type { ConfigReader } from "../../components/config-validation";

/** One hosted service as configured. */
export interface PlatformService {
    name: string;
    /** Host names of its own; empty: the platform's host. */
    hostnames: string[];
    pathPrefix: string;
}

/** A fully qualified host name: lower-case labels, at least one dot, no wildcard, not an IP address. */
const HOSTNAME = /^(?=.{4,253}$)(?![\d.]+$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;
/** A Gateway listener name (`http-<host>`) must fit a SectionName: at most 253 characters. */
const LISTENER_PREFIX = "http-";

const ENTRY_TEXT = "<name>, <name>=<path>, <name>=<host>[,<host>…] or <name>=<host>[,<host>…]<path>";

/** One entry parsed, or the reason it cannot be (naming what was expected). */
export function parseServiceEntry(entry: string): { service: PlatformService } | { problem: string } {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    if (!SERVICE_NAME.test(name))
        return {
            problem: `${ENTRY_TEXT} whose name is a DNS-1123 label of at most 40 characters (it names blue-<name>, green-<name>, <name>-routes)`,
        };
    if (eq < 0) return { service: { name, hostnames: [], pathPrefix: "/" } };
    const rest = entry.slice(eq + 1);
    const slash = rest.indexOf("/");
    const hostText = slash < 0 ? rest : rest.slice(0, slash);
    const pathPrefix = slash < 0 ? "/" : rest.slice(slash);
    if (rest === "") return { problem: `${ENTRY_TEXT}: nothing after "="` };
    const hostnames = hostText === "" ? [] : hostText.split(",");
    for (const h of hostnames) {
        if (!HOSTNAME.test(h))
            return { problem: `${ENTRY_TEXT} whose hosts are fully qualified lower-case host names (no wildcard, no IP): "${h}" is not` };
        if (LISTENER_PREFIX.length + h.length > 253) return { problem: `host names of at most ${253 - LISTENER_PREFIX.length} characters` };
    }
    if (new Set(hostnames).size !== hostnames.length) return { problem: `${ENTRY_TEXT} naming each host once` };
    if (!isServicePathPrefix(pathPrefix))
        return {
            problem: `${ENTRY_TEXT} whose path is a clean absolute path prefix (segments of URL path characters, no trailing "/", no "." or ".."): "${pathPrefix}" is not`,
        };
    return { service: { name, hostnames, pathPrefix } };
}

/** The claims of the configured services once the platform's host is known (a service without hosts gets it). */
export function serviceClaims(services: readonly PlatformService[], platformHost: string): ServiceClaim[] {
    return services.map((s) => serviceClaim(s.name, s.hostnames.length > 0 ? s.hostnames : [platformHost], s.pathPrefix));
}

/**
 * The host names the Gateway needs a listener of their own for (every configured host other than the
 * platform's), each with the services it admits routes from, in configuration order. Pure.
 */
export function serviceListenerHosts(
    services: readonly PlatformService[],
    platformHost: string,
): { hostname: string; services: string[] }[] {
    const byHost = new Map<string, string[]>();
    for (const s of services) {
        for (const h of s.hostnames) {
            if (h === platformHost) continue;
            const list = byHost.get(h) ?? [];
            if (!list.includes(s.name)) list.push(s.name);
            byHost.set(h, list);
        }
    }
    return [...byHost].map(([hostname, names]) => ({ hostname, services: names }));
}

/** The most listeners a Gateway has (the CRD's `MaxItems=64`). */
const MAX_LISTENERS = 64;

/**
 * Reads `services`: a list of entries, default one service named `defaultName` on the platform's host
 * at `/`. Records a problem per bad entry (naming it) and per conflict between entries. With a
 * `publicHostname`, a service naming that host shares the platform host's listener and claims.
 */
export function readServices(
    r: ConfigReader,
    key: string,
    defaultName: string,
    opts: { publicHostname?: string; platformListeners: number },
): PlatformService[] {
    const entries = r.stringList(key);
    const services: PlatformService[] = [];
    entries.forEach((entry, i) => {
        const parsed = parseServiceEntry(entry);
        if ("problem" in parsed) r.problem(`${key}[${i}]`, parsed.problem, entry);
        else services.push(parsed.service);
    });
    if (entries.length === 0) return [{ name: defaultName, hostnames: [], pathPrefix: "/" }];
    if (services.length !== entries.length) return services;
    // The platform's host is an output when publicHostname is unset; a placeholder no configured host can equal stands in for it.
    const placeholder = "platform-host.invalid";
    const platformHost = opts.publicHostname ?? placeholder;
    for (const p of claimConflicts(serviceClaims(services, platformHost)))
        r.problem(
            key,
            `services that claim distinct host + path pairs and namespaces (${p.split(placeholder).join("the platform host")})`,
            entries,
        );
    const listeners = opts.platformListeners + serviceListenerHosts(services, platformHost).length;
    if (listeners > MAX_LISTENERS)
        r.problem(
            key,
            `at most ${MAX_LISTENERS - opts.platformListeners} host names besides the platform's (one Gateway listener each)`,
            entries,
        );
    return services;
}
