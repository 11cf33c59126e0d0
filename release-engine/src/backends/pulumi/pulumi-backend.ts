/**
 * The Pulumi backend: the release record lives in the shared record store (record-store/: Azure Blob
 * Storage, written with If-Match, the lock a blob lease, the history append-only), so every pipeline
 * job and every laptop sees the same record. The release stack (`stacks/release`, project
 * `phoenix-release`) applies it with `up` through the Automation API; its config in the working
 * directory's `Pulumi.<stack>.yaml` is only a cache, written from the record just before each `up`.
 * On taking the lock, the stack's last update must have applied the record's state (or the one it
 * replaced, when its `up` has not run yet); anything else is drift (exit 2).
 *
 * The config contract (keys, record ↔ config, the preview-secret rule) is the release model's
 * (`@phoenix/release-model` stack-config.ts), shared with `stacks/release`. A null state (a failed
 * first release) is `destroy` plus removing the state. `importRecord` moves a record that still lives
 * in a `Pulumi.<env>.yaml` into the store, once and explicitly; `restoreRecord` puts the last good copy
 * back over a corrupt record.
 *
 * The backend drives the stack through the port of automation-port.ts; its `factory` option opens
 * one. The composition root (cli/main.ts) passes the real adapter over `LocalWorkspace`
 * (pulumi-automation.ts, which needs the `pulumi` CLI); the specs pass fakes. Secret values never
 * reach a command line: the Automation API's `setAllConfig` passes `--secret key=value` as arguments,
 * so the adapter sets secrets one by one with the value on stdin. tests/engine-pulumi-cli.spec.ts runs
 * the real Automation API against a stand-in `pulumi` executable.
 *
 * Capabilities (engine/backend.ts): the routers the stack's outputs list (release-outputs.ts) and the
 * lease's holder; production per slot is not counted here (App Insights is the source on a cluster).
 */
import * as path from "path";
import {
    KEY_LOCK,
    KEY_STATE,
    RELEASE_PROJECT,
    StackConfigError,
    configToRecord as modelConfigToRecord,
    recordToConfig,
    type EngineRecord,
    type ReleaseState,
    type SlotName,
    type SlotsHealth,
} from "@phoenix/release-model";
import { BlockedError, EnvironmentError, InputError } from "../../errors";
import type { AutomationStack, ConfigValueLike, EngineEventLike, StackFactory } from "./automation-port";
import type { Backend, BackendCapabilities, Observation, PublicEndpoint } from "../../engine/backend";
import { ClusterHealth, type ListerFactory } from "./cluster-health";
import { routersFromOutputs } from "./release-outputs";
import type { HistoryEntry } from "../../engine/history";
import type { HeldLease, RecordStore, StoredRecord } from "../../record-store/port";
import { describeSlots, nextRecordDocument, sameState, stateDrift, type RecordDocument } from "../../record-store/record-document";

/**
 * A failure of the pulumi CLI as the engine's error: a locked stack or a conflicting update is
 * blocked (exit 3); a missing CLI, plugin or login is a bad environment (exit 2) named in one line
 * with what to do; anything else is returned unchanged.
 */
function classifyPulumiError(e: unknown, env: string): unknown {
    if (isConcurrentUpdate(e))
        return new BlockedError(
            `another release is running in ${env} (the stack is locked by another update; if none runs: pulumi cancel)`,
        );
    const text = e instanceof Error ? e.message : String(e);
    if (/spawn \S*pulumi\S* ENOENT|pulumi: (command )?not found|ENOENT.*pulumi/i.test(text)) {
        return new EnvironmentError(
            "the pulumi CLI is not installed or not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) or use --backend local",
        );
    }
    const plugin = /no resource plugin '([^']+)' found|could not load plugin for (\S+) provider|install the plugin using `([^`]+)`/i.exec(
        text,
    );
    if (plugin) {
        const install = /install the plugin using `([^`]+)`/i.exec(text)?.[1];
        return new EnvironmentError(
            `a Pulumi plugin is missing (${plugin[1] ?? plugin[2] ?? "provider"})${install ? `: ${install}` : ""}; run "npm ci" in the repository so the providers' packages install it, or install it by hand`,
        );
    }
    if (/PULUMI_ACCESS_TOKEN must be set|not logged in|pulumi login/i.test(text)) {
        return new EnvironmentError(
            "not logged in to a Pulumi backend: run pulumi login (or set PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL for a self-managed backend)",
        );
    }
    if (/passphrase must be set|PULUMI_CONFIG_PASSPHRASE/i.test(text)) {
        return new EnvironmentError(
            "the stack's secrets need a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)",
        );
    }
    return e;
}

/** Every call to the stack maps pulumi's failures through {@link classifyPulumiError}. */
function guarded(stack: AutomationStack, env: string): AutomationStack {
    const wrap =
        <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
        async (...a: A): Promise<R> => {
            try {
                return await f(...a);
            } catch (e) {
                throw classifyPulumiError(e, env);
            }
        };
    return {
        getAllConfig: wrap(() => stack.getAllConfig()),
        setAllConfig: wrap((c) => stack.setAllConfig(c)),
        setSecretConfig: wrap((k, v) => stack.setSecretConfig(k, v)),
        removeConfig: wrap((k) => stack.removeConfig(k)),
        up: wrap((o) => stack.up(o)),
        destroy: wrap((o) => stack.destroy(o)),
        outputs: wrap(() => stack.outputs()),
        history: wrap((n) => stack.history(n)),
    };
}

/** True for the Automation API's ConcurrentUpdateError (matched by name: it may come from another copy of the SDK). */
export function isConcurrentUpdate(e: unknown): boolean {
    return (
        e instanceof Error &&
        (e.name === "ConcurrentUpdateError" ||
            e.constructor?.name === "ConcurrentUpdateError" ||
            /\bconflict: Another update is currently in progress/i.test(e.message))
    );
}

/** The record from the stack's config; a value that breaks the contract is an input error naming its key. */
export function configToRecord(config: Record<string, ConfigValueLike>): EngineRecord {
    try {
        return modelConfigToRecord(config);
    } catch (e) {
        if (e instanceof StackConfigError) throw new InputError(e.message);
        throw e;
    }
}

export interface PulumiBackendOptions {
    env: string;
    /** stacks/release */
    workDir: string;
    /** Fully qualified stack name, default the env (e.g. `dev` or `org/phoenix-release/dev`). */
    stackName?: string;
    /** Opens the stack: the Automation API adapter (pulumi-automation.ts) from the composition root, or a spec's fake. */
    factory: StackFactory;
    /** Policy packs run on every `up` (default: the repo's policy/ folder) and their configs. */
    policyPacks?: string[];
    policyPackConfigs?: string[];
    /** The shared release record (record, lease, history). */
    store: RecordStore;
    /** Identifies this run in the lease and the record (CI run id, user@host). */
    holder?: string;
    now?: () => number;
    /** Secret config set with every apply (e.g. `appInsightsConnectionString` from Key Vault), keyed without the project prefix. */
    secretConfig?: Record<string, string>;
    /** How slot health reaches the cluster's pods (default: @kubernetes/client-node with the stack's kubeconfig output; cluster-health.ts). */
    podLister?: ListerFactory;
}

export class PulumiBackend implements Backend {
    readonly kind = "pulumi" as const;
    readonly env: string;
    /** The routers the release stack's outputs list, and the store lease's holder; production is counted by App Insights, not here. */
    readonly capabilities: BackendCapabilities;
    private stackPromise?: Promise<AutomationStack>;
    private health?: ClusterHealth;

    constructor(private readonly opts: PulumiBackendOptions) {
        this.env = opts.env;
        this.capabilities = {
            routers: { routers: async () => routersFromOutputs(await (await this.stack()).outputs()) },
            lockHolder: { holder: () => this.opts.store.holder() },
        };
    }

    private stack(): Promise<AutomationStack> {
        this.stackPromise ??= (async () => {
            try {
                return guarded(
                    await this.opts.factory({
                        stackName: this.opts.stackName ?? this.env,
                        workDir: this.opts.workDir,
                    }),
                    this.env,
                );
            } catch (e) {
                throw classifyPulumiError(e, this.env);
            }
        })();
        return this.stackPromise;
    }

    private get holder(): string {
        return this.opts.holder ?? `pid ${process.pid}`;
    }

    /** The store's record as the engine's (no record yet: nothing released). */
    private static recordOf(stored: StoredRecord): EngineRecord {
        return stored.exists ? stored.document.record : { state: null };
    }

    /** The state the release stack's last update applied: undefined when it was never updated, null for a destroy or no state. */
    private async lastApplied(stack: AutomationStack): Promise<ReleaseState | null | undefined> {
        const [last] = await stack.history(1);
        if (!last) return undefined;
        if (last.kind === "destroy") return null;
        const text = last.config?.[KEY_STATE]?.value;
        if (!text || text === "[secret]") return null;
        try {
            return modelConfigToRecord({ [KEY_STATE]: { value: text } }).state;
        } catch {
            throw new InputError(
                `the release stack ${this.env}'s last update applied a state that is not valid (${KEY_STATE}); fix the stack by hand or re-apply the record`,
            );
        }
    }

    /** Refuses (exit 2) when the stack's last update applied a state the record does not know. */
    private async checkDrift(stack: AutomationStack, doc: RecordDocument | undefined): Promise<void> {
        const problem = stateDrift(await this.lastApplied(stack), doc);
        if (problem) {
            throw new InputError(
                `drift in ${this.env}: ${problem}. Someone applied the release stack outside the engine (pulumi up by hand?). Nothing was changed; re-apply the record's state with "pulumi up" of stacks/release after "pulumi config set state" to the record's, or correct the record in ${this.opts.store.where}`,
            );
        }
    }

    async lock(): Promise<() => Promise<void>> {
        return this.takeLease({ checkDrift: true });
    }

    /** The lease, then the record (and, unless importing, the drift check); on any failure the lease is released. */
    private async takeLease(opts: { checkDrift: boolean }): Promise<() => Promise<void>> {
        const stack = await this.stack();
        const lease = await this.opts.store.acquire(this.holder);
        try {
            const stored = await this.opts.store.read();
            if (opts.checkDrift) await this.checkDrift(stack, stored.exists ? stored.document : undefined);
            this.lastRead = stored;
        } catch (e) {
            await lease.release();
            throw e;
        }
        this.lease = lease;
        return async () => {
            if (this.lease === lease) this.lease = undefined;
            await lease.release();
        };
    }

    private lease?: HeldLease;
    private lastRead?: StoredRecord;

    async read(): Promise<EngineRecord> {
        const stored = await this.opts.store.read();
        this.lastRead = stored;
        return PulumiBackend.recordOf(stored);
    }

    async apply(record: EngineRecord, onOutput: (line: string) => void, context?: { message: string }): Promise<void> {
        if (!this.lease) throw new BlockedError(`the record of ${this.env} can only be changed while holding its lease (lock() first)`);
        const stack = await this.stack();
        const expected = this.lastRead ?? (await this.opts.store.read());
        // Still ours? (A lease that expired and was taken by another run stops this one before any write.)
        await this.lease.confirm();
        const written = await this.opts.store.write(
            nextRecordDocument(
                expected.exists ? expected.document : undefined,
                record,
                this.holder,
                new Date((this.opts.now ?? Date.now)()),
            ),
            expected,
        );
        this.lastRead = written;
        const before = PulumiBackend.recordOf(expected);
        await this.writeConfigCache(stack, record);
        if (
            sameState(before.state, record.state) &&
            JSON.stringify(before.state?.previewHeaderValue) === JSON.stringify(record.state?.previewHeaderValue)
        )
            return;
        const lines = (out: string) => {
            for (const l of out.split("\n")) if (l.trim() !== "") onOutput(l);
        };
        // Engine events: errors and warnings as their own lines (the text output stays as it is).
        const onEvent = (e: EngineEventLike) => {
            const d = e.diagnosticEvent;
            if (d?.message && (d.severity === "error" || d.severity === "warning")) onOutput(`${d.severity}: ${d.message.trim()}`);
        };
        const message = context?.message;
        try {
            if (record.state) {
                await stack.up({
                    onOutput: lines,
                    onEvent,
                    ...(message ? { message } : {}),
                    policyPacks: this.opts.policyPacks,
                    policyPackConfigs: this.opts.policyPackConfigs,
                });
            } else {
                await stack.destroy({ onOutput: lines, ...(message ? { message } : {}) });
            }
        } catch (e) {
            // Locked by another update, or a missing tool/plugin/login: the CLI applied nothing, so the
            // record goes back to what it said before (the run stops; a retry starts from the truth).
            if ((e instanceof BlockedError || e instanceof EnvironmentError) && expected.exists) {
                this.lastRead = await this.opts.store.write(expected.document, written);
                await this.writeConfigCache(stack, before).catch(() => undefined);
            }
            throw e;
        }
    }

    /** The working directory's stack config from the record (a cache: the record store is the truth), with the secret config. */
    private async writeConfigCache(stack: AutomationStack, record: EngineRecord): Promise<void> {
        const { set, remove } = recordToConfig(record);
        for (const [k, v] of Object.entries(this.opts.secretConfig ?? {})) set[`${RELEASE_PROJECT}:${k}`] = { value: v, secret: true };
        const plain = Object.fromEntries(Object.entries(set).filter(([, v]) => !v.secret));
        if (Object.keys(plain).length) await stack.setAllConfig(plain);
        for (const [k, v] of Object.entries(set)) if (v.secret) await stack.setSecretConfig(k, v.value);
        // The lock no longer lives in config (a lease in the store); a cached one from before is dropped.
        for (const k of [...remove, KEY_LOCK]) await stack.removeConfig(k).catch(() => undefined);
    }

    /**
     * Moves the record that still lives in the working directory's `Pulumi.<stack>.yaml` into the
     * store, once: refused when the store already holds a record (unless `replace`), when the file holds
     * none, or when the stack's last update applied another state. Recorded in the history.
     */
    async importRecord(opts: { replace: boolean; source: string; by?: string }): Promise<{ record: EngineRecord; replaced: boolean }> {
        const stack = await this.stack();
        const release = await this.takeLease({ checkDrift: false });
        try {
            const stored = this.lastRead ?? (await this.opts.store.read());
            if (stored.exists && !opts.replace) {
                throw new BlockedError(
                    `the release record ${this.opts.store.where} already exists (${describeSlots(stored.document.record.state)}); nothing imported. To overwrite it with ${opts.source}: import-record --replace`,
                );
            }
            const record = configToRecord(await stack.getAllConfig());
            if (!record.state) throw new InputError(`${opts.source} holds no release state (${KEY_STATE}); there is nothing to import`);
            const applied = await this.lastApplied(stack);
            if (applied !== undefined && !sameState(applied, record.state)) {
                throw new InputError(
                    `${opts.source} says ${describeSlots(record.state)} but the release stack's last update applied ${describeSlots(applied)}; import the file the last update used (pulumi config refresh), nothing imported`,
                );
            }
            await this.lease!.confirm();
            this.lastRead = await this.opts.store.write(nextRecordDocument(undefined, record, this.holder, new Date()), stored);
            await this.opts.store.appendHistory({
                at: new Date().toISOString(),
                action: "import",
                outcome: "done",
                liveAfter: liveOf(record.state),
                gates: [],
                ...(opts.by ? { by: opts.by } : {}),
                detail: `imported from ${opts.source}${stored.exists ? ` (replaced ${describeSlots(stored.document.record.state)})` : ""}`,
            });
            return { record, replaced: stored.exists };
        } finally {
            await release();
        }
    }

    /** Puts the last good copy back over a record that is not valid (If-Match on the corrupt blob); recorded in the history. */
    async restoreRecord(opts: { by?: string }): Promise<{ record: EngineRecord }> {
        const store = this.opts.store;
        const lease = await store.acquire(this.holder);
        try {
            const valid = await store.read().then(
                () => true,
                (e: unknown) => {
                    if (e instanceof InputError) return false;
                    throw e;
                },
            );
            if (valid)
                throw new BlockedError(
                    `the release record ${store.where} is valid; restore-record only replaces a record that is not (nothing changed)`,
                );
            const doc = await store.restorePrevious(this.holder);
            await this.checkDrift(await this.stack(), doc);
            await store.appendHistory({
                at: new Date().toISOString(),
                action: "restore",
                outcome: "done",
                liveAfter: liveOf(doc.record.state),
                gates: [],
                ...(opts.by ? { by: opts.by } : {}),
                detail: `restored ${store.where} from its last good version (written ${doc.writtenAt} by ${doc.writtenBy})`,
            });
            return { record: doc.record };
        } finally {
            await lease.release();
        }
    }

    async observe(): Promise<Observation> {
        const out = await (await this.stack()).outputs();
        const url = out.publicUrl?.value;
        if (typeof url !== "string" || url === "") return { running: false, detail: "the release stack has no publicUrl output yet" };
        return { running: true, endpoint: await this.endpoint() };
    }

    /** The release history from the store (append-only; each stack update also names its run and step in its message). */
    async history(): Promise<HistoryEntry[]> {
        return this.opts.store.history();
    }

    async recordHistory(entry: HistoryEntry): Promise<void> {
        await this.opts.store.appendHistory(entry);
    }

    async endpoint(): Promise<PublicEndpoint> {
        const out = await (await this.stack()).outputs();
        const url = out.publicUrl?.value;
        if (typeof url !== "string" || url === "")
            throw new InputError(`the release stack ${this.env} has no publicUrl output yet (run a release first)`);
        const headerName = typeof out.previewHeader?.value === "string" ? out.previewHeader.value : undefined;
        return { url, ...(headerName ? { headerName } : {}) };
    }

    /** Ready pods and restarts per slot, from the cluster (cluster-health.ts). */
    async slotHealth(): Promise<SlotsHealth> {
        this.health ??= new ClusterHealth(async () => (await this.stack()).outputs(), this.opts.podLister);
        return this.health.slotHealth();
    }

    async slotReady(slot: SlotName, version: string, replicas: number): Promise<{ ok: boolean; detail: string }> {
        // `up` only succeeds once Helm's atomic install/upgrade has waited for every pod to be ready.
        const out = await (await this.stack()).outputs();
        const slots = (out.slots?.value ?? {}) as Record<string, { version?: string | null; replicas?: number; role?: string }>;
        const s = slots[slot];
        const ok = s?.version === version && (s.replicas ?? 0) >= replicas;
        return {
            ok,
            detail: `helm release ${slot}-${String(out.appName?.value ?? "app")} reports ${s?.version ?? "nothing"} ×${s?.replicas ?? 0} after an atomic (wait for ready) upgrade; want ${version} ×${replicas}`,
        };
    }

    async close(): Promise<void> {
        /* nothing held */
    }
}

function liveOf(state: ReleaseState | null): string | undefined {
    const slot = state ? (["blue", "green"] as SlotName[]).find((x) => state.slots[x]?.role === "live") : undefined;
    return state && slot ? `${slot} ${state.slots[slot].version}` : undefined;
}

/** The release stack's folder in a clone of the repository (the default working directory). */
export function defaultWorkDir(repoRoot: string): string {
    return path.join(repoRoot, "stacks", "release");
}
