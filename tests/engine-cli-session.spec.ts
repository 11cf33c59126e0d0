/**
 * The CLI as an operator uses it on the local backend, one spec per defect of issue 14: status after
 * local-down (1), previews by hand (2), rollback twice (3), Ctrl-C during a release (5), progress (6),
 * --json (8), a gate rejection headlined (9), one router port across restarts (10), and history.
 */
import { strict as assert } from "assert";
import { acquireLock } from "../release-engine/src/backends/local/lock";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../release-engine/src/cli/main";
import { ensureAppBuilt } from "../release-engine/src/demo/app-build";
import type { HistoryEntry } from "../release-engine/src/engine/history";
import { httpRequest } from "../release-engine/src/util/http";
import { TEST_GATE } from "./support/engine-fixtures";

const ROOT = path.join(__dirname, "..");

describe("engine CLI session (local backend): what an operator sees", function () {
    this.timeout(60000);
    let home: string;
    let configDir: string;
    let env: NodeJS.ProcessEnv;
    const run = async (argv: string[], extra: NodeJS.ProcessEnv = {}) => {
        let out = "";
        let err = "";
        const code = await main(
            argv,
            { ...env, ...extra },
            (s) => (out += s),
            (s) => (err += s),
            { tty: false },
        );
        return { code, out, err };
    };
    const clusterFile = () => path.join(home, "calculator", "dev", "cluster.json");
    const routerUrl = () => (JSON.parse(fs.readFileSync(clusterFile(), "utf8")) as { url: string }).url;

    before(() => {
        ensureAppBuilt(() => undefined);
        home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-session-"));
        configDir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-session-config-"));
        const dev = JSON.parse(fs.readFileSync(path.join(ROOT, "release-engine", "config", "dev.json"), "utf8")) as Record<string, unknown>;
        fs.writeFileSync(
            path.join(configDir, "dev.json"),
            JSON.stringify({ ...dev, replicas: 1, gate: TEST_GATE, production: { requests: 5, timeoutMs: 10000 } }),
        );
        env = { PATH: process.env.PATH, PHOENIX_HOME: home, PHOENIX_CONFIG_DIR: configDir, USER: "alice" };
    });
    after(async () => {
        await run(["local-down"]);
        for (const d of [home, configDir]) fs.rmSync(d, { recursive: true, force: true });
    });

    let firstUrl = "";
    it("1. status after local-down says stopped (with the desired state) and starts nothing", async () => {
        assert.equal((await run(["release", "1.0.0"])).code, 0);
        firstUrl = routerUrl();
        assert.equal((await run(["local-down"])).code, 0);
        assert.ok(!fs.existsSync(clusterFile()));
        const s = await run(["status"]);
        assert.equal(s.code, 0, s.err);
        assert.match(s.out, /environment dev \(local, router gateway-api\): blue live 1\.0\.0 ×1/);
        assert.match(s.out, /^stopped: nothing is serving dev; the state above is the desired state, restored by the next release/m);
        assert.doesNotMatch(s.out, /^url:/m, "no URL that would answer 404");
        assert.ok(!fs.existsSync(clusterFile()), "status started no daemon");
        const j = await run(["status", "--json"]);
        const o = JSON.parse(j.out) as { status: { running: boolean }; url?: string };
        assert.equal(o.status.running, false);
        assert.equal(o.url, undefined);
        assert.ok(!fs.existsSync(clusterFile()), "status --json started no daemon either");
    });

    it("10. the router keeps its port across a daemon restart", async () => {
        const d = await run(["deploy", "1.2.0"]);
        assert.equal(d.code, 0, d.out + d.err);
        assert.equal(routerUrl(), firstUrl, "the restarted router listens where it did before");
        const r = await httpRequest(`${firstUrl}/api/calculation`, { method: "POST", body: '{"number":12}', timeoutMs: 5000 });
        assert.equal(r.headers["x-app-version"], "1.0.0", "the saved URL serves production again");
    });

    it("2 + 8. status shows the URL; --show-secrets gives a curl line that reaches the candidate", async () => {
        const plain = await run(["status"]);
        assert.match(plain.out, new RegExp(`^url: ${firstUrl}`, "m"));
        assert.match(
            plain.out,
            /preview: header "canary" with this release's secret value reaches green candidate 1\.2\.0; "status --show-secrets" prints it/,
        );
        const j = JSON.parse((await run(["status", "--json"])).out) as {
            url: string;
            status: { preview: { value: string; curl?: string } };
        };
        assert.equal(j.url, firstUrl, "status --json has the URL");
        assert.equal(j.status.preview.value, "(secret)");
        assert.equal(j.status.preview.curl, undefined);
        const shown = await run(["status", "--show-secrets"]);
        const curl = /^preview \(reaches green candidate 1\.2\.0\): (curl .*)$/m.exec(shown.out)?.[1];
        assert.ok(curl, shown.out);
        const header = /-H '([^:']+): ([^']+)'/.exec(curl);
        assert.ok(header && header[1] === "canary" && header[2].length >= 16, curl);
        const viaCurl = await httpRequest(`${firstUrl}/api/calculation`, {
            method: "POST",
            headers: { [header[1]]: header[2] },
            body: '{"number":12}',
            timeoutMs: 5000,
        });
        assert.deepEqual(
            [viaCurl.headers["x-app-slot"], viaCurl.headers["x-app-version"]],
            ["green", "1.2.0"],
            "the printed value reaches the candidate",
        );
        const always = await httpRequest(`${firstUrl}/api/calculation`, {
            method: "POST",
            headers: { canary: "always" },
            body: '{"number":12}',
            timeoutMs: 5000,
        });
        assert.equal(
            always.headers["x-app-version"],
            "1.0.0",
            "'always' reaches production while a secret value is set, as the docs now say",
        );
    });

    it("3. rollback after rolling back refuses to roll forward (exit 3, points to release)", async () => {
        assert.equal((await run(["promote"])).code, 0);
        const once = await run(["rollback"]);
        assert.equal(once.code, 0, once.err);
        assert.match(once.out, /dev: blue live 1\.0\.0/);
        const twice = await run(["rollback"]);
        assert.equal(twice.code, 3, twice.out);
        assert.match(
            twice.err,
            /1\.2\.0, which was itself rolled back or rejected; to make it live again, release it through the gate: release 1\.2\.0/,
        );
        assert.match((await run(["status"])).out, /blue live 1\.0\.0/, "production did not move");
    });

    it("6 + 9. a rejected release shows gate progress and headlines the verdict and its reason", async () => {
        const r = await run(["release", "1.3.0"], { FAULT_ERROR_RATE: "0.5" });
        assert.equal(r.code, 1, r.out);
        assert.match(
            r.out,
            /^ {4}http gate: \d+\/200 preview requests, \d+ errors, \d+ slow; production \d+ requests, 0 failed — \w+/m,
            "progress while the gate runs",
        );
        assert.match(
            r.err,
            /^error: release 1\.3\.0 rejected by the http gate: error rate above 0\.05 \(SPRT, \d+\/\d+ failed\); rolled back to blue live 1\.0\.0/m,
        );
        assert.doesNotMatch(r.err + r.out, /deploy-candidate failed/);
        assert.match(r.out, /^rolling back: the http gate rejected the candidate \(error rate above/m);
    });

    it("history: every run with time, versions, gate verdict and statistics, and who ran it", async () => {
        const h = await run(["history", "--json"]);
        assert.equal(h.code, 0, h.err);
        const entries = (JSON.parse(h.out) as { history: HistoryEntry[] }).history;
        assert.deepEqual(
            entries.map((e) => `${e.action} ${e.version ?? ""} ${e.outcome}`),
            ["release 1.0.0 done", "deploy 1.2.0 done", "promote 1.2.0 done", "rollback 1.2.0 done", "rejection 1.3.0 rolled-back"],
        );
        const rejection = entries[4];
        assert.equal(rejection.gates[0].verdict, "fail");
        assert.ok((rejection.gates[0].requests ?? 0) > 0 && (rejection.gates[0].errors ?? 0) > 0);
        assert.ok(entries.every((e) => e.by?.startsWith("alice@") && !Number.isNaN(Date.parse(e.at))));
        assert.equal(entries[3].liveBefore, "green 1.2.0");
        assert.equal(entries[3].liveAfter, "blue 1.0.0");
        const text = await run(["history"]);
        assert.match(text.out, /rejection 1\.3\.0 +rolled-back; production blue 1\.0\.0 +by alice@/);
        assert.match(text.out, /http gate fail \(\d+ requests, \d+ errors, p95 [\d.]+ ms\): error rate above/);
    });

    it("5. Ctrl-C during a release says what was left and what to run next, releases the lock, exits 130", async () => {
        const child = spawn(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(ROOT, "release-engine", "src", "cli", "main.ts"), "release", "1.4.0"],
            {
                cwd: ROOT,
                env: { ...env, TS_NODE_TRANSPILE_ONLY: "true", FAULT_LATENCY_MS: "300" },
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let out = "";
        let err = "";
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
        await new Promise<void>((resolve, reject) => {
            child.stdout.on("data", (d: Buffer) => {
                out += d.toString();
                if (/http gate: \d+/.test(out)) resolve();
            });
            void exited.then(() => reject(new Error(`exited before the gate ran:\n${out}\n${err}`)));
        });
        child.kill("SIGINT");
        assert.equal(await exited, 130, out + err);
        assert.match(
            err,
            /interrupted by SIGINT during release: the environment is blue live 1\.0\.0 ×1; green candidate 1\.4\.0 ×1; release 1\.4\.0 is pending in green \(not live\)\. Next: re-run "release 1\.4\.0" to resume, or "abort" to remove the candidate; the lock was released/,
        );
        // The lock is free: another process takes it at once (the lock directory stays, its holder is "released").
        const release = acquireLock(path.join(home, "calculator", "dev"), "dev");
        release();
        const abort = await run(["abort"]);
        assert.equal(abort.code, 0, abort.err);
        assert.match((await run(["status"])).out, /blue live 1\.0\.0 ×1; green standby 1\.2\.0/);
    });
});
