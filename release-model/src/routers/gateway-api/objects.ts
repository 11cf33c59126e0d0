/**
 * The Gateway API router's objects, owned by the service's release stack (the Gateway itself is the
 * platform's):
 * - `<app>-production` HTTPRoute: ONE rule that always lists both slot Services (blue, then green);
 *   production moves only by their weights, so no route rule is ever added, removed or reordered and
 *   no backend is ever renamed (each would rebuild proxy clusters: envoyproxy/gateway#6287, #9029);
 * - `<app>-preview` HTTPRoute, only while there is a candidate: one rule repeating every path match of
 *   the production route plus an exact header match → the candidate's Service. It outranks the
 *   production rule by its extra header match, and lives in its own route so production's rules never move;
 * - a ReferenceGrant in each slot namespace admitting HTTPRoutes from the routes namespace to that
 *   slot's Service (routes and Services live in different namespaces).
 * The routes namespace (`<app>-routes`) carries the label the platform's Gateway admits routes by.
 */
import type { RouterIntent } from "../../intent";
import { SLOT_NAMES } from "../../release-state";
import { slotService, type RoleObject, type RouterSettings } from "../router-model";
import type { KubeObject } from "../../kube-object";
import { ROUTER_LABELS } from "../nginx/objects";
import { GATEWAY_API_GROUP } from "./rules";

/** The label a namespace carries so that the platform's Gateway admits its routes; its value is the Gateway's name. */
export const GATEWAY_ACCESS_LABEL = "phoenix.dev/gateway";

/** The namespace holding the service's HTTPRoutes. */
export function routesNamespace(appName: string): string {
    return `${appName}-routes`;
}

export function productionRouteName(appName: string): string {
    return `${appName}-production`;
}

export function previewRouteName(appName: string): string {
    return `${appName}-preview`;
}

/** The objects for an intent (none before the first release). Order: grants, production route, preview route. */
export function gatewayObjects(intent: RouterIntent | null, s: RouterSettings): KubeObject[] {
    return gatewayRoleObjects(intent, s).map((o) => o.object);
}

/** {@link gatewayObjects} with their roles: `grant-blue`, `grant-green`, `production` and (with a candidate) `preview`. */
export function gatewayRoleObjects(intent: RouterIntent | null, s: RouterSettings): RoleObject[] {
    if (!intent) return [];
    if (!s.gateway) throw new Error("the gateway-api router needs the platform's Gateway (name and namespace)");
    const ns = routesNamespace(s.appName);
    const path = s.path ?? "/";
    const port = s.servicePort ?? 80;
    const parentRefs = [{ group: GATEWAY_API_GROUP, kind: "Gateway", name: s.gateway.name, namespace: s.gateway.namespace }];
    const pathMatch = { path: { type: "PathPrefix", value: path } };
    const backend = (slot: (typeof SLOT_NAMES)[number], weight: number) => {
        const svc = slotService(slot, s.appName);
        return { group: "", kind: "Service", name: svc.name, namespace: svc.namespace, port, weight };
    };
    const objects: RoleObject[] = SLOT_NAMES.map((slot) => {
        const svc = slotService(slot, s.appName);
        const grant: KubeObject = {
            apiVersion: `${GATEWAY_API_GROUP}/v1beta1`,
            kind: "ReferenceGrant",
            metadata: { name: ns, namespace: svc.namespace, labels: { ...ROUTER_LABELS } },
            spec: {
                from: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute", namespace: ns }],
                to: [{ group: "", kind: "Service", name: svc.name }],
            },
        };
        return { role: `grant-${slot}`, object: grant };
    });
    const production: KubeObject = {
        apiVersion: `${GATEWAY_API_GROUP}/v1`,
        kind: "HTTPRoute",
        metadata: { name: productionRouteName(s.appName), namespace: ns, labels: { ...ROUTER_LABELS } },
        spec: {
            parentRefs,
            hostnames: [s.host],
            rules: [{ matches: [pathMatch], backendRefs: SLOT_NAMES.map((slot) => backend(slot, intent.weights[slot])) }],
        },
    };
    objects.push({ role: "production", object: production });
    if (intent.preview) {
        const preview: KubeObject = {
            apiVersion: `${GATEWAY_API_GROUP}/v1`,
            kind: "HTTPRoute",
            metadata: { name: previewRouteName(s.appName), namespace: ns, labels: { ...ROUTER_LABELS } },
            spec: {
                parentRefs,
                hostnames: [s.host],
                rules: [
                    {
                        matches: [{ ...pathMatch, headers: [{ type: "Exact", name: intent.preview.header, value: intent.preview.value }] }],
                        backendRefs: [backend(intent.preview.target, 1)],
                    },
                ],
            },
        };
        objects.push({ role: "preview", object: preview });
    }
    return objects;
}
