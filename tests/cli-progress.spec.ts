/**
 * Gate progress (issue 14 item 6): requests, errors and the running verdict, rendered from the gate's
 * running statistics — a live line on a terminal, periodic lines in a log, ##vso progress commands in
 * Azure DevOps — and fed by the real HTTP gate while it runs.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { createProgressRenderer, progressLine } from "../release-engine/src/cli/progress";
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
        assert.equal(progressLine(sample()), "http gate: 40/200 preview requests, 1 errors, 0 slow; production 12 requests, 0 failed — undecided (1.5 s)");
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
        assert.deepEqual(lines.filter((l) => l.startsWith("##vso")), ["##vso[task.setprogress value=0;]http gate", "##vso[task.setprogress value=20;]http gate", "##vso[task.setprogress value=40;]http gate"]);
        assert.equal(lines.filter((l) => l.startsWith("    http gate:")).length, 3);
        assert.ok(!out.includes("\r"));
    });

    it("the HTTP gate reports its running statistics after each answer", async () => {
        const server = http.createServer((req, res) => {
            req.resume();
            const candidate = req.headers.canary === "yes";
            res.writeHead(200, { "x-app-slot": candidate ? "green" : "blue", "x-app-version": candidate ? "2.0.0" : "1.0.0", "content-type": "application/json" });
            res.end("{}");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
            const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const seen: GateProgress[] = [];
            const report = await runHttpGate({ url, preview: { header: "canary", value: "yes" }, candidate: { slot: "green", version: "2.0.0" }, live: { slot: "blue", version: "1.0.0" } }, TEST_GATE, (p) => seen.push(p));
            assert.equal(report.verdict, "pass");
            assert.ok(seen.length >= report.requests - TEST_GATE.concurrency, `${seen.length} updates for ${report.requests} requests`);
            assert.deepEqual(seen.map((p) => p.requests).slice(0, 3), [1, 2, 3]);
            assert.equal(seen[seen.length - 1].decisions.errors, "accept");
        } finally {
            server.close();
        }
    });
});
