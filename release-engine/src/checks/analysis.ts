/**
 * The analysis check: one weighted step judged against live on production traffic. Polls the counts
 * of the candidate and of live from the run's traffic source (checks/traffic-source.ts) every
 * `progressive.pollMs` since the step's weight took effect and feeds them to the sequential comparison
 * (gates/compare.ts, pure) until it is certain. A poll that fails is retried within the error budget
 * (gates/error-budget.ts): the comparison judges the latest counts only, so a missed poll costs nothing;
 * past the budget the step is inconclusive ("could not measure"), not failed.
 */
import { findLiveSlot, type SlotName, type TrafficCount } from "@phoenix/release-model";
import type { Check } from "../planner/types";
import { countsSince, newComparison, type ComparisonConfig, type ComparisonResult } from "../gates/compare";
import { measureWithin } from "../gates/error-budget";
import type { SlotVersionRef, Verdict } from "../gates/gate";
import { failed, type CheckRunner } from "./check";
import type { TrafficSource } from "./traffic-source";

export interface StepAnalysisReport {
    /**
     * `no-traffic`: no production request reached the candidate within the setting's time (the step
     * could not be judged); `inconclusive`: the counts could not be read within the error budget.
     */
    verdict: Verdict | "no-traffic";
    reason: string;
    weight: number;
    durationMs: number;
    polls: number;
    last?: ComparisonResult;
}

export interface StepAnalysisOptions {
    pollMs: number;
    /** Failed reads of the counts in a row that are retried (each after pollMs); the next makes the step inconclusive. */
    errorBudget: number;
    now?: () => number;
    sleep?: (ms: number) => Promise<void>;
    onProgress?: (r: ComparisonResult) => void;
}

/**
 * Runs the comparison for one step. Cumulative sources (the router's counters) are differenced against
 * their value when the step began; windowed sources (App Insights, queried from `since`) are not.
 */
export async function runStepAnalysis(
    source: TrafficSource,
    arms: { candidate: SlotVersionRef; live: SlotVersionRef; weight: number },
    config: ComparisonConfig,
    opts: StepAnalysisOptions,
): Promise<StepAnalysisReport> {
    const now = opts.now ?? Date.now;
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const t0 = now();
    const since = new Date(t0);
    const cmp = newComparison(config);
    let polls = 0;
    const read = () =>
        measureWithin(() => source.counts({ ...arms, since }), {
            budget: opts.errorBudget,
            retryMs: opts.pollMs,
            what: `reading ${source.name}`,
            sleep,
        });
    const inconclusive = (reason: string, last?: ComparisonResult): StepAnalysisReport => ({
        verdict: "inconclusive",
        reason,
        weight: arms.weight,
        durationMs: now() - t0,
        polls,
        ...(last ? { last } : {}),
    });
    let base: { candidate: TrafficCount; live: TrafficCount } | undefined;
    if (source.cumulative) {
        const first = await read();
        if (!first.ok) return inconclusive(first.reason);
        base = first.value;
    }
    let last: ComparisonResult | undefined;
    for (;;) {
        await sleep(opts.pollMs);
        polls++;
        const cur = await read();
        if (!cur.ok) return inconclusive(cur.reason, last);
        const candidate = base ? countsSince(cur.value.candidate, base.candidate) : cur.value.candidate;
        const live = base ? countsSince(cur.value.live, base.live) : cur.value.live;
        const r = cmp.update({ candidate, live, elapsedMs: now() - t0 });
        last = r;
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

type AnalysisCheck = Extract<Check, { kind: "analysis" }>;

export const analysisCheck: CheckRunner<AnalysisCheck> = {
    describe: (check) => `the ${check.weight} % step's analysis`,
    watchesCandidate: true,
    async run(check, record, ctx) {
        const { config } = ctx;
        const state = record.state;
        if (!state) return failed("analysis: nothing is deployed");
        if (!ctx.traffic.source) return failed(`analysis: ${ctx.traffic.unavailable}`);
        const liveSlot = findLiveSlot(state) as SlotName;
        const arms = {
            candidate: { slot: check.slot, version: check.version },
            live: { slot: liveSlot, version: state.slots[liveSlot].version as string },
            weight: check.weight,
        };
        const analysis = config.progressive.analysis;
        const step = ctx.progress?.step?.bind(ctx.progress);
        let r: StepAnalysisReport;
        try {
            r = await runStepAnalysis(ctx.traffic.source, arms, analysis, {
                pollMs: config.progressive.pollMs,
                errorBudget: config.errorBudget,
                ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
                ...(step ? { onProgress: (result: ComparisonResult) => step({ weight: check.weight, result, config: analysis }) } : {}),
            });
        } finally {
            ctx.progress?.done();
        }
        const detail = summarizeStepAnalysis(r, arms);
        if (r.verdict === "no-traffic")
            return {
                verdict: "fail",
                detail,
                noTraffic: { weight: check.weight, seconds: Math.round(r.durationMs / 1000), candidate: arms.candidate },
            };
        if (r.verdict === "inconclusive")
            return { verdict: "inconclusive", detail, inconclusive: { what: `the ${check.weight} % step's analysis`, reason: r.reason } };
        return { verdict: r.verdict, detail };
    },
};
