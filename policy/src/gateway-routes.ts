/**
 * Gateway API release policies: the invariants of issue 12 over the HTTPRoutes and ReferenceGrants a
 * release stack registers — the production route lists both slot Services, preview rules live in a
 * route of their own, no rule gives every backend weight 0, every cross-namespace backend has a
 * ReferenceGrant, and every route object passes the CRDs' admission rules — and the safety model's
 * readiness rule as far as a preview can see it (weight only on a slot whose release runs replicas and
 * waits for them).
 *
 * The rules come from the Gateway API router model (`@phoenix/release-model`, routers/gateway-api),
 * the single source of HTTPRoute semantics in this repo: objects are read with its `parseHTTPRoute` /
 * `parseReferenceGrant` (the CRD defaults applied), refused rules found with its `ruleRefusal`, grants
 * checked with its `referenceAllowed`, admission with its `routeObjectProblems`, and the production
 * route and slot Services named with its `routesNamespace` / `productionRouteName` / `slotService`.
 * Violation messages never quote header values: the preview route carries the per-release secret.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
    SLOT_NAMES,
    gatewayApi,
    previewRouteName,
    productionRouteName,
    readinessProblem,
    routesNamespace,
    serviceKey,
    slotService,
    type KubeObject,
} from "@phoenix/release-model";
import { resourcePolicy, stackPolicy, TYPES } from "./define";
import { releaseName } from "./helm-releases";
import { asNumber, asString, at, isRecord, isUnknownValueError, Props } from "./util";

type HTTPRoute = gatewayApi.HTTPRoute;

/** A registered HTTPRoute or ReferenceGrant as the Kubernetes object it describes. */
export function kubeObjectOf(r: PolicyResource | { type: string; name: string; props: Props }): KubeObject {
    const props = r.props as Props;
    const md = props.metadata;
    // A custom resource without metadata.name is auto-named by Pulumi; the resource name identifies it.
    const metadata: KubeObject["metadata"] = {
        name: asString(at(md, "name")) ?? r.name,
        namespace: asString(at(md, "namespace")) ?? "default",
    };
    const labels = at(md, "labels");
    if (isRecord(labels)) metadata.labels = labels as Record<string, string>;
    return { apiVersion: asString(props.apiVersion) ?? "", kind: asString(props.kind) ?? "", metadata, spec: props.spec };
}

/** One HTTPRoute of the stack, read by the model; `error` when the model cannot read it. */
export interface StackRoute {
    resource: PolicyResource;
    object: KubeObject;
    route?: HTTPRoute;
    error?: string;
}

/** Every HTTPRoute of the stack, in registration order (older first). */
export function stackRoutes(resources: PolicyResource[]): StackRoute[] {
    return resources
        .filter((r) => r.type === TYPES.httpRoute)
        .map((resource, i) => {
            const object = kubeObjectOf(resource);
            try {
                return { resource, object, route: gatewayApi.parseHTTPRoute(object as gatewayApi.HTTPRouteLike, i) };
            } catch (e) {
                // An unknown value during preview must reach the SDK (it downgrades the policy).
                if (isUnknownValueError(e) || !(e instanceof gatewayApi.UnsupportedRouteError)) throw e;
                return { resource, object, error: e.message };
            }
        });
}

/** Every ReferenceGrant of the stack, read by the model. */
export function stackGrants(resources: PolicyResource[]): gatewayApi.ReferenceGrant[] {
    return resources
        .filter((r) => r.type === TYPES.referenceGrant)
        .map((r) => gatewayApi.parseReferenceGrant(kubeObjectOf(r) as gatewayApi.ReferenceGrantLike));
}

/** The app whose production route this is (`<app>-production` in `<app>-routes`), or undefined. */
export function productionRouteApp(route: Pick<HTTPRoute, "namespace" | "name">): string | undefined {
    const suffix = routesNamespace("");
    if (!route.namespace.endsWith(suffix)) return undefined;
    const app = route.namespace.slice(0, -suffix.length);
    return app !== "" && routesNamespace(app) === route.namespace && productionRouteName(app) === route.name ? app : undefined;
}

/** Apps with a Phoenix route (production or preview) in the stack. */
function appsOf(routes: StackRoute[]): string[] {
    const apps = new Set<string>();
    for (const r of routes) {
        const suffix = routesNamespace("");
        const ns = r.object.metadata.namespace ?? "";
        if (!ns.endsWith(suffix)) continue;
        const app = ns.slice(0, -suffix.length);
        if (app !== "" && [productionRouteName(app), previewRouteName(app)].includes(r.object.metadata.name)) apps.add(app);
    }
    return [...apps];
}

const id = (r: Pick<HTTPRoute, "namespace" | "name">) => `${r.namespace}/${r.name}`;
/** A rule is a preview rule when one of its matches needs a header. */
const isPreviewRule = (rule: gatewayApi.RouteRule) => rule.matches.some((m) => m.headers.length > 0);

export const gatewayProductionRouteBothSlots = stackPolicy({
    name: "gateway-production-route-both-slots",
    description:
        "The production HTTPRoute must exist and its one rule must list both slot Services, so production moves only by weights and no backend is ever swapped in or out.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Register `<app>-production` in `<app>-routes` with exactly one rule whose backendRefs are the blue and the green slot Services (weights 100/0 or 0/100 at rest); change only their weights (components/traffic-router.ts does this).",
    check: ({ args, report }) => {
        const routes = stackRoutes(args.resources);
        for (const app of appsOf(routes)) {
            const prod = routes.find(
                (r) => r.object.metadata.namespace === routesNamespace(app) && r.object.metadata.name === productionRouteName(app),
            );
            if (!prod) {
                const any = routes.find((r) => r.object.metadata.namespace === routesNamespace(app));
                report(
                    `app ${app} has routes in ${routesNamespace(app)} but no production HTTPRoute ${productionRouteName(app)}: production requests get 404.`,
                    any?.resource.urn,
                );
                continue;
            }
            if (!prod.route) continue; // gateway-supported-route-features reports it
            if (prod.route.rules.length !== 1) {
                report(
                    `production HTTPRoute ${id(prod.route)} has ${prod.route.rules.length} rules; expected exactly one (adding, removing or reordering rules renames the proxy's clusters).`,
                    prod.resource.urn,
                );
            }
            prod.route.rules.forEach((rule, i) => {
                const listed = new Set(rule.backendRefs.filter((b) => b.group === "" && b.kind === "Service").map((b) => serviceKey(b)));
                const missing = SLOT_NAMES.filter((slot) => !listed.has(serviceKey(slotService(slot, app))));
                if (missing.length > 0) {
                    report(
                        `production HTTPRoute ${id(prod.route!)} rule ${i} does not list the ${missing.join(" and ")} slot Service${missing.length > 1 ? "s" : ""} (${missing.map((s) => serviceKey(slotService(s, app))).join(", ")}); both slots must be listed at all times and only their weights change.`,
                        prod.resource.urn,
                    );
                }
            });
        }
    },
});

export const gatewayPreviewRouteSeparate = stackPolicy({
    name: "gateway-preview-route-separate",
    description:
        "Preview rules (rules with header matches) must live in an HTTPRoute of their own, never in the production route, so adding or removing a preview never renumbers production's rules.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Put the header-matched preview rule in `<app>-preview` (repeating every path match of the production route) and keep `<app>-production` to its one weighted rule; Envoy Gateway names clusters by rule index (envoyproxy/gateway#9029).",
    check: ({ args, report }) => {
        for (const r of stackRoutes(args.resources)) {
            if (!r.route) continue;
            const preview = r.route.rules.map((rule, i) => (isPreviewRule(rule) ? i : -1)).filter((i) => i >= 0);
            if (preview.length === 0) continue;
            if (productionRouteApp(r.route) !== undefined) {
                report(
                    `production HTTPRoute ${id(r.route)} carries preview rule${preview.length > 1 ? "s" : ""} ${preview.join(", ")} (header matches); move them to a preview HTTPRoute of their own.`,
                    r.resource.urn,
                );
            } else if (preview.length < r.route.rules.length) {
                report(
                    `HTTPRoute ${id(r.route)} mixes preview rules ${preview.join(", ")} (header matches) with production rules; a preview route holds preview rules only.`,
                    r.resource.urn,
                );
            }
        }
    },
});

export const gatewayNoAllZeroRule = stackPolicy({
    name: "gateway-no-all-zero-rule",
    description:
        "Every HTTPRoute rule must give at least one backend a weight above 0 (implementations disagree on an all-zero rule: Envoy rejects it, others answer 500 or 503).",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Keep the live slot's weight above 0 (production weights add up to 100); never set every weight of a rule to 0 or leave a rule without backendRefs.",
    check: ({ args, report }) => {
        for (const r of stackRoutes(args.resources)) {
            r.route?.rules.forEach((rule, i) => {
                const refusal = gatewayApi.ruleRefusal(rule);
                if (refusal) report(`HTTPRoute ${id(r.route!)} rule ${i} ${refusal}: every request it matches fails.`, r.resource.urn);
            });
        }
    },
});

export const gatewayReferenceGrantForCrossNamespaceBackend = stackPolicy({
    name: "gateway-reference-grant-for-cross-namespace-backend",
    description:
        "Every HTTPRoute backend in another namespace must be admitted by a ReferenceGrant the stack registers in that namespace, or its share of requests gets 500.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        'Register a ReferenceGrant in each slot namespace with `from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: <app>-routes }]` and `to: [{ group: "", kind: Service, name: <slot Service> }]`; remove it only after no route points there.',
    check: ({ args, report }) => {
        const grants = stackGrants(args.resources);
        for (const r of stackRoutes(args.resources)) {
            if (!r.route) continue;
            const seen = new Set<string>();
            for (const b of r.route.rules.flatMap((rule) => rule.backendRefs)) {
                const k = `${b.group}/${b.kind}/${b.namespace}/${b.name}`;
                if (seen.has(k) || gatewayApi.referenceAllowed(r.route, b, grants)) continue;
                seen.add(k);
                report(
                    `HTTPRoute ${id(r.route)} references ${b.kind} ${b.namespace}/${b.name} in another namespace and no ReferenceGrant of this stack in ${b.namespace} allows it: its share of requests gets 500.`,
                    r.resource.urn,
                );
            }
        }
    },
});

export const gatewayRouteObjectsAdmitted = resourcePolicy({
    name: "gateway-route-objects-admitted",
    description:
        "HTTPRoutes and ReferenceGrants must pass the Gateway API CRDs' admission rules that schema validation does not run (CEL rules such as a port for every Service backend, clean paths, weight and size limits).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Fix the field the message names (the bracketed CRD text says which rule); Phoenix's router registers objects that pass all of them.",
    resourceTypes: [TYPES.httpRoute, TYPES.referenceGrant],
    check: (props, { args, report }) => {
        for (const p of gatewayApi.routeObjectProblems(kubeObjectOf({ type: args.type, name: args.name, props }))) report(`${p}.`);
    },
});

export const gatewaySupportedRouteFeatures = stackPolicy({
    name: "gateway-supported-route-features",
    description:
        "HTTPRoutes should use only what the routing model reasons about (Exact and PathPrefix paths, Exact header and query matches, no filters), so plans and the mandatory route policies stay exact.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps:
        "Replace RegularExpression matches with Exact/PathPrefix ones and move filters out of the routes Phoenix owns; routes the model cannot read are skipped by the other gateway route policies.",
    check: ({ args, report }) => {
        for (const r of stackRoutes(args.resources)) {
            if (r.error !== undefined) report(`${r.error}.`, r.resource.urn);
        }
    },
});

/** Helm releases of the stack by `namespace/name` (the chart names its Service after the release). */
function releasesByService(resources: PolicyResource[]): Map<string, PolicyResource> {
    const out = new Map<string, PolicyResource>();
    for (const r of resources) {
        if (r.type !== TYPES.helmRelease) continue;
        const props = r.props as Props;
        out.set(`${asString(props.namespace) ?? "default"}/${releaseName(props, r.name)}`, r);
    }
    return out;
}

export const gatewayWeightOnReadySlot = stackPolicy({
    name: "gateway-weight-on-ready-slot",
    description:
        "Production weight goes only to a slot whose Helm release is in the stack with values.replicaCount ≥ 1 and waits for its pods (skipAwait not true), " +
        "so the route changes only once its endpoints are ready; readiness and restarts themselves are not visible at preview time and are checked by the release engine before every step that moves weight.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Give production weight only to a slot whose release runs at least one replica and is not `skipAwait` (components/app-slot.ts does this); scale a slot to 0 only while its weight is 0.",
    check: ({ args, report }) => {
        const releases = releasesByService(args.resources);
        const routes = stackRoutes(args.resources);
        for (const app of appsOf(routes)) {
            const prod = routes.find(
                (r) => r.object.metadata.namespace === routesNamespace(app) && r.object.metadata.name === productionRouteName(app),
            );
            if (!prod?.route) continue;
            for (const rule of prod.route.rules) {
                const total = rule.backendRefs.reduce((n, b) => n + b.weight, 0);
                if (total <= 0) continue; // gateway-no-all-zero-rule reports it
                for (const slot of SLOT_NAMES) {
                    const svc = serviceKey(slotService(slot, app));
                    const weight = Math.round(
                        (100 * rule.backendRefs.filter((b) => serviceKey(b) === svc).reduce((n, b) => n + b.weight, 0)) / total,
                    );
                    if (weight <= 0) continue;
                    const release = releases.get(svc);
                    const values = release ? (release.props as Props).values : undefined;
                    const replicas = asNumber(isRecord(values) ? values.replicaCount : undefined) ?? 0;
                    // What the stack can promise at preview time: as many ready endpoints as it asks for, once Helm has waited for them.
                    const problem = release
                        ? readinessProblem(slot, weight, { ready: replicas, desired: replicas })
                        : `${slot} has no Helm release in this stack (Service ${svc})`;
                    if (problem)
                        report(
                            `production HTTPRoute ${id(prod.route)} gives ${weight} % of production to ${svc}: ${problem}.`,
                            (release ?? prod.resource).urn,
                        );
                    else if (release && (release.props as Props).skipAwait === true) {
                        report(
                            `production HTTPRoute ${id(prod.route)} gives ${weight} % of production to ${svc}, whose release has skipAwait: true: the route may change before its pods are ready.`,
                            release.urn,
                        );
                    }
                }
            }
        }
    },
});

export const gatewayRoutePolicies = [
    gatewayWeightOnReadySlot,
    gatewayProductionRouteBothSlots,
    gatewayPreviewRouteSeparate,
    gatewayNoAllZeroRule,
    gatewayReferenceGrantForCrossNamespaceBackend,
    gatewayRouteObjectsAdmitted,
    gatewaySupportedRouteFeatures,
];
