/**
 * The safety model (pure): every configuration the cluster can pass through while one step takes
 * effect, and whether production survives each of them.
 *
 * A step changes up to three objects: the router (the canary Ingress's annotations) and each slot's
 * Deployment. They take effect in any order, and a Deployment change takes effect gradually: ready
 * endpoints move one pod at a time. With `maxUnavailable: 0` a rollout keeps the old pods until new
 * ones are ready, so a slot's ready count moves within [min(before, after), before + after] — and
 * stays at the old count if the new pods never become ready. Since each object passes through every
 * intermediate value independently, the set of reachable configurations is the product of the
 * router's two states and each slot's range of ready counts: checking all of them checks every
 * interleaving.
 */
import type { ReleaseState, SlotName } from "../model/release-state";
import { routeProduction, type ReadyEndpoints } from "../model/routing";
import { ingressRulesFor, slotServiceKey, type RouterSettings } from "./ingress";

export interface Configuration {
    /** Which state the router reflects. */
    router: "before" | "after";
    ready: Record<SlotName, number>;
}

function replicas(state: ReleaseState | null, slot: SlotName): number {
    const s = state?.slots[slot];
    return s && s.role !== "absent" ? (s.replicas ?? 1) : 0;
}

function version(state: ReleaseState | null, slot: SlotName): string | undefined {
    const s = state?.slots[slot];
    return s && s.role !== "absent" ? s.version : undefined;
}

/** The ready-endpoint counts a slot passes through between two states. */
export function readyRange(before: ReleaseState | null, after: ReleaseState | null, slot: SlotName): number[] {
    const r0 = replicas(before, slot);
    const r1 = replicas(after, slot);
    const rolling = version(before, slot) !== version(after, slot) && r0 > 0 && r1 > 0;
    const lo = Math.min(r0, r1);
    const hi = rolling ? r0 + r1 : Math.max(r0, r1);
    const out: number[] = [];
    for (let i = lo; i <= hi; i++) out.push(i);
    return out;
}

export function configurations(before: ReleaseState | null, after: ReleaseState | null): Configuration[] {
    const out: Configuration[] = [];
    const routers: Array<"before" | "after"> = JSON.stringify(before) === JSON.stringify(after) ? ["after"] : ["before", "after"];
    for (const router of routers) {
        for (const b of readyRange(before, after, "blue")) {
            for (const g of readyRange(before, after, "green")) out.push({ router, ready: { blue: b, green: g } });
        }
    }
    return out;
}

export interface Violation {
    configuration: Configuration;
    problem: string;
}

/**
 * Production requests in every configuration between two states. Only matters when production
 * exists on both sides (a first release has no production to protect before it; removing the very
 * first release after it failed has none after it).
 */
export function productionViolations(before: ReleaseState | null, after: ReleaseState | null, settings: RouterSettings): Violation[] {
    if (!before || !after) return [];
    const violations: Violation[] = [];
    for (const c of configurations(before, after)) {
        const rules = ingressRulesFor(c.router === "before" ? before : after, settings);
        const endpoints: ReadyEndpoints = {
            [slotServiceKey("blue", settings.appName)]: c.ready.blue,
            [slotServiceKey("green", settings.appName)]: c.ready.green,
        };
        for (const o of routeProduction(rules, endpoints, { host: settings.host, path: "/api/calculation" })) {
            if (o.outcome.kind === "error") {
                violations.push({ configuration: c, problem: `${o.outcome.status}: ${o.outcome.reason}` });
            } else {
                const key = `${o.outcome.service.namespace}/${o.outcome.service.name}`;
                const slot: SlotName = key === slotServiceKey("blue", settings.appName) ? "blue" : "green";
                if (c.ready[slot] <= 0) violations.push({ configuration: c, problem: `production reaches ${slot}, which has no ready endpoints` });
            }
        }
    }
    return violations;
}
