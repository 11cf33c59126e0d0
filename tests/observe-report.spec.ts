/**
 * The local release report's pieces without a browser: the timeline (per-second buckets, split of
 * the last minute, merge), the engine observer (a switch only when the live slot/version changes),
 * the router's production count (previews and non-API requests left out, the split served at
 * /_phoenix/traffic) and the rendered HTML (one file, libraries inlined, nothing fetched, text escaped).
 */
import { strict as assert } from "assert";
import type { LocalCluster } from "../release-engine/src/backends/local/cluster";
import { renderReport, seriesColours } from "../release-engine/src/observe/report";
import { chartLibraries } from "../release-engine/src/observe/report-file";
import { engineObserver, split, Timeline, type GateEvent, type SwitchEvent } from "../release-engine/src/observe/timeline";
import type { EngineRecord } from "../release-engine/src/planner/types";
import type { ReleaseState } from "@phoenix/release-model";
import { httpRequest } from "../release-engine/src/util/http";
import { startCluster } from "./support/engine-fixtures";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function record(live: "blue" | "green", blue: string, green?: string): EngineRecord {
    const state = {
        slots: {
            blue: { role: live === "blue" ? "live" : "standby", version: blue, replicas: 1 },
            green: green ? { role: live === "green" ? "live" : "candidate", version: green, replicas: 1 } : { role: "absent" },
        },
    } as unknown as ReleaseState;
    return { state } as EngineRecord;
}

describe("release report: timeline, observer, router count, HTML", () => {
    it("buckets answers per second by slot/version and splits the last minute", () => {
        const t = new Timeline();
        for (let i = 0; i < 10; i++) t.response("blue", "1.0.0", true, T0 + i * 100);
        t.response("green", "1.1.0", true, T0 + 1500);
        t.response("none", "", false, T0 + 1600);
        const d = t.data();
        assert.deepEqual(
            d.buckets.map((b) => b.t),
            [T0, T0 + 1000],
        );
        assert.deepEqual(d.buckets[1].series, { "green 1.1.0": { ok: 1, failed: 0 }, none: { ok: 0, failed: 1 } });
        const s = split(d, T0 + 2000);
        assert.deepEqual(
            s.map((r) => [r.series, r.ok, r.failed, +r.share.toFixed(3)]),
            [
                ["blue 1.0.0", 10, 0, 0.833],
                ["green 1.1.0", 1, 0, 0.083],
                ["none", 0, 1, 0.083],
            ],
        );
        assert.deepEqual(split(d, T0 + 120_000), [], "nothing in the last minute two minutes later");
    });

    it("forgets buckets older than its horizon and merges another timeline", () => {
        const t = new Timeline(5);
        t.response("blue", "1.0.0", true, T0);
        t.response("blue", "1.0.0", true, T0 + 10_000);
        assert.equal(t.data().buckets.length, 1);
        const other = new Timeline();
        other.merge(t.data());
        other.merge(t.data());
        assert.deepEqual(other.data().buckets[0].series, { "blue 1.0.0": { ok: 2, failed: 0 } });
    });

    it("reports a switch only when the live slot/version changes, and gate verdicts with their sample", () => {
        const switches: SwitchEvent[] = [];
        const gates: GateEvent[] = [];
        const o = engineObserver({ switch: (e) => switches.push(e), gate: (e) => gates.push(e) });
        o.applied({ state: null } as EngineRecord, record("blue", "1.0.0"), T0);
        o.applied(record("blue", "1.0.0"), record("blue", "1.0.0", "1.1.0"), T0 + 1);
        o.applied(record("blue", "1.0.0", "1.1.0"), record("green", "1.0.0", "1.1.0"), T0 + 2);
        assert.deepEqual(switches, [
            { t: T0, from: undefined, to: "blue 1.0.0" },
            { t: T0 + 2, from: "blue 1.0.0", to: "green 1.1.0" },
        ]);
        o.gate(
            {
                gate: "http",
                verdict: "fail",
                reason: "errors",
                requests: 40,
                errors: 9,
                slow: 0,
                wrongVersion: 0,
                errorRate: 0.225,
                errorRate95: { low: 0.1, high: 0.4 },
                p50Ms: 3,
                p95Ms: 9,
                sprt: { errors: { llr: 3, decision: "reject" }, slow: { llr: 0, decision: "continue" } },
                production: { requests: 20, failures: 0, wrongSlot: 0 },
                durationMs: 800,
            },
            T0 + 3,
        );
        assert.deepEqual(gates[0], {
            t: T0 + 3,
            gate: "http",
            verdict: "fail",
            reason: "errors",
            sample: {
                requests: 40,
                errors: 9,
                errorRatePercent: 22.5,
                p50Ms: 3,
                p95Ms: 9,
                wrongVersion: 0,
                productionRequests: 20,
                productionFailures: 0,
            },
        });
    });

    it("renders one offline HTML file: both libraries inlined, no external resource, events annotated, text escaped", () => {
        const t = new Timeline();
        t.response("blue", "1.0.0", true, T0);
        t.response("green", "1.1.0", true, T0 + 2000);
        t.switch({ t: T0 + 1500, from: "blue 1.0.0", to: "green 1.1.0" });
        t.gate({ t: T0 + 1000, gate: "http", verdict: "pass", reason: "p95 <script>alert(1)</script>", sample: { requests: 40 } });
        const libs = chartLibraries();
        const html = renderReport(
            t.data(),
            { title: "r", env: "dev", what: "release 1.1.0", outcome: "done", generatedAt: T0, source: "test" },
            libs,
        );
        assert.ok(
            html.includes(libs.chartJs.slice(0, 200)) && html.includes(libs.annotation.slice(-200).replace(/<\/script/gi, "<\\/script")),
        );
        assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, "nothing loaded from elsewhere");
        assert.ok(!html.includes("<script>alert(1)"), "event text is escaped");
        assert.match(html, /switch: blue 1\.0\.0 → green 1\.1\.0/);
        assert.match(html, /http gate PASS/);
        assert.match(html, /production responses: 2, failed: 0/);
        assert.deepEqual(seriesColours(["blue 1.0.0", "green 1.1.0", "blue 1.2.0"]), {
            "blue 1.0.0": "#1f6fd1",
            "green 1.1.0": "#1a9e4a",
            "blue 1.2.0": "#7fb2f0",
        });
    });

    describe("the local router", function () {
        this.timeout(30000);
        let cluster: LocalCluster;
        before(async () => {
            cluster = await startCluster();
            await cluster.apply({
                slots: { blue: { role: "live", version: "1.0.0", replicas: 1 }, green: { role: "absent" } },
            } as unknown as ReleaseState);
        });
        after(async () => cluster.stop());

        it("counts production API answers (not previews, not the page) and serves the last minute's split", async () => {
            const post = (headers: Record<string, string> = {}) =>
                httpRequest(`${cluster.url}/api/calculation`, {
                    method: "POST",
                    body: '{"number":12}',
                    headers: { host: "phoenix.local", ...headers },
                    timeoutMs: 5000,
                });
            for (let i = 0; i < 3; i++) assert.equal((await post()).status, 200);
            await post({ canary: "always" });
            await httpRequest(`${cluster.url}/`, { headers: { host: "phoenix.local" }, timeoutMs: 5000 });
            await new Promise((r) => setTimeout(r, 50));
            const r = await httpRequest(`${cluster.url}/_phoenix/traffic`, { timeoutMs: 5000 });
            assert.equal(r.status, 200);
            const body = JSON.parse(r.body) as { split: Array<{ series: string; ok: number; failed: number }> };
            assert.deepEqual(
                body.split.map((s) => [s.series, s.ok, s.failed]),
                [["blue 1.0.0", 3, 0]],
            );
        });
    });
});
