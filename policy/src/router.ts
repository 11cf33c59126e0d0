/**
 * Traffic router policies (stack-level): the ingress-nginx canary invariants of
 * `traffic-routing.md` over every Ingress and Helm release a stack registers.
 *
 * The rules themselves come from the nginx router model (`@phoenix/release-model`, routers/nginx),
 * the single source of ingress-nginx's behaviour in this repo: Ingress objects are expanded with its
 * `rulesFromKubernetesIngress`, canaries recognised with its `isCanary`/`carriesCanaryAnnotation`,
 * weights read with its `canaryWeights`/`parseIntStrict`, and "same host/path/pathType" decided by
 * its `locationKey` rather than re-encoded here.
 */
import type { PolicyResource } from "@pulumi/policy";
import { nginx } from "@phoenix/release-model";
import { stackPolicy, TYPES } from "./define";
import { releaseName } from "./helm-releases";
import { asNumber, asString, at, isRecord, isUnknownValueError, Props, show } from "./util";

const {
    ANNOTATIONS,
    canaryWeights,
    carriesCanaryAnnotation,
    isCanary,
    locationKey,
    parseGoBool,
    parseIntStrict,
    rulesFromKubernetesIngress,
    unsupportedAnnotations,
} = nginx;
type IngressRule = nginx.IngressRule;
type KubernetesIngressLike = nginx.KubernetesIngressLike;

interface RouterConfig {
    ingressClass: string;
}

const routerSchema = {
    ingressClass: {
        type: "string" as const,
        default: "nginx",
        description: "Ingress class served by the ingress-nginx controller; Ingresses of other classes are ignored.",
    },
};

/** One Ingress resource of the stack with its model rules. */
export interface StackIngress {
    resource: PolicyResource;
    /** Rules of the configured class; empty when `error` is set. */
    rules: IngressRule[];
    /** Why the object could not be read as routing rules (the model refused it). */
    error?: string;
}

/** Every Ingress of the stack, expanded into routing-model rules in registration (creation) order. */
export function stackIngresses(resources: PolicyResource[], ingressClass: string): StackIngress[] {
    const out: StackIngress[] = [];
    resources.forEach((r, index) => {
        if (r.type !== TYPES.ingress) return;
        const props = r.props as Props;
        const obj = props as KubernetesIngressLike;
        const namespace = asString(at(props.metadata, "namespace")) ?? "default";
        // An Ingress without metadata.name is auto-named by Pulumi; the resource name identifies it.
        const withName: KubernetesIngressLike = {
            ...obj,
            metadata: { ...(obj.metadata ?? {}), name: asString(at(props.metadata, "name")) ?? r.name },
        };
        let rules: IngressRule[];
        try {
            rules = rulesFromKubernetesIngress(withName, index, namespace);
        } catch (e) {
            // An unknown value during preview must reach the SDK (it downgrades the policy).
            if (isUnknownValueError(e)) throw e;
            out.push({ resource: r, rules: [], error: e instanceof Error ? e.message : String(e) });
            return;
        }
        rules = rules.filter((rule) => rule.ingressClassName === ingressClass);
        if (rules.length > 0) out.push({ resource: r, rules });
    });
    return out;
}

/** Same host (normalised), path and pathType, as the controller and its admission webhook compare them. */
export function sameLocation(a: IngressRule, b: IngressRule): boolean {
    return a.ingressClassName === b.ingressClassName && locationKey(a) === locationKey(b);
}

function ingressId(rule: IngressRule): string {
    return `${rule.namespace}/${rule.name}`;
}

export const routerSingleCanary = stackPolicy<RouterConfig>({
    name: "router-single-canary-per-host-path",
    description: "At most one canary Ingress may exist per host, path and pathType (ingress-nginx silently uses only the oldest).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Keep exactly one canary Ingress (the green slot's) per host/path; move production by its canary-weight instead of adding canaries.",
    configSchema: { properties: { ...routerSchema } },
    check: ({ args, config, report }) => {
        const canaries = stackIngresses(args.resources, config.ingressClass).flatMap((i) =>
            i.rules.filter(isCanary).map((rule) => ({ rule, urn: i.resource.urn })),
        );
        for (let j = 1; j < canaries.length; j++) {
            for (let i = 0; i < j; i++) {
                const [a, b] = [canaries[i], canaries[j]];
                if (ingressId(a.rule) === ingressId(b.rule) || !sameLocation(a.rule, b.rule)) continue;
                report(
                    `canary Ingress ${ingressId(b.rule)} duplicates canary ${ingressId(a.rule)} for host "${b.rule.host}" path "${b.rule.path}" (${b.rule.pathType}).`,
                    b.urn,
                );
                break;
            }
        }
    },
});

export const routerCanaryHasMain = stackPolicy<RouterConfig>({
    name: "router-canary-has-main",
    description: "Every canary Ingress must have a main Ingress for the same host and path, or every request to it gets 404.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Keep the main Ingress (pointing at the blue slot) in place for as long as a canary exists; never delete it to promote.",
    configSchema: { properties: { ...routerSchema } },
    check: ({ args, config, report }) => {
        const all = stackIngresses(args.resources, config.ingressClass);
        const mains = all.flatMap((i) => i.rules.filter((r) => !isCanary(r)));
        for (const ing of all) {
            for (const rule of ing.rules.filter(isCanary)) {
                if (!mains.some((m) => sameLocation(m, rule))) {
                    report(
                        `canary Ingress ${ingressId(rule)} has no main Ingress for host "${rule.host}" path "${rule.path}" (${rule.pathType}): 404 for everyone.`,
                        ing.resource.urn,
                    );
                }
            }
        }
    },
});

export const routerExplicitCanaryAnnotation = stackPolicy<RouterConfig>({
    name: "router-explicit-canary-annotation",
    description:
        'Every Ingress of a routed host must carry an explicit, valid `nginx.ingress.kubernetes.io/canary` annotation ("true" or "false").',
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        'Annotate the main Ingress with `nginx.ingress.kubernetes.io/canary: "false"` and the canary with `"true"`, so the admission webhook admits both and nothing is ambiguous.',
    configSchema: { properties: { ...routerSchema } },
    check: ({ args, config, report }) => {
        for (const ing of stackIngresses(args.resources, config.ingressClass)) {
            if (ing.error !== undefined) {
                report(`Ingress ${ing.resource.name} cannot be read as routing rules: ${ing.error}.`, ing.resource.urn);
                continue;
            }
            const rule = ing.rules[0];
            if (!carriesCanaryAnnotation(rule)) {
                report(`Ingress ${ingressId(rule)} (host "${rule.host}") has no ${ANNOTATIONS.canary} annotation.`, ing.resource.urn);
            } else if (parseGoBool(rule.annotations[ANNOTATIONS.canary]) === undefined) {
                report(
                    `Ingress ${ingressId(rule)}: ${ANNOTATIONS.canary} is ${show(rule.annotations[ANNOTATIONS.canary])}; expected "true" or "false".`,
                    ing.resource.urn,
                );
            }
        }
    },
});

export const routerCanaryWeightRange = stackPolicy<RouterConfig>({
    name: "router-canary-weight-range",
    description: "Canary weights must be integers from 0 to the weight total (100 unless canary-weight-total says otherwise).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        'Set `nginx.ingress.kubernetes.io/canary-weight` to "0" (blue live) or "100" (green live), or a value in between during a weighted step.',
    configSchema: { properties: { ...routerSchema } },
    check: ({ args, config, report }) => {
        for (const ing of stackIngresses(args.resources, config.ingressClass)) {
            const rule = ing.rules[0];
            if (!rule || !isCanary(rule)) continue;
            const rawTotal = rule.annotations[ANNOTATIONS.canaryWeightTotal];
            const total0 = parseIntStrict(rawTotal);
            if (rawTotal !== undefined && (total0 === undefined || total0 <= 0)) {
                report(
                    `Ingress ${ingressId(rule)}: canary-weight-total is ${show(rawTotal)}; expected a positive integer.`,
                    ing.resource.urn,
                );
            }
            const raw = rule.annotations[ANNOTATIONS.canaryWeight];
            if (raw === undefined) continue;
            const { total } = canaryWeights(rule);
            const max = Math.max(total, 0);
            const weight = parseIntStrict(raw);
            if (weight === undefined || weight < 0 || weight > Math.min(max, 100)) {
                report(
                    `Ingress ${ingressId(rule)}: canary-weight is ${show(raw)}; expected an integer from 0 to ${Math.min(max, 100)}.`,
                    ing.resource.urn,
                );
            }
        }
    },
});

/** Helm releases of the stack by `namespace/name` (the chart names its Service after the release). */
function releasesByService(resources: PolicyResource[]): Map<string, PolicyResource> {
    const out = new Map<string, PolicyResource>();
    for (const r of resources) {
        if (r.type !== TYPES.helmRelease) continue;
        const props = r.props as Props;
        const ns = asString(props.namespace) ?? "default";
        out.set(`${ns}/${releaseName(props, r.name)}`, r);
    }
    return out;
}

export const routerMainSlotReplicas = stackPolicy<RouterConfig & { minReplicas: number }>({
    name: "router-main-slot-replicas",
    description:
        "The slot behind the main Ingress must keep at least one replica, or ingress-nginx answers 503 to all traffic, canary included.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Keep the main-side (blue) slot's release in the stack with `values.replicaCount` ≥ 1; scale down or remove only the canary-side slot.",
    configSchema: {
        properties: {
            ...routerSchema,
            minReplicas: { type: "integer", minimum: 1, default: 1, description: "Fewest replicas the main-side slot may run." },
        },
    },
    check: ({ args, config, report }) => {
        const releases = releasesByService(args.resources);
        for (const ing of stackIngresses(args.resources, config.ingressClass)) {
            for (const rule of ing.rules) {
                if (isCanary(rule)) continue;
                const key = `${rule.backend.namespace}/${rule.backend.name}`;
                const release = releases.get(key);
                if (!release) {
                    report(
                        `main Ingress ${ingressId(rule)} routes to Service ${key}, which no Helm release in this stack provides.`,
                        ing.resource.urn,
                    );
                    continue;
                }
                const values = (release.props as Props).values;
                const replicas = asNumber(isRecord(values) ? values.replicaCount : undefined);
                if (replicas === undefined || replicas < config.minReplicas) {
                    report(
                        `main-side release ${key} has values.replicaCount ${show(at(values, "replicaCount"))}; expected at least ${config.minReplicas}.`,
                        release.urn,
                    );
                }
            }
        }
    },
});

export const routerSupportedAnnotations = stackPolicy<RouterConfig>({
    name: "router-supported-annotations",
    description:
        "Ingresses should avoid annotations the routing model does not reason about (canary-by-header-pattern, use-regex), so plans and policies stay exact.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
        "Use canary-by-header with canary-by-header-value instead of a pattern, and plain Prefix/Exact paths instead of regexes.",
    configSchema: { properties: { ...routerSchema } },
    check: ({ args, config, report }) => {
        for (const ing of stackIngresses(args.resources, config.ingressClass)) {
            if (ing.rules.length === 0) continue;
            const extra = unsupportedAnnotations(ing.rules[0]);
            if (extra.length > 0) report(`Ingress ${ingressId(ing.rules[0])} uses ${extra.join(", ")}.`, ing.resource.urn);
        }
    },
});

export const routerPolicies = [
    routerSingleCanary,
    routerCanaryHasMain,
    routerExplicitCanaryAnnotation,
    routerCanaryWeightRange,
    routerMainSlotReplicas,
    routerSupportedAnnotations,
];
