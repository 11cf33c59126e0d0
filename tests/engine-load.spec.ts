/**
 * `npm run load` (issue 20.2): production traffic at a fixed rate against a running local
 * environment, with periodic lines and a summary; refused (exit 2) when the environment is not running
 * and for anything but the local backend; its options validated by value.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { runLoadCommand } from "../release-engine/src/cli/load-command";
import { parseCommandLine } from "../release-engine/src/cli/args";
import type { Backend, Observation } from "../release-engine/src/engine/backend";
import { InputError } from "../release-engine/src/errors";

function backendObserving(seen: Observation): Backend {
    const no = () => Promise.reject(new Error("load must only observe"));
    return {
        kind: "local",
        env: "dev",
        capabilities: {},
        observe: async () => seen,
        lock: no,
        read: no,
        apply: no,
        endpoint: no,
        history: no,
        recordHistory: no,
        slotReady: no,
        slotHealth: no,
        close: async () => undefined,
    };
}

describe("load command: production traffic at a fixed rate", function () {
    this.timeout(20000);
    let server: http.Server;
    let url: string;
    let served = 0;
    before(async () => {
        server = http.createServer((req, res) => {
            req.resume();
            served++;
            res.writeHead(200, {
                "x-app-slot": served % 5 === 0 ? "green" : "blue",
                "x-app-version": served % 5 === 0 ? "1.1.0" : "1.0.0",
                "content-type": "application/json",
            });
            res.end("{}");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    it("holds the rate for the duration, reports who answered, and stops by itself", async () => {
        let out = "";
        served = 0;
        const s = await runLoadCommand(backendObserving({ running: true, endpoint: { url } }), "dev", {
            rps: 40,
            durationS: 2,
            write: (x) => (out += x),
            interrupted: new Promise(() => undefined),
            lineEveryMs: 500,
        });
        assert.ok(s.total >= 70 && s.total <= 85, `40/s for 2 s: ${s.total} requests`);
        assert.equal(s.failed, 0);
        assert.equal(served, s.total);
        assert.ok((s.answeredBy["blue 1.0.0"] ?? 0) > 0 && (s.answeredBy["green 1.1.0"] ?? 0) > 0, JSON.stringify(s.answeredBy));
        assert.match(out, /^load: 40 production requests\/s at http:\/\/127\.0\.0\.1:\d+ for 2 s\n/);
        assert.ok((out.match(/^load: \d+ requests in \d+ s \(\d+\/s now\), 0 failed; answered by /gm) ?? []).length >= 2, out);
        assert.match(out, /load: done, \d+ requests in 2\.\d s, 0 failed; answered by blue 1\.0\.0 \d+, green 1\.1\.0 \d+\n$/);
    });

    it("Ctrl-C stops it at once; failures are counted and shown", async () => {
        let out = "";
        let stop!: () => void;
        const interrupted = new Promise<void>((r) => (stop = r));
        setTimeout(() => stop(), 600);
        const t0 = Date.now();
        const s = await runLoadCommand(backendObserving({ running: true, endpoint: { url: "http://127.0.0.1:9" } }), "dev", {
            rps: 20,
            write: (x) => (out += x),
            interrupted,
        });
        assert.ok(Date.now() - t0 < 3000);
        assert.ok(s.total > 0 && s.failed === s.total, `${s.failed}/${s.total}`);
        assert.match(out, /until Ctrl-C/);
        assert.match(out, / {2}failed: .*ECONNREFUSED/);
    });

    it("refuses a stopped environment and bad options by value", async () => {
        await assert.rejects(
            runLoadCommand(backendObserving({ running: false, detail: "its router will listen on http://127.0.0.1:4000 again" }), "prod", {
                rps: 5,
                write: () => undefined,
                interrupted: Promise.resolve(),
            }),
            (e: Error) =>
                e instanceof InputError &&
                /the local environment prod is not running \(its router will listen on http:\/\/127\.0\.0\.1:4000 again\): release a version first \(npm run release -- release <version> --env prod\)/.test(
                    e.message,
                ),
        );
        const p = parseCommandLine(["load", "--rps", "25", "--duration", "60"], {});
        assert.ok(p.kind === "run" && p.rps === 25 && p.durationS === 60);
        const d = parseCommandLine(["load"], {});
        assert.ok(d.kind === "run" && d.rps === 50 && d.durationS === undefined, "default 50/s until stopped");
        assert.throws(() => parseCommandLine(["load", "--rps", "0"], {}), /--rps must be a whole number 1-2000, got "0"/);
        assert.throws(() => parseCommandLine(["load", "--rps", "2.5"], {}), /--rps must be a whole number 1-2000, got "2\.5"/);
        assert.throws(
            () => parseCommandLine(["load", "--duration", "forever"], {}),
            /--duration must be a whole number 1-86400, got "forever"/,
        );
        assert.throws(() => parseCommandLine(["load", "--backend", "pulumi"], {}), /load drives a local environment only/);
        assert.throws(() => parseCommandLine(["release", "1.0.0", "--rps", "5"], {}), /release takes no --rps/);
    });
});
