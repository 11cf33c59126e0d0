/**
 * Monte Carlo of the step comparison (src/gates/compare.ts): simulated production traffic split by
 * the step's weight between live and candidate, counted as the sources count it (requests, failed,
 * latency histogram), fed to the comparison at each poll. Seeded, so a run is reproducible; a few
 * seconds for the default 1000 runs per row. Reports false-accept / false-reject rates and the
 * candidate requests and seconds to a verdict.
 *
 *   node -r ts-node/register/transpile-only release-engine/scripts/compare-error-rates.ts [runs] [seed]
 */
import { DEFAULT_COMPARISON, bucketIndex, emptyHistogram, newComparison, type ComparisonConfig } from "../src/gates/compare";
import { percentile } from "../src/gates/stats";

/** mulberry32: a small, fast, seedable PRNG. */
function rng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

interface Arm {
    /** Failure probability. */
    fail: number;
    /** Added to every request's latency (ms). */
    shiftMs?: number;
    /** This share of requests gets `slowByMs` more. */
    slowShare?: number;
    slowByMs?: number;
}

interface Row {
    name: string;
    /** Candidate's share of production traffic. */
    weight: number;
    live: Arm;
    candidate: Arm;
    /** Which verdict is right ("either" inside the indifference region). */
    good: "pass" | "fail" | "either";
}

const RATE_RPS = 50;
const POLL_MS = 250;
/** Latency of a healthy request: log-normal, median 8 ms, sigma 0.6 (p95 ≈ 21 ms). */
const MEDIAN_MS = 8;
const SIGMA = 0.6;

function simulate(
    row: Row,
    config: ComparisonConfig,
    random: () => number,
): { verdict: "pass" | "fail"; candidateRequests: number; seconds: number } {
    const edges = config.latency!.bucketsMs;
    const arm = () => ({ requests: 0, failed: 0, totalMs: 0, latency: emptyHistogram(edges) });
    const c = arm();
    const l = arm();
    const cmp = newComparison(config);
    const perPoll = (RATE_RPS * POLL_MS) / 1000;
    const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    for (let t = POLL_MS; ; t += POLL_MS) {
        for (let i = 0; i < perPoll; i++) {
            const toCandidate = random() < row.weight;
            const a = toCandidate ? row.candidate : row.live;
            const counts = toCandidate ? c : l;
            let ms = MEDIAN_MS * Math.exp(SIGMA * normal()) + (a.shiftMs ?? 0);
            if (a.slowShare && random() < a.slowShare) ms += a.slowByMs ?? 0;
            counts.requests++;
            if (random() < a.fail) counts.failed++;
            counts.totalMs += ms;
            counts.latency[bucketIndex(ms, edges)]++;
        }
        const r = cmp.update({ candidate: c, live: l, elapsedMs: t });
        if (r.verdict === "no-traffic") throw new Error("the simulation runs without noTrafficMs; a no-traffic verdict cannot happen");
        if (r.verdict !== "continue") return { verdict: r.verdict, candidateRequests: c.requests, seconds: t / 1000 };
    }
}

function main(): void {
    const runs = Number(process.argv[2] ?? 1000);
    const seed = Number(process.argv[3] ?? 13);
    const pure: ComparisonConfig = { ...DEFAULT_COMPARISON, minBakeMs: 0, minRequests: 1, noTrafficMs: undefined };
    const latency = pure.latency!;
    process.stdout.write(
        `comparison: alpha ${pure.alpha} (split over the two tests), beta ${pure.beta}; failures H0 ≤ live + ${pure.failureRate.tolerance}, H1 ≥ live + ${pure.failureRate.margin}; ` +
            `latency: slow = above live p95 + max(${latency.maxP95IncreaseMs} ms, ${latency.maxP95IncreaseRatio * 100} %), H1 slow share ≥ live's + ${latency.margin}; ` +
            `${RATE_RPS} req/s production traffic, polled every ${POLL_MS} ms; healthy latency log-normal median ${MEDIAN_MS} ms sigma ${SIGMA}; ${runs} runs per row, seed ${seed}\n`,
    );
    const rows: Array<Row & { config?: ComparisonConfig; label?: string }> = [
        { name: "healthy: 0 % vs live 0 %", weight: 0.05, live: { fail: 0 }, candidate: { fail: 0 }, good: "pass" },
        { name: "healthy: 0 % vs live 0 %", weight: 0.25, live: { fail: 0 }, candidate: { fail: 0 }, good: "pass" },
        { name: "healthy: 0 % vs live 0 %", weight: 0.5, live: { fail: 0 }, candidate: { fail: 0 }, good: "pass" },
        { name: "healthy: 1 % vs live 1 %", weight: 0.05, live: { fail: 0.01 }, candidate: { fail: 0.01 }, good: "pass" },
        { name: "healthy: 1 % vs live 1 %", weight: 0.5, live: { fail: 0.01 }, candidate: { fail: 0.01 }, good: "pass" },
        { name: "healthy: 2 % vs live 2 %", weight: 0.25, live: { fail: 0.02 }, candidate: { fail: 0.02 }, good: "pass" },
        { name: "indifference: 2 % vs live 0 %", weight: 0.05, live: { fail: 0 }, candidate: { fail: 0.02 }, good: "either" },
        { name: "boundary (H1): 5 % vs live 0 %", weight: 0.05, live: { fail: 0 }, candidate: { fail: 0.05 }, good: "fail" },
        { name: "boundary (H1): 6 % vs live 1 %", weight: 0.5, live: { fail: 0.01 }, candidate: { fail: 0.06 }, good: "fail" },
        { name: "latent fault: 20 % vs live 0 %", weight: 0.05, live: { fail: 0 }, candidate: { fail: 0.2 }, good: "fail" },
        { name: "latency: +200 ms", weight: 0.05, live: { fail: 0 }, candidate: { fail: 0, shiftMs: 200 }, good: "fail" },
        {
            name: "latency boundary (H1): 5 % of requests +1 s",
            weight: 0.05,
            live: { fail: 0 },
            candidate: { fail: 0, slowShare: 0.05, slowByMs: 1000 },
            good: "fail",
        },
        {
            name: "latency: +20 ms (within the allowance)",
            weight: 0.05,
            live: { fail: 0 },
            candidate: { fail: 0, shiftMs: 20 },
            good: "pass",
        },
        {
            name: "healthy, default bake 30 s / min 50 requests",
            weight: 0.05,
            live: { fail: 0 },
            candidate: { fail: 0 },
            good: "pass",
            config: DEFAULT_COMPARISON,
        },
        {
            name: "latent fault 20 %, default bake / min",
            weight: 0.05,
            live: { fail: 0 },
            candidate: { fail: 0.2 },
            good: "fail",
            config: DEFAULT_COMPARISON,
        },
    ];
    process.stdout.write(
        "| case | step weight | passed | failed | wrong verdicts | candidate requests to verdict (median / p95) | seconds to verdict (median / p95) |\n|---|---|---|---|---|---|---|\n",
    );
    let row = 0;
    for (const r of rows) {
        const random = rng(seed * 1000 + row++);
        let passed = 0;
        const n: number[] = [];
        const s: number[] = [];
        for (let i = 0; i < runs; i++) {
            const out = simulate(r, r.config ?? pure, random);
            if (out.verdict === "pass") passed++;
            n.push(out.candidateRequests);
            s.push(out.seconds);
        }
        const wrong = r.good === "pass" ? runs - passed : r.good === "fail" ? passed : NaN;
        const wrongText = Number.isNaN(wrong) ? "—" : `${wrong} (${((wrong / runs) * 100).toFixed(2)} %)`;
        process.stdout.write(
            `| ${r.name} | ${r.weight * 100} % | ${passed} | ${runs - passed} | ${wrongText} | ${percentile(n, 0.5)} / ${percentile(n, 0.95)} | ${percentile(s, 0.5)} / ${percentile(s, 0.95)} |\n`,
        );
    }
}

main();
