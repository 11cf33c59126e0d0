import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import type { FastifyInstance } from "fastify";
import { parseConfig, type AppConfig } from "../app/src/config";
import { buildServer, BODY_LIMIT_BYTES, type Lifecycle } from "../app/src/server";

const PUBLIC_DIR = path.join(__dirname, "..", "app", "public");

async function listen(config: AppConfig, lifecycle: Lifecycle = { draining: false }, random?: () => number) {
    const app = buildServer(config, { lifecycle, host: "test-host", ...(random ? { random } : {}) });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const addr = app.server.address();
    assert.ok(addr && typeof addr === "object");
    return { app, base: `http://127.0.0.1:${addr.port}`, lifecycle };
}

function expectIdentityHeaders(res: Response, version = "1.4.2", slot = "green"): void {
    assert.equal(res.headers.get("x-app-version"), version, `x-app-version on ${res.url} ${res.status}`);
    assert.equal(res.headers.get("x-app-slot"), slot, `x-app-slot on ${res.url} ${res.status}`);
}

const post = (url: string, body: string | undefined, headers: Record<string, string> = { "content-type": "application/json" }) =>
    fetch(url, { method: "POST", headers, ...(body === undefined ? {} : { body }) });

describe("app: HTTP server on loopback", () => {
    const config = parseConfig({ APP_VERSION: "1.4.2", APP_SLOT: "green", SHUTDOWN_DRAIN_MS: "0" });
    let app: FastifyInstance;
    let base: string;
    let lifecycle: Lifecycle;

    before(async () => ({ app, base, lifecycle } = await listen(config)));
    after(() => app.close());

    it("POST /api/calculation returns the factors with version, slot and host (JSON body and number header)", async () => {
        const res = await post(`${base}/api/calculation`, JSON.stringify({ number: 9007199254740991 }));
        assert.equal(res.status, 200);
        expectIdentityHeaders(res);
        assert.equal(res.headers.get("cache-control"), "no-store");
        assert.deepEqual(await res.json(), {
            number: 9007199254740991,
            factors: [6361, 69431, 20394401],
            version: "1.4.2",
            slot: "green",
            host: "test-host",
        });

        const byHeader = await post(`${base}/api/calculation`, undefined, { number: "360" });
        assert.equal(byHeader.status, 200);
        assert.deepEqual(((await byHeader.json()) as { factors: number[] }).factors, [2, 2, 2, 3, 3, 5]);
    });

    const badInputs: Array<[string, string | undefined, Record<string, string>, RegExp]> = [
        ["missing", undefined, {}, /missing number/],
        ["empty JSON object", "{}", { "content-type": "application/json" }, /no "number" field/],
        ["string", `{"number":"42"}`, { "content-type": "application/json" }, /must be a JSON number, got a string/],
        ["float", `{"number":4.5}`, { "content-type": "application/json" }, /must be an integer/],
        ["negative", `{"number":-9}`, { "content-type": "application/json" }, /at least 2/],
        ["zero", `{"number":0}`, { "content-type": "application/json" }, /at least 2/],
        ["one", `{"number":1}`, { "content-type": "application/json" }, /at least 2/],
        ["too large", `{"number":9007199254740992}`, { "content-type": "application/json" }, /too large/],
        ["malformed JSON", `{"number": `, { "content-type": "application/json" }, /malformed JSON/],
        ["empty JSON body", "", { "content-type": "application/json" }, /body is empty/],
        [
            "body over 1 KiB",
            JSON.stringify({ number: 42, pad: "x".repeat(BODY_LIMIT_BYTES) }),
            { "content-type": "application/json" },
            /too large: the limit is 1024 bytes/,
        ],
        ["unsupported content-type", "<n>42</n>", { "content-type": "application/xml" }, /unsupported content-type/],
        ["text body", "42", { "content-type": "text/plain" }, /JSON object/],
        ["bad number header", undefined, { number: "4e3" }, /"number" header must be an integer/],
    ];
    for (const [name, body, headers, expected] of badInputs) {
        it(`400 for ${name}, saying what was wrong`, async () => {
            const res = await post(`${base}/api/calculation`, body, headers);
            assert.equal(res.status, 400);
            expectIdentityHeaders(res);
            const json = (await res.json()) as { error: string };
            assert.match(json.error, expected);
        });
    }

    it("GET /ping, /healthz and /readyz answer with identity", async () => {
        const ping = await fetch(`${base}/ping`);
        expectIdentityHeaders(ping);
        assert.deepEqual(await ping.json(), { response: "pong", version: "1.4.2", slot: "green", host: "test-host" });
        const health = await fetch(`${base}/healthz`);
        assert.equal(health.status, 200);
        expectIdentityHeaders(health);
        const ready = await fetch(`${base}/readyz`);
        assert.equal(ready.status, 200);
        expectIdentityHeaders(ready);
        assert.equal(((await ready.json()) as { status: string }).status, "ready");
    });

    it("unknown routes are 404 and still carry the identity headers", async () => {
        const res = await fetch(`${base}/nope`);
        assert.equal(res.status, 404);
        expectIdentityHeaders(res);
        assert.match(((await res.json()) as { error: string }).error, /not found: GET \/nope/);
    });

    it("GET / serves the watcher page and its assets from the service, nothing from the internet", async () => {
        const page = await fetch(`${base}/`);
        assert.equal(page.status, 200);
        expectIdentityHeaders(page);
        assert.match(page.headers.get("content-type") ?? "", /text\/html/);
        assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
        const html = await page.text();
        assert.match(html, /<script src="app.js"><\/script>/);
        assert.match(html, /href="style.css"/);
        for (const [file, type] of [
            ["app.js", /javascript/],
            ["style.css", /text\/css/],
        ] as const) {
            const res = await fetch(`${base}/${file}`);
            assert.equal(res.status, 200);
            assert.match(res.headers.get("content-type") ?? "", type);
            assert.equal(await res.text(), fs.readFileSync(path.join(PUBLIC_DIR, file), "utf8"));
        }
        for (const file of fs.readdirSync(PUBLIC_DIR)) {
            assert.doesNotMatch(
                fs.readFileSync(path.join(PUBLIC_DIR, file), "utf8"),
                /(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i,
                `${file} loads from the internet`,
            );
        }
        const js = fs.readFileSync(path.join(PUBLIC_DIR, "app.js"), "utf8");
        assert.match(js, /INTERVAL_MS = 500\b/);
        assert.match(js, /"api\/calculation"/);
        assert.match(js, /x-app-slot/);
        const css = fs.readFileSync(path.join(PUBLIC_DIR, "style.css"), "utf8");
        for (const slot of ["blue", "green", "local", "error"]) assert.match(css, new RegExp(`tr\\.slot-${slot}\\b`));
    });

    it("while draining: /readyz is 503 at once, everything else still served with connection: close", async () => {
        lifecycle.draining = true;
        try {
            const ready = await fetch(`${base}/readyz`);
            assert.equal(ready.status, 503);
            expectIdentityHeaders(ready);
            const calc = await post(`${base}/api/calculation`, `{"number": 97}`);
            assert.equal(calc.status, 200);
            assert.equal(calc.headers.get("connection"), "close");
            assert.equal((await fetch(`${base}/healthz`)).status, 200);
        } finally {
            lifecycle.draining = false;
        }
        assert.equal((await fetch(`${base}/readyz`)).status, 200);
    });
});

describe("app: fault injection", () => {
    const cfg = (rate: string, latency = "0", after = "") =>
        parseConfig({
            APP_VERSION: "1.4.2",
            APP_SLOT: "green",
            FAULT_ERROR_RATE: rate,
            FAULT_LATENCY_MS: latency,
            FAULT_AFTER_REQUESTS: after,
        });
    const calc = (app: FastifyInstance) => app.inject({ method: "POST", url: "/api/calculation", payload: { number: 1001 } });

    it("answers 500 on a fraction of API requests within binomial bounds (2000 requests, rate 0.2)", async () => {
        const app = buildServer(cfg("0.2"));
        const N = 2000;
        const p = 0.2;
        let failures = 0;
        for (let i = 0; i < N; i++) {
            const res = await calc(app);
            if (res.statusCode === 500) {
                failures++;
                assert.equal(res.headers["x-fault-injected"], "true");
                assert.equal(res.headers["x-app-slot"], "green");
                assert.match(res.json<{ error: string }>().error, /injected fault/);
            } else assert.equal(res.statusCode, 200);
        }
        const mean = N * p;
        const sd = Math.sqrt(N * p * (1 - p)); // ≈ 17.9; ±5 sd fails a correct implementation with p < 1e-6
        assert.ok(Math.abs(failures - mean) < 5 * sd, `${failures} faults of ${N}, expected ${mean} ± ${5 * sd}`);
        // Probes are never faulted: a slot under a fault demo stays ready.
        for (let i = 0; i < 50; i++) assert.equal((await app.inject({ url: "/readyz" })).statusCode, 200);
        await app.close();
    });

    it("rate 0 never and rate 1 always fail; the decision uses the injected random source", async () => {
        const never = buildServer(cfg("0"));
        const always = buildServer(cfg("1"));
        for (let i = 0; i < 100; i++) {
            assert.equal((await calc(never)).statusCode, 200);
            assert.equal((await calc(always)).statusCode, 500);
        }
        const draws = [0.29, 0.3, 0.31];
        const seeded = buildServer(cfg("0.3"), { random: () => draws.shift() as number });
        assert.deepEqual(
            [(await calc(seeded)).statusCode, (await calc(seeded)).statusCode, (await calc(seeded)).statusCode],
            [500, 200, 200],
        );
        await Promise.all([never.close(), always.close(), seeded.close()]);
    });

    it("FAULT_AFTER_REQUESTS=N: the first N API requests are served clean, every one after that is faulted (probes do not count)", async () => {
        const latent = buildServer(cfg("1", "0", "5"));
        for (let i = 0; i < 20; i++) assert.equal((await latent.inject({ url: "/readyz" })).statusCode, 200);
        const codes: number[] = [];
        for (let i = 0; i < 8; i++) codes.push((await calc(latent)).statusCode);
        assert.deepEqual(codes, [200, 200, 200, 200, 200, 500, 500, 500]);
        // Bad input counts as a served API request too.
        const counted = buildServer(cfg("1", "0", "1"));
        assert.equal((await counted.inject({ method: "POST", url: "/api/calculation", payload: { number: 1 } })).statusCode, 400);
        assert.equal((await calc(counted)).statusCode, 500);
        // The broken reading "N = 0 delays nothing" is the default: faults from the first request.
        const immediate = buildServer(cfg("1", "0", "0"));
        assert.equal((await calc(immediate)).statusCode, 500);
        // Latency is latent too: request 1 is fast, request 2 waits.
        const slow = buildServer(cfg("0", "300", "1"));
        let t = Date.now();
        assert.equal((await calc(slow)).statusCode, 200);
        assert.ok(Date.now() - t < 290, `first request took ${Date.now() - t} ms`);
        t = Date.now();
        assert.equal((await calc(slow)).statusCode, 200);
        assert.ok(Date.now() - t >= 295, `second request took ${Date.now() - t} ms`);
        await Promise.all([latent.close(), counted.close(), immediate.close(), slow.close()]);
    });

    it("adds FAULT_LATENCY_MS to every API request over HTTP, not to probes", async () => {
        // 600 ms: a probe would need a 600 ms stall of a loaded machine to look delayed (150 ms left little room).
        const LATENCY = 600;
        const { app, base } = await listen(cfg("0", String(LATENCY)));
        try {
            let t = Date.now();
            const res = await post(`${base}/api/calculation`, `{"number": 12}`);
            assert.equal(res.status, 200);
            assert.ok(Date.now() - t >= LATENCY - 5, `API answered after ${Date.now() - t} ms`);
            t = Date.now();
            assert.equal((await fetch(`${base}/readyz`)).status, 200);
            assert.ok(Date.now() - t < LATENCY - 5, "probes must not be delayed");
        } finally {
            await app.close();
        }
    });
});
