/**
 * The Pulumi backend's mapping around the Automation API, against a fake stack object (the real
 * `LocalWorkspace` needs the pulumi CLI, absent here) and the real shared record store over Azurite.
 * The lock error is the SDK's own ConcurrentUpdateError, built by the SDK from the CLI's real "locked"
 * message. The record lives in the store; the stack's config is the cache written before each `up`; a
 * stack applied by hand is drift; a record still in a stack's config is imported once, explicitly.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { PulumiBackend, configToRecord, isConcurrentUpdate } from "../release-engine/src/backends/pulumi/pulumi-backend";
import type { AutomationStack, ConfigValueLike, OutputValueLike } from "../release-engine/src/backends/pulumi/automation-port";
import type { ListerFactory, PodLike } from "../release-engine/src/backends/pulumi/cluster-health";
import { runIntent, runVerify, type EngineDeps } from "../release-engine/src/engine/engine";
import { createReporter } from "../release-engine/src/engine/reporter";
import {
    KEY_LOCK,
    KEY_OPERATION,
    KEY_PREVIEW,
    KEY_REJECTED,
    KEY_STATE,
    recordToConfig,
    validateReleaseState,
} from "@phoenix/release-model";
import { BlockedError } from "../release-engine/src/errors";
import { loadConfig } from "../release-engine/src/settings/config";
import type { EngineRecord } from "../release-engine/src/planner/types";
import { nextRecordDocument } from "../release-engine/src/record-store/record-document";
import { startAzurite, type Azurite } from "./support/azurite";
import { newTestStore, type TestStore } from "./support/blob-record-store";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- createCommandError is @internal (absent from the .d.ts) but is how the SDK maps CLI failures.
const sdkErrors = require("@pulumi/pulumi/automation/errors") as { createCommandError(result: unknown): Error };
// eslint-disable-next-line @typescript-eslint/no-require-imports -- same module family; CommandResult's constructor is @internal.
const sdkCmd = require("@pulumi/pulumi/automation/cmd") as {
    CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
};

const SECRET = "s3cr3t-preview-value-0123456789";
/** The public URL the fake stack reports: a loopback server answering as production (blue 1.0.0). */
let publicUrl = "http://127.0.0.1:9";

/** A stand-in for automation.Stack: config in memory; `up` derives outputs from the state, as the release stack does, and is an update in the history with the config it used. */
class FakeStack implements AutomationStack {
    config: Record<string, ConfigValueLike> = {};
    /** Newest last. */
    updates: Array<{ kind: string; startTime: string; message?: string; result: string; config: Record<string, ConfigValueLike> }> = [];
    calls: string[] = [];
    upError?: Error;
    lastUpOpts?: { policyPacks?: string[]; policyPackConfigs?: string[] };
    out: Record<string, OutputValueLike> = {};

    async getAllConfig() {
        return { ...this.config };
    }
    async setAllConfig(c: Record<string, ConfigValueLike>) {
        this.calls.push(`set ${Object.keys(c).sort().join(",")}`);
        Object.assign(this.config, c);
    }
    async setSecretConfig(key: string, value: string) {
        this.calls.push(`set-secret ${key}`);
        this.config[key] = { value, secret: true };
    }
    async history(pageSize?: number) {
        const newestFirst = [...this.updates].reverse();
        return pageSize ? newestFirst.slice(0, pageSize) : newestFirst;
    }
    /** As if the stack had been updated with this state (a real update, or one by hand). */
    applied(state: unknown, message = "") {
        this.updates.push({
            kind: "update",
            startTime: new Date().toISOString(),
            message,
            result: "succeeded",
            config: { [KEY_STATE]: { value: JSON.stringify(state), secret: false } },
        });
    }
    async removeConfig(key: string) {
        this.calls.push(`remove ${key}`);
        delete this.config[key];
    }
    async up(opts: { onOutput: (s: string) => void; policyPacks?: string[]; policyPackConfigs?: string[] }) {
        this.calls.push("up");
        this.lastUpOpts = opts;
        if (this.upError) throw this.upError;
        this.updates.push({ kind: "update", startTime: new Date().toISOString(), result: "succeeded", config: { ...this.config } });
        opts.onOutput("Updating (dev)\n\n     Type   Name\n +   helm   green-calculator\n");
        const state = JSON.parse(this.config[KEY_STATE].value) as {
            slots: Record<string, { role: string; version?: string; replicas?: number }>;
        };
        this.out = {
            publicUrl: { value: publicUrl, secret: false },
            previewHeader: { value: "x-preview", secret: false },
            appName: { value: "calculator", secret: false },
            // The release stack re-exports the platform's kubeconfig (secret) for the engine's slot health.
            kubeconfig: { value: FAKE_KUBECONFIG, secret: true },
            slots: {
                value: Object.fromEntries(
                    Object.entries(state.slots).map(([k, s]) => [
                        k,
                        { role: s.role, version: s.version ?? null, replicas: s.role === "absent" ? 0 : (s.replicas ?? 2) },
                    ]),
                ),
                secret: false,
            },
        };
        return {};
    }
    async destroy(opts: { onOutput: (s: string) => void }) {
        this.calls.push("destroy");
        this.updates.push({ kind: "destroy", startTime: new Date().toISOString(), result: "succeeded", config: { ...this.config } });
        opts.onOutput("Destroying (dev)\n");
        this.out = {};
        return {};
    }
    async outputs() {
        return this.out;
    }
}

const FAKE_KUBECONFIG = "apiVersion: v1\nkind: Config\n# the fake stack's kubeconfig output\n";

/**
 * Slot health's pod lister for a fake stack: each slot's pods as Helm's atomic install leaves them
 * (its `slots` output's replicas, all ready, none restarted), reached only with the stack's kubeconfig.
 */
function podsOf(stack: FakeStack): ListerFactory {
    return async (kubeconfig) => {
        assert.equal(kubeconfig, FAKE_KUBECONFIG, "slot health uses the stack's kubeconfig output");
        return async (namespace, selector) => {
            const slots = (stack.out.slots?.value ?? {}) as Record<string, { version: string | null; replicas: number }>;
            const slot = Object.keys(slots).find(
                (k) => namespace === `${k}-calculator` && selector === `app.kubernetes.io/instance=${k}-calculator`,
            );
            const s = slot ? slots[slot] : undefined;
            if (!s?.version) return [];
            const version = s.version;
            return Array.from({ length: s.replicas }, (_, i): PodLike => ({
                metadata: { name: `${namespace}-${i}`, labels: { "app.kubernetes.io/version": version } },
                status: { conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ restartCount: 0 }] },
            }));
        };
    };
}

const lockedError = () =>
    sdkErrors.createCommandError(
        new sdkCmd.CommandResult(
            "",
            "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file",
            255,
        ),
    );

describe("engine (Pulumi backend): Automation API mapping", function () {
    this.timeout(30000);
    let production: http.Server;
    let az: Azurite;
    before(async () => {
        production = http.createServer((req, res) => {
            req.resume();
            res.writeHead(200, { "x-app-slot": "blue", "x-app-version": "1.0.0", "content-type": "application/json" });
            res.end("{}");
        });
        await new Promise<void>((r) => production.listen(0, "127.0.0.1", () => r()));
        publicUrl = `http://127.0.0.1:${(production.address() as AddressInfo).port}`;
        az = await startAzurite();
    });
    after(async () => {
        await new Promise<void>((r) => production.close(() => r()));
        await az?.dispose();
    });

    const blueLive = validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } });
    const withCandidate = validateReleaseState({
        slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "candidate", version: "1.1.0", replicas: 2 } },
        previewHeaderValue: SECRET,
    });

    /** A store holding `state` (as the engine last wrote it) and a stack whose last update applied it. */
    async function environment(state: EngineRecord["state"] | undefined, env = "dev"): Promise<{ stack: FakeStack; t: TestStore }> {
        const t = await newTestStore(az, { env });
        const stack = new FakeStack();
        if (state !== undefined) {
            await t.store.write(nextRecordDocument(undefined, { state }, "earlier run", new Date()), await t.store.read());
            if (state) stack.applied(state, "phoenix release 1.0.0: first-release");
        }
        return { stack, t };
    }
    const recordIn = async (t: TestStore): Promise<EngineRecord> => {
        const r = await t.store.read();
        return r.exists ? r.document.record : { state: null };
    };

    it("state goes to phoenix-release:state without the preview secret, which is secret config; the operation is secret too", () => {
        const rec: EngineRecord = {
            state: withCandidate,
            operation: { kind: "release", version: "1.1.0", slot: "green", before: blueLive },
        };
        const { set, remove } = recordToConfig(rec);
        assert.equal(set[KEY_STATE].secret, false);
        assert.ok(!set[KEY_STATE].value.includes(SECRET));
        assert.deepEqual(set[KEY_PREVIEW], { value: SECRET, secret: true });
        assert.equal(set[KEY_OPERATION].secret, true);
        assert.deepEqual(remove, [KEY_REJECTED]);
        assert.deepEqual(configToRecord(set), rec, "round trip");
        const cleared = recordToConfig({ state: blueLive });
        assert.deepEqual(cleared.remove, [KEY_PREVIEW, KEY_OPERATION, KEY_REJECTED]);
        assert.deepEqual(recordToConfig({ state: null }).remove, [KEY_STATE, KEY_PREVIEW, KEY_OPERATION, KEY_REJECTED]);
        const remembered = recordToConfig({ state: blueLive, rejected: ["1.1.0"] });
        assert.deepEqual(remembered.set[KEY_REJECTED], { value: '["1.1.0"]', secret: false });
        assert.deepEqual(configToRecord(remembered.set).rejected, ["1.1.0"], "rolled-back versions survive the round trip");
        assert.throws(
            () => configToRecord({ ...remembered.set, [KEY_REJECTED]: { value: '["latest"]' } }),
            /phoenix-release:rejectedVersions: "rejected" must be a list of semver versions/,
        );
        assert.throws(
            () => configToRecord({ [KEY_STATE]: { value: '{"slots":{"blue":{"role":"absent"},"green":{"role":"live","version":"1"}}}' } }),
            /phoenix-release:state: .*version must be semver/,
        );
        // One rule with the release stack: a state carrying a different preview value than the secret config is refused, not overridden.
        const conflicting = {
            ...set,
            [KEY_STATE]: { value: JSON.stringify({ ...withCandidate, previewHeaderValue: "another-value-0123456789" }) },
        };
        assert.throws(
            () => configToRecord(conflicting),
            (e: Error) => /with different values/.test(e.message) && !e.message.includes(SECRET),
        );
        assert.throws(
            () => configToRecord({ ...set, [KEY_OPERATION]: { value: '{"kind":"teleport"}', secret: true } }),
            /phoenix-release:releaseOperation: operation.kind must be release or rollback/,
        );
    });

    it('the SDK\'s ConcurrentUpdateError (a locked stack) becomes "another release is running in <env>" and exit 3', async () => {
        const err = lockedError();
        assert.equal(err.name, "ConcurrentUpdateError");
        assert.ok(isConcurrentUpdate(err));
        assert.ok(!isConcurrentUpdate(new Error("boom")));
        const { stack, t } = await environment(blueLive);
        stack.upError = err;
        let out = "";
        const backend = new PulumiBackend({ env: "dev", workDir: "stacks/release", factory: async () => stack, store: t.store });
        const deps: EngineDeps = {
            backend,
            config: loadConfig("dev"),
            reporter: createReporter({ write: (s) => (out += s), tfBuild: false }),
        };
        const r = await runIntent(deps, { kind: "deploy", version: "1.1.0" });
        assert.equal(r.exitCode, 3, out);
        assert.match(out, /another release is running in dev \(the stack is locked by another update/);
    });

    it("deploy then abort through the engine: the record in the store, the config cache written before up with the policy pack, secrets never printed", async () => {
        const { stack, t } = await environment(blueLive);
        let out = "";
        const backend = new PulumiBackend({
            env: "dev",
            workDir: "stacks/release",
            factory: async (a) => {
                assert.deepEqual(a, { stackName: "org/phoenix-release/dev", workDir: "stacks/release" });
                return stack;
            },
            stackName: "org/phoenix-release/dev",
            store: t.store,
            holder: "build 7",
            policyPacks: ["policy"],
            policyPackConfigs: ["policy/config/dev.json"],
            secretConfig: { appInsightsConnectionString: "InstrumentationKey=abc;IngestionEndpoint=https://x" },
            podLister: podsOf(stack),
        });
        const deps: EngineDeps = {
            backend,
            config: loadConfig("dev"),
            reporter: createReporter({ write: (s) => (out += s), tfBuild: false }),
        };
        const r = await runIntent(deps, { kind: "deploy", version: "1.1.0", previewHeaderValue: SECRET });
        assert.equal(r.exitCode, 0, out);
        assert.deepEqual(stack.lastUpOpts?.policyPacks, ["policy"]);
        assert.match(out, /\|\s+\+\s+helm\s+green-calculator/, "up output is streamed line by line");
        assert.match(out, /slot-ready: helm release green-calculator reports 1\.1\.0 ×2/);
        assert.match(out, /restart baseline of candidate 1\.1\.0 in green: 0/, "the candidate's restarts come from its pods");
        assert.equal(stack.config["phoenix-release:appInsightsConnectionString"].secret, true);
        const rec = await recordIn(t);
        assert.equal(rec.state?.slots.green.role, "candidate");
        assert.equal(rec.operation?.kind, "release");
        assert.deepEqual(configToRecord(stack.config), rec, "the stack's config is the record's cache");
        assert.equal(stack.config[KEY_LOCK], undefined, "no lock in config");
        const free = await t.store.acquire("next run");
        await free.release();
        const a = await runIntent(deps, { kind: "abort" });
        assert.equal(a.exitCode, 0, out);
        assert.deepEqual(
            await recordIn(t),
            { state: blueLive, rejected: ["1.1.0"] },
            "the aborted version is remembered: rollback never returns to it",
        );
        assert.equal(stack.calls.filter((c) => c === "up").length, 2);
        assert.deepEqual(
            (await backend.history()).map((e) => `${e.action} ${e.version} ${e.outcome} by ${e.by}`),
            ["deploy 1.1.0 done by undefined", "abort 1.1.0 done by undefined"],
            "each run appended once to the store's history",
        );
        assert.ok(!out.includes(SECRET) && !out.includes("InstrumentationKey"));
    });

    it("refuses to plan with another router than the stack routes with (exit 2, nothing changed); a migrating stack plans with nginx", async () => {
        const { stack, t } = await environment(blueLive);
        stack.out = { routerKind: { value: "nginx", secret: false } };
        let out = "";
        const backend = new PulumiBackend({ env: "dev", workDir: "stacks/release", factory: async () => stack, store: t.store });
        const reporter = createReporter({ write: (s) => (out += s), tfBuild: false });
        const r = await runIntent({ backend, config: loadConfig("dev"), reporter }, { kind: "release", version: "1.1.0" });
        assert.equal(r.exitCode, 2, out);
        assert.match(out, /the dev release stack routes with nginx, but the engine's setting router is gateway-api: set "router": "nginx"/);
        assert.ok(!stack.calls.includes("up"), "nothing was applied");
        const v = await runVerify({ backend, config: loadConfig("dev"), reporter });
        assert.equal(v.exitCode, 2, "verify recovers through the planner: same refusal");
        stack.out = { routers: { value: ["gateway-api", "nginx"], secret: false } };
        assert.deepEqual(await backend.capabilities.routers?.routers(), ["gateway-api", "nginx"]);
        out = "";
        const both = await runIntent({ backend, config: loadConfig("dev"), reporter }, { kind: "release", version: "1.1.0" });
        assert.equal(both.exitCode, 2, out);
        assert.match(
            out,
            /routes with gateway-api and nginx \(plans keep nginx's rules while both run\), but the engine's setting router is gateway-api: set "router": "nginx"/,
            "while both front doors run, nginx's rules hold",
        );
        assert.ok(!stack.calls.includes("up"), "nothing was applied");
        // A stack last updated before the list: its routerKind and legacyNginxRoutes outputs read as the same list.
        stack.out = { routerKind: { value: "gateway-api", secret: false }, legacyNginxRoutes: { value: true, secret: false } };
        assert.deepEqual(await backend.capabilities.routers?.routers(), ["gateway-api", "nginx"]);
        stack.out = { routerKind: { value: "gateway-api", secret: false } };
        assert.deepEqual(await backend.capabilities.routers?.routers(), ["gateway-api"]);
    });

    it("the lock is the store's lease: held by another run → blocked naming it; released → free; changes need it", async () => {
        const { stack, t } = await environment(blueLive, "prod");
        const backend = new PulumiBackend({ env: "prod", workDir: "w", factory: async () => stack, store: t.store, holder: "build 7" });
        await assert.rejects(
            backend.apply({ state: null }, () => undefined),
            /can only be changed while holding its lease/,
        );
        const release = await backend.lock();
        await assert.rejects(
            new PulumiBackend({ env: "prod", workDir: "w", factory: async () => stack, store: t.store, holder: "build 8" }).lock(),
            /another release is running: the lease on .*\/calculator\/prod\/lock is held by build 7/,
        );
        await release();
        const other = await new PulumiBackend({
            env: "prod",
            workDir: "w",
            factory: async () => stack,
            store: t.store,
            holder: "build 8",
        }).lock();
        await other();
        assert.deepEqual(await recordIn(t), { state: blueLive }, "locking changed nothing");
    });

    it("a stack applied by hand (its last update is not the record's state) is drift: exit 2 naming it, nothing changed, lease released", async () => {
        const { stack, t } = await environment(blueLive);
        stack.applied({ slots: { blue: { role: "live", version: "0.9.0", replicas: 2 }, green: { role: "absent" } } }, "pulumi up by hand");
        let out = "";
        const backend = new PulumiBackend({ env: "dev", workDir: "w", factory: async () => stack, store: t.store });
        const r = await runIntent(
            { backend, config: loadConfig("dev"), reporter: createReporter({ write: (s) => (out += s), tfBuild: false }) },
            { kind: "release", version: "1.1.0" },
        );
        assert.equal(r.exitCode, 2, out);
        assert.match(
            out,
            /drift in dev: the release stack's last update applied blue live 0\.9\.0, green absent, but the release record says blue live 1\.0\.0, green absent\. Someone applied the release stack outside the engine/,
        );
        assert.ok(!stack.calls.includes("up"));
        assert.deepEqual(await recordIn(t), { state: blueLive });
        const free = await t.store.acquire("next");
        await free.release();
    });

    it("import-record moves a record from the stack's config into the store once, explicitly, and records it", async () => {
        const { stack, t } = await environment(undefined);
        const old: EngineRecord = { state: blueLive, rejected: ["0.9.0"] };
        Object.assign(stack.config, recordToConfig(old).set);
        stack.applied(blueLive);
        const backend = new PulumiBackend({ env: "dev", workDir: "w", factory: async () => stack, store: t.store, holder: "ops" });
        const done = await backend.importRecord({ replace: false, source: "stacks/release/Pulumi.dev.yaml", by: "ops@laptop" });
        assert.deepEqual(done, { record: old, replaced: false });
        assert.deepEqual(await recordIn(t), old);
        await assert.rejects(
            backend.importRecord({ replace: false, source: "stacks/release/Pulumi.dev.yaml" }),
            (e: Error) =>
                e instanceof BlockedError &&
                /already exists \(blue live 1\.0\.0, green absent\); nothing imported.*--replace/.test(e.message),
        );
        Object.assign(stack.config, recordToConfig({ state: withCandidate }).set);
        await assert.rejects(
            backend.importRecord({ replace: true, source: "stacks/release/Pulumi.dev.yaml" }),
            /says blue live 1\.0\.0, green candidate 1\.1\.0 but the release stack's last update applied blue live 1\.0\.0, green absent/,
        );
        assert.deepEqual(await recordIn(t), old, "a refused import changes nothing");
        const h = await backend.history();
        assert.deepEqual(
            h.map((e) => `${e.action} ${e.outcome} ${e.liveAfter} by ${e.by}: ${e.detail}`),
            ["import done blue 1.0.0 by ops@laptop: imported from stacks/release/Pulumi.dev.yaml"],
        );
        const empty = await environment(undefined);
        await assert.rejects(
            new PulumiBackend({ env: "dev", workDir: "w", factory: async () => empty.stack, store: empty.t.store }).importRecord({
                replace: false,
                source: "Pulumi.dev.yaml",
            }),
            /Pulumi\.dev\.yaml holds no release state/,
        );
    });

    it("a corrupt record: every command refuses by name (exit 2, nothing changed); restore-record puts the previous version back", async () => {
        const { stack, t } = await environment(blueLive);
        const backend = new PulumiBackend({ env: "dev", workDir: "w", factory: async () => stack, store: t.store });
        const release = await backend.lock();
        await backend.read();
        await backend.apply({ state: blueLive, rejected: ["0.9.0"] }, () => undefined);
        await release();
        await t.recordBlob().upload("{ not json", 10);
        let out = "";
        const r = await runIntent(
            { backend, config: loadConfig("dev"), reporter: createReporter({ write: (s) => (out += s), tfBuild: false }) },
            { kind: "release", version: "1.1.0" },
        );
        assert.equal(r.exitCode, 2, out);
        assert.match(
            out,
            /the release record .*record\.json is not valid: it is not valid JSON \(at line 1 column 3\)\. Nothing was changed/,
        );
        assert.ok(!stack.calls.includes("up"));
        assert.deepEqual((await backend.restoreRecord({ by: "ops" })).record, { state: blueLive, rejected: ["0.9.0"] });
        await assert.rejects(backend.restoreRecord({}), /is valid; restore-record only replaces a record that is not/);
        assert.equal((await backend.history()).at(-1)?.action, "restore");
    });

    it("a failed first release is undone with destroy; only-operation changes do not run up", async () => {
        const { stack, t } = await environment(undefined);
        const backend = new PulumiBackend({ env: "dev", workDir: "w", factory: async () => stack, store: t.store });
        const release = await backend.lock();
        await backend.apply({ state: blueLive }, () => undefined);
        await backend.apply(
            { state: blueLive, operation: { kind: "release", version: "1.0.0", slot: "blue", before: null } },
            () => undefined,
        );
        await backend.apply({ state: null }, () => undefined);
        await release();
        assert.deepEqual(
            stack.calls.filter((c) => c === "up" || c === "destroy"),
            ["up", "destroy"],
        );
        assert.equal(stack.config[KEY_STATE], undefined);
        assert.deepEqual(await recordIn(t), { state: null });
    });
});
