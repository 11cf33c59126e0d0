/**
 * Readiness before weight: before the engine applies a step that gives a slot production weight, the
 * slot must satisfy the safety model's readiness rule (release-model routers/readiness.ts) — ready
 * endpoints for a weighted step, every desired replica ready for 100 % — and, when it holds the
 * release's candidate, none of its endpoints may have restarted since the candidate was deployed
 * (the baseline in the record's operation). A candidate that restarted is rejected as crashed.
 *
 * {@link judgeGuard} is the pure verdict on one observation; {@link awaitGuard} polls the backend's
 * `slotHealth()` until the verdict is certain (bounded by `waitMs`), and for a candidate requires the
 * verdict to hold for `settleMs` in a row (Kubernetes' minReadySeconds: a crash right after the gate
 * is seen before production moves). {@link CrashWatch} watches a candidate while its gate or a step's
 * analysis runs, so a restart there is reported with the moment it was first seen.
 */
import { readinessProblem, type SlotHealth, type SlotName, type SlotsHealth } from "@phoenix/release-model";
import type { WeightGuard } from "../planner/types";
import type { ReadinessSettings } from "../settings/config";
import { pause, throwIfInterrupted } from "../util/interrupt";

export type HealthSource = () => Promise<SlotsHealth>;

export type GuardVerdict =
    | { verdict: "ok"; detail: string }
    /** Not (yet) allowed: not enough ready endpoints of the version. */
    | { verdict: "wait"; detail: string }
    /** The candidate restarted since its baseline. */
    | { verdict: "crashed"; restarts: number; detail: string };

/** The verdict on one observation of the guarded slot. `baseline`: the candidate's restarts when it was deployed. */
export function judgeGuard(g: WeightGuard, h: SlotHealth, baseline: number | undefined): GuardVerdict {
    if (g.candidate && baseline !== undefined && h.restarts > baseline) {
        const n = h.restarts - baseline;
        return {
            verdict: "crashed",
            restarts: n,
            detail: `${g.slot} (candidate ${g.version}) restarted ${n} time${n === 1 ? "" : "s"} since it was deployed (${h.ready} of ${g.replicas} ready now)`,
        };
    }
    const others = h.versions.filter((v) => v !== g.version);
    const ready = others.length === 0 ? h.ready : 0;
    const seen = `${h.ready} of ${g.replicas} ready${h.versions.length ? ` (${h.versions.join(", ")})` : ""}`;
    if (others.length > 0) return { verdict: "wait", detail: `${g.slot} serves ${others.join(", ")}, not only ${g.version} (${seen})` };
    const problem = readinessProblem(g.slot, g.weight, { ready, desired: g.replicas });
    if (problem) return { verdict: "wait", detail: problem };
    return {
        verdict: "ok",
        detail: `${g.slot} ${g.version}: ${seen}${g.candidate && baseline !== undefined ? `, no restart since deployed` : ""}`,
    };
}

export interface GuardOutcome {
    ok: boolean;
    /** Set when the candidate restarted: how often, and when the engine saw it. */
    crashed?: { restarts: number; at: Date };
    detail: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls until the guard holds (for a candidate: for `settleMs` in a row), the candidate is seen to
 * have restarted, or `waitMs` passes. A restoring guard that times out still passes when the slot has
 * some ready endpoints of its version (production is leaving a failed candidate).
 */
export async function awaitGuard(
    health: HealthSource,
    g: WeightGuard,
    baseline: number | undefined,
    s: ReadinessSettings,
    /** Cuts the wait short: aborted, it throws InterruptedError (util/interrupt.ts). */
    signal?: AbortSignal,
): Promise<GuardOutcome> {
    const t0 = Date.now();
    const settle = g.candidate ? s.settleMs : 0;
    let okSince: number | undefined;
    let last: GuardVerdict | undefined;
    let lastHealth: SlotHealth | undefined;
    for (;;) {
        let h: SlotHealth;
        try {
            h = (await health())[g.slot];
        } catch (e) {
            return {
                ok: false,
                detail: `the readiness of ${g.slot} cannot be read (${(e as Error).message}); production does not move to it`,
            };
        }
        lastHealth = h;
        const now = Date.now();
        last = judgeGuard(g, h, baseline);
        if (last.verdict === "crashed") return { ok: false, crashed: { restarts: last.restarts, at: new Date(now) }, detail: last.detail };
        if (last.verdict === "ok") {
            okSince ??= now;
            if (now - okSince >= settle) {
                const held = settle > 0 ? `, held ${now - okSince} ms` : "";
                return { ok: true, detail: `${last.detail}${held}` };
            }
        } else okSince = undefined;
        if (now - t0 >= s.waitMs) break;
        await pause(Math.min(s.pollMs, Math.max(1, s.waitMs - (now - t0))), signal);
        throwIfInterrupted(signal);
    }
    const partial = lastHealth && lastHealth.ready > 0 && lastHealth.versions.length === 1 && lastHealth.versions[0] === g.version;
    if (g.restoring && partial) {
        return { ok: true, detail: `${last.detail} after ${s.waitMs} ms; production returns to it anyway (it leaves a failed candidate)` };
    }
    return { ok: false, detail: `${last.detail} after waiting ${s.waitMs} ms` };
}

/** A restart of the candidate seen while it was watched. */
export interface CrashSeen {
    restarts: number;
    at: Date;
}

/**
 * Watches one slot's restarts against a baseline in the background (bounded: until {@link stop}).
 * `stop` reads once more, after `graceMs` when none was seen yet (a crash can fail a request before
 * the environment has counted the restart), and returns when a restart was first seen and how many
 * there are now, if any.
 */
export class CrashWatch {
    private seen?: CrashSeen;
    private running = true;
    private wake?: () => void;
    private readonly loop: Promise<void>;

    constructor(
        private readonly health: HealthSource,
        private readonly slot: SlotName,
        private readonly baseline: number,
        private readonly pollMs: number,
    ) {
        this.loop = (async () => {
            while (this.running) {
                await this.observe();
                if (this.seen || !this.running) return;
                await new Promise<void>((r) => {
                    const t = setTimeout(r, this.pollMs);
                    this.wake = () => {
                        clearTimeout(t);
                        r();
                    };
                });
            }
        })();
    }

    private async observe(): Promise<void> {
        try {
            const h = (await this.health())[this.slot];
            // The first sighting keeps its time; later reads bring the count up to date.
            if (h.restarts > this.baseline) this.seen = { restarts: h.restarts - this.baseline, at: this.seen?.at ?? new Date() };
        } catch {
            /* an unreadable observation proves nothing either way; the guard before the next step reads again */
        }
    }

    async stop(graceMs = 0): Promise<CrashSeen | undefined> {
        this.running = false;
        this.wake?.();
        await this.loop;
        if (!this.seen && graceMs > 0) await sleep(graceMs);
        await this.observe();
        return this.seen;
    }
}

/** "restarted 2 times since it was deployed (first seen 13:10:01.234Z, 0.4 s into the http gate)". */
export function describeCrash(c: CrashSeen, during: string, startedAt: number): string {
    const into = ((c.at.getTime() - startedAt) / 1000).toFixed(1);
    return `restarted ${c.restarts} time${c.restarts === 1 ? "" : "s"} since it was deployed (first seen ${c.at.toISOString()}, ${into} s into ${during})`;
}
