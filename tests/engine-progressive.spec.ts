/**
 * Issue 13 end to end on the local backend under production load, for both router models: a healthy
 * candidate walks every step (each judged against live on production traffic) and becomes live; a
 * latently faulty one passes the preview gate and is rolled back at its first step, weight back to 0
 * in one update; a latency-only regression is caught the same way; a crash mid-steps resumes at the
 * step it stopped at, and `abort` there returns production to live at once.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { routerModel, type RouterKind } from "@phoenix/release-model";
import type { LocalCluster } from "../release-engine/src/backends/local/cluster";
import { LocalBackend } from "../release-engine/src/backends/local/local-backend";
import { startLoad } from "../release-engine/src/demo/load";
import { showStatus } from "../release-engine/src/cli/dispatch";
import { runIntent, type EngineDeps } from "../release-engine/src/engine/engine";
import { createReporter } from "../release-engine/src/engine/reporter";
import { DEFAULT_COMPARISON } from "../release-engine/src/gates/compare";
import { plan } from "../release-engine/src/planner/plan";
import { loadConfig } from "../release-engine/src/settings/config";
import { startCluster, TEST_GATE } from "./support/engine-fixtures";

const STEPS = [5, 50, 100];

for (const router of ["gateway-api", "nginx"] as RouterKind[]) {
    describe(`engine (local backend, ${router} router): progressive delivery judged against live`, function () {
        this.timeout(90000);
        let cluster: LocalCluster;
        let root: string;
        let out = "";
        let deps: EngineDeps;

        before(async () => {
            cluster = await startCluster({ router });
            root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-progressive-"));
            const backend = new LocalBackend({
                env: "dev",
                root,
                cluster,
                versionEnv: {
                    // Passes the preview gate (its first 90 API requests per process are fine; the gate sends 112 in
                    // all), then fails 20 %: fewer clean requests are left than a step needs to pass.
                    "1.2.0": { FAULT_ERROR_RATE: "0.2", FAULT_AFTER_REQUESTS: "90" },
                    // Answers correctly but 250 ms slower than live: within the preview gate's p95 bound, not within live's.
                    "1.3.0": { FAULT_LATENCY_MS: "250", FAULT_AFTER_REQUESTS: "90" },
                },
            });
            const config = loadConfig("dev", {
                overrides: {
                    router,
                    replicas: 2,
                    gate: TEST_GATE,
                    production: { requests: 5, timeoutMs: 5000 },
                    progressive: {
                        steps: STEPS,
                        pollMs: 100,
                        analysis: { ...DEFAULT_COMPARISON, minBakeMs: 500, minRequests: 30, maxDurationMs: 30_000, noTrafficMs: 10_000 },
                    },
                },
            });
            deps = { backend, config, reporter: createReporter({ write: (s) => (out += s), tfBuild: false }) };
            assert.equal((await runIntent(deps, { kind: "release", version: "1.0.0" })).exitCode, 0, out);
        });
        after(async () => {
            await cluster?.stop();
            fs.rmSync(root, { recursive: true, force: true });
        });

        it("a healthy candidate walks every step, each analysis passing, and becomes live: 0 failed production requests", async () => {
            const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            out = "";
            const r = await runIntent(deps, { kind: "release", version: "1.1.0" });
            const stats = await load.stop();
            assert.equal(r.exitCode, 0, out);
            assert.deepEqual(
                r.steps.filter((s) => s.name === "shift").map((s) => s.status),
                ["ok", "ok"],
                out,
            );
            assert.equal((out.match(/analysis PASS at (5|50) %/g) ?? []).length, 2, out);
            assert.equal(stats.failed, 0, stats.failures.join("\n"));
            const rec = await deps.backend.read();
            const live = rec.state!.slots.blue.role === "live" ? "blue" : "green";
            assert.equal(rec.state!.slots[live].version, "1.1.0");
            assert.equal(rec.state!.candidateWeight, undefined);
            assert.ok((stats.answeredBy[`${router === "nginx" ? "green" : live} 1.1.0`] ?? 0) > 0);
        });

        it("a latent fault passes the preview and is rolled back at the first step; the weight goes back to 0 in one update", async () => {
            const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            out = "";
            const before = await deps.backend.read();
            const r = await runIntent(deps, { kind: "release", version: "1.2.0" });
            const stats = await load.stop();
            assert.equal(r.exitCode, 1, out);
            assert.match(
                out,
                /http gate PASS[\s\S]*✘ shift +step 1\/3: 5 %[\s\S]*analysis FAIL at 5 %: candidate failure rate[\s\S]*✔ weight-back[\s\S]*✔ restore-slot/,
                out,
            );
            assert.deepEqual((await deps.backend.read()).state, before.state, "the environment is as it was");
            // Exposed at 5 % to a 20 % fault, caught in a few dozen requests: a small share of production failed.
            assert.ok(stats.failed / stats.total <= 0.005, `${stats.failed} of ${stats.total} production requests failed`);
            console.log(`      ${router}: latent fault → ${stats.failed} of ${stats.total} production requests failed during the release`);
        });

        it("a latency-only regression (+250 ms) is rolled back at the first step", async () => {
            out = "";
            const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            const r = await runIntent(deps, { kind: "release", version: "1.3.0" });
            const stats = await load.stop();
            assert.equal(r.exitCode, 1, out);
            assert.match(out, /analysis FAIL at 5 %: .*(slow|latency|p95)/i, out);
            assert.equal(stats.failed, 0, "slow is not failed");
        });

        it("a crash mid-steps resumes at that step; abort there returns production to live at once", async () => {
            // The record a crash at the 50 % step leaves behind (what the engine had applied), taken from the plan itself.
            const start = await deps.backend.read();
            const p = plan(
                start,
                { kind: "release", version: "1.4.0", previewHeaderValue: "pv-crash-test-value-0001" },
                { defaultReplicas: 2, router: routerModel(router), steps: STEPS },
            );
            const at50 = p.steps.find((s) => s.name === "shift" && s.record.state?.candidateWeight === 50)!;
            await deps.backend.apply(at50.record, () => undefined);
            out = "";
            const interrupted = await showStatus(deps);
            assert.match(out, /pending: release 1\.4\.0 in \w+; the candidate serves 50 % of production \(step 2 of 3\)/, out);
            assert.match(
                out,
                /interrupted: no release holds the lock; re-run "release 1\.4\.0" or "promote" to go on, "abort" returns production to live at once/,
                out,
            );
            assert.deepEqual(interrupted.status?.lock, { running: false });
            // While a release holds the lock it is running: who and since when, and no re-run advice.
            const held = await deps.backend.lock();
            out = "";
            const running = await showStatus(deps);
            await held();
            assert.match(out, new RegExp(`running: a release holds the lock \\(pid ${process.pid} since \\S+\\)`), out);
            assert.match(out, /in progress: release 1\.4\.0 in \w+; the candidate serves 50 % of production \(step 2 of 3\)/, out);
            assert.doesNotMatch(out, /re-run|interrupted/, out);
            assert.equal(running.status?.lock?.running, true);
            assert.equal(running.status?.lock?.holder, `pid ${process.pid}`);
            const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            out = "";
            const a = await runIntent(deps, { kind: "abort" });
            const stats = await load.stop();
            assert.equal(a.exitCode, 0, out);
            assert.deepEqual(
                a.steps.map((s) => s.name),
                ["weight-back", "restore-slot"],
            );
            assert.equal(stats.failed, 0, stats.failures.join("\n"));
            assert.deepEqual((await deps.backend.read()).state, start.state);
            // Resuming instead: the same crash, then `release 1.4.0` again starts at the 50 % step, not back at 10 %.
            await deps.backend.apply(at50.record, () => undefined);
            out = "";
            const load2 = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            const resumed = await runIntent(deps, { kind: "release", version: "1.4.0" });
            const stats2 = await load2.stop();
            assert.equal(resumed.exitCode, 0, out);
            assert.equal(stats2.failed, 0, stats2.failures.join("\n"));
            assert.deepEqual(resumed.steps.map((s) => s.name).slice(0, 2), ["shift", "promote"], out);
            assert.match(out, /analysis PASS at 50 %/);
        });

        it("a step no production request reaches says so, returns production to live at once and keeps the candidate pending (exit 1); promote --steps 100 then switches", async () => {
            const quiet: EngineDeps = {
                ...deps,
                config: {
                    ...deps.config,
                    progressive: {
                        ...deps.config.progressive,
                        steps: [20, 100],
                        analysis: { ...deps.config.progressive.analysis, noTrafficMs: 1500 },
                    },
                },
            };
            const lines: string[] = [];
            quiet.progress = {
                update: () => undefined,
                step: (p) => lines.push(`${p.weight} ${p.result.stats.candidate.requests} ${p.result.verdict}`),
                done: () => undefined,
            };
            out = "";
            const before = await deps.backend.read();
            const liveBefore = before.state!.slots.blue.role === "live" ? "blue" : "green";
            const r = await runIntent(quiet, { kind: "release", version: "1.5.0" });
            assert.equal(r.exitCode, 1, out);
            assert.match(
                r.message ?? "",
                /^no production traffic reached candidate (blue|green) 1\.5\.0 in \d+ s at 20 %, so the step could not be judged: production is back on live .*; the candidate stays pending\. Next: send production traffic \(on a local environment: npm run load -- --env dev --rps 50\) and re-run "promote", or "promote --steps 100" to switch at once, or "abort"$/,
            );
            assert.match(out, /✔ weight-back/, out);
            assert.doesNotMatch(out, /restore-slot/, "the candidate is kept");
            assert.ok(
                lines.length > 3 && lines.every((l) => l.startsWith("20 0 ")),
                `the step's progress was shown while it waited: ${lines.join(" | ")}`,
            );
            assert.equal(lines.at(-1), "20 0 no-traffic");
            const rec = await deps.backend.read();
            assert.equal(rec.state?.candidateWeight, undefined, "production is all on live");
            assert.equal(rec.state?.slots[liveBefore].role, "live");
            assert.equal(rec.operation?.kind, "release");
            const promoted = await runIntent(deps, { kind: "promote", steps: [100] });
            assert.equal(promoted.exitCode, 0, out);
            const after = (await deps.backend.read()).state!;
            assert.equal(after.slots[after.slots.blue.role === "live" ? "blue" : "green"].version, "1.5.0", "live now");
        });
    });
}
