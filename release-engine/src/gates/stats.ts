/**
 * Sequential statistics for gates (pure).
 *
 * A gate watches a stream of Bernoulli outcomes (request failed / request too slow) and must decide
 * as early as the evidence allows whether the true rate is acceptable. Wald's sequential probability
 * ratio test (SPRT) does exactly that with known error bounds: H0 "rate <= p0" (good) against
 * H1 "rate >= p1" (bad), with false-reject probability <= alpha and false-accept probability <= beta.
 * Expected sample sizes are far smaller than a fixed-N test of the same strength.
 */

export interface SprtParams {
    /** A rate at or below this is good (H0). */
    p0: number;
    /** A rate at or above this is bad (H1). Must be > p0. */
    p1: number;
    /** Probability of rejecting a good candidate (type I). */
    alpha: number;
    /** Probability of accepting a bad candidate (type II). */
    beta: number;
}

export type SprtDecision = "accept" | "reject" | "continue";

export interface SprtState {
    n: number;
    events: number;
    /** Log-likelihood ratio log(L(H1)/L(H0)). */
    llr: number;
}

export function validateSprt(p: SprtParams): void {
    const inUnit = (x: number) => Number.isFinite(x) && x > 0 && x < 1;
    if (!inUnit(p.p0) || !inUnit(p.p1) || p.p0 >= p.p1) {
        throw new RangeError(`SPRT needs 0 < p0 < p1 < 1 (got p0=${p.p0}, p1=${p.p1})`);
    }
    if (!inUnit(p.alpha) || !inUnit(p.beta)) {
        throw new RangeError(`SPRT needs alpha and beta in (0,1) (got alpha=${p.alpha}, beta=${p.beta})`);
    }
}

/** Wald's boundaries: reject H0 above `upper`, accept H0 below `lower`. */
export function sprtBounds(p: SprtParams): { lower: number; upper: number } {
    return { lower: Math.log(p.beta / (1 - p.alpha)), upper: Math.log((1 - p.beta) / p.alpha) };
}

export function sprtInit(): SprtState {
    return { n: 0, events: 0, llr: 0 };
}

export function sprtUpdate(p: SprtParams, s: SprtState, event: boolean): SprtState {
    const inc = event ? Math.log(p.p1 / p.p0) : Math.log((1 - p.p1) / (1 - p.p0));
    return { n: s.n + 1, events: s.events + (event ? 1 : 0), llr: s.llr + inc };
}

export function sprtDecision(p: SprtParams, s: SprtState): SprtDecision {
    const { lower, upper } = sprtBounds(p);
    if (s.llr >= upper) return "reject";
    if (s.llr <= lower) return "accept";
    return "continue";
}

/**
 * The decision at the sample cap. Following the leaning evidence (Wald's truncation rule) loses the
 * false-accept bound: at p = p1 about half the runs still undecided at the cap lean to "accept", and an
 * independent run of the dev gate accepted 2 of 30 candidates at exactly p1 against a 1 % bound.
 * Instead the cap accepts only a candidate with at most `maxEventsAtCap` events, the largest count
 * whose overall acceptance probability at p1 (computed exactly by {@link sprtOperatingCharacteristic})
 * stays within beta; everything else undecided at the cap is rejected. -1 means "reject every
 * undecided candidate at the cap".
 */
export interface SprtCapRule {
    /** Sample cap N: the test decides at the latest after N outcomes. */
    cap: number;
    /** No acceptance before this many outcomes (the gate's minimum sample); rejection is never delayed. */
    minN: number;
    /** At the cap, accept an undecided candidate iff its event count is at most this (-1: never). */
    maxEventsAtCap: number;
}

/** The truncated test's decision after `s`: Wald's bounds, then the cap rule at n >= cap. */
export function sprtCappedDecision(p: SprtParams, rule: SprtCapRule, s: SprtState): SprtDecision {
    const d = sprtDecision(p, s);
    if (d === "reject") return "reject";
    if (d === "accept" && s.n >= Math.min(rule.minN, rule.cap)) return "accept";
    if (s.n < rule.cap) return "continue";
    return s.events <= rule.maxEventsAtCap ? "accept" : "reject";
}

export interface SprtOperatingPoint {
    /** True event rate the probabilities are computed for. */
    rate: number;
    /** Probability that the truncated test accepts. */
    accept: number;
    /** Probability that the test is still undecided by Wald's bounds when it reaches the cap. */
    atCap: number;
    /** Expected number of outcomes to a decision. */
    expectedN: number;
}

/**
 * Exact operating characteristic of the truncated SPRT under the cap rule, for i.i.d. outcomes with
 * event probability `rate`: dynamic programming over the event count k after n outcomes (the
 * log-likelihood ratio is a function of (n, k)). Cost O(cap × open states), a few thousand steps.
 */
export function sprtOperatingCharacteristic(p: SprtParams, rule: SprtCapRule, rate: number): SprtOperatingPoint {
    validateSprt(p);
    if (!Number.isInteger(rule.cap) || rule.cap < 1) throw new RangeError(`SPRT cap must be an integer >= 1 (got ${rule.cap})`);
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`event rate must be in [0,1] (got ${rate})`);
    const a = Math.log(p.p1 / p.p0);
    const b = Math.log((1 - p.p1) / (1 - p.p0));
    const { lower, upper } = sprtBounds(p);
    const minN = Math.min(rule.minN, rule.cap);
    // open[k] = P(undecided after n outcomes with k events)
    let open = new Map<number, number>([[0, 1]]);
    let accept = 0;
    let atCap = 0;
    let expectedN = 0;
    for (let n = 1; n <= rule.cap; n++) {
        const next = new Map<number, number>();
        for (const [k, m] of open) {
            if (m === 0) continue;
            next.set(k, (next.get(k) ?? 0) + m * (1 - rate));
            next.set(k + 1, (next.get(k + 1) ?? 0) + m * rate);
        }
        open = new Map();
        for (const [k, m] of next) {
            const llr = k * a + (n - k) * b;
            if (llr >= upper) {
                expectedN += n * m;
            } else if (llr <= lower && n >= minN) {
                accept += m;
                expectedN += n * m;
            } else if (n === rule.cap) {
                atCap += m;
                if (k <= rule.maxEventsAtCap) accept += m;
                expectedN += n * m;
            } else {
                open.set(k, m);
            }
        }
    }
    return { rate, accept, atCap, expectedN };
}

/**
 * The cap rule that keeps the false-accept bound: the largest `maxEventsAtCap` whose acceptance
 * probability at p1 is at most beta (exact, see {@link sprtOperatingCharacteristic}). Also returns
 * that probability and, for the record, the false-reject probability at p0.
 */
export function sprtCapRule(p: SprtParams, cap: number, minN: number): { rule: SprtCapRule; acceptAtP1: number; rejectAtP0: number } {
    const acceptAll: SprtCapRule = { cap, minN, maxEventsAtCap: cap };
    const all = sprtOperatingCharacteristic(p, acceptAll, p.p1).accept;
    if (all <= p.beta) return { rule: acceptAll, acceptAtP1: all, rejectAtP0: 1 - sprtOperatingCharacteristic(p, acceptAll, p.p0).accept };
    let rule: SprtCapRule = { cap, minN, maxEventsAtCap: -1 };
    let atP1 = sprtOperatingCharacteristic(p, rule, p.p1).accept;
    for (let k = 0; k < cap; k++) {
        const tryRule = { ...rule, maxEventsAtCap: k };
        const acc = sprtOperatingCharacteristic(p, tryRule, p.p1).accept;
        if (acc > p.beta) break;
        rule = tryRule;
        atP1 = acc;
    }
    return { rule, acceptAtP1: atP1, rejectAtP0: 1 - sprtOperatingCharacteristic(p, rule, p.p0).accept };
}

/** Number of consecutive non-events needed to accept from a fresh start. */
export function sprtMinAcceptN(p: SprtParams): number {
    const { lower } = sprtBounds(p);
    return Math.ceil(lower / Math.log((1 - p.p1) / (1 - p.p0)));
}

/** Wilson score interval for a binomial proportion (z = 1.96 for 95 %). */
export function wilson(events: number, n: number, z = 1.959964): { low: number; high: number } {
    if (n === 0) return { low: 0, high: 1 };
    const phat = events / n;
    const z2 = z * z;
    const denom = 1 + z2 / n;
    const centre = (phat + z2 / (2 * n)) / denom;
    const half = (z * Math.sqrt((phat * (1 - phat)) / n + z2 / (4 * n * n))) / denom;
    return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Nearest-rank percentile of a sample (q in (0,1]); NaN for an empty sample. */
export function percentile(values: readonly number[], q: number): number {
    if (values.length === 0) return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
    return sorted[rank - 1];
}
