/**
 * Issue 20, item 1, end to end on the local backend under production load (6 clients), for both
 * router models: a candidate whose processes are SIGKILLed (an OOM kill; the supervisor restarts them)
 * about 0.4 s after it first answers a preview request — mid-gate — and one killed right after its
 * gate passed, before its promotion, are both rejected as crashed; production never moves to them and
 * no production request fails. Runs the measurement script's scenario (release-engine/src/demo/crash-after-gate.ts).
 *
 * The last test shows the check can fail: with the readiness guard's settle window off, a kill right
 * after the gate lands between the gate and the switch often enough that production is sent to the
 * restarting candidate (only the production check after the switch rolls it back).
 */
import { strict as assert } from "assert";
import type { RouterKind } from "@phoenix/release-model";
import { runCrashAfterGate, type CrashAfterGateOptions } from "../release-engine/src/demo/crash-after-gate";

for (const router of ["gateway-api", "nginx"] as RouterKind[]) {
    describe(`engine (local backend, ${router} router): a candidate that crashes during or right after its gate`, function () {
        this.timeout(120_000);
        let log = "";
        const scenario = (o: Partial<CrashAfterGateOptions>) =>
            runCrashAfterGate({ router, runs: 1, killAfterMs: 400, killFrom: "first-preview", clients: 6, write: (s) => (log += s), ...o });

        // Both candidate processes die at once, but the supervisor counts each exit as it sees it: a read may fall between the two.
        it("killed 0.4 s after its first preview answer: rejected as crashed (how often, when), 0 failed production requests", async () => {
            log = "";
            const r = await scenario({});
            const run = r.runs[0];
            assert.ok(run.killed, log);
            assert.equal(run.exitCode, 1, log);
            assert.ok(run.rejectedAsCrashed, log);
            assert.match(
                run.message,
                /^release 1\.2\.8 rejected as crashed: candidate 1\.2\.8 in (blue|green) restarted (1 time|2 times) since it was deployed \(first seen .+Z, \d+\.\d s into the gate\); rolled back to/,
            );
            assert.equal(run.failed, 0, `${run.failed} of ${run.total} production requests failed:\n${run.failures.join("\n")}\n${log}`);
            assert.equal(run.routerFailed, 0, "the router counted no failed production request either");
            assert.ok(run.total > 100, `production load ran (${run.total} requests)`);
        });

        it("killed right after its gate passed: the guard before the switch rejects it as crashed; production never moves; 0 failed", async () => {
            log = "";
            const r = await scenario({ killFrom: "gate-pass", killAfterMs: 200 });
            for (const run of r.runs) {
                assert.ok(run.killed, log);
                assert.ok(run.rejectedAsCrashed, log);
                assert.match(
                    run.message,
                    /rejected as crashed: candidate 1\.2\.8 in (blue|green) restarted (1 time|2 times) since it was deployed at .+Z \(seen .+Z, before it was to get 100 % of production\)/,
                );
                assert.equal(
                    run.failed,
                    0,
                    `${run.failed} of ${run.total} production requests failed:\n${run.failures.join("\n")}\n${log}`,
                );
            }
        });

        if (router === "gateway-api") {
            it("without the settle window the same kill reaches production (the guard is what holds it back)", async () => {
                log = "";
                const r = await scenario({ killFrom: "gate-pass", killAfterMs: 30, overrides: { readiness: { settleMs: 0 } } });
                assert.ok(
                    r.failed > 0,
                    `with settleMs 0 a kill just after the gate fails production requests (the check can fail):\n${log}`,
                );
                assert.match(r.runs[0].message, /^promote failed; rolled back to/, "only the production check after the switch caught it");
            });
        }
    });
}
