/**
 * The step comparison (release-engine/src/gates/compare.ts): config validation, the count contract,
 * the two-sample profile-likelihood SPRT (against brute force), the verdict rules (fail at once, pass
 * only after bake time and minimum sample, fail when undecided at the maximum duration, final once
 * given), a small seeded Monte Carlo; and its App Insights source (appinsights-compare.ts) driving the
 * real LogsQueryClient against a loopback stand-in for the query API.
 */
import { strict as assert } from "assert";
import { startLogsQueryFake, type LogsQueryFake } from "./support/logs-query-fake";
import {
    DEFAULT_COMPARISON,
    LATENCY_BUCKETS_MS,
    MIN_LIVE_FOR_P95,
    bucketIndex,
    countsSince,
    emptyHistogram,
    histogramQuantile,
    newComparison,
    profileLogLik,
    twoSampleTest,
    validateComparisonConfig,
    type ComparisonConfig,
} from "../release-engine/src/gates/compare";
import { buildCompareQuery, parseCompareTable, queryStepCounts } from "../release-engine/src/gates/appinsights-compare";
import type { TrafficCount } from "@phoenix/release-model";

const EDGES = LATENCY_BUCKETS_MS;
/** The statistics alone: no bake time, no minimum sample. */
const PURE: ComparisonConfig = { ...DEFAULT_COMPARISON, minBakeMs: 0, minRequests: 1 };

/** An arm whose requests all took `ms`, `failed` of them failed; `slow` more took `slowMs`. */
function arm(requests: number, failed: number, ms = 8, slow = 0, slowMs = 400): TrafficCount {
    const latency = emptyHistogram(EDGES);
    latency[bucketIndex(ms, EDGES)] += requests - slow;
    latency[bucketIndex(slowMs, EDGES)] += slow;
    return { requests, failed, totalMs: (requests - slow) * ms + slow * slowMs, latency };
}

describe("compare: config and count contract", () => {
    it("accepts the defaults and names every bad key with what it expected", () => {
        assert.deepEqual(validateComparisonConfig(DEFAULT_COMPARISON), []);
        const cases: Array<[Partial<ComparisonConfig>, RegExp]> = [
            [{ minBakeMs: -1 }, /analysis\.minBakeMs must be an integer >= 0 \(got -1\)/],
            [{ minRequests: 0 }, /analysis\.minRequests must be an integer >= 1/],
            [{ maxDurationMs: 1.5 }, /analysis\.maxDurationMs must be an integer >= 1/],
            [{ minBakeMs: 60_000, maxDurationMs: 60_000 }, /maxDurationMs \(60000\) must exceed minBakeMs \(60000\)/],
            [{ noTrafficMs: 500 }, /analysis\.noTrafficMs must be an integer >= 1000 \(got 500\)/],
            [{ noTrafficMs: 600_000 }, /analysis\.noTrafficMs \(600000\) must be below maxDurationMs \(600000\)/],
            [{ alpha: 0 }, /analysis\.alpha must be a number in \(0,1\) \(got 0\)/],
            [{ beta: 1 }, /analysis\.beta must be a number in \(0,1\)/],
            [{ alpha: 0.6, beta: 0.5 }, /alpha \+ beta must be below 1/],
            [
                { failureRate: { tolerance: 0.05, margin: 0.05 } },
                /failureRate\.margin \(0\.05\) must exceed failureRate\.tolerance \(0\.05\)/,
            ],
            [{ failureRate: { tolerance: -0.01, margin: 0.05 } }, /failureRate\.tolerance must be a number in \[0,1\)/],
            [{ failureRate: { tolerance: 0, margin: 1 } }, /failureRate\.margin must be a number in \(0,1\)/],
            [
                { latency: { ...DEFAULT_COMPARISON.latency!, bucketsMs: [10, 5] } },
                /latency\.bucketsMs must be at least 2 strictly ascending/,
            ],
            [{ latency: { ...DEFAULT_COMPARISON.latency!, maxP95IncreaseMs: -5 } }, /latency\.maxP95IncreaseMs must be a number >= 0/],
            [{ latency: { ...DEFAULT_COMPARISON.latency!, maxP95IncreaseMs: 0, maxP95IncreaseRatio: 0 } }, /cannot both be 0/],
            [{ latency: { ...DEFAULT_COMPARISON.latency!, margin: 0 } }, /latency\.margin must be a number in \(0,1\)/],
        ];
        for (const [over, expected] of cases) {
            const problems = validateComparisonConfig({ ...DEFAULT_COMPARISON, ...over }, "analysis");
            assert.ok(
                problems.some((p) => expected.test(p)),
                `${JSON.stringify(over)} → ${JSON.stringify(problems)}`,
            );
            assert.throws(() => newComparison({ ...DEFAULT_COMPARISON, ...over }), expected);
        }
        assert.match(validateComparisonConfig({ ...DEFAULT_COMPARISON, alpha: 2 }, "steps.prod")[0], /^steps\.prod\.alpha/);
        // Every problem at once.
        assert.equal(validateComparisonConfig({ ...DEFAULT_COMPARISON, minRequests: 0, alpha: 0 }).length, 2);
        // Latency may be left out: failures only.
        assert.deepEqual(validateComparisonConfig({ ...DEFAULT_COMPARISON, latency: undefined }), []);
    });

    it("refuses counts that are inconsistent or not cumulative", () => {
        const cmp = () => newComparison({ ...PURE, minBakeMs: 1000 });
        const bad: Array<[Parameters<ReturnType<typeof newComparison>["update"]>[0], RegExp]> = [
            [
                { candidate: { requests: 5, failed: 6, latency: arm(5, 0).latency }, live: arm(5, 0), elapsedMs: 0 },
                /candidate\.failed \(6\) exceeds candidate\.requests \(5\)/,
            ],
            [{ candidate: { requests: -1, failed: 0 }, live: arm(5, 0), elapsedMs: 0 }, /integers >= 0/],
            [{ candidate: { requests: 5, failed: 0 }, live: arm(5, 0), elapsedMs: 0 }, /candidate\.latency must hold 15 counts/],
            [{ candidate: { requests: 5, failed: 0, latency: [1, 2] }, live: arm(5, 0), elapsedMs: 0 }, /must hold 15 counts/],
            [
                { candidate: { ...arm(5, 0), requests: 6 }, live: arm(5, 0), elapsedMs: 0 },
                /candidate\.latency counts sum to 5, not candidate\.requests \(6\)/,
            ],
            [{ candidate: arm(5, 0), live: arm(5, 0), elapsedMs: Number.NaN }, /elapsedMs must be a number >= 0/],
        ];
        for (const [counts, expected] of bad) assert.throws(() => cmp().update(counts), expected);
        const c = cmp();
        c.update({ candidate: arm(10, 0), live: arm(100, 0), elapsedMs: 100 });
        assert.throws(
            () => c.update({ candidate: arm(9, 0), live: arm(120, 0), elapsedMs: 200 }),
            /candidate counts went backwards \(10 → 9 requests\)/,
        );
        assert.throws(() => c.update({ candidate: arm(10, 0), live: arm(120, 0), elapsedMs: 50 }), /elapsedMs went backwards/);
        // Without latency in the config no histogram is needed.
        const f = newComparison({ ...PURE, latency: undefined }).update({
            candidate: { requests: 90, failed: 0 },
            live: { requests: 500, failed: 0 },
            elapsedMs: 1,
        });
        assert.equal(f.verdict, "pass", f.reason);
        assert.match(f.reason, /latency not judged/);
    });

    it("buckets, histogram quantiles and windows from cumulative counters", () => {
        assert.deepEqual(
            [0, 5, 5.01, 10, 4999, 5000, 5001, 1e9].map((ms) => bucketIndex(ms, EDGES)),
            [0, 0, 1, 1, 13, 13, 14, 14],
        );
        const h = emptyHistogram(EDGES);
        h[bucketIndex(8, EDGES)] = 95;
        h[bucketIndex(400, EDGES)] = 5;
        assert.equal(histogramQuantile(h, EDGES, 0.95), 10, "95 of 100 at ≤ 10 ms");
        h[bucketIndex(8, EDGES)] = 94;
        h[bucketIndex(400, EDGES)] = 6;
        assert.equal(histogramQuantile(h, EDGES, 0.95), 500);
        h[EDGES.length] = 100;
        assert.equal(histogramQuantile(h, EDGES, 0.95), Infinity);
        assert.ok(Number.isNaN(histogramQuantile(emptyHistogram(EDGES), EDGES, 0.95)));
        const w = countsSince(arm(30, 3, 8), arm(10, 1, 8));
        assert.deepEqual([w.requests, w.failed, w.totalMs, w.latency?.[bucketIndex(8, EDGES)]], [20, 2, 160, 20]);
        assert.throws(() => countsSince(arm(5, 0), arm(10, 0)), /went backwards .*new baseline/);
    });
});

describe("compare: the two-sample sequential test", () => {
    it("profile likelihood equals brute-force maximisation over live's rate", () => {
        const brute = (fc: number, nc: number, fl: number, nl: number, d: number) => {
            let best = -Infinity;
            for (let i = 0; i <= 200000; i++) {
                const p = (i / 200000) * (1 - d);
                const ll = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(y));
                best = Math.max(best, ll(fc, p + d) + ll(nc - fc, 1 - p - d) + ll(fl, p) + ll(nl - fl, 1 - p));
            }
            return best;
        };
        for (const [fc, nc, fl, nl, d] of [
            [0, 90, 0, 1700, 0.05],
            [3, 10, 0, 190, 0.05],
            [3, 10, 0, 190, 0],
            [2, 100, 5, 400, 0.05],
            [10, 10, 0, 5, 0.05],
            [1, 50, 30, 60, 0],
            [0, 0, 4, 10, 0.05],
        ]) {
            const a = profileLogLik(fc, nc, fl, nl, d);
            const b = brute(fc, nc, fl, nl, d);
            assert.ok(Math.abs(a - b) < 1e-4 * Math.max(1, Math.abs(b)) && a >= b - 1e-9, `${[fc, nc, fl, nl, d]}: ${a} vs ${b}`);
        }
    });

    it("accepts a clean candidate at Wald's boundary and rejects 3 failures in 10 against a clean live", () => {
        const h = { d0: 0, d1: 0.05, alpha: 0.005, beta: 0.01 };
        // Both clean: log LR = n ln(0.95) whatever live's count; ln(0.01/0.995)/ln(0.95) = 89.7.
        assert.equal(twoSampleTest({ events: 0, n: 89 }, { events: 0, n: 1000 }, h).decision, "continue");
        assert.equal(twoSampleTest({ events: 0, n: 90 }, { events: 0, n: 1000 }, h).decision, "accept");
        assert.equal(twoSampleTest({ events: 3, n: 10 }, { events: 0, n: 190 }, h).decision, "reject");
        assert.equal(twoSampleTest({ events: 1, n: 10 }, { events: 0, n: 190 }, h).decision, "continue");
        // The same 3 in 10 is not conclusive when live fails as often: the comparison is with live, not with zero.
        assert.equal(twoSampleTest({ events: 3, n: 10 }, { events: 57, n: 190 }, h).decision, "continue");
        // No candidate traffic: no evidence.
        assert.equal(twoSampleTest({ events: 0, n: 0 }, { events: 0, n: 100 }, h).decision, "continue");
    });
});

describe("compare: verdicts", () => {
    it("a healthy candidate passes once the evidence, the minimum sample and the bake time are all there", () => {
        const cfg: ComparisonConfig = { ...DEFAULT_COMPARISON, minBakeMs: 30_000, minRequests: 120 };
        const c = newComparison(cfg);
        let r = c.update({ candidate: arm(90, 0), live: arm(1710, 0), elapsedMs: 10_000 });
        assert.equal(r.verdict, "continue");
        assert.equal(r.stats.failures.decision, "accept", "the statistics are already certain");
        assert.match(r.reason, /candidate has 90 of 120 requests; baked 10 s of 30 s/);
        r = c.update({ candidate: arm(130, 0), live: arm(2470, 0), elapsedMs: 20_000 });
        assert.equal(r.verdict, "continue");
        assert.match(r.reason, /^baked 20 s of 30 s$/);
        r = c.update({ candidate: arm(200, 0), live: arm(3800, 0), elapsedMs: 30_000 });
        assert.equal(r.verdict, "pass", r.reason);
        assert.match(
            r.reason,
            /as good as live after 200 requests and 30 s: failure rate 0\.00 % vs 0\.00 %, 0 vs 0 requests slower than 150 ms/,
        );
        assert.equal(r.stats.latency?.thresholdMs, 150, "live p95 10 ms + max(100 ms, 50 %) = 110 → edge 150");
        assert.equal(r.stats.candidate.meanMs, 8);
        // Final: later counts (even bad ones) do not change it.
        assert.equal(c.update({ candidate: arm(300, 100), live: arm(3900, 0), elapsedMs: 40_000 }).verdict, "pass");
    });

    it("a faulty candidate fails at once, before the bake time and the minimum sample", () => {
        const c = newComparison(DEFAULT_COMPARISON);
        assert.equal(c.update({ candidate: arm(5, 0), live: arm(95, 0), elapsedMs: 2000 }).verdict, "continue");
        const r = c.update({ candidate: arm(12, 3), live: arm(228, 0), elapsedMs: 4800 });
        assert.equal(r.verdict, "fail");
        assert.match(r.reason, /candidate failure rate 25\.00 % \(3\/12\) is worse than live 0\.00 % \(0\/228\) by 5\.00 % or more/);
    });

    it("a candidate 200 ms slower fails on latency, and only the latency test catches it", () => {
        const slow = { candidate: arm(8, 0, 210), live: arm(152, 0, 8), elapsedMs: 3000 };
        const r = newComparison(DEFAULT_COMPARISON).update(slow);
        assert.equal(r.verdict, "fail");
        assert.match(r.reason, /candidate latency: 8\/8 requests slower than 150 ms vs live 0\/152 \(live p95 10 ms, candidate p95 300 ms/);
        // Broken on purpose: without the latency test the same counts are never failed.
        const blind = newComparison({ ...DEFAULT_COMPARISON, latency: undefined }).update(slow);
        assert.equal(blind.verdict, "continue");
        // Within the allowance (+20 ms): passes.
        const ok = newComparison(PURE).update({ candidate: arm(90, 0, 28), live: arm(1710, 0, 8), elapsedMs: 40_000 });
        assert.equal(ok.verdict, "pass", ok.reason);
    });

    it("waits for live's p95 before judging latency, and fails when undecided at the maximum duration", () => {
        const c = newComparison(PURE);
        const r = c.update({ candidate: arm(100, 0), live: arm(MIN_LIVE_FOR_P95 - 1, 0), elapsedMs: 1000 });
        assert.equal(r.verdict, "continue");
        assert.equal(r.stats.latency, undefined);
        assert.match(r.reason, new RegExp(`live has ${MIN_LIVE_FOR_P95 - 1} of ${MIN_LIVE_FOR_P95} requests needed`));
        const stuck = newComparison({ ...PURE, maxDurationMs: 60_000 });
        assert.equal(stuck.update({ candidate: arm(20, 1), live: arm(400, 4), elapsedMs: 59_999 }).verdict, "continue");
        const end = stuck.update({ candidate: arm(20, 1), live: arm(400, 4), elapsedMs: 60_000 });
        assert.equal(end.verdict, "fail");
        assert.match(end.reason, /no verdict within 60000 ms/);
        // No candidate traffic at all is no proof either (without the no-traffic rule: undecided at the maximum → fail).
        assert.equal(
            newComparison({ ...PURE, maxDurationMs: 1000, noTrafficMs: undefined }).update({
                candidate: arm(0, 0),
                live: arm(400, 0),
                elapsedMs: 1000,
            }).verdict,
            "fail",
        );
    });

    it("no candidate traffic for noTrafficMs is its own final verdict (neither pass nor fail), and only with zero candidate requests", () => {
        const idle = newComparison({ ...PURE, noTrafficMs: 5000 });
        assert.equal(idle.update({ candidate: arm(0, 0), live: arm(300, 0), elapsedMs: 4999 }).verdict, "continue");
        const r = idle.update({ candidate: arm(0, 0), live: arm(400, 0), elapsedMs: 5000 });
        assert.equal(r.verdict, "no-traffic");
        assert.match(r.reason, /no production request reached the candidate in 5 s \(live served 400\): nothing can judge this step/);
        assert.equal(idle.update({ candidate: arm(50, 0), live: arm(900, 0), elapsedMs: 9000 }).verdict, "no-traffic", "final");
        const trickle = newComparison({ ...PURE, noTrafficMs: 5000, minRequests: 100 });
        assert.equal(
            trickle.update({ candidate: arm(1, 0), live: arm(400, 0), elapsedMs: 6000 }).verdict,
            "continue",
            "one request is traffic: the usual rules wait for the sample",
        );
    });

    it("seeded Monte Carlo: 20 % vs 0 % always fails, 0 % vs 0 % and 1 % vs 1 % always pass (200 runs each, 5 % step)", () => {
        let s = 42;
        const random = () => {
            s = (s * 1103515245 + 12345) % 2147483648;
            return s / 2147483648;
        };
        const run = (pc: number, pl: number) => {
            const c = { requests: 0, failed: 0, latency: emptyHistogram(EDGES) };
            const l = { requests: 0, failed: 0, latency: emptyHistogram(EDGES) };
            const cmp = newComparison(PURE);
            for (let t = 1; ; t++) {
                for (let i = 0; i < 12; i++) {
                    const toC = random() < 0.05;
                    const a = toC ? c : l;
                    a.requests++;
                    if (random() < (toC ? pc : pl)) a.failed++;
                    a.latency[bucketIndex(5 + 10 * random(), EDGES)]++;
                }
                const r = cmp.update({ candidate: c, live: l, elapsedMs: t * 250 });
                if (r.verdict !== "continue") return r.verdict;
            }
        };
        const tally = (pc: number, pl: number) => Array.from({ length: 200 }, () => run(pc, pl)).filter((v) => v === "pass").length;
        assert.equal(tally(0.2, 0), 0);
        assert.equal(tally(0, 0), 200);
        assert.ok(tally(0.01, 0.01) >= 196, "false rejects within the alpha/2 = 0.5 % design (a few of 200 at most)");
    });
});

describe("compare: App Insights source (real LogsQueryClient, loopback query endpoint)", () => {
    const source = { workspaceId: "00000000-0000-0000-0000-000000000001", appName: "calculator", bucketsMs: [10, 100, 1000] };
    const candidate = { slot: "green", version: "1.1.0" };
    const live = { slot: "blue", version: "1.0.0" };
    const columns = ["slot", "version", "requests", "failed", "totalMs", "p95", "b0", "b1", "b2"];
    let rows: unknown[][] = [];
    let fake: LogsQueryFake;
    const seen = () => fake.seen;
    const client = () => fake.client();
    before(async () => {
        fake = await startLogsQueryFake(() => ({
            columns: columns.map((name) => ({ name, type: name === "slot" || name === "version" ? "string" : "real" })),
            rows,
        }));
    });
    after(() => fake.close());
    beforeEach(() => fake.reset());

    it("asks for both arms over the step's window, weighted by ItemCount, and returns the comparison's count shape", async () => {
        rows = [
            ["green", "1.1.0", 40, 2, 800, 31.5, 30, 8, 1],
            ["blue", "1.0.0", 760, 1, 9000, 12.25, 700, 60, 0],
        ];
        const since = new Date(Date.now() - 60_000);
        const r = await queryStepCounts(client(), source, { candidate, live, since });
        assert.equal(seen().length, 1);
        const q = seen()[0].body.query;
        assert.match(q, /AppRoleName == "calculator"/);
        assert.match(q, /Properties\["app\.slot"\]/);
        assert.match(q, /\(slot == "green" and version == "1\.1\.0"\) or \(slot == "blue" and version == "1\.0\.0"\)/);
        assert.match(
            q,
            /requests = sum\(ItemCount\), failed = sumif\(ItemCount, Success == false\), totalMs = sum\(DurationMs \* ItemCount\)/,
        );
        assert.match(q, /p95 = percentilew\(DurationMs, ItemCount, 95\)/);
        assert.match(
            q,
            /b0 = sumif\(ItemCount, DurationMs <= 10\), b1 = sumif\(ItemCount, DurationMs > 10 and DurationMs <= 100\), b2 = sumif\(ItemCount, DurationMs > 100 and DurationMs <= 1000\)/,
        );
        assert.match(seen()[0].body.timespan ?? "", new RegExp(`^${since.toISOString()}/`), "the window starts at the step's start");
        assert.deepEqual(
            r.candidate,
            { requests: 40, failed: 2, totalMs: 800, latency: [30, 8, 1, 1] },
            "the overflow bucket is the remainder",
        );
        assert.deepEqual(r.live, { requests: 760, failed: 1, totalMs: 9000, latency: [700, 60, 0, 0] });
        assert.deepEqual(r.p95Ms, { candidate: 31.5, live: 12.25 });
        // The counts feed the comparison as they are.
        const cmp = newComparison({ ...PURE, latency: { ...DEFAULT_COMPARISON.latency!, bucketsMs: source.bucketsMs } });
        assert.notEqual(cmp.update({ candidate: r.candidate, live: r.live, elapsedMs: 60_000 }).verdict, undefined);
    });

    it("an arm without telemetry yet has zero counts; inconsistent rows and unsafe inputs are refused", async () => {
        rows = [["blue", "1.0.0", 50, 0, 400, 9, 50, 0, 0]];
        const r = await queryStepCounts(client(), source, { candidate, live, since: new Date(Date.now() - 5000) });
        assert.deepEqual(r.candidate, { requests: 0, failed: 0, totalMs: 0, latency: [0, 0, 0, 0] });
        assert.ok(Number.isNaN(r.p95Ms.candidate));
        rows = [["green", "1.1.0", 5, 0, 40, 9, 5, 1, 0]];
        await assert.rejects(
            queryStepCounts(client(), source, { candidate, live, since: new Date() }),
            /bucket counts \(6\) exceed requests \(5\)/,
        );
        rows = [["green", "1.1.0", 5.5, 0, 40, 9, 5, 0, 0]];
        await assert.rejects(queryStepCounts(client(), source, { candidate, live, since: new Date() }), /requests is not a count/);
        assert.throws(() => buildCompareQuery('calc" or 1==1', candidate, live, [10]), /not a DNS label/);
        assert.throws(() => buildCompareQuery("calculator", { slot: "green", version: '1" | drop' }, live, [10]), /not a version/);
        assert.throws(() => buildCompareQuery("calculator", candidate, live, [10, 10]), /strictly ascending/);
        assert.throws(
            () => parseCompareTable({ name: "t", columnDescriptors: [{ name: "slot" }], rows: [] } as never, [10]),
            /lacks column "version"/,
        );
    });
});
