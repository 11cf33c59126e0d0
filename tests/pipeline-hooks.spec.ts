/**
 * The Azure DevOps release deployment job as the pipeline runs it (.azuredevops/templates/stages/
 * environment.yaml, a `runOnce` strategy: `deploy` → `routeTraffic` → `on: success` or `on: failure`;
 * docs/azure-devops.md): every hook is its own job, possibly on another agent, on a fresh copy of the
 * `phoenix` artifact, so here every hook is a separate OS process in its own fresh copy of the project
 * (tests/support/pipeline-world.ts: one Pulumi backend, one release record store in Azurite over HTTPS
 * reached with the agent's managed identity, one cluster endpoint).
 *
 * The outcome asserted is the pipeline's: what the backend's last update deployed, what the shared
 * history records, and what `status` reports in yet another fresh copy.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "./support/project-copy";
import {
    candidatesOf,
    COMMITTED_LIVE as LIVE,
    describeSlots as describe_,
    liveOf,
    report,
    startPipelineWorld,
    transcript,
    type HookRun,
    type PipelineWorld,
    type SlotState,
} from "./support/pipeline-world";

const RELEASE = "1.1.0";

describe("pipeline hooks: each Azure DevOps release hook a separate process in its own fresh copy of the project, one Pulumi backend, one shared record", function () {
    this.timeout(300000);
    let world: PipelineWorld;

    /**
     * The deployment job's lifecycle (runOnce): `deploy`; `routeTraffic` only after it succeeded; then
     * `on: success` (promote) when both succeeded, else `on: failure` (rollback of this run's version).
     */
    async function deploymentJob(between: { afterDeploy?: () => void } = {}): Promise<HookRun[]> {
        const runs = [await world.hook("deploy", "deploy", [RELEASE])];
        between.afterDeploy?.();
        if (runs[0].exitCode === 0) runs.push(await world.hook("routeTraffic", "verify"));
        const ok = runs.every((r) => r.exitCode === 0);
        runs.push(ok ? await world.hook("on: success", "promote") : await world.hook("on: failure", "rollback", [RELEASE]));
        return runs;
    }

    before(async () => {
        world = await startPipelineWorld();
    });
    after(async () => {
        await world?.close();
        const times = world?.copyTimes ?? [];
        if (times.length) {
            const sorted = [...times].sort((a, b) => a - b);
            console.log(
                `      project copies: ${times.length}; ms each: min ${sorted[0].toFixed(0)}, median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)}`,
            );
        }
    });
    beforeEach(async () => {
        await world.newEnvironment();
    });
    const checkoutSettings = path.join(REPO_ROOT, "stacks", "release", "Pulumi.dev.yaml");
    const committedSettings = fs.readFileSync(checkoutSettings, "utf8");
    afterEach(() => {
        world.dropEnvironment();
        assert.equal(
            fs.readFileSync(checkoutSettings, "utf8"),
            committedSettings,
            "a hook wrote into the checkout's stacks/release/Pulumi.dev.yaml instead of its copy's",
        );
    });

    it(`deploy ${RELEASE} → verify → promote: ${RELEASE} is live in the backend's last update, and status in another fresh copy says so`, async () => {
        const runs = await deploymentJob();
        assert.deepEqual(
            runs.map((r) => `${r.hook}: ${r.command} → exit ${r.exitCode}`),
            [`deploy: deploy ${RELEASE} → exit 0`, "routeTraffic: verify → exit 0", "on: success: promote → exit 0"],
            `${report(runs)}\n${transcript(runs)}`,
        );
        const last = world.lastUpdate();
        assert.equal(liveOf(last.slots), RELEASE, `the backend's last update deployed ${describe_(last.slots)} (${last.message})`);
        assert.deepEqual(candidatesOf(last.slots), [], `no candidate after promote: ${describe_(last.slots)}`);
        const status = await world.hook("status", "status", ["--json"]);
        assert.equal(status.exitCode, 0, transcript([status]));
        const shown = JSON.parse(status.stdout) as {
            record?: { state?: { slots: Record<string, SlotState> } | null; operation?: unknown };
        };
        const slots = shown.record?.state?.slots ?? {};
        assert.equal(liveOf(slots), RELEASE, `status in a fresh copy reports ${describe_(slots)}`);
        assert.equal(shown.record?.operation, undefined, "status: nothing pending");
        const by = "by Azure DevOps calculator_build_deploy run 20261204.1";
        assert.deepEqual(
            await world.storeHistory(),
            ["import done", `deploy ${RELEASE} done`, `verify ${RELEASE} done`, `promote ${RELEASE} done`].map((h) => `${h} ${by}`),
            "every hook's run in the shared history",
        );
        assert.ok(
            world.identity.issued() >= runs.length + 2,
            `each hook's process signed in with the agent's identity (${world.identity.issued()} tokens for ${runs.length + 2} processes)`,
        );
    });

    it(`deploy ${RELEASE} → a failing verify → rollback ${RELEASE}: ${LIVE} is live again and no candidate remains`, async () => {
        // The candidate is up after deploy and then fails every request of verify's gate.
        const runs = await deploymentJob({ afterDeploy: () => world.endpoint.broken.add(RELEASE) });
        assert.deepEqual(
            runs.map((r) => `${r.hook}: ${r.command} → exit ${r.exitCode}`),
            [`deploy: deploy ${RELEASE} → exit 0`, "routeTraffic: verify → exit 1", `on: failure: rollback ${RELEASE} → exit 0`],
            `${report(runs)}\n${transcript(runs)}`,
        );
        assert.match(
            runs[1].stdout + runs[1].stderr,
            new RegExp(`candidate ${RELEASE.replace(/\./g, "\\.")} rejected by the http gate`),
            "verify failed on the gate, not on a missing record",
        );
        const last = world.lastUpdate();
        assert.equal(liveOf(last.slots), LIVE, `the backend's last update deployed ${describe_(last.slots)} (${last.message})`);
        assert.deepEqual(candidatesOf(last.slots), [], `no candidate remains: ${describe_(last.slots)}`);
        const status = await world.hook("status", "status", ["--json"]);
        assert.equal(status.exitCode, 0, transcript([status]));
        const shown = JSON.parse(status.stdout) as {
            record?: { state?: { slots: Record<string, SlotState> } | null; operation?: unknown };
        };
        const slots = shown.record?.state?.slots ?? {};
        assert.equal(liveOf(slots), LIVE, `status in a fresh copy reports ${describe_(slots)}`);
        assert.deepEqual(candidatesOf(slots), [], `status: no candidate (${describe_(slots)})`);
    });
});
