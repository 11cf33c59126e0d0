/**
 * Candidate against live on production traffic at one weighted step (pure, no I/O).
 *
 * The sources (the local router's per-slot counters, App Insights' `AppRequests`) give cumulative
 * counts per arm over the step's window: requests, failed, and a latency histogram over fixed bucket
 * edges. Each `update` recomputes the verdict from the latest counts only, so it does not matter how
 * often the engine polls, and a resumed engine needs nothing but the counts.
 *
 * Two sequential tests, each a two-sample SPRT whose nuisance parameter (live's rate) is eliminated by
 * profile likelihood (the generalised likelihood ratio, maximised over live's rate under each
 * hypothesis):
 *   - failures: H0 "candidate rate <= live + tolerance" against H1 "candidate rate >= live + margin";
 *   - latency: a request is "slow" above T = live p95 + max(maxP95IncreaseMs, maxP95IncreaseRatio ×
 *     live p95), rounded up to a bucket edge (live p95 read from live's histogram); H0 "candidate slow
 *     share <= live's" against H1 "candidate slow share >= live's + margin" (which puts the
 *     candidate's p95 above T).
 * Wald's bounds per test: fail when log LR >= ln((1−β)/(α/2)), accept when <= ln(β/(1−α/2)). α is
 * split between the two tests (a healthy candidate is failed by either with probability <= α), β holds
 * for each way of being bad. Rejection is immediate; a pass additionally needs the step's minimum
 * bake time and minimum candidate sample (both only delay a pass; Wald's bounds hold at any stopping
 * time, so waiting longer cannot raise the false-accept rate). Undecided at `maxDurationMs` fails: no
 * proof of health is not a pass. The verdict is final once given. Measured error rates:
 * release-engine/scripts/compare-error-rates.ts.
 */

import type { TrafficCount } from "@phoenix/release-model";

/** Default latency bucket upper edges in ms: bucket i counts (edge[i−1], edge[i]], the last bucket > the last edge. */
export const LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000];

/** Live needs this many requests before its p95 (and so the latency threshold) is read. */
export const MIN_LIVE_FOR_P95 = 20;

export interface ComparisonConfig {
    /** Never pass a step before it has run this long (ms): a fault that appears after a while gets time to show. */
    readonly minBakeMs: number;
    /** Never pass before the candidate has served this many requests in the step. */
    readonly minRequests: number;
    /** Undecided this long after the step began (ms) → fail. */
    readonly maxDurationMs: number;
    /**
     * No production request reached the candidate this long after the step began (ms) → verdict
     * `no-traffic`: nothing can judge the step, which says nothing about the candidate (omit: wait up to maxDurationMs).
     */
    readonly noTrafficMs?: number;
    /** False-reject bound: a candidate no worse than live is failed with probability <= alpha (split over the two tests). */
    readonly alpha: number;
    /** False-accept bound: a candidate worse than live by a margin (in either measure) passes with probability <= beta. */
    readonly beta: number;
    readonly failureRate: {
        /** H0 (good): candidate failure rate <= live's + this (absolute, e.g. 0). */
        readonly tolerance: number;
        /** H1 (bad): candidate failure rate >= live's + this (absolute, e.g. 0.05). Must exceed `tolerance`. */
        readonly margin: number;
    };
    /** Omit to judge failures only (then the counts need no histogram). */
    readonly latency?: {
        /** Histogram bucket upper edges (ms), strictly ascending; the sources must count with the same edges. */
        readonly bucketsMs: readonly number[];
        /** Allowed p95 increase over live, in ms … */
        readonly maxP95IncreaseMs: number;
        /** … or as a fraction of live's p95, whichever is larger. */
        readonly maxP95IncreaseRatio: number;
        /** H1 (bad): candidate share of requests slower than the threshold >= live's + this (e.g. 0.05). */
        readonly margin: number;
    };
}

export const DEFAULT_COMPARISON: ComparisonConfig = {
    minBakeMs: 30_000,
    minRequests: 50,
    maxDurationMs: 600_000,
    noTrafficMs: 30_000,
    alpha: 0.01,
    beta: 0.01,
    failureRate: { tolerance: 0, margin: 0.05 },
    latency: { bucketsMs: LATENCY_BUCKETS_MS, maxP95IncreaseMs: 100, maxP95IncreaseRatio: 0.5, margin: 0.05 },
};

export interface CompareCounts {
    readonly candidate: TrafficCount;
    readonly live: TrafficCount;
    /** Time since the step began (its weight took effect), ms. */
    readonly elapsedMs: number;
}

export type TestDecision = "accept" | "reject" | "continue";

export interface TestStats {
    /** log(L(H1)/L(H0)), profile likelihood. */
    readonly llr: number;
    readonly lower: number;
    readonly upper: number;
    readonly decision: TestDecision;
}

export interface ArmSummary {
    readonly requests: number;
    readonly failed: number;
    readonly failureRate: number;
    readonly meanMs?: number;
    /** Upper edge of the bucket holding the 95th percentile (Infinity in the overflow bucket). */
    readonly p95Ms?: number;
}

export interface ComparisonStats {
    readonly elapsedMs: number;
    readonly candidate: ArmSummary;
    readonly live: ArmSummary;
    readonly failures: TestStats;
    /** Absent when latency is not judged, or while live has fewer than MIN_LIVE_FOR_P95 requests. */
    readonly latency?: TestStats & { readonly thresholdMs: number; readonly candidateSlow: number; readonly liveSlow: number };
}

export interface ComparisonResult {
    /** `no-traffic`: final, the candidate saw no production request within noTrafficMs (neither good nor bad). */
    readonly verdict: "pass" | "fail" | "continue" | "no-traffic";
    readonly reason: string;
    readonly stats: ComparisonStats;
}

export interface Comparison {
    /** Feeds the latest cumulative counts; returns the verdict (final once pass or fail). Throws on counts that are not cumulative or inconsistent. */
    update(counts: CompareCounts): ComparisonResult;
}

/** Problems with a config, each naming the key (under `prefix`) and what was expected; empty when valid. */
export function validateComparisonConfig(c: ComparisonConfig, prefix = "analysis"): string[] {
    const problems: string[] = [];
    const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
    const intAtLeast = (k: string, v: unknown, min: number) => {
        if (!num(v) || !Number.isInteger(v) || v < min) problems.push(`${prefix}.${k} must be an integer >= ${min} (got ${String(v)})`);
    };
    const open01 = (k: string, v: unknown) => {
        if (!num(v) || v <= 0 || v >= 1) problems.push(`${prefix}.${k} must be a number in (0,1) (got ${String(v)})`);
    };
    intAtLeast("minBakeMs", c.minBakeMs, 0);
    intAtLeast("minRequests", c.minRequests, 1);
    intAtLeast("maxDurationMs", c.maxDurationMs, 1);
    if (num(c.maxDurationMs) && num(c.minBakeMs) && c.maxDurationMs <= c.minBakeMs) {
        problems.push(`${prefix}.maxDurationMs (${c.maxDurationMs}) must exceed minBakeMs (${c.minBakeMs}), or no step could ever pass`);
    }
    if (c.noTrafficMs !== undefined) {
        intAtLeast("noTrafficMs", c.noTrafficMs, 1000);
        if (num(c.noTrafficMs) && num(c.maxDurationMs) && c.noTrafficMs >= c.maxDurationMs)
            problems.push(`${prefix}.noTrafficMs (${c.noTrafficMs}) must be below maxDurationMs (${c.maxDurationMs})`);
    }
    open01("alpha", c.alpha);
    open01("beta", c.beta);
    if (num(c.alpha) && num(c.beta) && c.alpha + c.beta >= 1)
        problems.push(`${prefix}: alpha + beta must be below 1 (got ${c.alpha} + ${c.beta})`);
    const f = c.failureRate as ComparisonConfig["failureRate"] | undefined;
    if (!f || typeof f !== "object") problems.push(`${prefix}.failureRate must be an object { tolerance, margin }`);
    else {
        if (!num(f.tolerance) || f.tolerance < 0 || f.tolerance >= 1)
            problems.push(`${prefix}.failureRate.tolerance must be a number in [0,1) (got ${String(f.tolerance)})`);
        open01("failureRate.margin", f.margin);
        if (num(f.tolerance) && num(f.margin) && f.margin <= f.tolerance) {
            problems.push(
                `${prefix}.failureRate.margin (${f.margin}) must exceed failureRate.tolerance (${f.tolerance}): the two hypotheses need an indifference region between them`,
            );
        }
    }
    const l = c.latency;
    if (l !== undefined) {
        const b = l.bucketsMs;
        if (!Array.isArray(b) || b.length < 2 || !b.every((x, i) => num(x) && x > 0 && (i === 0 || x > b[i - 1]))) {
            problems.push(`${prefix}.latency.bucketsMs must be at least 2 strictly ascending positive numbers (got ${JSON.stringify(b)})`);
        }
        if (!num(l.maxP95IncreaseMs) || l.maxP95IncreaseMs < 0)
            problems.push(`${prefix}.latency.maxP95IncreaseMs must be a number >= 0 (got ${String(l.maxP95IncreaseMs)})`);
        if (!num(l.maxP95IncreaseRatio) || l.maxP95IncreaseRatio < 0)
            problems.push(`${prefix}.latency.maxP95IncreaseRatio must be a number >= 0 (got ${String(l.maxP95IncreaseRatio)})`);
        if (num(l.maxP95IncreaseMs) && num(l.maxP95IncreaseRatio) && l.maxP95IncreaseMs === 0 && l.maxP95IncreaseRatio === 0) {
            problems.push(
                `${prefix}.latency: maxP95IncreaseMs and maxP95IncreaseRatio cannot both be 0 (live itself would be "slow" 5 % of the time)`,
            );
        }
        open01("latency.margin", l.margin);
    }
    return problems;
}

/** Index of the histogram bucket a latency falls in (for the sources: `histogram[bucketIndex(ms, edges)]++`). */
export function bucketIndex(ms: number, edges: readonly number[]): number {
    let lo = 0;
    let hi = edges.length; // answer in [0, edges.length]
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ms <= edges[mid]) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/** An empty histogram for `edges`. */
export function emptyHistogram(edges: readonly number[]): number[] {
    return new Array<number>(edges.length + 1).fill(0);
}

/** Counts in a window: `now` minus a `base` snapshot of the same cumulative counters (e.g. the router's counters at the step's start). */
export function countsSince(now: TrafficCount, base: TrafficCount): TrafficCount {
    const out: { requests: number; failed: number; totalMs?: number; latency?: number[] } = {
        requests: now.requests - base.requests,
        failed: now.failed - base.failed,
    };
    if (now.totalMs !== undefined) out.totalMs = now.totalMs - (base.totalMs ?? 0);
    if (now.latency) out.latency = now.latency.map((n, i) => n - (base.latency?.[i] ?? 0));
    if (out.requests < 0 || out.failed < 0 || (out.latency ?? []).some((n) => n < 0)) {
        throw new RangeError("countsSince: the counters went backwards (did the router restart? take a new baseline)");
    }
    return out;
}

const xlogy = (x: number, y: number): number => (x === 0 ? 0 : x * Math.log(y));

/** Two-arm binomial log-likelihood with candidate rate = live rate p + d. */
function logLik(fc: number, nc: number, fl: number, nl: number, p: number, d: number): number {
    return xlogy(fc, p + d) + xlogy(nc - fc, 1 - p - d) + xlogy(fl, p) + xlogy(nl - fl, 1 - p);
}

/**
 * Profile log-likelihood of "candidate rate = live rate + d": maximised over live's rate p in
 * [0, 1 − d]. The log-likelihood is concave in p, so the maximum is where its derivative (decreasing)
 * changes sign, found by bisection; ends are checked for the boundary cases (no failures, all failed).
 */
export function profileLogLik(fc: number, nc: number, fl: number, nl: number, d: number): number {
    const hi = 1 - d;
    const deriv = (p: number): number => {
        const t = (x: number, y: number) => (x === 0 ? 0 : x / y);
        return t(fc, p + d) - t(nc - fc, 1 - p - d) + t(fl, p) - t(nl - fl, 1 - p);
    };
    const eps = 1e-12;
    let best = Math.max(logLik(fc, nc, fl, nl, 0, d), logLik(fc, nc, fl, nl, hi, d));
    if (deriv(eps) > 0 && deriv(hi - eps) < 0) {
        let a = eps;
        let b = hi - eps;
        for (let i = 0; i < 100 && b - a > 1e-15; i++) {
            const m = (a + b) / 2;
            if (deriv(m) > 0) a = m;
            else b = m;
        }
        best = Math.max(best, logLik(fc, nc, fl, nl, (a + b) / 2, d));
    }
    return Number.isNaN(best) ? -Infinity : best;
}

/** The two-sample profile-likelihood SPRT on event counts (events = failures or slow requests). */
export function twoSampleTest(
    c: { events: number; n: number },
    l: { events: number; n: number },
    h: { d0: number; d1: number; alpha: number; beta: number },
): TestStats {
    const lower = Math.log(h.beta / (1 - h.alpha));
    const upper = Math.log((1 - h.beta) / h.alpha);
    if (c.n === 0) return { llr: 0, lower, upper, decision: "continue" };
    const llr = profileLogLik(c.events, c.n, l.events, l.n, h.d1) - profileLogLik(c.events, c.n, l.events, l.n, h.d0);
    const decision: TestDecision = llr >= upper ? "reject" : llr <= lower ? "accept" : "continue";
    return { llr, lower, upper, decision };
}

/** Nearest-rank q-quantile of a histogram: the upper edge of the bucket holding it (Infinity in the overflow bucket). */
export function histogramQuantile(hist: readonly number[], edges: readonly number[], q: number): number {
    const total = hist.reduce((a, b) => a + b, 0);
    if (total === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i < hist.length; i++) {
        seen += hist[i];
        if (seen >= rank) return i < edges.length ? edges[i] : Infinity;
    }
    return Infinity;
}

function checkArm(name: string, a: TrafficCount, buckets: number | undefined): void {
    const isCount = (x: unknown) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
    if (!a || typeof a !== "object") throw new RangeError(`comparison: ${name} counts are missing`);
    if (!isCount(a.requests) || !isCount(a.failed))
        throw new RangeError(`comparison: ${name}.requests and .failed must be integers >= 0 (got ${a.requests}, ${a.failed})`);
    if (a.failed > a.requests) throw new RangeError(`comparison: ${name}.failed (${a.failed}) exceeds ${name}.requests (${a.requests})`);
    if (a.totalMs !== undefined && !(Number.isFinite(a.totalMs) && a.totalMs >= 0))
        throw new RangeError(`comparison: ${name}.totalMs must be a number >= 0 (got ${a.totalMs})`);
    if (buckets !== undefined) {
        const h = a.latency;
        if (!Array.isArray(h) || h.length !== buckets + 1 || !h.every(isCount)) {
            throw new RangeError(
                `comparison: ${name}.latency must hold ${buckets + 1} counts (one per bucket of latency.bucketsMs, plus the overflow) (got ${JSON.stringify(h)})`,
            );
        }
        const sum = h.reduce((x, y) => x + y, 0);
        if (sum !== a.requests)
            throw new RangeError(`comparison: ${name}.latency counts sum to ${sum}, not ${name}.requests (${a.requests})`);
    }
}

function checkCumulative(name: string, now: TrafficCount, before: TrafficCount | undefined): void {
    if (!before) return;
    const back =
        now.requests < before.requests || now.failed < before.failed || (now.latency ?? []).some((n, i) => n < (before.latency?.[i] ?? 0));
    if (back)
        throw new RangeError(
            `comparison: ${name} counts went backwards (${before.requests} → ${now.requests} requests); counts must be cumulative over the step's window`,
        );
}

const pct = (x: number): string => `${(x * 100).toFixed(2)} %`;
const fmt = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : String(x));

function summary(a: TrafficCount, edges: readonly number[] | undefined): ArmSummary {
    return {
        requests: a.requests,
        failed: a.failed,
        failureRate: a.requests ? a.failed / a.requests : 0,
        ...(a.totalMs !== undefined && a.requests > 0 ? { meanMs: a.totalMs / a.requests } : {}),
        ...(edges && a.latency && a.requests > 0 ? { p95Ms: histogramQuantile(a.latency, edges, 0.95) } : {}),
    };
}

/** A new comparison for one step. @throws RangeError listing every problem of an invalid config. */
export function newComparison(config: ComparisonConfig): Comparison {
    const problems = validateComparisonConfig(config);
    if (problems.length) throw new RangeError(`invalid comparison config:\n  - ${problems.join("\n  - ")}`);
    const cfg = config;
    const edges = cfg.latency?.bucketsMs;
    const perTest = { alpha: cfg.alpha / 2, beta: cfg.beta };
    let last: CompareCounts | undefined;
    let final: ComparisonResult | undefined;

    const update = (counts: CompareCounts): ComparisonResult => {
        if (final) return final;
        checkArm("candidate", counts.candidate, edges?.length);
        checkArm("live", counts.live, edges?.length);
        if (!(Number.isFinite(counts.elapsedMs) && counts.elapsedMs >= 0))
            throw new RangeError(`comparison: elapsedMs must be a number >= 0 (got ${counts.elapsedMs})`);
        checkCumulative("candidate", counts.candidate, last?.candidate);
        checkCumulative("live", counts.live, last?.live);
        if (last && counts.elapsedMs < last.elapsedMs)
            throw new RangeError(`comparison: elapsedMs went backwards (${last.elapsedMs} → ${counts.elapsedMs})`);
        last = counts;
        const { candidate: c, live: l } = counts;

        const failures = twoSampleTest(
            { events: c.failed, n: c.requests },
            { events: l.failed, n: l.requests },
            { d0: cfg.failureRate.tolerance, d1: cfg.failureRate.margin, ...perTest },
        );
        let latency: ComparisonStats["latency"];
        if (cfg.latency && edges && l.requests >= MIN_LIVE_FOR_P95) {
            const liveP95 = histogramQuantile(l.latency as number[], edges, 0.95);
            const wanted = liveP95 + Math.max(cfg.latency.maxP95IncreaseMs, cfg.latency.maxP95IncreaseRatio * liveP95);
            // Slow = above the first edge at or above the wanted threshold (the last edge if none is).
            const k = Math.min(bucketIndex(wanted, edges), edges.length - 1);
            const slow = (h: readonly number[]) => h.slice(k + 1).reduce((a, b) => a + b, 0);
            const candidateSlow = slow(c.latency as number[]);
            const liveSlow = slow(l.latency as number[]);
            const t = twoSampleTest(
                { events: candidateSlow, n: c.requests },
                { events: liveSlow, n: l.requests },
                { d0: 0, d1: cfg.latency.margin, ...perTest },
            );
            latency = { ...t, thresholdMs: edges[k], candidateSlow, liveSlow };
        }
        const stats: ComparisonStats = {
            elapsedMs: counts.elapsedMs,
            candidate: summary(c, edges),
            live: summary(l, edges),
            failures,
            ...(latency ? { latency } : {}),
        };
        const cRate = stats.candidate.failureRate;
        const lRate = stats.live.failureRate;
        const done = (verdict: "pass" | "fail" | "no-traffic", reason: string): ComparisonResult => (final = { verdict, reason, stats });

        if (failures.decision === "reject") {
            return done(
                "fail",
                `candidate failure rate ${pct(cRate)} (${c.failed}/${c.requests}) is worse than live ${pct(lRate)} (${l.failed}/${l.requests}) by ${pct(cfg.failureRate.margin)} or more (SPRT log LR ${fmt(failures.llr)} >= ${fmt(failures.upper)})`,
            );
        }
        if (latency?.decision === "reject") {
            return done(
                "fail",
                `candidate latency: ${latency.candidateSlow}/${c.requests} requests slower than ${latency.thresholdMs} ms vs live ${latency.liveSlow}/${l.requests} (live p95 ${stats.live.p95Ms} ms, candidate p95 ${stats.candidate.p95Ms} ms; SPRT log LR ${fmt(latency.llr)} >= ${fmt(latency.upper)})`,
            );
        }
        if (cfg.noTrafficMs !== undefined && c.requests === 0 && counts.elapsedMs >= cfg.noTrafficMs) {
            return done(
                "no-traffic",
                `no production request reached the candidate in ${Math.round(counts.elapsedMs / 1000)} s (live served ${l.requests}): nothing can judge this step`,
            );
        }
        if (counts.elapsedMs >= cfg.maxDurationMs) {
            return done(
                "fail",
                `no verdict within ${cfg.maxDurationMs} ms (candidate ${c.requests} requests): the candidate was not shown to be as good as live`,
            );
        }
        const waiting: string[] = [];
        if (failures.decision !== "accept")
            waiting.push(
                `failure rate undecided (${c.failed}/${c.requests} vs live ${l.failed}/${l.requests}, log LR ${fmt(failures.llr)})`,
            );
        if (cfg.latency && !latency) waiting.push(`live has ${l.requests} of ${MIN_LIVE_FOR_P95} requests needed to read its p95`);
        else if (latency && latency.decision !== "accept")
            waiting.push(
                `latency undecided (${latency.candidateSlow}/${c.requests} slower than ${latency.thresholdMs} ms vs live ${latency.liveSlow}/${l.requests})`,
            );
        if (c.requests < cfg.minRequests) waiting.push(`candidate has ${c.requests} of ${cfg.minRequests} requests`);
        if (counts.elapsedMs < cfg.minBakeMs)
            waiting.push(`baked ${Math.floor(counts.elapsedMs / 1000)} s of ${Math.ceil(cfg.minBakeMs / 1000)} s`);
        if (waiting.length) return { verdict: "continue", reason: waiting.join("; "), stats };
        return done(
            "pass",
            `candidate as good as live after ${c.requests} requests and ${Math.round(counts.elapsedMs / 1000)} s: failure rate ${pct(cRate)} vs ${pct(lRate)}` +
                (latency
                    ? `, ${latency.candidateSlow} vs ${latency.liveSlow} requests slower than ${latency.thresholdMs} ms (p95 ${stats.candidate.p95Ms} vs ${stats.live.p95Ms} ms)`
                    : ", latency not judged"),
        );
    };
    return { update };
}
