/**
 * Gates: the sequential statistics, the HTTP gate against real app processes behind the local
 * router (healthy accepted, faulty/slow/wrong-version rejected, production watched), and the App
 * Insights gate driving the real LogsQueryClient against a loopback stand-in for the query API.
 */
import { strict as assert } from "assert";
import { startLogsQueryFake, type LogsQueryFake } from "./support/logs-query-fake";
import type { LocalCluster } from "../release-engine/src/backends/local/cluster";
import { buildQuery, evaluate, runAppInsightsGate, type AppInsightsGateConfig } from "../release-engine/src/gates/appinsights-gate";
import { runHttpGate, type GateTarget } from "../release-engine/src/gates/http-gate";
import {
    percentile,
    sprtBounds,
    sprtCappedDecision,
    sprtCapRule,
    sprtDecision,
    sprtInit,
    sprtMinAcceptN,
    sprtOperatingCharacteristic,
    sprtUpdate,
    wilson,
    type SprtState,
} from "../release-engine/src/gates/stats";
import { errorParams, slowParams } from "../release-engine/src/gates/http-gate";
import { loadConfig } from "../release-engine/src/settings/config";
import { validateReleaseState } from "@phoenix/release-model";
import { SLOW_MS, startCluster, TEST_GATE } from "./support/engine-fixtures";

describe("gates: statistics", () => {
    const p = { p0: 0.01, p1: 0.05, alpha: 0.01, beta: 0.01 };

    it("SPRT boundaries and decisions follow Wald", () => {
        const b = sprtBounds(p);
        assert.ok(Math.abs(b.upper - Math.log(99)) < 1e-12 && Math.abs(b.lower + Math.log(99)) < 1e-12);
        assert.equal(sprtMinAcceptN(p), 112);
        let s = sprtInit();
        for (let i = 0; i < 111; i++) s = sprtUpdate(p, s, false);
        assert.equal(sprtDecision(p, s), "continue");
        s = sprtUpdate(p, s, false);
        assert.equal(sprtDecision(p, s), "accept");
        let bad = sprtInit();
        for (let i = 0; i < 3; i++) bad = sprtUpdate(p, bad, true);
        assert.equal(sprtDecision(p, bad), "reject", "three failures in three requests are conclusive at 5 % vs 1 %");
        assert.throws(
            () =>
                sprtUpdate({ ...p, p0: 0.1 }, sprtInit(), true) &&
                (() => {
                    throw new Error();
                })(),
        );
    });

    it("the exact operating characteristic matches Wald's closed forms where they are exact", () => {
        // At rate 0 every outcome is a non-event: accepted at exactly sprtMinAcceptN, never rejected.
        const zero = sprtOperatingCharacteristic(p, { cap: 400, minN: 30, maxEventsAtCap: -1 }, 0);
        assert.equal(zero.accept, 1);
        assert.equal(zero.expectedN, 112);
        // At rate 1 three events reject (3 × ln 5 > ln 99).
        const one = sprtOperatingCharacteristic(p, { cap: 400, minN: 30, maxEventsAtCap: 400 }, 1);
        assert.equal(one.accept, 0);
        assert.equal(one.expectedN, 3);
        // A cap of 1: one outcome never reaches a Wald bound, so the cap rule decides (accept iff no event).
        const tiny = sprtOperatingCharacteristic(p, { cap: 1, minN: 1, maxEventsAtCap: 0 }, 0.3);
        assert.ok(Math.abs(tiny.accept - 0.7) < 1e-12 && tiny.atCap === 1, JSON.stringify(tiny));
        // Untruncated-like (large cap): Wald's bounds hold, P(accept | p1) <= beta/(1-alpha), P(reject | p0) <= alpha/(1-beta).
        const far = { cap: 5000, minN: 1, maxEventsAtCap: -1 };
        assert.ok(sprtOperatingCharacteristic(p, far, p.p1).accept <= p.beta / (1 - p.alpha));
        assert.ok(1 - sprtOperatingCharacteristic(p, far, p.p0).accept <= p.alpha / (1 - p.beta));
    });

    it("the cap keeps the false-accept bound at p1, where the leaning-evidence rule broke it", () => {
        const { rule, acceptAtP1, rejectAtP0 } = sprtCapRule(p, 400, 30);
        assert.ok(acceptAtP1 <= p.beta, `P(accept | p1) = ${acceptAtP1}`);
        // The rule is the largest that keeps it: one more accepted event count at the cap breaks beta.
        assert.ok(sprtOperatingCharacteristic(p, { ...rule, maxEventsAtCap: rule.maxEventsAtCap + 1 }, p.p1).accept > p.beta);
        // The old rule (nearer boundary: llr <= 0 at the cap, i.e. at most 9 events of 400) accepted 1.16 % at p1.
        const leaning = sprtOperatingCharacteristic(p, { ...rule, maxEventsAtCap: 9 }, p.p1).accept;
        assert.ok(leaning > p.beta, `leaning rule ${leaning}`);
        assert.ok(rejectAtP0 > 0 && rejectAtP0 < 0.05);
        // At a cap of 400 that rule is "reject every undecided candidate": k <= 7 of 400 is already Wald's accept.
        const state = (n: number, events: number): SprtState => ({
            n,
            events,
            llr: events * Math.log(p.p1 / p.p0) + (n - events) * Math.log((1 - p.p1) / (1 - p.p0)),
        });
        assert.equal(sprtDecision(p, state(400, rule.maxEventsAtCap)), "accept");
        assert.equal(sprtDecision(p, state(400, rule.maxEventsAtCap + 1)), "continue");
        assert.equal(sprtCappedDecision(p, rule, state(400, rule.maxEventsAtCap + 1)), "reject");
        // At the dev cap (600) it accepts some undecided candidates: those with at most 13 failures.
        const dev = sprtCapRule(p, 600, 30).rule;
        assert.equal(dev.maxEventsAtCap, 13);
        assert.equal(sprtDecision(p, state(600, 13)), "continue");
        assert.equal(sprtCappedDecision(p, dev, state(600, 13)), "accept");
        assert.equal(sprtCappedDecision(p, dev, state(600, 14)), "reject");
        assert.equal(sprtCappedDecision(p, dev, state(599, 13)), "continue", "nothing is decided by the cap before the cap");
        const at = (n: number, events: number): SprtState => {
            let s = sprtInit();
            for (let i = 0; i < n; i++) s = sprtUpdate(p, s, i < events);
            return s;
        };
        assert.equal(sprtCappedDecision(p, rule, at(20, 0)), "continue", "Wald accepts nothing before 112 clean outcomes");
        assert.equal(sprtCappedDecision(p, { ...rule, minN: 200 }, at(150, 0)), "continue", "no acceptance before minN");
        assert.equal(sprtCappedDecision(p, { ...rule, minN: 200 }, at(3, 3)), "reject", "rejection is never delayed by minN");
    });

    it("the shipped dev and prod gates keep both stated bounds at their caps (exact)", () => {
        for (const env of ["dev", "prod"]) {
            const g = loadConfig(env).gate;
            for (const params of [errorParams(g), slowParams(g)]) {
                const { acceptAtP1, rejectAtP0 } = sprtCapRule(params, g.maxRequests, g.minRequests);
                assert.ok(acceptAtP1 <= g.beta, `${env}: P(accept | p1 = ${params.p1}) = ${acceptAtP1} > beta ${g.beta}`);
                assert.ok(
                    rejectAtP0 <= g.alpha,
                    `${env}: P(reject | p0 = ${params.p0}) = ${rejectAtP0} > alpha ${g.alpha} — raise gate.maxRequests`,
                );
            }
        }
        // The same check on the old dev cap (400) fails on alpha: the cap that keeps beta rejects 3.2 % at p0.
        const old = sprtCapRule(errorParams(loadConfig("dev").gate), 400, 30);
        assert.ok(old.rejectAtP0 > 0.01, String(old.rejectAtP0));
    });

    it("Wilson interval and nearest-rank percentile", () => {
        const w = wilson(0, 112);
        assert.ok(w.low === 0 && Math.abs(w.high - 0.0332) < 0.0005, JSON.stringify(w));
        const w2 = wilson(20, 100);
        assert.ok(Math.abs(w2.low - 0.1333) < 0.001 && Math.abs(w2.high - 0.2888) < 0.001, JSON.stringify(w2));
        assert.equal(percentile([5, 1, 4, 2, 3], 0.95), 5);
        assert.equal(percentile([5, 1, 4, 2, 3], 0.5), 3);
    });
});

describe("gates: HTTP gate against real app processes", function () {
    this.timeout(30000);
    let cluster: LocalCluster;
    const live = { slot: "blue", version: "1.0.0" };

    before(async () => {
        cluster = await startCluster();
        cluster.setVersionEnv("1.2.0", { FAULT_ERROR_RATE: "0.2" });
        cluster.setVersionEnv("1.3.0", { FAULT_LATENCY_MS: String(SLOW_MS) });
        cluster.setVersionEnv("1.4.0", { APP_VERSION: "1.0.0" });
    });
    after(async () => cluster?.stop());

    const withCandidate = async (version: string) => {
        await cluster.apply(
            validateReleaseState({
                slots: { blue: { role: "live", version: "1.0.0", replicas: 1 }, green: { role: "candidate", version, replicas: 1 } },
            }),
        );
    };
    const target = (version: string): GateTarget => ({
        url: cluster.url,
        preview: { header: "canary", value: "always" },
        candidate: { slot: "green", version },
        live,
    });

    it("accepts a healthy candidate once SPRT is certain, with production untouched", async () => {
        await withCandidate("1.1.0");
        const r = await runHttpGate(target("1.1.0"), TEST_GATE);
        assert.equal(r.verdict, "pass", r.reason);
        assert.equal(r.requests, 112, "accepts at Wald's boundary, not at the cap");
        assert.equal(r.errors, 0);
        assert.ok(r.production.requests > 0 && r.production.failures === 0 && r.production.wrongSlot === 0);
    });

    it("rejects a 20 %-faulty candidate early and reports the numbers", async () => {
        await withCandidate("1.2.0");
        const r = await runHttpGate(target("1.2.0"), TEST_GATE);
        assert.equal(r.verdict, "fail");
        assert.match(r.reason, /error rate above 0\.05/);
        // Stops before a healthy candidate could even be accepted (112): P(a 20 %-faulty one needs >= 112) ≈ 1.9e-6 (exact DP over the SPRT).
        assert.ok(r.requests < 112, `stopped after ${r.requests}`);
        assert.ok(r.errors >= 3 && r.errorRate95.high > 0.05);
        assert.equal(r.production.failures, 0);
    });

    it("rejects a slow candidate on p95", async () => {
        await withCandidate("1.3.0");
        const r = await runHttpGate(target("1.3.0"), TEST_GATE);
        assert.equal(r.verdict, "fail");
        assert.match(r.reason, new RegExp(`p95 latency above ${TEST_GATE.maxP95Ms} ms`));
        assert.ok(r.p95Ms >= SLOW_MS);
    });

    it("fails at once when an answer comes from another version (status codes alone prove nothing)", async () => {
        await withCandidate("1.4.0"); // the process says it is 1.0.0
        const r = await runHttpGate(target("1.4.0"), TEST_GATE);
        assert.equal(r.verdict, "fail");
        assert.equal(r.errors, 0, "every answer was a 200");
        assert.ok(r.wrongVersion >= 1);
        assert.match(r.reason, /outside the candidate/);
    });

    it("fails when the candidate has no endpoints and previews silently fall back to production", async () => {
        await cluster.apply(
            validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0", replicas: 1 }, green: { role: "absent" } } }),
        );
        const r = await runHttpGate(target("1.1.0"), TEST_GATE);
        assert.equal(r.verdict, "fail");
        assert.match(r.firstProblem ?? "", /answered by HTTP 200 from blue 1\.0\.0/);
    });

    it("repeated runs: no false accept of the faulty, no false reject of the healthy (small sample; scripts/gate-error-rates.ts measures more)", async () => {
        await cluster.apply(
            validateReleaseState({
                slots: {
                    blue: { role: "candidate", version: "1.2.0", replicas: 1 },
                    green: { role: "live", version: "1.1.0", replicas: 1 },
                },
            }),
        );
        const faulty: GateTarget = {
            url: cluster.url,
            preview: { header: "canary", value: "never" },
            candidate: { slot: "blue", version: "1.2.0" },
            live: { slot: "green", version: "1.1.0" },
        };
        const healthy: GateTarget = {
            url: cluster.url,
            preview: { header: "canary", value: "nothing-matches" },
            candidate: { slot: "green", version: "1.1.0" },
        };
        for (let i = 0; i < 3; i++) {
            const f = await runHttpGate(faulty, TEST_GATE);
            assert.equal(f.verdict, "fail", f.reason);
            const h = await runHttpGate(healthy, TEST_GATE);
            assert.equal(h.verdict, "pass", `${h.reason}; ${h.firstProblem ?? ""}`);
        }
    });
});

describe("gates: App Insights gate (real LogsQueryClient, loopback query endpoint)", () => {
    const config: AppInsightsGateConfig = {
        workspaceId: "00000000-0000-0000-0000-000000000001",
        appName: "calculator",
        minRequests: 50,
        maxWaitMs: 2000,
        pollIntervalMs: 20,
        maxFailureRateIncrease: 0.02,
        maxP95Ratio: 1.5,
        latencySlackMs: 20,
    };
    // Bearer tokens are only sent over TLS, so the stand-in is HTTPS with a throwaway self-signed certificate.
    const columns = [
        { name: "slot", type: "string" },
        { name: "version", type: "string" },
        { name: "requests", type: "long" },
        { name: "failed", type: "long" },
        { name: "p95", type: "real" },
    ];
    let respond: (n: number) => Array<[string, string, number, number, number]> = () => [];
    let fake: LogsQueryFake;
    const seen = () => fake.seen;
    const client = () => fake.client();
    before(async () => {
        fake = await startLogsQueryFake((n) => ({ columns, rows: respond(n) }));
    });
    after(() => fake.close());
    beforeEach(() => fake.reset());
    const who = {
        candidate: { slot: "green", version: "1.1.0" },
        live: { slot: "blue", version: "1.0.0" },
        since: new Date(Date.now() - 600_000),
    };

    it("queries AppRequests per slot/version with sum(ItemCount) and passes a candidate no worse than live", async () => {
        respond = () => [
            ["green", "1.1.0", 400, 2, 31.5],
            ["blue", "1.0.0", 5000, 20, 30.1],
        ];
        const r = await runAppInsightsGate(client(), config, who);
        assert.equal(r.verdict, "pass", r.reason);
        assert.equal(seen().length, 1);
        assert.equal(seen()[0].url, `/v1/workspaces/${config.workspaceId}/query`);
        assert.equal(seen()[0].auth, "Bearer fake-token");
        assert.match(seen()[0].body.query, /AppRoleName == "calculator"/);
        assert.match(seen()[0].body.query, /sum\(ItemCount\)/);
        assert.match(seen()[0].body.query, /Properties\["app\.slot"\]/);
        assert.ok(seen()[0].body.timespan, "a time window is sent");
        assert.equal(r.candidate.requests, 400);
    });

    it("fails a candidate whose failure rate exceeds live's", async () => {
        respond = () => [
            ["green", "1.1.0", 400, 80, 31],
            ["blue", "1.0.0", 5000, 20, 30],
        ];
        const r = await runAppInsightsGate(client(), config, who);
        assert.equal(r.verdict, "fail");
        assert.match(r.reason, /failure rate 20\.00 % exceeds live 0\.40 %/);
    });

    it("waits for ingestion until the minimum sample arrives, and fails without it", async () => {
        respond = (n) =>
            n < 3
                ? [["green", "1.1.0", 10, 0, 30]]
                : [
                      ["green", "1.1.0", 60, 0, 30],
                      ["blue", "1.0.0", 600, 1, 30],
                  ];
        const r = await runAppInsightsGate(client(), config, who);
        assert.equal(r.verdict, "pass", r.reason);
        assert.equal(r.polls, 3);
        respond = () => [["green", "1.1.0", 10, 0, 30]];
        const r2 = await runAppInsightsGate(client(), { ...config, maxWaitMs: 100 }, who);
        assert.equal(r2.verdict, "fail");
        assert.match(r2.reason, /not enough telemetry/);
    });

    it("compares latency and refuses unsafe query inputs", () => {
        assert.equal(evaluate(config, { requests: 100, failed: 0, p95Ms: 200 }, { requests: 100, failed: 0, p95Ms: 50 }).verdict, "fail");
        assert.throws(() => buildQuery('calc" or 1==1', [{ slot: "green", version: "1.0.0" }]), /not a DNS label/);
        assert.throws(() => buildQuery("calculator", [{ slot: "green", version: '1" | drop' }]), /not a version/);
    });
});
