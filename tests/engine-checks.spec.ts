/**
 * The production check (release-engine/src/checks/production.ts) against a small server on 127.0.0.1:
 * it requests the path the engine's config gives the HTTP gate (`gate.path`), not a path of its own.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { checkProduction } from "../release-engine/src/checks/production";

/** Answers POST `apiPath` as blue 1.0.0; anything else is a 404. Records the paths it saw. */
function server(apiPath: string): Promise<{ url: string; paths: string[]; close: () => Promise<void> }> {
    const paths: string[] = [];
    const s = http.createServer((req, res) => {
        paths.push(req.url ?? "");
        req.resume();
        req.on("end", () => {
            if (req.method === "POST" && req.url === apiPath) {
                res.writeHead(200, { "content-type": "application/json", "x-app-slot": "blue", "x-app-version": "1.0.0" }).end("{}");
            } else res.writeHead(404).end();
        });
    });
    return new Promise((resolve) =>
        s.listen(0, "127.0.0.1", () =>
            resolve({
                url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
                paths,
                close: () => new Promise<void>((r) => s.close(() => r())),
            }),
        ),
    );
}

describe("engine: the production check requests the configured API path", () => {
    it("settles on the slot through the gate's path", async () => {
        const srv = await server("/v2/factors");
        try {
            const r = await checkProduction(
                { url: srv.url },
                { slot: "blue", version: "1.0.0" },
                { requests: 3, timeoutMs: 5000 },
                "/v2/factors",
            );
            assert.deepEqual({ ok: r.ok, requests: r.requests }, { ok: true, requests: 3 });
            assert.deepEqual([...new Set(srv.paths)], ["/v2/factors"]);
        } finally {
            await srv.close();
        }
    });

    it("fails when the service does not answer on the configured path (the old hard-coded one is not tried)", async () => {
        const srv = await server("/api/calculation");
        try {
            const r = await checkProduction(
                { url: srv.url },
                { slot: "blue", version: "1.0.0" },
                { requests: 3, timeoutMs: 5000 },
                "/v2/factors",
            );
            assert.equal(r.ok, false);
            assert.match(r.detail, /production request 1 failed: HTTP 404/);
            assert.deepEqual(srv.paths, ["/v2/factors"]);
        } finally {
            await srv.close();
        }
    });
});
