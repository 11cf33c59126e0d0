/**
 * Gate progress (issue 14 item 6): requests, errors and the running verdict, rendered from the gate's
 * running statistics — a live line on a terminal, periodic lines in a log, ##vso progress commands in
 * Azure DevOps — and fed by the real HTTP gate while it runs.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { createProgressRenderer, progressLine, stepPercent, stepProgressLine } from "../release-engine/src/cli/progress";
import { DEFAULT_COMPARISON, emptyHistogram, LATENCY_BUCKETS_MS, newComparison } from "../release-engine/src/gates/compare";
import { runHttpGate, type GateProgress } from "../release-engine/src/gates/http-gate";
import { TEST_GATE } from "./support/engine-fixtures";

const sample = (over: Partial<GateProgress> = {}): GateProgress => ({
    gate: "http",
    requests: 40,
    maxRequests: 200,
    errors: 1,
    slow: 0,
    wrongVersion: 0,
    production: { requests: 12, failures: 0, wrongSlot: 0 },
    decisions: { errors: "continue", slow: "accept" },
    elapsedMs: 1500,
    ...over,
});

describe("gate progress display", () => {
    it("one line: requests of the cap, errors, slow, production, the running verdict", () => {
        assert.equal(
            progressLine(sample()),
            "http gate: 40/200 preview requests, 1 errors, 0 slow; production 12 requests, 0 failed — undecided (1.5 s)",
        );
        assert.match(progressLine(sample({ decisions: { errors: "accept", slow: "accept" } })), /— passing/);
        assert.match(progressLine(sample({ decisions: { errors: "reject", slow: "continue" } })), /— failing/);
        assert.match(progressLine(sample({ wrongVersion: 1 })), /1 wrong answers.*— failing/);
    });

    it("terminal: one line rewritten in place, throttled; done() clears it", () => {
        let out = "";
        let now = 0;
        const r = createProgressRenderer({ write: (s) => (out += s), tty: true, tfBuild: false, now: () => now, ttyIntervalMs: 100 });
        r.update(sample({ requests: 1 }));
        now = 50;
        r.update(sample({ requests: 2 })); // throttled
        now = 120;
        r.update(sample({ requests: 3 }));
        r.done();
        assert.equal(out.split("\r\x1b[K").filter((x) => x !== "").length, 2);
        assert.ok(!out.includes("\n"), "a live line never scrolls");
        assert.ok(out.endsWith("\r\x1b[K"));
        assert.match(out, /1\/200[\s\S]*3\/200/);
        assert.doesNotMatch(out, /2\/200/);
    });

    it("log: a line per interval; Azure DevOps adds ##vso[task.setprogress]", () => {
        let out = "";
        let now = 0;
        const r = createProgressRenderer({ write: (s) => (out += s), tty: false, tfBuild: true, now: () => now, logIntervalMs: 2000 });
        for (now = 0; now <= 5000; now += 500) r.update(sample({ requests: now / 50 }));
        const lines = out.trim().split("\n");
        assert.deepEqual(
            lines.filter((l) => l.startsWith("##vso")),
            [
                "##vso[task.setprogress value=0;]http gate",
                "##vso[task.setprogress value=20;]http gate",
                "##vso[task.setprogress value=40;]http gate",
            ],
        );
        assert.equal(lines.filter((l) => l.startsWith("    http gate:")).length, 3);
        assert.ok(!out.includes("\r"));
    });

    it("the HTTP gate reports its running statistics after each answer", async () => {
        const server = http.createServer((req, res) => {
            req.resume();
            const candidate = req.headers.canary === "yes";
            res.writeHead(200, {
                "x-app-slot": candidate ? "green" : "blue",
                "x-app-version": candidate ? "2.0.0" : "1.0.0",
                "content-type": "application/json",
            });
            res.end("{}");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
            const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const seen: GateProgress[] = [];
            const report = await runHttpGate(
                {
                    url,
                    preview: { header: "canary", value: "yes" },
                    candidate: { slot: "green", version: "2.0.0" },
                    live: { slot: "blue", version: "1.0.0" },
                },
                TEST_GATE,
                (p) => seen.push(p),
            );
            assert.equal(report.verdict, "pass");
            assert.ok(seen.length >= report.requests - TEST_GATE.concurrency, `${seen.length} updates for ${report.requests} requests`);
            assert.deepEqual(seen.map((p) => p.requests).slice(0, 3), [1, 2, 3]);
            assert.equal(seen[seen.length - 1].decisions.errors, "accept");
        } finally {
            server.close();
        }
    });
});

describe("weighted step progress display (issue 20.2)", () => {
    const config = { ...DEFAULT_COMPARISON, minBakeMs: 10_000, minRequests: 50, noTrafficMs: 30_000 };
    const cmp = () => newComparison(config);
    const arm = (requests: number, failed: number) => {
        const latency = emptyHistogram(LATENCY_BUCKETS_MS);
        latency[1] = requests; // every request answered in 5-10 ms
        return { requests, failed, totalMs: requests * 10, latency };
    };

    it("one line: both arms against the minimum, bake time left, the no-traffic clock and the running verdict", () => {
        const waiting = cmp().update({ candidate: arm(12, 0), live: arm(140, 1), elapsedMs: 4200 });
        assert.equal(
            stepProgressLine({ weight: 20, result: waiting, config }),
            "step 20 %: candidate 12/50 requests, 0 failed; live 140 requests, 1 failed; baked 4 s of 10 s — undecided (4.2 s)",
        );
        const idle = cmp().update({ candidate: arm(0, 0), live: arm(90, 0), elapsedMs: 12_000 });
        assert.match(
            stepProgressLine({ weight: 5, result: idle, config }),
            /candidate 0\/50 requests.*baked 10 s of 10 s; no candidate traffic for 12 s of 30 s — undecided/,
        );
        assert.equal(
            stepPercent({ weight: 20, result: waiting, config }),
            24,
            "the earliest verdict needs both: 12/50 requests is the slower",
        );
        const c = cmp();
        c.update({ candidate: arm(0, 0), live: arm(10, 0), elapsedMs: 1000 });
        const gone = c.update({ candidate: arm(0, 0), live: arm(900, 0), elapsedMs: 30_000 });
        assert.match(stepProgressLine({ weight: 20, result: gone, config }), /— no traffic/);
    });

    it("renders as the gate does: a live line on a terminal, periodic lines and ##vso progress in a pipeline log", () => {
        let t = 0;
        let log = "";
        const r = createProgressRenderer({ write: (s) => (log += s), tty: false, tfBuild: true, now: () => t, logIntervalMs: 2000 });
        const res = cmp().update({ candidate: arm(25, 0), live: arm(100, 0), elapsedMs: 5000 });
        r.step({ weight: 20, result: res, config });
        t = 1000;
        r.step({ weight: 20, result: res, config });
        t = 2500;
        r.step({ weight: 20, result: res, config });
        assert.equal((log.match(/##vso\[task\.setprogress value=50;\]step 20 %\n/g) ?? []).length, 2, log);
        assert.equal((log.match(/^ {4}step 20 %: /gm) ?? []).length, 2, log);
        let tty = "";
        const live = createProgressRenderer({ write: (s) => (tty += s), tty: true, tfBuild: false, now: () => 0 });
        live.step({ weight: 20, result: res, config });
        live.done();
        assert.ok(tty.startsWith("\r\x1b[Kstep 20 %: ") && tty.endsWith("\r\x1b[K"), JSON.stringify(tty));
    });
});
