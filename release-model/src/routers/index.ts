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
