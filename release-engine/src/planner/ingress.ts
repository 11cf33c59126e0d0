/**
 * The two Ingress objects the nginx router keeps for a state, as routing-model rules: the main
 * Ingress (blue, `canary: "false"`) and the canary Ingress (green, `canary: "true"`, weight 0/100 and
 * the preview header), both fixed, derived from {@link routerIntent} exactly as the release stack does.
 * Used by the planner's safety model and by the local backend's proxy.
 */
import { routerIntent, slotResourceName, type ReleaseState, type SlotName } from "../model/release-state";
import { ANNOTATIONS, serviceKey, type IngressRule, type ServiceRef } from "../model/routing";

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
    const canaryAnnotations: Record<string, string> = {
        [ANNOTATIONS.canary]: "true",
        [ANNOTATIONS.canaryByHeader]: intent.headerName,
        [ANNOTATIONS.canaryWeight]: String(intent.canaryWeight),
    };
    if (intent.canaryHeaderValue !== undefined) canaryAnnotations[ANNOTATIONS.canaryByHeaderValue] = intent.canaryHeaderValue;
    const main = slotService("blue", s.appName);
    const canary = slotService("green", s.appName);
    return [
        { ...base, namespace: main.namespace, name: main.name, creationOrder: 0, annotations: { [ANNOTATIONS.canary]: "false" }, backend: main },
        { ...base, namespace: canary.namespace, name: canary.name, creationOrder: 1, annotations: canaryAnnotations, backend: canary },
    ];
}
