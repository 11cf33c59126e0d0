/**
 * One progressive step's analysis: polls the production counts of the candidate and of live since
 * the step's weight took effect and feeds them to the sequential comparison (gates/compare.ts, pure)
 * until it is certain. The counts come from whatever sees production: the local router's per-slot,
 * per-version counters, or App Insights `AppRequests` (gates/appinsights-compare.ts).
 */
import type { SlotName } from "@phoenix/release-model";
import { countsSince, newComparison, type ArmCounts, type ComparisonConfig, type ComparisonResult } from "../gates/compare";

export interface SlotVersionRef {
    slot: SlotName;
    version: string;
}

/** Cumulative production counts of both arms (since any fixed origin: the analysis takes differences). */
export type ArmSource = (arms: {
    candidate: SlotVersionRef;
    live: SlotVersionRef;
    since: Date;
}) => Promise<{ candidate: ArmCounts; live: ArmCounts }>;

/** A weighted step's running comparison, for the progress display. */
export interface StepProgress {
    weight: number;
    result: ComparisonResult;
    config: ComparisonConfig;
}

export interface StepAnalysisReport {
    /** `no-traffic`: no production request reached the candidate within the setting's time (the step could not be judged). */
    verdict: "pass" | "fail" | "no-traffic";
    reason: string;
    weight: number;
    durationMs: number;
    polls: number;
    last?: ComparisonResult;
}

/**
 * Runs the comparison for one step. `cumulative` sources (the local router) are differenced against
 * their value when the step began; windowed sources (App Insights, queried from `since`) are not.
 */
export async function runStepAnalysis(
    source: ArmSource,
    arms: { candidate: SlotVersionRef; live: SlotVersionRef; weight: number },
    config: ComparisonConfig,
    opts: {
        pollMs: number;
        cumulative: boolean;
        now?: () => number;
        sleep?: (ms: number) => Promise<void>;
        onProgress?: (r: ComparisonResult) => void;
    },
): Promise<StepAnalysisReport> {
    const now = opts.now ?? Date.now;
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const t0 = now();
    const since = new Date(t0);
    const cmp = newComparison(config);
    const base = opts.cumulative ? await source({ ...arms, since }) : undefined;
    let polls = 0;
    for (;;) {
        await sleep(opts.pollMs);
        polls++;
        const cur = await source({ ...arms, since });
        const candidate = base ? countsSince(cur.candidate, base.candidate) : cur.candidate;
        const live = base ? countsSince(cur.live, base.live) : cur.live;
        const r = cmp.update({ candidate, live, elapsedMs: now() - t0 });
        opts.onProgress?.(r);
        if (r.verdict !== "continue")
            return { verdict: r.verdict, reason: r.reason, weight: arms.weight, durationMs: now() - t0, polls, last: r };
    }
}

/** One line for the step's report. */
export function summarizeStepAnalysis(r: StepAnalysisReport, arms: { candidate: SlotVersionRef; live: SlotVersionRef }): string {
    const s = r.last?.stats;
    const arm = (a?: { requests: number; failed: number; p95Ms?: number }) =>
        a
            ? `${a.requests} requests, ${a.failed} failed${a.p95Ms !== undefined && Number.isFinite(a.p95Ms) ? `, p95 ≤ ${a.p95Ms} ms` : ""}`
            : "no data";
    return `analysis ${r.verdict.toUpperCase()} at ${r.weight} %: ${r.reason}; candidate ${arms.candidate.slot} ${arms.candidate.version}: ${arm(s?.candidate)}; live ${arms.live.slot} ${arms.live.version}: ${arm(s?.live)}; ${(r.durationMs / 1000).toFixed(1)} s`;
}
