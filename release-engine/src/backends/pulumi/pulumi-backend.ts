/**
 * The Pulumi backend: the release stack (`stacks/release`, project `phoenix-release`) holds the
 * desired state in its config and applies it with `up` through the Automation API.
 *
 * Mapping (docs/release-engine.md):
 * - `phoenix-release:state`              the state as JSON, without the preview secret (plain config);
 * - `phoenix-release:previewHeaderValue` the per-release preview value (secret config), removed when unset;
 * - `phoenix-release:releaseOperation`   the operation in progress (secret config: its `before` may hold a preview value);
 * - `phoenix-release:releaseLock`        advisory lock between engine runs (the stack lock only covers one `up`).
 * A null state (a failed first release) is `destroy` plus removing the state.
 *
 * The adapter over `LocalWorkspace` is {@link automationStackFactory}; it needs the `pulumi` CLI,
 * which is why everything else here works against the {@link AutomationStack} interface.
 */
import * as path from "path";
import { validateReleaseState, type ReleaseState, type SlotName } from "../../model/release-state";
import type { EngineRecord, Operation } from "../../planner/types";
import { BlockedError, InputError } from "../../errors";
import type { Backend, PublicEndpoint } from "../../engine/backend";

export const PROJECT = "phoenix-release";
export const KEY_STATE = `${PROJECT}:state`;
export const KEY_PREVIEW = `${PROJECT}:previewHeaderValue`;
export const KEY_OPERATION = `${PROJECT}:releaseOperation`;
export const KEY_LOCK = `${PROJECT}:releaseLock`;

export interface ConfigValueLike {
    value: string;
    secret?: boolean;
}
export interface OutputValueLike {
    value: unknown;
    secret: boolean;
}

/** The slice of `automation.Stack` the backend uses (the real Stack satisfies it). */
export interface AutomationStack {
    getAllConfig(): Promise<Record<string, ConfigValueLike>>;
    setAllConfig(config: Record<string, ConfigValueLike>): Promise<void>;
    removeConfig(key: string): Promise<void>;
    up(opts: { onOutput: (out: string) => void; policyPacks?: string[]; policyPackConfigs?: string[] }): Promise<unknown>;
    destroy(opts: { onOutput: (out: string) => void }): Promise<unknown>;
    outputs(): Promise<Record<string, OutputValueLike>>;
}

export type StackFactory = (args: { stackName: string; workDir: string }) => Promise<AutomationStack>;

/** The real adapter: `LocalWorkspace.createOrSelectStack` over the release stack's folder. Needs the pulumi CLI. */
export const automationStackFactory: StackFactory = async (args) => {
    // Imported lazily: loading the Automation API is slow and the local backend never needs it.
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    return LocalWorkspace.createOrSelectStack(args);
};

/** True for the Automation API's ConcurrentUpdateError (matched by name: it may come from another copy of the SDK). */
export function isConcurrentUpdate(e: unknown): boolean {
    return e instanceof Error && (e.name === "ConcurrentUpdateError" || e.constructor?.name === "ConcurrentUpdateError" || /\bconflict: Another update is currently in progress/i.test(e.message));
}

/** Pure: the config entries for a record (what `setAllConfig` receives) and the keys to remove. */
export function recordToConfig(record: EngineRecord): { set: Record<string, ConfigValueLike>; remove: string[] } {
    const set: Record<string, ConfigValueLike> = {};
    const remove: string[] = [];
    if (record.state) {
        const { previewHeaderValue, ...plain } = record.state;
        set[KEY_STATE] = { value: JSON.stringify(plain), secret: false };
        if (previewHeaderValue !== undefined) set[KEY_PREVIEW] = { value: previewHeaderValue, secret: true };
        else remove.push(KEY_PREVIEW);
    } else {
        remove.push(KEY_STATE, KEY_PREVIEW);
    }
    if (record.operation) set[KEY_OPERATION] = { value: JSON.stringify(record.operation), secret: true };
    else remove.push(KEY_OPERATION);
    return { set, remove };
}

/** Pure: the record from the stack's config. A bad state is an input error naming the key. */
export function configToRecord(config: Record<string, ConfigValueLike>): EngineRecord {
    const stateText = config[KEY_STATE]?.value;
    let state: ReleaseState | null = null;
    if (stateText !== undefined && stateText !== "") {
        let parsed: unknown;
        try {
            parsed = JSON.parse(stateText);
        } catch (e) {
            throw new InputError(`${KEY_STATE} is not valid JSON: ${(e as Error).message}`);
        }
        const preview = config[KEY_PREVIEW]?.value;
        if (preview !== undefined && preview !== "" && typeof parsed === "object" && parsed !== null) parsed = { ...(parsed as object), previewHeaderValue: preview };
        try {
            state = validateReleaseState(parsed);
        } catch (e) {
            throw new InputError(`${KEY_STATE}: ${(e as Error).message}`);
        }
    }
    const opText = config[KEY_OPERATION]?.value;
    const operation = opText ? (JSON.parse(opText) as Operation) : undefined;
    return { state, ...(operation ? { operation } : {}) };
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
}

export class PulumiBackend implements Backend {
    readonly kind = "pulumi" as const;
    readonly env: string;
    private stackPromise?: Promise<AutomationStack>;

    constructor(private readonly opts: PulumiBackendOptions) {
        this.env = opts.env;
    }

    private stack(): Promise<AutomationStack> {
        this.stackPromise ??= (this.opts.factory ?? automationStackFactory)({ stackName: this.opts.stackName ?? this.env, workDir: this.opts.workDir });
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

    async apply(record: EngineRecord, onOutput: (line: string) => void): Promise<void> {
        const stack = await this.stack();
        const before = configToRecord(await stack.getAllConfig());
        const { set, remove } = recordToConfig(record);
        for (const [k, v] of Object.entries(this.opts.secretConfig ?? {})) set[`${PROJECT}:${k}`] = { value: v, secret: true };
        await stack.setAllConfig(set);
        for (const k of remove) await stack.removeConfig(k).catch(() => undefined);
        if (JSON.stringify(before.state) === JSON.stringify(record.state)) return;
        const lines = (out: string) => {
            for (const l of out.split("\n")) if (l.trim() !== "") onOutput(l);
        };
        try {
            if (record.state) {
                await stack.up({ onOutput: lines, policyPacks: this.opts.policyPacks, policyPackConfigs: this.opts.policyPackConfigs });
            } else {
                await stack.destroy({ onOutput: lines });
            }
        } catch (e) {
            if (isConcurrentUpdate(e)) throw this.blocked("the stack is locked by another update");
            throw e;
        }
    }

    async endpoint(): Promise<PublicEndpoint> {
        const out = await (await this.stack()).outputs();
        const url = out.publicUrl?.value;
        if (typeof url !== "string" || url === "") throw new InputError(`the release stack ${this.env} has no publicUrl output yet (run a release first)`);
        const headerName = typeof out.previewHeader?.value === "string" ? out.previewHeader.value : undefined;
        return { url, ...(headerName ? { headerName } : {}) };
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

export function defaultWorkDir(repoRoot: string): string {
    return path.join(repoRoot, "stacks", "release");
}
