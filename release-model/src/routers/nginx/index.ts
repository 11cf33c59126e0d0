/**
 * The ingress-nginx router (legacy; the original system's): main Ingress fixed on blue, canary
 * Ingress fixed on green, production moved by `canary-weight`.
 *
 * Because ingress-nginx answers 503 to everyone when the main Ingress's Service has no ready
 * endpoints (weight 100 and header routes included), only a version that is live — or that the
 * gates already passed and is about to be — may sit behind the main Ingress: candidates always go to
 * green (the canary side, whose loss only makes header requests fall back to blue), and after a
 * promotion blue is rolled to the promoted version under weight 100 and production returns to it
 * (Flagger's discipline). So at rest blue is live and green holds the standby.
 */
import { baseIntent, type RouterIntent } from "../../intent";
import type { ReleaseState } from "../../release-state";
import type { KubeObject } from "../../kube-object";
import type { ReadyEndpoints, RouteOutcome, RouteRequest, RouterModel, SampledRequest, WeightedOutcome } from "../router-model";
import { CANARY_SIDE_SLOT, MAIN_SIDE_SLOT } from "./annotations";
import { nginxObjects, nginxRoleObjects } from "./objects";
import {
    DEFAULT_INGRESS_CLASS,
    routeDistribution,
    routeRequest,
    rulesFromKubernetesIngress,
    type IngressRule,
    type KubernetesIngressLike,
} from "./rules";

export * from "./annotations";
export * from "./objects";
export * from "./rules";

function rulesOf(objects: KubeObject[]): { rules: IngressRule[]; ingressClass: string } {
    const ingresses = objects.filter((o) => o.kind === "Ingress");
    const rules = ingresses.flatMap((o, i) => rulesFromKubernetesIngress(o as KubernetesIngressLike, i));
    // The controller serves the class the router's own Ingresses carry.
    const ingressClass = rules.find((r) => r.ingressClassName !== undefined)?.ingressClassName ?? DEFAULT_INGRESS_CLASS;
    return { rules, ingressClass };
}

export const nginxRouter: RouterModel = {
    kind: "nginx",
    homeSlot: MAIN_SIDE_SLOT,
    candidateSlot: () => CANARY_SIDE_SLOT,
    intent(state: ReleaseState, headerName: string): RouterIntent {
        const intent = baseIntent(state, headerName, (c) => (c === CANARY_SIDE_SLOT ? "always" : "never"));
        // ingress-nginx has no secret value for the main side: a blue candidate (only in states written
        // before candidates always went to green) is previewed with `never`.
        if (intent.preview && intent.preview.target === MAIN_SIDE_SLOT)
            intent.preview = { header: headerName, value: "never", target: MAIN_SIDE_SLOT, secret: false };
        return intent;
    },
    stateProblems(state: ReleaseState): string[] {
        const blue = state.slots[MAIN_SIDE_SLOT];
        if (blue.role === "absent") {
            return [
                `slot ${MAIN_SIDE_SLOT} must not be absent: the main Ingress always points at ${MAIN_SIDE_SLOT}, and ingress-nginx ` +
                    "answers 404 without a main backend and 503 when it has no ready endpoints (make it live, standby or candidate)",
            ];
        }
        if (blue.replicas === 0) {
            return [
                `slot ${MAIN_SIDE_SLOT} (${blue.role}): replicas must be at least 1 (blue backs the main Ingress: zero ready endpoints there is a 503 for everyone), got 0`,
            ];
        }
        return [];
    },
    objects: nginxObjects,
    roleObjects: nginxRoleObjects,
    route(objects: KubeObject[], ready: ReadyEndpoints, request: SampledRequest): RouteOutcome {
        const { rules, ingressClass } = rulesOf(objects);
        return routeRequest(rules, ready, request, { ingressClass });
    },
    distribution(objects: KubeObject[], ready: ReadyEndpoints, request: RouteRequest): WeightedOutcome[] {
        const { rules, ingressClass } = rulesOf(objects);
        return routeDistribution(rules, ready, request, { ingressClass });
    },
};
