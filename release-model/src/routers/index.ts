/** The router factory: one model per kind (Flagger's `pkg/router` factory). */
import { gatewayApiRouter } from "./gateway-api";
import { nginxRouter } from "./nginx";
import { ROUTER_KINDS, isRouterKind, type RouterKind, type RouterModel } from "./router-model";

export * from "./router-model";

const MODELS: Record<RouterKind, RouterModel> = { "gateway-api": gatewayApiRouter, nginx: nginxRouter };

/** The model of a router kind; throws, naming the kinds there are, for anything else. */
export function routerModel(kind: string): RouterModel {
    if (!isRouterKind(kind))
        throw new Error(`router kind ${JSON.stringify(kind)} is not supported; expected one of: ${ROUTER_KINDS.join(", ")}`);
    return MODELS[kind];
}

/**
 * The router whose placement rules (where candidates go, where production rests) plans follow when an
 * environment runs all of `kinds` at once (Argo Rollouts' list of traffic routers; Phoenix runs two
 * while it moves between front doors): the one with a home slot, since only it constrains where
 * production may rest (nginx: blue), else the first. Each plan must still be safe for every router in
 * the list. Throws for an empty list, an unknown kind, or two routers that need different home slots
 * (no plan can satisfy both).
 */
export function planningRouter(kinds: readonly string[]): RouterKind {
    if (kinds.length === 0) throw new Error("no router: expected at least one router kind");
    const models = kinds.map((kind) => routerModel(kind));
    const homed = models.filter((m) => m.homeSlot !== undefined);
    const homes = new Set(homed.map((m) => m.homeSlot));
    if (homes.size > 1)
        throw new Error(
            `routers ${homed.map((m) => `${m.kind} (production rests on ${m.homeSlot})`).join(" and ")} need different home slots; no plan can keep both`,
        );
    return (homed[0] ?? models[0]).kind;
}
