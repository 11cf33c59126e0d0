/**
 * Truthful verdicts (issue 21): a measurement that cannot be taken — a Log Analytics query that
 * fails, router counters that cannot be read — is `inconclusive`, never a rejection and never "apply
 * failed". Within the error budget (gates/error-budget.ts, the `errorBudget` setting) it is retried and
 * the run goes on; past it the run stops with "could not be measured", production back on live, and the
 * history and `status` say so apart from a rejection. The rejected paths are unchanged.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { TrafficCount } from "@phoenix/release-model";
import type { LocalCluster } from "../release-engine/src/backends/local/cluster";
import { LocalBackend } from "../release-engine/src/backends/local/local-backend";
import { runStepAnalysis } from "../release-engine/src/checks/analysis";
import type { Backend } from "../release-engine/src/engine/backend";
import type { TrafficSource } from "../release-engine/src/checks/traffic-source";
import { runIntent, type EngineDeps } from "../release-engine/src/engine/engine";
import { showStatus } from "../release-engine/src/cli/dispatch";
import { historyText } from "../release-engine/src/cli/render";
import { createReporter } from "../release-engine/src/engine/reporter";
import { BlockedError, InputError, OUTCOME_EXIT } from "../release-engine/src/errors";
import { DEFAULT_APPINSIGHTS_GATE } from "../release-engine/src/gates/appinsights-gate";
import { DEFAULT_COMPARISON, type ComparisonConfig } from "../release-engine/src/gates/compare";
import { DEFAULT_ERROR_BUDGET, measureWithin } from "../release-engine/src/gates/error-budget";
import { loadConfig } from "../release-engine/src/settings/config";
import { startCluster, TEST_GATE } from "./support/engine-fixtures";
import { startLogsQueryFake, type LogsErrorAnswer, type LogsQueryFake, type LogsTableAnswer } from "./support/logs-query-fake";

describe("error budget: a failed measurement is retried, then inconclusive", () => {
    const failing = (failures: number) => {
        let calls = 0;
        return {
            measure: async () => {
                calls++;
                if (calls <= failures) throw new Error(`boom ${calls}`);
                return calls;
            },
            calls: () => calls,
        };
    };

    it("retries up to the budget, each after retryMs, and returns the value", async () => {
        const m = failing(2);
        const slept: number[] = [];
        const r = await measureWithin(m.measure, {
            budget: 2,
            retryMs: 7,
            what: "the test query",
            sleep: async (ms) => void slept.push(ms),
        });
        assert.deepEqual(r, { ok: true, value: 3 });
        assert.deepEqual(slept, [7, 7]);
    });

    it("one failure more than the budget is final: could not measure, naming what, how often and the last error", async () => {
        const m = failing(10);
        const r = await measureWithin(m.measure, { budget: 2, retryMs: 0, what: "the test query", sleep: async () => undefined });
        assert.deepEqual(r, {
            ok: false,
            reason: "could not measure: the test query failed 3 times in a row (error budget 2); last: boom 3",
        });
        assert.equal(m.calls(), 3);
        const zero = await measureWithin(failing(1).measure, { budget: 0, retryMs: 0, what: "the test query" });
        assert.deepEqual(zero, { ok: false, reason: "could not measure: the test query failed once (error budget 0); last: boom 1" });
    });

    it("an error about the run (the lock) is not a measurement: it propagates at once", async () => {
        let calls = 0;
        await assert.rejects(
            measureWithin(
                async () => {
                    calls++;
                    throw new BlockedError("locked by pid 1");
                },
                { budget: 3, retryMs: 0, what: "x" },
            ),
            BlockedError,
        );
        assert.equal(calls, 1);
    });

    it("the setting: default 4 (Argo Rollouts' consecutiveErrorLimit), integers 0–100; anything else is bad input naming it", () => {
        assert.equal(DEFAULT_ERROR_BUDGET, 4);
        assert.equal(loadConfig("dev").errorBudget, 4);
        for (const ok of [0, 4, 100]) assert.equal(loadConfig("dev", { overrides: { errorBudget: ok } }).errorBudget, ok);
        for (const bad of [-1, 1.5, 101, "4", null])
            assert.throws(
                () => loadConfig("dev", { overrides: { errorBudget: bad } }),
                (e: unknown) =>
                    e instanceof InputError &&
                    /overrides: \/errorBudget must be /.test(e.message) &&
                    e.message.includes(JSON.stringify(bad)),
                `errorBudget ${JSON.stringify(bad)}`,
            );
    });
});

describe("step analysis: counts that cannot be read", () => {
    /** The statistics alone, failures only: a clean candidate passes after Wald's bound. */
    const CONFIG: ComparisonConfig = { ...DEFAULT_COMPARISON, minBakeMs: 0, minRequests: 1, latency: undefined };
    const arms = { candidate: { slot: "green" as const, version: "1.1.0" }, live: { slot: "blue" as const, version: "1.0.0" }, weight: 5 };

    /** A cumulative source: each read adds 20 candidate and 200 live requests (`candidateFailed` of the 20 failed); the listed reads throw. */
    function source(throwsOn: (read: number) => boolean, candidateFailed = 0): TrafficSource & { reads: () => number } {
        let reads = 0;
        let served = 0;
        return {
            name: "the test counters",
            cumulative: true,
            reads: () => reads,
            async counts() {
                reads++;
                if (throwsOn(reads)) throw new Error(`daemon not answering (read ${reads})`);
                served++;
                const candidate: TrafficCount = { requests: 20 * served, failed: candidateFailed * served };
                const live: TrafficCount = { requests: 200 * served, failed: 0 };
                return { candidate, live };
            },
        };
    }
    const opts = { pollMs: 10, errorBudget: 2, sleep: async () => undefined };

    it("failed reads within the budget are retried and the step is judged as if they had not happened", async () => {
        const clean = await runStepAnalysis(
            source(() => false),
            arms,
            CONFIG,
            opts,
        );
        const flaky = source((n) => n === 3 || n === 4 || n === 7);
        const r = await runStepAnalysis(flaky, arms, CONFIG, opts);
        assert.equal(clean.verdict, "pass", clean.reason);
        assert.equal(r.verdict, "pass", r.reason);
        assert.equal(r.last?.stats.candidate.requests, clean.last?.stats.candidate.requests, "the same counts decided it");
        assert.equal(flaky.reads(), clean.polls + 1 + 3, "base + every poll + the three retries");
    });

    it("past the budget the step is inconclusive (could not measure), not failed", async () => {
        const r = await runStepAnalysis(
            source((n) => n >= 3),
            arms,
            CONFIG,
            opts,
        );
        assert.equal(r.verdict, "inconclusive");
        assert.equal(
            r.reason,
            "could not measure: reading the test counters failed 3 times in a row (error budget 2); last: daemon not answering (read 5)",
        );
        const atStart = await runStepAnalysis(
            source(() => true),
            arms,
            CONFIG,
            opts,
        );
        assert.equal(atStart.verdict, "inconclusive", "the step's starting counts could not be read either");
    });

    it("a faulty candidate still fails (the comparison's verdict is unchanged)", async () => {
        const r = await runStepAnalysis(
            source((n) => n === 2, 6),
            arms,
            CONFIG,
            opts,
        );
        assert.equal(r.verdict, "fail", r.reason);
        assert.match(r.reason, /candidate failure rate/);
    });
});

describe("engine (local backend): App Insights queries that fail (real LogsQueryClient, loopback query endpoint)", function () {
    this.timeout(60000);
    const columns = [
        { name: "slot", type: "string" },
        { name: "version", type: "string" },
        { name: "requests", type: "long" },
        { name: "failed", type: "long" },
        { name: "p95", type: "real" },
    ];
    const VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"];
    /** Every slot/version served `requests` requests, `failedOf(version)` of them failed. */
    const rows = (failedOf: (version: string) => number = () => 0): LogsTableAnswer => ({
        columns,
        rows: VERSIONS.flatMap((v) => ["blue", "green"].map((slot) => [slot, v, 400, failedOf(v), 30])),
    });
    const unavailable: LogsErrorAnswer = {
        status: 503,
        error: { code: "ServiceUnavailable", message: "The service is temporarily unavailable" },
    };
    let respond: (n: number) => LogsTableAnswer | LogsErrorAnswer = () => rows();
    let fake: LogsQueryFake;
    let cluster: LocalCluster;
    let root: string;
    let out = "";
    let deps: EngineDeps;

    before(async () => {
        fake = await startLogsQueryFake((n) => respond(n));
        cluster = await startCluster();
        root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-inconclusive-"));
        const config = loadConfig("dev", {
            overrides: { replicas: 1, gate: TEST_GATE, production: { requests: 5, timeoutMs: 5000 }, errorBudget: 2 },
        });
        config.appInsights = {
            ...DEFAULT_APPINSIGHTS_GATE,
            workspaceId: "00000000-0000-0000-0000-000000000001",
            appName: config.appName,
            windowMs: 60_000,
            minRequests: 50,
            maxWaitMs: 5000,
            pollIntervalMs: 20,
        };
        deps = {
            backend: new LocalBackend({ env: "dev", root, cluster }),
            config,
            reporter: createReporter({ write: (s) => (out += s), tfBuild: false }),
            logsClient: fake.client(),
            actor: "spec@host",
        };
        assert.equal((await runIntent(deps, { kind: "release", version: "1.0.0" })).exitCode, 0, out);
    });
    after(async () => {
        await cluster?.stop();
        await fake?.close();
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });
    beforeEach(() => {
        fake.reset();
        out = "";
    });

    it("queries that fail within the budget are retried and the release goes on", async () => {
        respond = (n) => (n <= 2 ? unavailable : rows());
        const r = await runIntent(deps, { kind: "release", version: "1.1.0" });
        assert.equal(r.exitCode, 0, out);
        assert.equal(fake.seen.length, 3, "two failed queries, retried, then one answered");
        assert.match(out, /appinsights gate PASS/, out);
        assert.doesNotMatch(out, /apply failed|INCONCLUSIVE/, out);
    });

    it("past the budget: could not be measured, production back on live, exit 1; history and status say so, not rejected", async () => {
        respond = () => unavailable;
        const before = await deps.backend.read();
        const r = await runIntent(deps, { kind: "release", version: "1.2.0" });
        assert.equal(r.exitCode, 1, out);
        assert.equal(OUTCOME_EXIT.inconclusive, 1);
        assert.equal(r.outcome, "inconclusive");
        assert.equal(fake.seen.length, 3, "the first query and the budget's two retries");
        assert.match(
            r.message ?? "",
            /^release 1\.2\.0 could not be measured: the appinsights gate could not measure: the App Insights query failed 3 times in a row \(error budget 2\); last: .*temporarily unavailable.*; this is not a rejection: production was returned to live \(rolled back to blue standby 1\.0\.0 ×1; green live 1\.1\.0 ×1\); re-run once the measurement works$/,
        );
        assert.match(
            out,
            /http gate PASS[\s\S]*appinsights gate INCONCLUSIVE: could not measure[\s\S]*rolling back: the appinsights gate could not measure/,
            out,
        );
        assert.doesNotMatch(out, /apply failed|rejected by|rejected as/, out);
        assert.deepEqual((await deps.backend.read()).state, before.state, "the environment is as it was");
        assert.deepEqual(r.unmeasured?.what, "the appinsights gate");

        const last = (await deps.backend.history()).at(-1)!;
        assert.deepEqual(
            { action: last.action, version: last.version, outcome: last.outcome, gates: last.gates.map((g) => `${g.gate} ${g.verdict}`) },
            { action: "release", version: "1.2.0", outcome: "inconclusive", gates: ["http pass", "appinsights inconclusive"] },
        );
        assert.equal(last.detail, undefined, "the gate's own line says what could not be measured");
        assert.match(last.gates[1].reason, /^could not measure: the App Insights query failed 3 times in a row/);
        assert.match(historyText([last], "dev"), /release +1\.2\.0 +inconclusive[\s\S]*appinsights gate inconclusive: could not measure/);

        out = "";
        const status = await showStatus(deps);
        assert.match(out, /^last run: release 1\.2\.0 could not be measured \(the appinsights gate could not measure: .*\) at \S+$/m, out);
        assert.match(status.status?.lastRun ?? "", /could not be measured/);
    });

    it("a weighted step whose counters cannot be read is inconclusive past the budget: production back on live at once, not a rejection", async () => {
        respond = () => rows();
        let reads = 0;
        /** The local backend with a router whose counters do not answer (a daemon status request that fails). */
        const local = new LocalBackend({ env: "dev", root, cluster });
        const unreadable: Backend = Object.create(local, {
            capabilities: {
                value: {
                    ...local.capabilities,
                    traffic: {
                        productionCounts: async () => ({ requests: 0, failed: 0 }),
                        trafficCounts: async (): Promise<never> => {
                            reads++;
                            throw new Error("the router's status request failed: ECONNREFUSED");
                        },
                    },
                },
            },
        });
        const stepped: EngineDeps = {
            ...deps,
            backend: unreadable,
            config: { ...deps.config, progressive: { ...deps.config.progressive, steps: [50, 100], pollMs: 50 } },
        };
        const before = await stepped.backend.read();
        const r = await runIntent(stepped, { kind: "release", version: "1.2.0" });
        assert.equal(r.exitCode, 1, out);
        assert.equal(r.outcome, "inconclusive", out);
        assert.equal(reads, 3, "the step's first read and the budget's two retries");
        assert.match(
            r.message ?? "",
            /^release 1\.2\.0 could not be measured: the 50 % step's analysis could not measure: reading the router's counters failed 3 times in a row \(error budget 2\); last: the router's status request failed: ECONNREFUSED; this is not a rejection/,
        );
        assert.match(out, /analysis INCONCLUSIVE at 50 %[\s\S]*✔ weight-back[\s\S]*✔ restore-slot/, out);
        assert.doesNotMatch(out, /apply failed|rejected by|rejected as/, out);
        assert.deepEqual((await stepped.backend.read()).state, before.state, "the environment is as it was");
        const last = (await stepped.backend.history()).at(-1)!;
        assert.deepEqual([last.action, last.outcome], ["release", "inconclusive"]);
        assert.match(last.detail ?? "", /^the 50 % step's analysis could not measure: reading the router's counters failed 3 times/);
    });

    it("a candidate App Insights judges worse is still rejected (exit 1, rolled back, a rejection in the history and status)", async () => {
        respond = () => rows((v) => (v === "1.3.0" ? 200 : 0));
        const r = await runIntent(deps, { kind: "release", version: "1.3.0" });
        assert.equal(r.exitCode, 1, out);
        assert.equal(r.outcome, "rolled-back");
        assert.match(
            r.message ?? "",
            /^release 1\.3\.0 rejected by the appinsights gate: candidate failure rate 50\.00 % exceeds live 0\.00 %/,
        );
        const last = (await deps.backend.history()).at(-1)!;
        assert.deepEqual([last.action, last.outcome], ["rejection", "rolled-back"]);
        out = "";
        await showStatus(deps);
        assert.match(out, /^last run: release 1\.3\.0 was rejected by the appinsights gate \(candidate failure rate 50\.00 %/m, out);
    });
});
