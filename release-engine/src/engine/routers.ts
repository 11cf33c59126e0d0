/**
 * The routers the engine plans for: the list the environment's release stack runs (Argo Rollouts'
 * `rollout/trafficrouting/` returns a list of traffic routers, one per router the rollout names), or
 * the engine's own `router` setting when the backend cannot report one. A migration between front
 * doors is simply a list of two (`gateway-api` and `nginx` while the platform keeps ingress-nginx
 * beside the Gateway), not a special case.
 *
 * Two rules: the list's planning router (`planningRouter`, @phoenix/release-model: the one whose
 * placement rules plans follow) must be the engine's `router` setting, or nothing is planned (exit
 * 2); and every plan must be safe for every router in the list ({@link planForRouters}).
 */
import { ROUTER_KINDS, isRouterKind, planningRouter, routerModel, type RouterKind } from "@phoenix/release-model";
import { InputError } from "../errors";
import { plan as makePlan, planSafetyProblem } from "../planner/plan";
import type { EngineRecord, Intent, Plan, PlannerOptions } from "../planner/types";
import type { EngineConfig } from "../settings/config";
import type { Backend } from "./backend";

/** "nginx", "gateway-api and nginx". */
function listText(kinds: readonly string[]): string {
    return kinds.join(" and ");
}

/**
 * The list the backend reports, checked against the engine's setting; `[config.router]` when the
 * backend reports none. Refuses (an InputError naming what to set, nothing changed) a kind this
 * engine does not know, and a list whose planning router is not the setting.
 */
export function checkRouterList(reported: readonly string[] | undefined, config: Pick<EngineConfig, "env" | "router">): RouterKind[] {
    if (reported === undefined) return [config.router];
    const unknown = reported.filter((kind) => !isRouterKind(kind));
    if (unknown.length > 0 || reported.length === 0) {
        throw new InputError(
            `the ${config.env} release stack reports the routers ${JSON.stringify(reported)}; expected one or more of ${ROUTER_KINDS.join(", ")}: update the release stack with this version of stacks/release; nothing was changed`,
        );
    }
    const kinds = reported.filter(isRouterKind);
    const planning = planningRouter(kinds);
    if (planning !== config.router) {
        const why = kinds.length > 1 ? ` (plans keep ${planning}'s rules while both run)` : "";
        throw new InputError(
            `the ${config.env} release stack routes with ${listText(kinds)}${why}, but the engine's setting router is ${config.router}: ` +
                `set "router": "${planning}" in release-engine/config/${config.env}.json (or PHOENIX_CONFIG_DIR); nothing was changed`,
        );
    }
    return kinds;
}

/** The routers the engine plans for in this environment (the backend's list, checked; else the setting). */
export async function environmentRouters(backend: Backend, config: Pick<EngineConfig, "env" | "router">): Promise<RouterKind[]> {
    return checkRouterList(await backend.capabilities.routers?.routers(), config);
}

/**
 * The planner's plan (made with the options' router, the list's planning router), refused as blocked
 * when it could fail production requests through any other router of the list.
 */
export function planForRouters(record: EngineRecord, intent: Intent, opts: PlannerOptions, routers: readonly RouterKind[]): Plan {
    const p = makePlan(record, intent, opts);
    if (p.outcome !== "apply") return p;
    for (const kind of routers) {
        if (kind === opts.router.kind) continue;
        const problem = planSafetyProblem(record, p.steps, { ...opts, router: routerModel(kind) });
        if (problem)
            return {
                intent,
                outcome: "blocked",
                steps: [],
                notes: p.notes,
                reason: `refusing a plan that could fail production requests with the ${kind} router the release stack also runs: ${problem}`,
            };
    }
    return p;
}
