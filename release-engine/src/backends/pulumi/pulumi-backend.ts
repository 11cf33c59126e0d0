/**
 * The Pulumi backend: the release stack (`stacks/release`, project `phoenix-release`) holds the
 * desired state in its config and applies it with `up` through the Automation API.
 *
 * The config contract (keys, record ↔ config, the preview-secret rule) is the release model's
 * (`@phoenix/release-model` stack-config.ts), shared with `stacks/release`. A null state (a failed
 * first release) is `destroy` plus removing the state.
 *
 * - `phoenix-release:rejectedVersions`   versions rolled back or rejected (plain JSON list; rollback never returns to one).
 *
 * The adapter over `LocalWorkspace` is {@link automationStackFactory} (pulumi-automation.ts); it needs
 * the `pulumi` CLI. Secret values never reach a command line: the Automation API's `setAllConfig`
 * passes `--secret key=value` as arguments, so secrets are set one by one with the value on stdin.
 * tests/engine-pulumi-cli.spec.ts runs the real Automation API against a stand-in `pulumi` executable.
 */
import * as path from "path";
import {
    KEY_LOCK,
    KEY_OPERATION,
    KEY_PREVIEW,
    KEY_REJECTED,
    KEY_STATE,
    RELEASE_PROJECT,
    StackConfigError,
    configToRecord as modelConfigToRecord,
    recordToConfig,
    type ConfigEntry,
    type EngineRecord,
    type ReleaseState,
    type SlotName,
} from "@phoenix/release-model";
import { BlockedError, EnvironmentError, InputError } from "../../errors";
import type { Backend, Observation, PublicEndpoint, SlotHealth } from "../../engine/backend";
import { ClusterHealth, type ListerFactory } from "./cluster-health";
import type { HistoryEntry } from "../../engine/history";

export const PROJECT = RELEASE_PROJECT;
export { KEY_LOCK, KEY_OPERATION, KEY_PREVIEW, KEY_REJECTED, KEY_STATE, recordToConfig };

export type ConfigValueLike = ConfigEntry;
export interface OutputValueLike {
    value: unknown;
    secret: boolean;
}

/** One update of the stack's history (`pulumi stack history --json`; the Automation API's UpdateSummary). */
export interface UpdateSummaryLike {
    kind: string;
    startTime: Date | string;
    endTime?: Date | string;
    message?: string;
    result?: string;
    config?: Record<string, ConfigValueLike>;
}

/** The slice of `automation.Stack` the backend uses, with secret config set apart (never in argv). */
export interface AutomationStack {
    getAllConfig(): Promise<Record<string, ConfigValueLike>>;
    /** Plain values only. */
    setAllConfig(config: Record<string, ConfigValueLike>): Promise<void>;
    /** One secret value, passed on stdin (never as a command-line argument). */
    setSecretConfig(key: string, value: string): Promise<void>;
    removeConfig(key: string): Promise<void>;
    up(opts: { onOutput: (out: string) => void; onEvent?: (e: EngineEventLike) => void; message?: string; policyPacks?: string[]; policyPackConfigs?: string[] }): Promise<unknown>;
    destroy(opts: { onOutput: (out: string) => void; message?: string }): Promise<unknown>;
    outputs(): Promise<Record<string, OutputValueLike>>;
    history(): Promise<UpdateSummaryLike[]>;
}

/** The engine events the backend reads from `up` (the Automation API's EngineEvent, the fields used). */
export interface EngineEventLike {
    diagnosticEvent?: { severity?: string; message?: string };
    summaryEvent?: { resourceChanges?: Record<string, number> };
}

export type StackFactory = (args: { stackName: string; workDir: string }) => Promise<AutomationStack>;

/** The real adapter (LocalWorkspace over the release stack's folder), loaded lazily: the local backend never needs it. */
export const automationStackFactory: StackFactory = async (args) => (await import("./pulumi-automation")).createAutomationStack(args);

/**
 * A failure of the pulumi CLI as the engine's error: a locked stack or a conflicting update is
 * blocked (exit 3); a missing CLI, plugin or login is a bad environment (exit 2) named in one line
 * with what to do; anything else is returned unchanged.
 */
export function classifyPulumiError(e: unknown, env: string): unknown {
    if (isConcurrentUpdate(e)) return new BlockedError(`another release is running in ${env} (the stack is locked by another update; if none runs: pulumi cancel)`);
    const text = e instanceof Error ? e.message : String(e);
    if (/spawn \S*pulumi\S* ENOENT|pulumi: (command )?not found|ENOENT.*pulumi/i.test(text)) {
        return new EnvironmentError("the pulumi CLI is not installed or not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) or use --backend local");
    }
    const plugin = /no resource plugin '([^']+)' found|could not load plugin for (\S+) provider|install the plugin using `([^`]+)`/i.exec(text);
    if (plugin) {
        const install = /install the plugin using `([^`]+)`/i.exec(text)?.[1];
        return new EnvironmentError(`a Pulumi plugin is missing (${plugin[1] ?? plugin[2] ?? "provider"})${install ? `: ${install}` : ""}; run "npm ci" in the repository so the providers' packages install it, or install it by hand`);
    }
    if (/PULUMI_ACCESS_TOKEN must be set|not logged in|pulumi login/i.test(text)) {
        return new EnvironmentError("not logged in to a Pulumi backend: run pulumi login (or set PULUMI_ACCESS_TOKEN, or PULUMI_BACKEND_URL for a self-managed backend)");
    }
    if (/passphrase must be set|PULUMI_CONFIG_PASSPHRASE/i.test(text)) {
        return new EnvironmentError("the stack's secrets need a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE)");
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
        history: wrap(() => stack.history()),
    };
}

/** True for the Automation API's ConcurrentUpdateError (matched by name: it may come from another copy of the SDK). */
export function isConcurrentUpdate(e: unknown): boolean {
    return e instanceof Error && (e.name === "ConcurrentUpdateError" || e.constructor?.name === "ConcurrentUpdateError" || /\bconflict: Another update is currently in progress/i.test(e.message));
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
    factory?: StackFactory;
    /** Policy packs run on every `up` (default: the repo's policy/ folder) and their configs. */
    policyPacks?: string[];
    policyPackConfigs?: string[];
    /** Lock TTL: a lock older than this is considered abandoned. */
    lockTtlMs?: number;
    /** Identifies this run in the lock (CI run id, user@host). */
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
    private stackPromise?: Promise<AutomationStack>;
    private health?: ClusterHealth;

    constructor(private readonly opts: PulumiBackendOptions) {
        this.env = opts.env;
    }

    private stack(): Promise<AutomationStack> {
        this.stackPromise ??= (async () => {
            try {
                return guarded(await (this.opts.factory ?? automationStackFactory)({ stackName: this.opts.stackName ?? this.env, workDir: this.opts.workDir }), this.env);
            } catch (e) {
                throw classifyPulumiError(e, this.env);
            }
        })();
        return this.stackPromise;
    }

    private blocked(detail?: string): BlockedError {
        return new BlockedError(`another release is running in ${this.env}${detail ? ` (${detail})` : ""}`);
    }

    async lock(): Promise<() => Promise<void>> {
        const stack = await this.stack();
        const now = (this.opts.now ?? Date.now)();
        const cfg = await stack.getAllConfig();
        const held = cfg[KEY_LOCK]?.value;
        if (held) {
            const parsed = JSON.parse(held) as { holder: string; at: number };
            if (now - parsed.at < (this.opts.lockTtlMs ?? 3_600_000)) throw this.blocked(`held by ${parsed.holder} since ${new Date(parsed.at).toISOString()}`);
        }
        const mine = JSON.stringify({ holder: this.opts.holder ?? `pid ${process.pid}`, at: now });
        await stack.setAllConfig({ [KEY_LOCK]: { value: mine, secret: false } });
        return async () => {
            const current = (await stack.getAllConfig())[KEY_LOCK]?.value;
            if (current === mine) await stack.removeConfig(KEY_LOCK);
        };
    }

    async read(): Promise<EngineRecord> {
        return configToRecord(await (await this.stack()).getAllConfig());
    }

    async apply(record: EngineRecord, onOutput: (line: string) => void, context?: { message: string }): Promise<void> {
        const stack = await this.stack();
        const before = configToRecord(await stack.getAllConfig());
        const { set, remove } = recordToConfig(record);
        for (const [k, v] of Object.entries(this.opts.secretConfig ?? {})) set[`${PROJECT}:${k}`] = { value: v, secret: true };
        const plain = Object.fromEntries(Object.entries(set).filter(([, v]) => !v.secret));
        if (Object.keys(plain).length) await stack.setAllConfig(plain);
        for (const [k, v] of Object.entries(set)) if (v.secret) await stack.setSecretConfig(k, v.value);
        for (const k of remove) await stack.removeConfig(k).catch(() => undefined);
        if (JSON.stringify(before.state) === JSON.stringify(record.state)) return;
        const lines = (out: string) => {
            for (const l of out.split("\n")) if (l.trim() !== "") onOutput(l);
        };
        // Engine events: errors and warnings as their own lines (the text output stays as it is).
        const onEvent = (e: EngineEventLike) => {
            const d = e.diagnosticEvent;
            if (d?.message && (d.severity === "error" || d.severity === "warning")) onOutput(`${d.severity}: ${d.message.trim()}`);
        };
        const message = context?.message;
        if (record.state) {
            await stack.up({ onOutput: lines, onEvent, ...(message ? { message } : {}), policyPacks: this.opts.policyPacks, policyPackConfigs: this.opts.policyPackConfigs });
        } else {
            await stack.destroy({ onOutput: lines, ...(message ? { message } : {}) });
        }
    }

    async observe(): Promise<Observation> {
        const out = await (await this.stack()).outputs();
        const url = out.publicUrl?.value;
        if (typeof url !== "string" || url === "") return { running: false, detail: "the release stack has no publicUrl output yet" };
        return { running: true, endpoint: await this.endpoint() };
    }

    /** The release history from the stack's updates: the engine names each update (run, step, gate, who) in its message. */
    async history(): Promise<HistoryEntry[]> {
        const updates = await (await this.stack()).history();
        return updates
            .slice()
            .reverse()
            .map((u) => historyFromUpdate(u));
    }

    async recordHistory(): Promise<void> {
        /* the stack's own update history is the record (see history()) */
    }

    async endpoint(): Promise<PublicEndpoint> {
        const out = await (await this.stack()).outputs();
        const url = out.publicUrl?.value;
        if (typeof url !== "string" || url === "") throw new InputError(`the release stack ${this.env} has no publicUrl output yet (run a release first)`);
        const headerName = typeof out.previewHeader?.value === "string" ? out.previewHeader.value : undefined;
        return { url, ...(headerName ? { headerName } : {}) };
    }

    async routerKind(): Promise<string | undefined> {
        const out = await (await this.stack()).outputs();
        // While the stack also registers the legacy Ingresses (a migration), plans must keep nginx's rules.
        if (out.legacyNginxRoutes?.value === true) return "nginx";
        return typeof out.routerKind?.value === "string" ? out.routerKind.value : undefined;
    }

    /** Ready pods and restarts per slot, from the cluster (cluster-health.ts). */
    async slotHealth(): Promise<Record<SlotName, SlotHealth>> {
        this.health ??= new ClusterHealth(async () => (await this.stack()).outputs(), this.opts.podLister);
        return this.health.slotHealth();
    }

    async slotReady(slot: SlotName, version: string, replicas: number): Promise<{ ok: boolean; detail: string }> {
        // `up` only succeeds once Helm's atomic install/upgrade has waited for every pod to be ready.
        const out = await (await this.stack()).outputs();
        const slots = (out.slots?.value ?? {}) as Record<string, { version?: string | null; replicas?: number; role?: string }>;
        const s = slots[slot];
        const ok = s?.version === version && (s.replicas ?? 0) >= replicas;
        return { ok, detail: `helm release ${slot}-${String(out.appName?.value ?? "app")} reports ${s?.version ?? "nothing"} ×${s?.replicas ?? 0} after an atomic (wait for ready) upgrade; want ${version} ×${replicas}` };
    }

    async close(): Promise<void> {
        /* nothing held */
    }
}

/** One stack update as a history entry: the engine's message (`phoenix <run>: <step>; gate …; (by …)`) and the state it applied. */
export function historyFromUpdate(u: UpdateSummaryLike): HistoryEntry {
    const at = typeof u.startTime === "string" ? u.startTime : u.startTime.toISOString();
    const m = /^phoenix (\S+)(?: (\S+))?: (\S+)(?:; gate (.*?))?(?: \(by (.*)\))?$/.exec(u.message ?? "");
    let live: string | undefined;
    try {
        const st = u.config?.[KEY_STATE]?.value ? (JSON.parse(u.config[KEY_STATE].value) as ReleaseState) : undefined;
        const slot = st ? (["blue", "green"] as SlotName[]).find((x) => st.slots[x]?.role === "live") : undefined;
        if (st && slot) live = `${slot} ${st.slots[slot].version}`;
    } catch {
        /* an update not made by the engine */
    }
    const outcome = u.result === "succeeded" ? "succeeded" : u.result === "in-progress" ? "in-progress" : "failed";
    if (!m) return { at, action: u.kind === "destroy" ? "abort" : "release", outcome, liveAfter: live, gates: [], detail: `${u.kind}${u.message ? `: ${u.message}` : ""}` };
    const kind = m[1] as HistoryEntry["action"];
    const gates = (m[4] ?? "")
        .split(/, (?=(?:http|appinsights) )/)
        .filter((g) => g !== "")
        .map((g) => {
            const gm = /^(http|appinsights) (pass|fail): (.*)$/.exec(g);
            return gm ? { gate: gm[1] as "http" | "appinsights", verdict: gm[2] as "pass" | "fail", reason: gm[3] } : { gate: "http" as const, verdict: "fail" as const, reason: g };
        });
    const rejected = gates.some((g) => g.verdict === "fail") && (kind === "release" || kind === "verify");
    return {
        at,
        action: rejected ? "rejection" : kind,
        ...(m[2] ? { version: m[2] } : {}),
        outcome,
        liveAfter: live,
        gates,
        ...(m[5] ? { by: m[5] } : {}),
        detail: `step ${m[3]} (pulumi ${u.kind})`,
    };
}

export function defaultWorkDir(repoRoot: string): string {
    return path.join(repoRoot, "stacks", "release");
}
