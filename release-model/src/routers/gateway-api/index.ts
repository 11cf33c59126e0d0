/**
 * The Gateway API router (the default): production by weights on one fixed rule listing both slots,
 * previews by an exact header match in a route of their own, so either slot can hold the candidate
 * and be previewed with the per-release secret. A slot without production weight may lose every
 * endpoint at any moment without touching production (its share is 0; the spec's 503 applies only to
 * requests routed to it).
 */
import { baseIntent, type RouterIntent } from "../../intent";
import { otherSlot, liveSlot, type ReleaseState } from "../../release-state";
import type { KubeObject } from "../../kube-object";
import type { ReadyEndpoints, RouteOutcome, RouteRequest, RouterModel, SampledRequest, WeightedOutcome } from "../router-model";
import { gatewayObjects, gatewayRoleObjects } from "./objects";
import {
    gatewayDistribution,
    gatewayRoute,
    parseHTTPRoute,
    parseReferenceGrant,
    type HTTPRoute,
    type HTTPRouteLike,
    type ReferenceGrant,
    type ReferenceGrantLike,
} from "./rules";

export * from "./objects";
export * from "./rules";
export * from "./validation";
export * from "./crd-compatibility";

/** Routes and grants of an object list; objects earlier in the list are older unless they carry a creationTimestamp. */
export function gatewayModelOf(objects: KubeObject[]): { routes: HTTPRoute[]; grants: ReferenceGrant[] } {
    const order = (o: KubeObject, i: number) => (o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : i);
    return {
        routes: objects
            .map((o, i) => ({ o, i }))
            .filter(({ o }) => o.kind === "HTTPRoute")
            .map(({ o, i }) => parseHTTPRoute(o as HTTPRouteLike, order(o, i))),
        grants: objects.filter((o) => o.kind === "ReferenceGrant").map((o) => parseReferenceGrant(o as ReferenceGrantLike)),
    };
}

export const gatewayApiRouter: RouterModel = {
    kind: "gateway-api",
    homeSlot: undefined,
    candidateSlot: (state: ReleaseState) => otherSlot(liveSlot(state)),
    intent(state: ReleaseState, headerName: string): RouterIntent {
        // Without a per-release secret (secretPreview off), the candidate answers to `<header>: always`.
        return baseIntent(state, headerName, () => "always");
    },
    stateProblems(state: ReleaseState): string[] {
        const live = liveSlot(state);
        return state.slots[live].replicas === 0 ? [`slot ${live} is live with 0 replicas: production would get 503`] : [];
    },
    objects: gatewayObjects,
    roleObjects: gatewayRoleObjects,
    route(objects: KubeObject[], ready: ReadyEndpoints, request: SampledRequest): RouteOutcome {
        const m = gatewayModelOf(objects);
        return gatewayRoute(m.routes, m.grants, ready, request);
    },
    distribution(objects: KubeObject[], ready: ReadyEndpoints, request: RouteRequest): WeightedOutcome[] {
        const m = gatewayModelOf(objects);
        return gatewayDistribution(m.routes, m.grants, ready, request);
    },
};
