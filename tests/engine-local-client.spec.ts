/**
 * The CLI's side of the local backend (issue 20, rollback speed): the daemon client finds a running
 * daemon in one round trip and still starts one when `cluster.json` is stale; the backend asks the
 * cluster for its state before an apply only when the record's state did not change (a changed state is
 * applied in any case) — and still converges a cluster that lost the recorded state.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import type { ReleaseState } from "@phoenix/release-model";
import type { ClusterStatus } from "../release-engine/src/backends/local/cluster";
import { DaemonCluster } from "../release-engine/src/backends/local/daemon-client";
import { LocalBackend, type ClusterHandle } from "../release-engine/src/backends/local/local-backend";
import { writeRecord } from "../release-engine/src/backends/local/store";
import { APP_ENTRY, ensureAppBuilt } from "../release-engine/src/demo/app-build";

const LIVE_1: ReleaseState = { slots: { blue: { role: "live", version: "1.0.0", replicas: 1 }, green: { role: "absent" } } };
const LIVE_2: ReleaseState = {
    slots: { blue: { role: "standby", version: "1.0.0", replicas: 1 }, green: { role: "live", version: "1.1.0", replicas: 1 } },
};

function statusOf(state: ReleaseState | null): ClusterStatus {
    const slot = { ready: 0, versions: [], ports: [], desired: { replicas: 0 }, restarts: 0 };
    return { url: "http://127.0.0.1:1", router: "gateway-api", state, slots: { blue: slot, green: slot }, production: [] };
}

/** A cluster that records what the backend asked of it. */
function fakeCluster(initial: ReleaseState | null): ClusterHandle & { calls: string[]; state: ReleaseState | null } {
    const c = {
        calls: [] as string[],
        state: initial,
        status: () => {
            c.calls.push("status");
            return statusOf(c.state);
        },
        apply: async (s: ReleaseState | null) => {
            c.calls.push("apply");
            c.state = s;
        },
    };
    return c;
}

describe("local backend apply: the cluster is asked only when the record's state is unchanged", () => {
    let root: string;
    beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-local-apply-"))));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("a new state is written, then applied without a status round trip first", async () => {
        writeRecord(path.join(root, "dev"), { state: LIVE_1 });
        const cluster = fakeCluster(LIVE_1);
        const lines: string[] = [];
        await new LocalBackend({ env: "dev", root, cluster }).apply({ state: LIVE_2 }, (l) => lines.push(l));
        assert.deepEqual(cluster.calls, ["apply"]);
        assert.deepEqual(cluster.state, LIVE_2);
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(root, "dev", "state.json"), "utf8")).state, LIVE_2);
        assert.deepEqual(lines, ["local: converging dev"]);
    });

    it("an unchanged state the cluster runs: nothing applied; one the cluster lost: applied again", async () => {
        writeRecord(path.join(root, "dev"), { state: LIVE_2 });
        const running = fakeCluster(LIVE_2);
        await new LocalBackend({ env: "dev", root, cluster: running }).apply({ state: LIVE_2, rejected: ["1.2.0"] }, () => undefined);
        assert.deepEqual(running.calls, ["status"]);
        const restarted = fakeCluster(null);
        await new LocalBackend({ env: "dev", root, cluster: restarted }).apply({ state: LIVE_2 }, () => undefined);
        assert.deepEqual(restarted.calls, ["status", "apply"]);
        assert.deepEqual(restarted.state, LIVE_2);
    });
});

describe("daemon client: finding the daemon", function () {
    this.timeout(30000);
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-daemon-client-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const options = {
        appEntry: APP_ENTRY,
        appName: "calculator",
        host: "phoenix.local",
        headerName: "canary",
        drainMs: 200,
        readyTimeoutMs: 10_000,
        stopGraceMs: 2000,
        port: 0,
    };

    it("a running daemon answers the first status directly: one request to its control API", async () => {
        const seen: string[] = [];
        const server = http.createServer((req, res) => {
            seen.push(`${req.method} ${req.url}`);
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify(statusOf(LIVE_1)));
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
            const control = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            fs.writeFileSync(path.join(dir, "cluster.json"), JSON.stringify({ pid: process.pid, control, url: "http://127.0.0.1:1" }));
            const client = new DaemonCluster(dir, options);
            assert.deepEqual((await client.status()).state, LIVE_1);
            assert.deepEqual(seen, ["GET /status"]);
            await client.status();
            assert.deepEqual(seen, ["GET /status", "GET /status"]);
        } finally {
            server.close();
        }
    });

    it("a stale cluster.json (nothing listens there) or one naming another program: a daemon is started", async () => {
        ensureAppBuilt(() => undefined);
        const other = http.createServer((_req, res) => {
            res.writeHead(404);
            res.end();
        });
        await new Promise<void>((r) => other.listen(0, "127.0.0.1", () => r()));
        const otherControl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
        // A port nothing listens on: one that was just free.
        const free = http.createServer();
        await new Promise<void>((r) => free.listen(0, "127.0.0.1", () => r()));
        const deadControl = `http://127.0.0.1:${(free.address() as AddressInfo).port}`;
        await new Promise<void>((r) => free.close(() => r()));
        try {
            for (const control of [deadControl, otherControl]) {
                fs.writeFileSync(path.join(dir, "cluster.json"), JSON.stringify({ pid: 1, control, url: "http://127.0.0.1:1" }));
                const client = new DaemonCluster(dir, options);
                const st = await client.status();
                assert.equal(st.state, null);
                const info = JSON.parse(fs.readFileSync(path.join(dir, "cluster.json"), "utf8")) as { control: string };
                assert.notEqual(info.control, control, "cluster.json names the daemon that was started");
                assert.equal(await new DaemonCluster(dir, options).shutdown(), true);
                assert.ok(!fs.existsSync(path.join(dir, "cluster.json")));
            }
        } finally {
            other.close();
        }
    });
});
