/**
 * The two Ingress objects the nginx router keeps: the main Ingress (blue namespace, `canary: "false"`)
 * and the canary Ingress (green namespace, `canary: "true"`, weight and preview header), both fixed
 * — same host, path and pathType, each pointing at its own slot's Service — so production moves only
 * by `canary-weight`, which ingress-nginx applies without a reload. The release stack registers
 * exactly these objects.
 */
import type { RouterIntent } from "../../intent";
import type { KubeObject } from "../../kube-object";
import { slotService, type RoleObject, type RouterSettings } from "../router-model";
import { CANARY_SIDE_SLOT, MAIN_SIDE_SLOT, nginxAnnotations } from "./annotations";
import { DEFAULT_INGRESS_CLASS } from "./rules";

/** Labels on every object a Phoenix router registers. */
export const ROUTER_LABELS = { "app.kubernetes.io/managed-by": "phoenix", "app.kubernetes.io/component": "traffic-router" } as const;

/** The Ingress objects for an intent (none before the first release). Main first, then canary. */
export function nginxObjects(intent: RouterIntent | null, s: RouterSettings): KubeObject[] {
    return nginxRoleObjects(intent, s).map((o) => o.object);
}

/** {@link nginxObjects} with their roles: `main` and `canary`. */
export function nginxRoleObjects(intent: RouterIntent | null, s: RouterSettings): RoleObject[] {
    if (!intent) return [];
    const annotations = nginxAnnotations(intent);
    const path = s.path ?? "/";
    const ingress = (slot: typeof MAIN_SIDE_SLOT | typeof CANARY_SIDE_SLOT, a: Record<string, string>): KubeObject => {
        const svc = slotService(slot, s.appName);
        return {
            apiVersion: "networking.k8s.io/v1",
            kind: "Ingress",
            metadata: { name: svc.name, namespace: svc.namespace, labels: { ...ROUTER_LABELS }, annotations: a },
            spec: {
                ingressClassName: s.ingressClassName ?? DEFAULT_INGRESS_CLASS,
                rules: [
                    {
                        host: s.host,
                        http: {
                            paths: [
                                {
                                    path,
                                    pathType: "Prefix",
                                    backend: { service: { name: svc.name, port: { number: s.servicePort ?? 80 } } },
                                },
                            ],
                        },
                    },
                ],
            },
        };
    };
    return [
        { role: "main", object: ingress(MAIN_SIDE_SLOT, annotations.main) },
        { role: "canary", object: ingress(CANARY_SIDE_SLOT, annotations.canary) },
    ];
}
