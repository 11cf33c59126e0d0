/**
 * The local backend: the record and lock live under `.phoenix/<service>/<env>/` (`.phoenix/<env>/`
 * when no service is named, as in-process demos and specs do), the environment is a
 * {@link LocalCluster} (in this process for the demo and tests, or in a daemon for the CLI, so that
 * slots outlive one command as they would on a cluster).
 */
import * as path from "path";
import type { ReleaseState, SlotHealth, SlotName, SlotsHealth } from "@phoenix/release-model";
import { sameState } from "../../planner/plan";
import type { EngineRecord } from "../../planner/types";
import type { Backend, BackendCapabilities, Observation, PublicEndpoint } from "../../engine/backend";
import type { HistoryEntry } from "../../engine/history";
import { appendHistory, readHistory } from "./history-file";
import type { ClusterStatus } from "./cluster";
import { readRecord, writeRecord } from "./store";
import { acquireLock, lockHolder } from "./lock";
import { serviceStateDir } from "./state-dir";

/** The part of a cluster the backend drives (LocalCluster itself, or the daemon client). */
export interface ClusterHandle {
    apply(state: ReleaseState | null, versionEnv?: Record<string, Record<string, string>>): Promise<void>;
    status(): Promise<ClusterStatus> | ClusterStatus;
    /** False when the cluster is not running (and asking for status would start it). */
    running?(): Promise<boolean>;
    /** Where the router listens (or will listen once started), without starting anything. */
    routerUrl?(): string | undefined;
}

export interface LocalBackendOptions {
    env: string;
    /** The service: its state is `<root>/<service>/<env>`, and its lock is its own (another service's release never waits for it). */
    service?: string;
    /** Root of local state (default `.phoenix` in the working directory). */
    root: string;
    cluster: ClusterHandle;
    /** Extra environment for processes of a version (FAULT_* for demos). */
    versionEnv?: Record<string, Record<string, string>>;
}

export class LocalBackend implements Backend {
    readonly kind = "local" as const;
    readonly env: string;
    readonly dir: string;

    /** The proxy counts every answer, and the lock file names its holder; the router is the engine's own setting, so no list. */
    readonly capabilities: BackendCapabilities;

    constructor(private readonly opts: LocalBackendOptions) {
        this.env = opts.env;
        this.dir = opts.service ? serviceStateDir(opts.root, opts.service, opts.env) : path.join(opts.root, opts.env);
        const production = async () => (await this.opts.cluster.status()).production ?? [];
        this.capabilities = {
            traffic: {
                productionCounts: async () => {
                    const counts = await production();
                    return { requests: counts.reduce((n, c) => n + c.requests, 0), failed: counts.reduce((n, c) => n + c.failed, 0) };
                },
                trafficCounts: production,
            },
            lockHolder: { holder: async () => lockHolder(this.dir) },
        };
    }

    /** Takes the lock, then brings a fresh cluster (e.g. a restarted daemon) to the recorded state. */
    async lock(): Promise<() => Promise<void>> {
        readRecord(this.dir); // a corrupt record is refused (StateFileError) before the lock or the cluster is touched
        const release = acquireLock(this.dir, this.opts.service ? `${this.env} for ${this.opts.service}` : this.env);
        try {
            await this.reconcile();
        } catch (e) {
            release();
            throw e;
        }
        return async () => release();
    }

    async read(): Promise<EngineRecord> {
        return readRecord(this.dir);
    }

    async apply(record: EngineRecord, onOutput: (line: string) => void): Promise<void> {
        const before = readRecord(this.dir);
        writeRecord(this.dir, record);
        // A new state is applied in any case; only an unchanged one asks whether the cluster already runs it.
        if (sameState(before.state, record.state) && sameState((await this.opts.cluster.status()).state, record.state)) return;
        onOutput(`local: converging ${this.env}`);
        await this.opts.cluster.apply(record.state, this.opts.versionEnv);
    }

    private async reconcile(): Promise<void> {
        const record = readRecord(this.dir);
        if (record.state === null && this.opts.cluster.running && !(await this.opts.cluster.running())) return;
        const status = await this.opts.cluster.status();
        if (!sameState(status.state, record.state)) await this.opts.cluster.apply(record.state, this.opts.versionEnv);
    }

    async endpoint(): Promise<PublicEndpoint> {
        return { url: (await this.opts.cluster.status()).url };
    }

    async slotHealth(): Promise<SlotsHealth> {
        const st = await this.opts.cluster.status();
        const one = (slot: SlotName): SlotHealth => ({
            ready: st.slots[slot].ready,
            desired: st.slots[slot].desired?.replicas ?? 0,
            versions: st.slots[slot].versions,
            restarts: st.slots[slot].restarts ?? 0,
        });
        return { blue: one("blue"), green: one("green") };
    }

    async observe(): Promise<Observation> {
        if (this.opts.cluster.running && !(await this.opts.cluster.running())) {
            const url = this.opts.cluster.routerUrl?.();
            return { running: false, detail: url ? `its router will listen on ${url} again` : undefined };
        }
        return { running: true, endpoint: await this.endpoint() };
    }

    async history(): Promise<HistoryEntry[]> {
        return readHistory(this.dir);
    }

    async recordHistory(entry: HistoryEntry): Promise<void> {
        appendHistory(this.dir, entry);
    }

    async slotReady(slot: SlotName, version: string, replicas: number): Promise<{ ok: boolean; detail: string }> {
        const s = (await this.opts.cluster.status()).slots[slot];
        const ok = s.ready >= replicas && s.versions.length === 1 && s.versions[0] === version;
        return {
            ok,
            detail: `${slot} has ${s.ready} ready endpoint(s) of ${s.versions.join(", ") || "nothing"} (want ${replicas} of ${version})`,
        };
    }

    async close(): Promise<void> {
        /* the cluster's owner stops it */
    }
}
