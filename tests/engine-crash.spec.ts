/**
 * Issue 10, item 1, end to end on the local backend under continuous production load, for both
 * router models: a candidate that becomes ready and then crashes (in either slot the router puts
 * candidates in), and a standby that crashes at rest, cost zero failed production requests; the
 * local cluster restarts crashed processes as a ReplicaSet would; `status` shows ready endpoints
 * beside the desired state; the engine's production accounting covers the whole run.
 *
 * The last test reproduces the outage the fix removes: the state the original engine produced on
 * ingress-nginx (a candidate in blue, behind the main Ingress, while green is live) crashing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RouterKind, SlotName } from "@phoenix/release-model";
import type { LocalCluster } from "../release-engine/src/backends/local/cluster";
import { LocalBackend } from "../release-engine/src/backends/local/local-backend";
import { startLoad } from "../release-engine/src/demo/load";
import { showStatus } from "../release-engine/src/cli/dispatch";
import { runIntent, type EngineDeps } from "../release-engine/src/engine/engine";
import { createReporter } from "../release-engine/src/engine/reporter";
import { loadConfig } from "../release-engine/src/settings/config";
import { startCluster, TEST_GATE } from "./support/engine-fixtures";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await cond())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await sleep(20);
    }
}

for (const router of ["gateway-api", "nginx"] as RouterKind[]) {
    describe(`engine (local backend, ${router} router): a slot losing every endpoint never fails production`, function () {
        this.timeout(60000);
        let cluster: LocalCluster;
        let root: string;
        let out = "";
        let deps: EngineDeps;

        before(async () => {
            cluster = await startCluster({ router, restartBackoffMs: 100 });
            root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-crash-"));
            // Slow candidates keep the gate running long enough to crash them mid-gate.
            const slow = { FAULT_LATENCY_MS: "150" };
            const backend = new LocalBackend({ env: "dev", root, cluster, versionEnv: { "1.2.0": slow, "1.3.0": slow } });
            const config = loadConfig("dev", {
                overrides: { router, replicas: 2, gate: TEST_GATE, production: { requests: 5, timeoutMs: 5000 } },
            });
            deps = { backend, config, reporter: createReporter({ write: (s) => (out += s), tfBuild: false }) };
            for (const v of ["1.0.0", "1.1.0"]) assert.equal((await runIntent(deps, { kind: "release", version: v })).exitCode, 0, out);
        });
        after(async () => {
            await cluster?.stop();
            fs.rmSync(root, { recursive: true, force: true });
        });

        async function crashCandidateMidGate(
            version: string,
        ): Promise<{ slot: SlotName; exit: number; failed: number; total: number; counted: { requests: number; failed: number } }> {
            const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            out = "";
            const running = runIntent(deps, { kind: "release", version });
            // Wait until the candidate is up in whichever slot the router put it, then kill -9 all of it.
            let slot: SlotName | undefined;
            await until(`${version} to be ready`, () => {
                const st = cluster.status();
                slot = (["blue", "green"] as SlotName[]).find((s) => st.slots[s].versions.includes(version) && st.slots[s].ready >= 2);
                return slot !== undefined;
            });
            await sleep(300);
            for (const p of cluster.slotProcesses(slot!)) if (p.spec.version === version) p.crash();
            const r = await running;
            const stats = await load.stop();
            assert.ok(r.production, "the engine reports production over the run");
            return { slot: slot!, exit: r.exitCode, failed: stats.failed, total: stats.total, counted: r.production! };
        }

        it("a candidate that crashes after becoming ready: 0 failed production requests, in every slot the router uses for candidates", async () => {
            const first = await crashCandidateMidGate("1.2.0");
            assert.equal(first.failed, 0, `${first.failed} of ${first.total} production requests failed\n${out}`);
            assert.equal(first.counted.failed, 0, "the router counted no failed production request either");
            assert.ok(first.counted.requests > 20, JSON.stringify(first.counted));
            // Production moves to the other slot (rollback), so on the Gateway API the next candidate takes the
            // other slot; nginx puts every candidate on the canary side (green) whatever is live.
            assert.equal((await runIntent(deps, { kind: "rollback" })).exitCode, 0, out);
            const second = await crashCandidateMidGate("1.3.0");
            assert.equal(second.failed, 0, `${second.failed} of ${second.total} production requests failed\n${out}`);
            if (router === "nginx") assert.deepEqual([first.slot, second.slot], ["green", "green"]);
            else assert.deepEqual([first.slot, second.slot].sort(), ["blue", "green"], "both slots held a crashing candidate");
            console.log(
                `      ${router}: candidate crash in ${first.slot} → exit ${first.exit}, production ${first.failed}/${first.total} failed (router: ${first.counted.failed}/${first.counted.requests}); in ${second.slot} → exit ${second.exit}, ${second.failed}/${second.total}`,
            );
        });

        it("a standby that crashes at rest: 0 failed production requests; restarted like a ReplicaSet would; status shows it", async () => {
            const rec = await deps.backend.read();
            const standby =
                (["blue", "green"] as SlotName[]).find((s) => rec.state?.slots[s].role === "standby") ??
                assert.fail(`no standby in ${JSON.stringify(rec.state)}`);
            const restartsBefore = cluster.status().slots[standby].restarts;
            const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            for (const p of cluster.slotProcesses(standby)) p.crash();
            await until("the crash to be seen", () => cluster.status().slots[standby].ready < 2, 5000);
            out = "";
            await showStatus(deps);
            assert.match(out, new RegExp(`${standby}: [01]/2 ready.*not all ready`), out);
            await until("the supervisor to restart the standby", () => cluster.status().slots[standby].ready === 2);
            await sleep(500);
            const stats = await load.stop();
            assert.equal(stats.failed, 0, stats.failures.join("\n"));
            assert.ok(stats.total > 20);
            assert.ok(cluster.status().slots[standby].restarts >= restartsBefore + 2, JSON.stringify(cluster.status().slots[standby]));
            out = "";
            await showStatus(deps);
            assert.match(out, new RegExp(`${standby}: 2/2 ready`), out);
        });

        if (router === "nginx") {
            it("before the fix: the original engine's nginx state (a candidate behind the main Ingress, green live) loses production when the candidate crashes", async () => {
                const rec = await deps.backend.read();
                const live = rec.state!.slots.blue.role === "live" ? "blue" : "green";
                const liveVersion = rec.state!.slots[live].version!;
                // What the original planner did: deploy the candidate into blue while green serves production.
                await cluster.apply({
                    slots: {
                        blue: { role: "candidate", version: "1.9.0", replicas: 2 },
                        green: { role: "live", version: liveVersion, replicas: 2 },
                    },
                });
                const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
                await sleep(300);
                for (const p of cluster.slotProcesses("blue")) p.crash();
                await sleep(1500);
                const stats = await load.stop();
                console.log(
                    `      nginx, original design: candidate crash behind the main Ingress → ${stats.failed} of ${stats.total} production requests failed`,
                );
                assert.ok(stats.failed > 0, "the old design's outage reproduces (so the checks above can fail)");
                assert.match(stats.failures.join("\n"), /503/);
            });
        }
    });
}
