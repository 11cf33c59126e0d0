/**
 * @phoenix/release-model: the release contract at the bottom of Phoenix — the release state, the
 * engine's record, the router intent, a slot's health, the release stack's config contract and one
 * model per traffic router. Pure: no Pulumi, no Azure SDK, no I/O, so the planner, the local backend, the release
 * stack's components, the policy pack and the tests all run the same rules.
 */
export * from "./kube-object";
export * from "./release-state";
export * from "./record";
export * from "./intent";
export * from "./stack-config";
export * from "./traffic-count";
export * from "./routers";
export * as nginx from "./routers/nginx";
export * as gatewayApi from "./routers/gateway-api";
export {
    productionViolations,
    restViolations,
    configurations,
    readyClasses,
    SAFETY_SETTINGS,
    type Configuration,
    type Violation,
} from "./routers/safety";
export { weightGains, readinessProblem, readinessViolations, type WeightGain } from "./routers/readiness";
export * from "./slot-health";
export { GATEWAY_ACCESS_LABEL, routesNamespace, productionRouteName, previewRouteName } from "./routers/gateway-api";
export { MAIN_SIDE_SLOT, CANARY_SIDE_SLOT } from "./routers/nginx";
export * from "./release-version";
export * from "./service-claims";
export { isRecord } from "./plain-object";
