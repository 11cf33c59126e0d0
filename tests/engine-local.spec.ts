/**
 * The engine end to end on the local backend: real app processes behind the routing-model proxy,
 * under continuous production load. The demo path, candidates that crash, are slow or answer with
 * the wrong version (each rejected with zero failed production requests), the lock, resuming.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { LocalCluster } from "../release-engine/src/backends/local/cluster";
import { LocalBackend } from "../release-engine/src/backends/local/local-backend";
import { acquireLock } from "../release-engine/src/backends/local/lock";
import { runDemo } from "../release-engine/src/demo/demo";
import { startLoad } from "../release-engine/src/demo/load";
import { runIntent, runVerify, type EngineDeps } from "../release-engine/src/engine/engine";
import { createReporter } from "../release-engine/src/engine/reporter";
import { loadConfig } from "../release-engine/src/settings/config";
import type { EngineRecord } from "../release-engine/src/planner/types";
import { SLOW_MS, startCluster, TEST_GATE } from "./support/engine-fixtures";

describe("engine (local backend): the demo path under load", function () {
    this.timeout(40000);

    it("releases 1.0.0, 1.1.0, rejects a 20 %-faulty 1.2.0, rolls back — zero failed production requests; a latent fault is rolled back at its first step", async () => {
        let out = "";
        const r = await runDemo({
            write: (s) => (out += s),
            pauseMs: 0,
            port: 0,
            drainMs: 200,
            loadConcurrency: 3,
            overrides: { gate: TEST_GATE },
        });
        assert.deepEqual(
            r.phases.map((p) => [p.exitCode, p.state]),
            [
                [0, "blue live 1.0.0 ×2; green absent"],
                [0, "blue standby 1.0.0 ×2; green live 1.1.0 ×2"],
                [1, "blue standby 1.0.0 ×2; green live 1.1.0 ×2"],
                [0, "blue live 1.0.0 ×2; green standby 1.1.0 ×2"],
                [1, "blue live 1.0.0 ×2; green standby 1.1.0 ×2"],
            ],
            out,
        );
        assert.equal(r.load.failed, 0, out);
        // The fifth act: the latent fault passed the preview, was judged worse than live at its first step and rolled back.
        assert.match(
            out,
            /✔ deploy-candidate deploy 1\.3\.0[\s\S]*http gate PASS[\s\S]*✘ shift +step 1\/4: 5 % of production[\s\S]*analysis FAIL at 5 %[\s\S]*✔ weight-back/,
            out,
        );
        assert.ok(r.latent?.withinBound, r.latent?.line);
        assert.match(
            out,
            /latent fault: \d+ of \d+ production requests failed while exposed \([\d.]+ %\), weight back to 0 after [\d.]+ s/,
        );
        assert.ok(r.load.total > 100, `only ${r.load.total} production requests`);
        assert.ok(r.load.answeredBy["green 1.1.0"] > 0 && r.load.answeredBy["blue 1.0.0"] > 0);
        assert.equal(r.load.answeredBy["blue 1.2.0"], undefined, "the rejected candidate never served production");
        assert.ok(r.ok);
        assert.match(out, /failed production requests: 0 of \d+\n$/);
        assert.match(out, /http gate FAIL: error rate above 0\.05/);
    });
});

describe("engine (local backend): bad candidates are rejected without a failed production request", function () {
    this.timeout(40000);
    let cluster: LocalCluster;
    let root: string;
    let out: string;
    let deps: EngineDeps;
    const applied: EngineRecord[] = [];

    before(async () => {
        cluster = await startCluster();
        root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-engine-"));
        const versionEnv = {
            "2.0.0": { FAULT_ERROR_RATE: "7" }, // refuses to start: crashes on start
            "2.1.0": { FAULT_LATENCY_MS: String(SLOW_MS) }, // slow
            "2.2.0": { APP_VERSION: "1.0.0" }, // answers as another version
        };
        const backend = new LocalBackend({ env: "dev", root, cluster, versionEnv });
        const apply = backend.apply.bind(backend);
        backend.apply = async (rec, onOutput) => {
            applied.push(rec);
            return apply(rec, onOutput);
        };
        const config = loadConfig("dev", { overrides: { replicas: 1, gate: TEST_GATE, production: { requests: 5, timeoutMs: 5000 } } });
        deps = { backend, config, reporter: createReporter({ write: (s) => (out += s), tfBuild: true, summaryDir: root }) };
        out = "";
        assert.equal((await runIntent(deps, { kind: "release", version: "1.0.0" })).exitCode, 0, out);
    });
    after(async () => {
        await cluster?.stop();
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("crashing, slow and wrong-version candidates: each rejected, environment restored, production unharmed", async () => {
        const load = startLoad(cluster.url, { concurrency: 3, timeoutMs: 5000 });
        const cases: Array<[string, RegExp]> = [
            ["2.0.0", /apply failed: green-2\.0\.0-\d+ did not become ready: process exited/],
            ["2.1.0", new RegExp(`p95 latency above ${TEST_GATE.maxP95Ms} ms`)],
            ["2.2.0", /answered by HTTP 200 from green 1\.0\.0, expected candidate green 2\.2\.0/],
        ];
        const before = await deps.backend.read();
        for (const [version, why] of cases) {
            out = "";
            const r = await runIntent(deps, { kind: "release", version });
            assert.equal(r.exitCode, 1, out);
            assert.equal(r.outcome, "rolled-back");
            assert.match(out, why);
            assert.match(out, /##vso\[task\.logissue type=error\]/);
            const now = await deps.backend.read();
            assert.deepEqual(
                { state: now.state, operation: now.operation },
                { state: before.state, operation: before.operation },
                "the environment is as it was",
            );
            assert.ok(now.rejected?.includes(version), "the rejected version is remembered (rollback never returns to it)");
            if (r.steps.some((s) => s.details.some((d) => d.startsWith("http gate FAIL")))) {
                // Issue 14 item 9: a gate rejection is headlined as such, with its reason, not as a failed deploy.
                assert.match(
                    r.message ?? "",
                    new RegExp(`^release ${version.replace(/\./g, "\\.")} rejected by the http gate: .+; rolled back to`),
                );
            }
        }
        const stats = await load.stop();
        assert.equal(stats.failed, 0, stats.failures.join("\n"));
        assert.ok(stats.total > 50);
        assert.deepEqual(Object.keys(stats.answeredBy), ["blue 1.0.0"]);
        // Green candidates got a per-release secret preview value; it never reached the output.
        const secrets = applied.map((r) => r.state?.previewHeaderValue).filter((v): v is string => v !== undefined);
        assert.ok(secrets.length >= 2);
        for (const s of secrets) assert.ok(!out.includes(s));
    });

    it("deploy, verify, promote map onto the pipeline hooks; a second run is blocked while one holds the lock", async () => {
        out = "";
        assert.equal((await runIntent(deps, { kind: "deploy", version: "1.1.0" })).exitCode, 0, out);
        const release = acquireLock(path.join(root, "dev"), "dev");
        try {
            const blocked = await runIntent(deps, { kind: "promote" });
            assert.equal(blocked.exitCode, 3);
            assert.match(blocked.message ?? "", /another release is running in dev/);
        } finally {
            release();
        }
        assert.equal((await runVerify(deps)).exitCode, 0, out);
        assert.equal((await runIntent(deps, { kind: "promote" })).exitCode, 0, out);
        assert.equal((await runIntent(deps, { kind: "promote" })).exitCode, 3, "nothing to promote");
        const rec = await deps.backend.read();
        assert.equal(rec.state?.slots.green.role, "live");
        assert.equal(rec.operation, undefined);
        // The on: failure hook names the release it undoes: idempotent.
        assert.equal((await runIntent(deps, { kind: "rollback", version: "1.1.0" })).exitCode, 0);
        assert.equal((await runIntent(deps, { kind: "rollback", version: "1.1.0" })).outcome, "noop");
        assert.equal((await deps.backend.read()).state?.slots.blue.role, "live");
    });
});
