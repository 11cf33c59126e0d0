/**
 * Independent releases per service (issue 22): two services in one environment, each with its own
 * settings (appName) and `--service`, keep their own record, lock, history, daemon and reports under
 * `.phoenix/<service>/<env>/`. One's held lock, rollback or faulty release costs the other nothing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { acquireLock } from "../release-engine/src/backends/local/lock";
import { main } from "../release-engine/src/cli/main";
import { ensureAppBuilt } from "../release-engine/src/demo/app-build";
import type { HistoryEntry } from "../release-engine/src/engine/history";
import { httpRequest } from "../release-engine/src/util/http";
import { TEST_GATE } from "./support/engine-fixtures";

const ROOT = path.join(__dirname, "..");
const A = "calculator";
const B = "inventory";

describe("engine: two services released independently in one environment (local backend, CLI)", function () {
    this.timeout(120000);
    let home: string;
    const configDirs: Record<string, string> = {};
    const run = async (service: string, argv: string[], extra: NodeJS.ProcessEnv = {}) => {
        let out = "";
        let err = "";
        const code = await main(
            [...argv, "--service", service],
            { PATH: process.env.PATH, PHOENIX_HOME: home, PHOENIX_CONFIG_DIR: configDirs[service], USER: "alice", ...extra },
            (s) => (out += s),
            (s) => (err += s),
            { tty: false },
        );
        return { code, out, err };
    };
    const dir = (service: string) => path.join(home, service, "dev");
    const read = (service: string, file: string) => fs.readFileSync(path.join(dir(service), file), "utf8");
    const history = async (service: string) => {
        const h = await run(service, ["history", "--json"]);
        assert.equal(h.code, 0, h.err);
        return (JSON.parse(h.out) as { history: HistoryEntry[] }).history;
    };
    const liveOf = (service: string) =>
        (JSON.parse(read(service, "state.json")) as { state: { slots: Record<string, { role: string; version?: string }> } }).state.slots;

    before(() => {
        ensureAppBuilt(() => undefined);
        home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-services-"));
        const dev = JSON.parse(fs.readFileSync(path.join(ROOT, "release-engine", "config", "dev.json"), "utf8")) as Record<string, unknown>;
        for (const service of [A, B]) {
            configDirs[service] = fs.mkdtempSync(path.join(os.tmpdir(), `phoenix-services-${service}-`));
            fs.writeFileSync(
                path.join(configDirs[service], "dev.json"),
                JSON.stringify({ ...dev, appName: service, replicas: 1, gate: TEST_GATE, production: { requests: 5, timeoutMs: 10000 } }),
            );
        }
    });
    after(async () => {
        for (const service of [A, B]) await run(service, ["local-down"]);
        for (const d of [home, ...Object.values(configDirs)]) fs.rmSync(d, { recursive: true, force: true });
    });

    it("a lock held on one service's environment does not block the other's release", async () => {
        const held = acquireLock(dir(A), "dev");
        try {
            const b = await run(B, ["release", "1.0.0"]);
            assert.equal(b.code, 0, b.out + b.err);
            const a = await run(A, ["release", "1.0.0"]);
            assert.equal(a.code, 3, "the lock held on calculator/dev blocks calculator");
            assert.match(a.err, /another release is running in dev for calculator/);
        } finally {
            held();
        }
        assert.equal((await run(A, ["release", "1.0.0"])).code, 0, "released once the lock is free");
    });

    it("two services release at the same time; records, history, status and daemons are separate", async () => {
        const [a, b] = await Promise.all([run(A, ["release", "1.1.0"]), run(B, ["release", "2.0.0"])]);
        assert.equal(a.code, 0, a.out + a.err);
        assert.equal(b.code, 0, b.out + b.err);
        assert.match(a.out, new RegExp(`^report: ${path.join(dir(A), "reports")}.*-1\\.1\\.0\\.html$`, "m"), a.out);
        assert.match(b.out, new RegExp(`^report: ${path.join(dir(B), "reports")}.*-2\\.0\\.0\\.html$`, "m"), b.out);
        const versions = (s: string) =>
            Object.values(liveOf(s))
                .map((x) => `${x.role}:${x.version ?? ""}`)
                .sort();
        assert.deepEqual(versions(A), ["live:1.1.0", "standby:1.0.0"]);
        assert.deepEqual(versions(B), ["live:2.0.0", "standby:1.0.0"]);
        assert.deepEqual(
            (await history(A)).map((e) => e.version),
            ["1.0.0", "1.1.0"],
        );
        assert.deepEqual(
            (await history(B)).map((e) => e.version),
            ["1.0.0", "2.0.0"],
        );
        const urlOf = (s: string) => (JSON.parse(read(s, "cluster.json")) as { url: string }).url;
        assert.notEqual(urlOf(A), urlOf(B), "each service's router has its own port");
        for (const [s, v] of [
            [A, "1.1.0"],
            [B, "2.0.0"],
        ]) {
            const st = await run(s, ["status"]);
            assert.equal(st.code, 0, st.err);
            assert.match(st.out, new RegExp(`live ${v.replace(/\./g, "\\.")}`), st.out);
            const r = await httpRequest(`${urlOf(s)}/api/calculation`, { method: "POST", body: '{"number":12}', timeoutMs: 5000 });
            assert.equal(r.headers["x-app-version"], v, `${s}'s router serves ${s}'s live version`);
        }
    });

    it("a rollback of one service leaves the other's record and history untouched", async () => {
        const before = { state: read(B, "state.json"), history: read(B, "history.jsonl") };
        const rb = await run(A, ["rollback"]);
        assert.equal(rb.code, 0, rb.out + rb.err);
        assert.equal(Object.values(liveOf(A)).find((x) => x.role === "live")?.version, "1.0.0", "calculator is back on 1.0.0");
        assert.equal(read(B, "state.json"), before.state);
        assert.equal(read(B, "history.jsonl"), before.history);
    });

    it("a faulty release of one service is rejected while the other's release succeeds with 0 failed production requests", async () => {
        const url = (JSON.parse(read(B, "cluster.json")) as { url: string }).url;
        let sent = 0;
        let failed = 0;
        let done = false;
        const traffic = (async () => {
            while (!done) {
                sent++;
                try {
                    const r = await httpRequest(`${url}/api/calculation`, { method: "POST", body: '{"number":7}', timeoutMs: 5000 });
                    if (r.status !== 200) failed++;
                } catch {
                    failed++;
                }
            }
        })();
        const [a, b] = await Promise.all([
            run(A, ["release", "1.2.0"], { FAULT_ERROR_RATE: "1" }),
            run(B, ["release", "2.1.0"], { FAULT_ERROR_RATE: undefined }),
        ]);
        done = true;
        await traffic;
        assert.equal(a.code, 1, a.out + a.err);
        assert.match(a.err, /release 1\.2\.0 rejected by the http gate/);
        assert.equal(b.code, 0, b.out + b.err);
        assert.match(b.out, /production \d+ requests, 0 failed/, b.out);
        assert.ok(sent > 20, `production traffic flowed to ${B} during both releases (${sent})`);
        assert.equal(failed, 0, `${failed} of ${sent} production requests to ${B} failed`);
        assert.equal(Object.values(liveOf(B)).find((x) => x.role === "live")?.version, "2.1.0");
        assert.equal(Object.values(liveOf(A)).find((x) => x.role === "live")?.version, "1.0.0", "calculator stays on its live version");
    });

    it("state at the old .phoenix/<env>/ path is refused (exit 2, nothing started) with both paths and the command that moves it", async () => {
        const old = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-services-old-"));
        const saved = home;
        home = old;
        fs.mkdirSync(path.join(old, "dev"));
        fs.writeFileSync(
            path.join(old, "dev", "state.json"),
            JSON.stringify({ state: { slots: { blue: { role: "live", version: "1.0.0", replicas: 1 }, green: { role: "absent" } } } }),
        );
        try {
            const r = await run(A, ["status"]);
            assert.equal(r.code, 2, r.out + r.err);
            assert.ok(r.err.includes(path.join(old, "dev")) && r.err.includes(path.join(old, A, "dev")), r.err);
            assert.ok(r.err.includes(`mv ${path.join(old, "dev")} ${path.join(old, A, "dev")}`), r.err);
            assert.ok(!fs.existsSync(path.join(old, A)), "nothing was created at the new path");
            fs.mkdirSync(path.join(old, A));
            fs.renameSync(path.join(old, "dev"), path.join(old, A, "dev"));
            const moved = await run(A, ["status"]);
            assert.equal(moved.code, 0, "after the move the service's state is found");
        } finally {
            home = saved;
            fs.rmSync(old, { recursive: true, force: true });
        }
    });
});
