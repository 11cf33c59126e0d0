/**
 * The candidate's restart baseline lives in the record's operation (`candidateRestarts`), so a later
 * or resumed run still knows it: the record validates it, the planner carries it through every step
 * of a resumed release or a promote, and on the local backend a candidate that crashed and was
 * restarted between `deploy` and `promote` (ready again by then) is rejected as crashed by the
 * promote — production never moves to it.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { routerModel, validateEngineRecord, ReleaseStateError, type ReleaseState } from "@phoenix/release-model";
import type { LocalCluster } from "../release-engine/src/backends/local/cluster";
import { LocalBackend } from "../release-engine/src/backends/local/local-backend";
import { startLoad } from "../release-engine/src/demo/load";
import { runIntent, type EngineDeps } from "../release-engine/src/engine/engine";
import { createReporter } from "../release-engine/src/engine/reporter";
import { plan } from "../release-engine/src/planner/plan";
import type { EngineRecord } from "../release-engine/src/planner/types";
import { loadConfig } from "../release-engine/src/settings/config";
import { startCluster, TEST_GATE } from "./support/engine-fixtures";

const blueLive: ReleaseState = { slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } };
const withCandidate: ReleaseState = { slots: { blue: blueLive.slots.blue, green: { role: "candidate", version: "1.1.0", replicas: 2 } } };
const BASELINE = { baseline: 3, at: "2026-12-04T10:00:00.000Z" };
const pending: EngineRecord = {
    state: withCandidate,
    operation: { kind: "release", version: "1.1.0", slot: "green", before: blueLive, candidateRestarts: BASELINE },
};

describe("engine: the candidate's restart baseline in the record", () => {
    it("a record carries it and reads it back; a malformed one is refused naming the field", () => {
        assert.deepEqual(validateEngineRecord(JSON.parse(JSON.stringify(pending))), pending);
        for (const bad of [
            { baseline: -1, at: BASELINE.at },
            { baseline: 1.5, at: BASELINE.at },
            { baseline: 1, at: "yesterday" },
            { baseline: 1 },
            3,
        ]) {
            const rec = { ...pending, operation: { ...pending.operation, candidateRestarts: bad } };
            assert.throws(
                () => validateEngineRecord(rec),
                (e: unknown) => e instanceof ReleaseStateError && /operation\.candidateRestarts must be/.test(e.message),
                JSON.stringify(bad),
            );
        }
    });

    for (const kind of ["gateway-api", "nginx"] as const) {
        it(`${kind}: resuming the release or promoting keeps the baseline in every step's operation; a new version starts without one`, () => {
            const opts = { defaultReplicas: 2, router: routerModel(kind), steps: [25, 100] };
            for (const intent of [{ kind: "release" as const, version: "1.1.0" }, { kind: "promote" as const }]) {
                const p = plan(pending, intent, opts);
                assert.equal(p.outcome, "apply", p.reason);
                for (const s of p.steps)
                    if (s.record.operation?.kind === "release")
                        assert.deepEqual(s.record.operation.candidateRestarts, BASELINE, `${intent.kind}: ${s.name}`);
                const promote = p.steps.find((s) => s.name === "promote" || s.name === "shift");
                assert.ok(
                    promote?.guards?.some((g) => g.slot === "green" && g.candidate),
                    `${intent.kind}: the first weighted step guards the candidate`,
                );
            }
            const other = plan(pending, { kind: "release", version: "1.2.0" }, opts);
            const op = other.steps.find((s) => s.name === "deploy-candidate")?.record.operation;
            assert.ok(
                op?.kind === "release" && op.version === "1.2.0" && op.candidateRestarts === undefined,
                "the replacement records its own baseline when it is deployed",
            );
        });
    }

    describe("local backend: deploy, a crash and a restart, then promote", function () {
        this.timeout(60000);
        let cluster: LocalCluster;
        let root: string;
        let out = "";
        let deps: EngineDeps;
        before(async () => {
            cluster = await startCluster({ restartBackoffMs: 50 });
            root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-baseline-"));
            const backend = new LocalBackend({ env: "dev", root, cluster });
            const config = loadConfig("dev", { overrides: { replicas: 2, gate: TEST_GATE, production: { requests: 5, timeoutMs: 5000 } } });
            deps = { backend, config, reporter: createReporter({ write: (s) => (out += s), tfBuild: false }) };
            assert.equal((await runIntent(deps, { kind: "release", version: "1.0.0" })).exitCode, 0, out);
        });
        after(async () => {
            await cluster?.stop();
            fs.rmSync(root, { recursive: true, force: true });
        });

        it("the promote rejects the restarted candidate as crashed (it is ready again, but restarted since deployed); production stays on live", async () => {
            out = "";
            assert.equal((await runIntent(deps, { kind: "deploy", version: "1.1.0" })).exitCode, 0, out);
            const rec = await deps.backend.read();
            assert.ok(
                rec.operation?.kind === "release" && rec.operation.candidateRestarts !== undefined,
                `the deploy recorded a baseline: ${JSON.stringify(rec.operation)}`,
            );
            const baseline = rec.operation.candidateRestarts.baseline;
            assert.equal(baseline, cluster.status().slots.green.restarts);
            for (const p of cluster.slotProcesses("green")) p.crash();
            const deadline = Date.now() + 15000;
            while (!(cluster.status().slots.green.ready === 2 && cluster.status().slots.green.restarts >= baseline + 2)) {
                if (Date.now() > deadline)
                    assert.fail(`the supervisor did not restart green: ${JSON.stringify(cluster.status().slots.green)}`);
                await new Promise((r) => setTimeout(r, 20));
            }
            const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000 });
            out = "";
            const r = await runIntent(deps, { kind: "promote" });
            const stats = await load.stop();
            assert.equal(r.exitCode, 1, out);
            assert.match(
                r.message ?? "",
                /^the candidate rejected as crashed: candidate 1\.1\.0 in green restarted 2 times since it was deployed at .+Z \(seen .+Z, before it was to get 100 % of production\); rolled back to blue live 1\.0\.0/,
            );
            assert.equal(stats.failed, 0, stats.failures.join("\n"));
            assert.deepEqual(stats.answeredBy, { [`blue 1.0.0`]: stats.total }, "production never moved");
            assert.deepEqual((await deps.backend.read()).state, blueLive);
        });
    });
});
