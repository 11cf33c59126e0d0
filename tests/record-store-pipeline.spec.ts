/**
 * The shared release record under what pipelines do to it (issue 19): two pipelines racing, a holder
 * killed with `kill -9`, the store restarting mid-run, a corrupt record. Every run is the CLI in its own
 * process and fresh copy of the project, reaching Azurite over HTTPS with the agent's managed identity
 * (tests/support/pipeline-world.ts), so the lease, the If-Match writes and the token path are the
 * engine's real ones against Microsoft's emulator.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    candidatesOf,
    COMMITTED_LIVE as LIVE,
    describeSlots,
    liveOf,
    startPipelineWorld,
    transcript,
    type HookRun,
    type PipelineWorld,
    type RunningHook,
    type SlotState,
} from "./support/pipeline-world";

const RELEASE = "1.1.0";
/** The holder the first pipeline's runs are named by (release-engine/src/cli/main.ts). */
const FIRST = "Azure DevOps build 4711 (Azure DevOps calculator_build_deploy run 20261204.1)";
const SECOND_PIPELINE = { BUILD_BUILDID: "4712", BUILD_BUILDNUMBER: "20261204.2" };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    while (!(await test())) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
        await sleep(50);
    }
    return Date.now() - t0;
}

describe("the shared release record under racing, killed and interrupted pipeline runs (Azurite over HTTPS, the agent's identity)", function () {
    this.timeout(180000);
    let world: PipelineWorld;
    const measured: string[] = [];

    const leaseState = async () =>
        (
            await world
                .admin()
                .getBlobClient(await world.blobName("lock"))
                .getProperties()
        ).leaseState;
    const statusSlots = async (): Promise<{ slots: Record<string, SlotState>; operation: unknown; run: HookRun }> => {
        const run = await world.hook("status", "status", ["--json"]);
        assert.equal(run.exitCode, 0, transcript([run]));
        const shown = JSON.parse(run.stdout) as { record?: { state?: { slots: Record<string, SlotState> } | null; operation?: unknown } };
        return { slots: shown.record?.state?.slots ?? {}, operation: shown.record?.operation, run };
    };
    /** Waits until a running hook's `pulumi up` has started (the stand-in prints "Updating (dev)"): it holds the lease by then. */
    const upStarted = (h: RunningHook) => until("the first run's pulumi up started", () => h.output().includes("Updating (dev)"), 60000);

    before(async () => {
        world = await startPipelineWorld();
    });
    after(async () => {
        await world?.close();
        if (measured.length) console.log(measured.map((m) => `      ${m}`).join("\n"));
    });
    beforeEach(async () => {
        await world.newEnvironment();
    });
    afterEach(() => world.dropEnvironment());

    it("two pipelines racing deploy: exactly one proceeds; the other exits 3 naming the holder and when its lease expires, and changes nothing", async () => {
        // The first run's `up` holds on while the hold file exists, so the second run meets its lease however slow the machine is.
        const holdFile = path.join(os.tmpdir(), `phoenix-hold-up-${process.pid}-${Date.now()}`);
        fs.writeFileSync(holdFile, "");
        const first = world.startHook("deploy (pipeline 1)", "deploy", [RELEASE], { env: { FAKE_PULUMI_UP_HOLD_FILE: holdFile } });
        const second = await upStarted(first)
            .then(() => world.hook("deploy (pipeline 2)", "deploy", ["1.2.0"], { env: SECOND_PIPELINE }))
            .finally(() => fs.rmSync(holdFile, { force: true }));
        const won = await first.done;
        assert.equal(won.exitCode, 0, transcript([won]));
        assert.equal(second.exitCode, 3, transcript([second]));
        const said = second.stdout + second.stderr;
        assert.ok(said.includes(`held by ${FIRST}`), `names the holder: ${said}`);
        const expiry = /it expires at (\d{4}-\d\d-\d\dT[\d:.]+Z)/.exec(said);
        assert.ok(expiry, `names the lease's expiry: ${said}`);
        const expiresIn = Date.parse(expiry[1]) - Date.now();
        assert.ok(expiresIn > 0 && expiresIn <= 60000, `the expiry is within the lease's 60 s (${expiresIn} ms from now)`);
        const { slots } = await statusSlots();
        assert.deepEqual(candidatesOf(slots), [RELEASE], `only the first pipeline's candidate: ${describeSlots(slots)}`);
        assert.deepEqual(
            await world.storeHistory(),
            ["import done", `deploy ${RELEASE} done`].map((h) => `${h} by Azure DevOps calculator_build_deploy run 20261204.1`),
        );
        assert.equal(await leaseState(), "available", "the winner released its lease");
    });

    it("the holder killed with kill -9 mid-release: the next run is refused while its lease lasts, then resumes as the record says once the lease has expired", async () => {
        const lease = { PHOENIX_RECORD_LEASE_SECONDS: "15" };
        // The candidate answers slowly, so the release is in its gate for a few seconds: killed there.
        world.endpoint.slow.set(RELEASE, 250);
        const holder = world.startHook("release (killed)", "release", [RELEASE], { env: lease });
        await until("the gate asks the candidate", () => (world.endpoint.answered.get(`green ${RELEASE}`) ?? 0) >= 4, 60000);
        holder.kill9();
        const killedAt = Date.now();
        const killed = await holder.done;
        assert.equal(killed.signal, "SIGKILL", transcript([killed]));
        world.endpoint.slow.clear();

        const running = await statusSlots();
        assert.match(running.run.stdout + running.run.stderr, /"lock"/, "status --json shows the lease");
        const retry = await world.hook("release (retry while leased)", "release", [RELEASE], { env: SECOND_PIPELINE });
        assert.equal(retry.exitCode, 3, transcript([retry]));
        assert.ok((retry.stdout + retry.stderr).includes(`held by ${FIRST}`), transcript([retry]));
        assert.deepEqual(
            candidatesOf(running.slots),
            [RELEASE],
            `the record still says candidate ${RELEASE} pending: ${describeSlots(running.slots)}`,
        );
        assert.ok(running.operation, "with its operation");

        const expiredAfter = await until("the dead holder's lease expires", async () => (await leaseState()) !== "leased", 30000).then(
            () => Date.now() - killedAt,
        );
        assert.ok(expiredAfter <= 15000 + 2000, `the lease expired by itself within its 15 s (${expiredAfter} ms after the kill)`);
        measured.push(`kill -9 → lease expired: ${expiredAfter} ms (lease 15 s, renewed every 3.75 s)`);

        const resumed = await world.hook("release (resumed)", "release", [RELEASE], { env: SECOND_PIPELINE });
        assert.equal(resumed.exitCode, 0, transcript([resumed]));
        const last = world.lastUpdate();
        assert.equal(liveOf(last.slots), RELEASE, `the resumed run promoted it: ${describeSlots(last.slots)}`);
        const history = await world.storeHistory();
        assert.deepEqual(
            history.slice(-1),
            [`release ${RELEASE} done by Azure DevOps calculator_build_deploy run 20261204.2`],
            history.join("\n"),
        );
    });

    it("Azurite restarted while a deploy runs: the run waits for the store, finishes, and the record and history lose nothing", async () => {
        const run = world.startHook("deploy", "deploy", [RELEASE], { env: { FAKE_PULUMI_UP_DELAY_MS: "2500" } });
        await upStarted(run);
        await world.azurite.stop();
        const down = Date.now();
        // Down until the stand-in's up has finished, so the run's next writes meet a store that is not there.
        await sleep(3500);
        await world.azurite.start();
        measured.push(`Azurite down for ${Date.now() - down} ms during a deploy`);
        const done = await run.done;
        assert.equal(done.exitCode, 0, transcript([done]));
        const { slots, operation } = await statusSlots();
        assert.deepEqual(candidatesOf(slots), [RELEASE], describeSlots(slots));
        assert.ok(operation, "the pending deploy is recorded");
        assert.deepEqual(
            await world.storeHistory(),
            ["import done", `deploy ${RELEASE} done`].map((h) => `${h} by Azure DevOps calculator_build_deploy run 20261204.1`),
        );
        const promoted = await world.hook("promote", "promote");
        assert.equal(promoted.exitCode, 0, transcript([promoted]));
        assert.equal(liveOf(world.lastUpdate().slots), RELEASE);
    });

    it("a corrupt record blob: every command exits 2 naming it and changes nothing; restore-record puts the last good version back", async () => {
        const blob = world.admin().getBlockBlobClient(await world.blobName("record.json"));
        const garbage = '{"schema":"phoenix.release-record/v1","record":';
        await blob.upload(garbage, garbage.length);
        const before = world.lastUpdate().message;
        for (const [command, args] of [
            ["status", []],
            ["deploy", [RELEASE]],
        ] as const) {
            const r = await world.hook(command, command, [...args]);
            assert.equal(r.exitCode, 2, transcript([r]));
            assert.match(
                r.stdout + r.stderr,
                /the release record https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/records-\d+\/[^ ]+\/record\.json is not valid/,
                transcript([r]),
            );
            assert.match(r.stdout + r.stderr, /restore-record --env dev --backend pulumi/, "says how to put it back");
        }
        assert.equal((await blob.downloadToBuffer()).toString("utf8"), garbage, "the corrupt blob is left as it was for inspection");
        assert.equal(world.lastUpdate().message, before, "nothing was applied");
        const restored = await world.hook("restore-record", "restore-record");
        assert.equal(restored.exitCode, 0, transcript([restored]));
        const { slots } = await statusSlots();
        assert.equal(liveOf(slots), LIVE, describeSlots(slots));
        const history = await world.storeHistory();
        assert.match(history[history.length - 1], /^restore done by /, history.join("\n"));
    });
});
