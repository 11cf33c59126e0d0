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

/** Truncation rule at the sample cap: the side the evidence leans to (Wald's truncated SPRT). */
export function sprtTruncated(p: SprtParams, s: SprtState): "accept" | "reject" {
    const d = sprtDecision(p, s);
    if (d !== "continue") return d;
    const { lower, upper } = sprtBounds(p);
    return s.llr - lower <= upper - s.llr ? "accept" : "reject";
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
