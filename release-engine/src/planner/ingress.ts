/**
 * The two Ingress objects the nginx router keeps for a state, as routing-model rules: the main
 * Ingress (blue, `canary: "false"`) and the canary Ingress (green, `canary: "true"`, weight 0/100 and
 * the preview header), both fixed, derived from {@link routerIntent} exactly as the release stack does.
 * Used by the planner's safety model and by the local backend's proxy.
 */
import { nginxAnnotations, routerIntent, slotResourceName, type ReleaseState, type SlotName } from "../model/release-state";
import { serviceKey, type IngressRule, type ServiceRef } from "../model/routing";

export interface RouterSettings {
    appName: string;
    /** The Ingress host (the public FQDN; any fixed name locally). */
    host: string;
    /** Preview header name (default `canary`). */
    headerName: string;
}

export function slotService(slot: SlotName, appName: string): ServiceRef {
    const n = slotResourceName(slot, appName);
    return { namespace: n, name: n };
}

export function slotServiceKey(slot: SlotName, appName: string): string {
    return serviceKey(slotService(slot, appName));
}

/** Null state (nothing released yet): no Ingress at all. */
export function ingressRulesFor(state: ReleaseState | null, s: RouterSettings): IngressRule[] {
    if (!state) return [];
    const intent = routerIntent(state, s.headerName);
    const base = { ingressClassName: "nginx", host: s.host, path: "/", pathType: "Prefix" as const };
    const annotations = nginxAnnotations(intent);
    const main = slotService("blue", s.appName);
    const canary = slotService("green", s.appName);
    return [
        { ...base, namespace: main.namespace, name: main.name, creationOrder: 0, annotations: annotations.main, backend: main },
        { ...base, namespace: canary.namespace, name: canary.name, creationOrder: 1, annotations: annotations.canary, backend: canary },
    ];
}
