/**
 * The compiled service as a real process (`node app/dist/main.js`, built by `npm test` before mocha):
 * startup refusal, the listening line, and graceful shutdown with requests in flight.
 */
import { strict as assert } from "assert";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";

const MAIN = path.join(__dirname, "..", "app", "dist", "main.js");

interface Run {
    child: ChildProcess;
    stdout: () => string;
    stderr: () => string;
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(env: Record<string, string>): Run {
    // A clean environment: nothing (e.g. a connection string) leaks in from the test runner.
    const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    return { child, stdout: () => out, stderr: () => err, exit };
}

async function waitForListening(run: Run, timeoutMs = 8000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        for (const line of run.stdout().split("\n")) {
            if (!line.trim()) continue;
            const obj = JSON.parse(line) as { event?: string; port?: number };
            if (obj.event === "listening" && typeof obj.port === "number") return obj.port;
        }
        await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no listening line; stdout: ${run.stdout()} stderr: ${run.stderr()}`);
}

/** Resolves with the time the process's stdout first shows a log line with this event. */
async function waitForEvent(run: Run, event: string, timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!run.stdout().includes(`"event":"${event}"`)) {
        if (Date.now() > deadline) throw new Error(`no ${event} line; stdout: ${run.stdout()}`);
        await new Promise((r) => setTimeout(r, 5));
    }
    return Date.now();
}

function request(
    port: number,
    method: string,
    urlPath: string,
    agent: http.Agent | false,
    body?: string,
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            { host: "127.0.0.1", port, method, path: urlPath, agent, headers: body ? { "content-type": "application/json" } : {} },
            (res) => {
                let data = "";
                res.on("data", (d: Buffer) => (data += d.toString()));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
            },
        );
        req.on("error", reject);
        req.end(body);
    });
}

describe("app: the process (node app/dist/main.js)", function () {
    this.timeout(15000);
    const children: ChildProcess[] = [];
    before(() => assert.ok(fs.existsSync(MAIN), `${MAIN} is missing: run \`npm run build -w app\` (npm test does it)`));
    afterEach(() => {
        for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    });

    it("refuses to start on a bad environment, naming each variable, without echoing the connection string", async () => {
        const secret = "Sup3rSecretValue";
        const runs = [
            start({ APP_SLOT: "purple", PORT: "0" }),
            start({ APP_VERSION: "1.0.0", APP_SLOT: "blue", APPLICATIONINSIGHTS_CONNECTION_STRING: secret, FAULT_ERROR_RATE: "2" }),
        ];
        children.push(...runs.map((r) => r.child));
        const [a, b] = await Promise.all(runs.map((r) => r.exit));
        assert.equal(a.code, 2);
        assert.match(runs[0].stderr(), /APP_VERSION must be a semantic version/);
        assert.match(runs[0].stderr(), /APP_SLOT must be one of blue, green, local \(got "purple"\)/);
        assert.doesNotMatch(runs[0].stdout(), /"event":"listening"/);
        assert.equal(b.code, 2);
        assert.match(runs[1].stderr(), /APPLICATIONINSIGHTS_CONNECTION_STRING must be an Application Insights connection string/);
        assert.match(runs[1].stderr(), /FAULT_ERROR_RATE must be a number from 0 to 1 \(got "2"\)/);
        assert.ok(!(runs[1].stdout() + runs[1].stderr()).includes(secret), "the secret reached the output");
        const logLine = JSON.parse(runs[1].stdout().trim().split("\n")[0]) as { event: string; variables: string[] };
        assert.equal(logLine.event, "config-invalid");
        assert.deepEqual(logLine.variables.sort(), ["APPLICATIONINSIGHTS_CONNECTION_STRING", "FAULT_ERROR_RATE"]);
    });

    it("on SIGTERM: readiness fails at once, it keeps serving through the drain, finishes every request in flight and exits 0", async () => {
        // Timings are anchored on the process's own shutdown-start line, with hundreds of ms of slack on
        // each side, so a loaded CI machine (a late timer, a slow connect) cannot turn them around.
        const DRAIN = 600;
        const LATENCY = 600;
        const BEFORE_CLOSE = 250;
        const run = start({
            PORT: "0",
            HOST: "127.0.0.1",
            APP_VERSION: "2.0.0",
            APP_SLOT: "blue",
            SHUTDOWN_DRAIN_MS: String(DRAIN),
            FAULT_LATENCY_MS: String(LATENCY),
        });
        children.push(run.child);
        const port = await waitForListening(run);
        const listening = JSON.parse(
            run
                .stdout()
                .split("\n")
                .find((l) => l.includes('"listening"')) as string,
        ) as Record<string, unknown>;
        assert.equal(listening.telemetry, false, "telemetry is off without a connection string");
        assert.equal(listening.slot, "blue");

        const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });
        // Warm up kept-alive connections, as a proxy would hold them.
        assert.equal((await request(port, "GET", "/readyz", keepAlive)).status, 200);

        const calc = (n: number) => request(port, "POST", "/api/calculation", keepAlive, JSON.stringify({ number: n }));
        const inFlight = Array.from({ length: 8 }, (_, i) => calc(1000 + i));
        await new Promise((r) => setTimeout(r, 50));
        const signalledAt = Date.now();
        run.child.kill("SIGTERM");
        const shutdownSeenAt = await waitForEvent(run, "shutdown-start");

        const ready = await request(port, "GET", "/readyz", false);
        assert.equal(ready.status, 503, "readiness must fail as soon as shutdown starts");
        assert.equal(ready.headers["x-app-slot"], "blue");
        // Still serving during the drain: new connections and new requests on kept-alive ones.
        const duringDrain = [calc(2001), request(port, "POST", "/api/calculation", false, `{"number": 2002}`)];
        // Requests that start near the end of the drain are still in flight when the server stops accepting.
        await new Promise((r) => setTimeout(r, Math.max(0, shutdownSeenAt + DRAIN - BEFORE_CLOSE - Date.now())));
        const acrossClose = [calc(3001), calc(3002), request(port, "POST", "/api/calculation", false, `{"number": 3003}`)];
        let acrossSettled = false;
        void Promise.allSettled(acrossClose).then(() => (acrossSettled = true));
        // Wait until the listener is closed (new connections refused) ...
        for (let refused = false, deadline = Date.now() + 3000; !refused;) {
            assert.ok(Date.now() < deadline, "the listener never closed after the drain");
            refused = await request(port, "GET", "/healthz", false).then(
                () => false,
                (e: NodeJS.ErrnoException) => e.code === "ECONNREFUSED",
            );
            if (!refused) await new Promise((r) => setTimeout(r, 15));
        }
        // ... while those requests are still in flight.
        assert.equal(acrossSettled, false, "the last requests should still be in flight when the listener closes");

        const results = await Promise.all([...inFlight, ...duringDrain, ...acrossClose]);
        for (const r of results) {
            assert.equal(r.status, 200, r.body);
            assert.equal(r.headers["x-app-version"], "2.0.0");
        }
        const { code, signal } = await run.exit;
        const elapsed = Date.now() - signalledAt;
        assert.equal(signal, null);
        assert.equal(code, 0);
        assert.ok(elapsed >= DRAIN, `exited after ${elapsed} ms, before the ${DRAIN} ms drain`);
        const events = run
            .stdout()
            .trim()
            .split("\n")
            .map((l) => (JSON.parse(l) as { event: string }).event);
        assert.deepEqual(events.slice(-3), ["shutdown-start", "drain-complete", "stopped"]);
        await assert.rejects(request(port, "GET", "/ping", false), /ECONNREFUSED/);
        keepAlive.destroy();
    });
});
