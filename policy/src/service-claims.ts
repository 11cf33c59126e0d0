/**
 * Several services on one platform: a release stack may route only the hosts and paths the platform
 * gave its service, and may register objects only in its service's own namespaces. The claims are the
 * platform stack's `serviceClaims` output, handed to the pack as this policy's config (`claims`, in
 * the `--policy-pack-config` file; docs/policy.md "Service claims"); without claims there is nothing
 * to check against (a platform hosting one service) and the policy passes.
 *
 * Ownership is decided by the claims model of `@phoenix/release-model` (`claimOwner`,
 * `routeClaimProblem`, `namespaceOwner`): the longest claimed path prefix on a host owns it, as the
 * Gateway API's precedence gives the longer prefix the request. Routes are read with the Gateway API
 * model (`stackRoutes`) and Ingresses with the nginx model (`rulesFromKubernetesIngress`), so this
 * policy reads HTTPRoute and Ingress objects exactly as the router policies do.
 */
import type { PolicyResource } from "@pulumi/policy";
import { claimConflicts, namespaceOwner, nginx, routeClaimProblem, serviceClaim, type ServiceClaim } from "@phoenix/release-model";
import { stackPolicy, TYPES } from "./define";
import { stackRoutes } from "./gateway-routes";
import { asArray, asString, at, isRecord, isUnknownValueError, Props } from "./util";

interface ServiceClaimsConfig {
    /** The platform's `serviceClaims` output: `{ service, hostnames, pathPrefix, namespaces }` per hosted service. */
    claims: unknown[];
    /** The service this stack releases; empty: the one its slot releases deploy (`values.appName`). */
    service: string;
}

const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
/** Kinds that always live in a namespace ("default" when the object names none). */
const ALWAYS_NAMESPACED: readonly string[] = [TYPES.httpRoute, TYPES.referenceGrant, TYPES.ingress];

/** The claims from the pack config, rebuilt with the model (namespaces derived from the name, never trusted from the file). */
export function claimsFromConfig(raw: unknown[]): { claims: ServiceClaim[]; problems: string[] } {
    const claims: ServiceClaim[] = [];
    const problems: string[] = [];
    raw.forEach((c, i) => {
        const service = asString(at(c, "service"));
        const pathPrefix = asString(at(c, "pathPrefix"));
        const hostnames = asArray(at(c, "hostnames"));
        if (service === undefined || pathPrefix === undefined || !hostnames.every((h) => typeof h === "string")) {
            problems.push(`claims[${i}] is not a claim ({ service, hostnames, pathPrefix } as the platform's serviceClaims output has it)`);
            return;
        }
        claims.push(serviceClaim(service, hostnames as string[], pathPrefix));
    });
    return { claims, problems: [...problems, ...claimConflicts(claims)] };
}

/** The services the stack deploys: the app names of its slot releases, else the apps of its routes namespaces. */
export function deployedServices(resources: PolicyResource[], claims: readonly ServiceClaim[]): string[] {
    const fromReleases = new Set<string>();
    for (const r of resources) {
        if (r.type !== TYPES.helmRelease) continue;
        const values = (r.props as Props).values;
        const app = isRecord(values) ? asString(values.appName) : undefined;
        if (app !== undefined && app !== "") fromReleases.add(app);
    }
    if (fromReleases.size > 0) return [...fromReleases];
    const fromRoutes = new Set<string>();
    for (const r of stackRoutes(resources)) {
        const owner = namespaceOwner(claims, r.object.metadata.namespace ?? "default");
        if (owner !== undefined) fromRoutes.add(owner);
    }
    return [...fromRoutes];
}

/** The namespace a resource lives in (a Namespace: its own name), or undefined for objects this policy does not place. */
function namespaceOf(r: PolicyResource): string | undefined {
    const props = r.props as Props;
    if (r.type === NAMESPACE_TYPE) return asString(at(props.metadata, "name")) ?? r.name;
    if (r.type === TYPES.helmRelease) return asString(props.namespace) ?? "default";
    if (!r.type.startsWith("kubernetes:") || r.type.startsWith("pulumi:providers:")) return undefined;
    const ns = asString(at(props.metadata, "namespace"));
    // Objects that are always namespaced fall into "default" without one; cluster-scoped ones carry none.
    return ns ?? (ALWAYS_NAMESPACED.includes(r.type) ? "default" : undefined);
}

function kindOf(r: PolicyResource): string {
    return r.type.split(":").pop() ?? r.type;
}

export const releaseServiceClaims = stackPolicy<ServiceClaimsConfig>({
    name: "release-service-claims",
    description:
        "A release stack on a shared platform routes only the hosts and paths the platform's serviceClaims give its service, and registers objects only in that service's namespaces.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Route the host and path prefix the platform gave the service (phoenix-platform:services), keep every object in blue-<service>, green-<service> or <service>-routes, and send traffic only to the service's own slot Services; to move a host or path, change the platform's services first.",
    configSchema: {
        properties: {
            claims: {
                type: "array",
                items: {
                    type: "object",
                    properties: {
                        service: { type: "string" },
                        hostnames: { type: "array", items: { type: "string" } },
                        pathPrefix: { type: "string" },
                        namespaces: { type: "array", items: { type: "string" } },
                    },
                    required: ["service", "hostnames", "pathPrefix"],
                },
                default: [],
                description:
                    "The platform stack's serviceClaims output (pulumi stack output serviceClaims --json); empty: nothing to check.",
            },
            service: {
                type: "string",
                default: "",
                description: "The service this stack releases; empty: the one its slot releases deploy (values.appName).",
            },
        },
    },
    check: ({ args, config, report }) => {
        if (config.claims.length === 0) return;
        const { claims, problems } = claimsFromConfig(config.claims);
        if (problems.length > 0) {
            report(`the pack config's release-service-claims.claims cannot be used: ${problems.join("; ")}.`);
            return;
        }
        const deployed = deployedServices(args.resources, claims);
        if (deployed.length === 0 && config.service === "") return; // not a release stack (registry, platform)
        if (config.service === "" && deployed.length > 1) {
            report(
                `the stack deploys several services (${deployed.join(", ")}); a release stack releases one (set release-service-claims.service).`,
            );
            return;
        }
        const service = config.service !== "" ? config.service : deployed[0];
        for (const other of deployed.filter((d) => d !== service))
            report(`the stack deploys service "${other}", but it releases service "${service}" (release-service-claims.service).`);
        const own = claims.find((c) => c.service === service);
        if (!own) {
            report(
                `service "${service}" is not one the platform hosts (${claims.map((c) => c.service).join(", ")}): it has no host, path or namespace.`,
            );
            return;
        }

        for (const r of args.resources) {
            const ns = namespaceOf(r);
            if (ns === undefined || own.namespaces.includes(ns)) continue;
            const owner = namespaceOwner(claims, ns);
            const what = r.type === NAMESPACE_TYPE ? `Namespace ${ns}` : `${kindOf(r)} ${r.name} in namespace ${ns}`;
            report(
                owner !== undefined
                    ? `${what}: the namespace belongs to service "${owner}", not to "${service}".`
                    : `${what}: not one of service "${service}"'s namespaces (${own.namespaces.join(", ")}).`,
                r.urn,
            );
        }

        for (const r of stackRoutes(args.resources)) {
            if (!r.route) continue; // gateway-supported-route-features reports it
            const id = `HTTPRoute ${r.route.namespace}/${r.route.name}`;
            const seen = new Set<string>();
            const hosts = r.route.hostnames.length > 0 ? r.route.hostnames : [undefined];
            for (const rule of r.route.rules) {
                for (const m of rule.matches) {
                    for (const host of hosts) {
                        const problem = routeClaimProblem(claims, service, { host, path: m.path.value });
                        if (problem && !seen.has(problem)) {
                            seen.add(problem);
                            report(`${id} of service "${service}": ${problem}.`, r.resource.urn);
                        }
                    }
                }
                for (const b of rule.backendRefs) {
                    if (own.namespaces.includes(b.namespace)) continue;
                    const owner = namespaceOwner(claims, b.namespace);
                    const key = `backend ${b.namespace}/${b.name}`;
                    if (seen.has(key)) continue;
                    seen.add(key);
                    report(
                        `${id} of service "${service}" sends traffic to Service ${b.namespace}/${b.name}${owner !== undefined ? `, which belongs to service "${owner}"` : ", outside the service's namespaces"}.`,
                        r.resource.urn,
                    );
                }
            }
        }

        args.resources.forEach((r, index) => {
            if (r.type !== TYPES.ingress) return;
            const props = r.props as Props;
            const obj = props as nginx.KubernetesIngressLike;
            const namespace = asString(at(props.metadata, "namespace")) ?? "default";
            let rules: nginx.IngressRule[];
            try {
                rules = nginx.rulesFromKubernetesIngress(
                    { ...obj, metadata: { ...(obj.metadata ?? {}), name: asString(at(props.metadata, "name")) ?? r.name } },
                    index,
                    namespace,
                );
            } catch (e) {
                if (isUnknownValueError(e)) throw e;
                return; // router-explicit-canary-annotation reports an Ingress the model cannot read
            }
            const seen = new Set<string>();
            for (const rule of rules) {
                const problem = routeClaimProblem(claims, service, { host: rule.host === "" ? undefined : rule.host, path: rule.path });
                if (problem && !seen.has(problem)) {
                    seen.add(problem);
                    report(`Ingress ${rule.namespace}/${rule.name} of service "${service}": ${problem}.`, r.urn);
                }
            }
        });
    },
});

export const serviceClaimPolicies = [releaseServiceClaims];
