/**
 * The safety model (pure): every configuration the cluster can pass through while one change takes
 * effect, and whether production survives each of them — including a slot losing every endpoint at
 * any moment (a crash, an OOM kill, an eviction).
 *
 * A change touches up to three objects: the router's objects and each slot's Deployment. They take
 * effect in any order, and a Deployment change takes effect gradually. With `maxUnavailable: 0` a
 * rollout between two versions keeps old pods until new ones are ready, so the slot never drops to
 * zero ready endpoints on its own; scaling from or to zero passes through zero. Routing depends only
 * on whether a Service has ready endpoints, not on how many, so each slot is "none" or "some" ready,
 * and the reachable configurations are the product of the router's two states and each slot's
 * possible readiness: checking them all checks every interleaving.
 *
 * Invariants (docs/release-engine.md, "Safety"):
 * 1. Production never gets an error and never reaches a slot without ready endpoints, in any
 *    configuration between two consecutive states.
 * 2. A slot that holds a candidate (an untested version) can lose all its endpoints in any such
 *    configuration without a failed production request.
 * 3. At rest (the last state of a plan), any slot production does not use — the standby — can lose
 *    all its endpoints without a failed production request.
 * 4. Where the router allows it (Gateway API: weights only, both slots listed), invariant 2 holds for
 *    every slot production does not use, in every configuration.
 * 5. Production weight only on a slot with ready endpoints, and all of it only on a fully ready slot,
 *    judged on the cluster's readiness when production is about to move (readiness.ts; the engine
 *    checks it before every step that raises a slot's weight).
 */
import { SLOT_NAMES, replicasOf, versionOf, type ReleaseState, type SlotName } from "../release-state";
import { slotOfService, slotServiceKey, type ReadyEndpoints, type RouterModel, type RouterSettings } from "./router-model";

/** Settings the safety model routes with; the outcome does not depend on their values. */
export const SAFETY_SETTINGS: RouterSettings = {
    appName: "app",
    host: "phoenix.invalid",
    headerName: "x-phoenix-preview",
    gateway: { name: "gateway", namespace: "gateway" },
};

export interface Configuration {
    /** Which state the router's objects reflect. */
    router: "before" | "after";
    /** 0: no ready endpoints; 1: some. */
    ready: Record<SlotName, number>;
}

export interface Violation {
    configuration: Configuration;
    problem: string;
}

/** Whether a slot can be without ready endpoints (0) and/or with some (1) while `before` turns into `after`. */
export function readyClasses(before: ReleaseState | null, after: ReleaseState | null, slot: SlotName, defaultReplicas: number): number[] {
    const replicasBefore = replicasOf(before?.slots[slot], defaultReplicas);
    const replicasAfter = replicasOf(after?.slots[slot], defaultReplicas);
    const rolling = versionOf(before?.slots[slot]) !== versionOf(after?.slots[slot]) && replicasBefore > 0 && replicasAfter > 0;
    if (rolling) return [1];
    const out: number[] = [];
    if (Math.min(replicasBefore, replicasAfter) === 0) out.push(0);
    if (Math.max(replicasBefore, replicasAfter) > 0) out.push(1);
    return out;
}

export function configurations(before: ReleaseState | null, after: ReleaseState | null, defaultReplicas: number): Configuration[] {
    const out: Configuration[] = [];
    const routers: Array<"before" | "after"> = JSON.stringify(before) === JSON.stringify(after) ? ["after"] : ["before", "after"];
    for (const router of routers) {
        for (const blue of readyClasses(before, after, "blue", defaultReplicas)) {
            for (const green of readyClasses(before, after, "green", defaultReplicas)) out.push({ router, ready: { blue, green } });
        }
    }
    return out;
}

function present(state: ReleaseState | null, slot: SlotName): boolean {
    return state !== null && state.slots[slot].role !== "absent";
}

/** Endpoints for a configuration: a slot's Service exists while either state has the slot. */
function endpointsFor(
    before: ReleaseState | null,
    after: ReleaseState | null,
    ready: Record<SlotName, number>,
    appName: string,
): ReadyEndpoints {
    const endpoints: ReadyEndpoints = {};
    for (const slot of SLOT_NAMES)
        if (present(before, slot) || present(after, slot)) endpoints[slotServiceKey(slot, appName)] = ready[slot];
    return endpoints;
}

interface ProductionView {
    errors: string[];
    reached: Set<SlotName>;
}

function production(router: RouterModel, state: ReleaseState, ready: ReadyEndpoints, path: string): ProductionView {
    const s = SAFETY_SETTINGS;
    const objects = router.objects(router.intent(state, s.headerName), s);
    const view: ProductionView = { errors: [], reached: new Set() };
    for (const o of router.distribution(objects, ready, { host: s.host, path })) {
        if (o.outcome.kind === "error") view.errors.push(`${o.outcome.status}: ${o.outcome.reason}`);
        else {
            const slot = slotOfService(o.outcome.service, s.appName);
            if (slot === undefined)
                view.errors.push(`production reaches ${o.outcome.service.namespace}/${o.outcome.service.name}, not a slot`);
            else {
                view.reached.add(slot);
                if ((ready[slotServiceKey(slot, s.appName)] ?? 0) <= 0)
                    view.errors.push(`production reaches ${slot}, which has no ready endpoints`);
            }
        }
    }
    return view;
}

function lossProblems(router: RouterModel, state: ReleaseState, ready: ReadyEndpoints, path: string, slots: SlotName[]): string[] {
    const out: string[] = [];
    for (const slot of slots) {
        const key = slotServiceKey(slot, SAFETY_SETTINGS.appName);
        if (!(key in ready) || ready[key] === 0) continue;
        const view = production(router, state, { ...ready, [key]: 0 }, path);
        for (const e of view.errors) out.push(`if ${slot} (${state.slots[slot].role}) lost every endpoint: ${e}`);
    }
    return out;
}

/** Invariants 1, 2 and 4 for every configuration between two states. */
export function productionViolations(
    before: ReleaseState | null,
    after: ReleaseState | null,
    router: RouterModel,
    opts: { defaultReplicas: number; path?: string },
): Violation[] {
    // Only matters when production exists on both sides: a first release has no production before it,
    // removing a failed first release none after it.
    if (!before || !after) return [];
    const path = opts.path ?? "/";
    const violations: Violation[] = [];
    for (const c of configurations(before, after, opts.defaultReplicas)) {
        const state = c.router === "before" ? before : after;
        const ready = endpointsFor(before, after, c.ready, SAFETY_SETTINGS.appName);
        const view = production(router, state, ready, path);
        for (const e of view.errors) violations.push({ configuration: c, problem: e });
        const idle = SLOT_NAMES.filter((slot) => !view.reached.has(slot));
        const mayLose = idle.filter(
            (slot) => router.homeSlot === undefined || (before.slots[slot].role === "candidate" && after.slots[slot].role === "candidate"),
        );
        for (const p of lossProblems(router, state, ready, path, mayLose)) violations.push({ configuration: c, problem: p });
    }
    return violations;
}

/** Invariant 3: at rest, a slot production does not use can lose every endpoint. */
export function restViolations(
    state: ReleaseState | null,
    router: RouterModel,
    opts: { defaultReplicas: number; path?: string },
): string[] {
    if (!state) return [];
    const path = opts.path ?? "/";
    const ready: ReadyEndpoints = {};
    for (const slot of SLOT_NAMES)
        if (present(state, slot))
            ready[slotServiceKey(slot, SAFETY_SETTINGS.appName)] = replicasOf(state.slots[slot], opts.defaultReplicas) > 0 ? 1 : 0;
    const view = production(router, state, ready, path);
    const problems = [...view.errors];
    const idle = SLOT_NAMES.filter((slot) => !view.reached.has(slot));
    problems.push(...lossProblems(router, state, ready, path, idle));
    return problems;
}
