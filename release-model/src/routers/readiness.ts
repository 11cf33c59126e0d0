/**
 * The safety model's readiness rule (invariant 5, docs/release-engine.md "Safety"): production weight
 * only on a slot with ready endpoints, and all of production only on a fully ready one (every desired
 * replica ready). Pure and router-neutral: the weights are the router intent's (`productionWeights`),
 * which both routers express (HTTPRoute backend weights; the nginx canary-weight).
 *
 * The configurations of safety.ts say which states a change passes through given the replica
 * counts a state asks for; this rule adds what only the cluster knows at the moment production is
 * about to move — how many endpoints are ready now. The planner marks every step that raises a
 * slot's weight with a guard ({@link weightGains}); the engine checks the rule against the backend's
 * readiness just before it applies such a step, and never applies one this rule refuses.
 */
import { SLOT_NAMES, type ReleaseState, type SlotName } from "../release-state";
import { productionWeights } from "../intent";
import type { SlotReadiness } from "../slot-health";

/** A slot whose share of production (percent) rises from `from` to `to`. */
export interface WeightGain {
    slot: SlotName;
    from: number;
    to: number;
}

/**
 * The slots whose share of production rises between two states (a promotion, each weighted step, a
 * rollback, a restore). None when either state is null: a first release has no production to protect
 * before it, removing a failed first release none after it.
 */
export function weightGains(before: ReleaseState | null, after: ReleaseState | null): WeightGain[] {
    if (!before || !after) return [];
    const b = productionWeights(before);
    const a = productionWeights(after);
    return SLOT_NAMES.filter((s) => a[s] > b[s]).map((slot) => ({ slot, from: b[slot], to: a[slot] }));
}

/** Why `slot` may not serve `weight` percent of production with this readiness, or undefined when it may. */
export function readinessProblem(slot: SlotName, weight: number, r: SlotReadiness): string | undefined {
    if (weight <= 0) return undefined;
    if (r.ready <= 0) return `${slot} has no ready endpoints (0 of ${r.desired}), so ${weight} % of production would fail`;
    if (weight >= 100 && r.ready < r.desired)
        return `${slot} has ${r.ready} of ${r.desired} endpoints ready; all of production goes only to a fully ready slot`;
    return undefined;
}

/** Invariant 5 for a change: every slot the change gives more production must be allowed its new weight. */
export function readinessViolations(
    before: ReleaseState | null,
    after: ReleaseState | null,
    readiness: Record<SlotName, SlotReadiness>,
): string[] {
    const out: string[] = [];
    for (const g of weightGains(before, after)) {
        const p = readinessProblem(g.slot, g.to, readiness[g.slot]);
        if (p) out.push(p);
    }
    return out;
}
