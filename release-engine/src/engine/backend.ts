/** What the engine needs from an environment. Implemented by the local backend and the Pulumi backend. */
import type { SlotName, SlotTrafficCount } from "@phoenix/release-model";
import type { EngineRecord } from "../planner/types";
import type { HistoryEntry } from "./history";

// Re-exported for existing importers; the errors live in ../errors (below engine/ and settings/).
export { BlockedError, InputError } from "../errors";

export interface PublicEndpoint {
    /** Base URL requests go to. */
    url: string;
    /** Host header to send when `url` is not the Ingress host itself. */
    hostHeader?: string;
    /** The preview header name the router uses, when the backend knows it (else the config's). */
    headerName?: string;
}

export interface Observation {
    /** False: the environment is stopped (nothing serves; its recorded state is restored by the next command that changes it). */
    running: boolean;
    endpoint?: PublicEndpoint;
    /** One line on what was observed (e.g. where the stopped environment's router will listen). */
    detail?: string;
}

/** What one slot actually runs, as the environment reports it. */
export interface SlotHealth {
    /** Ready endpoints (local: live processes in the pool; cluster: pods with the Ready condition True). */
    ready: number;
    /** Replicas the state (local) or the release (cluster) asks for. */
    desired: number;
    /** Versions the slot's ready endpoints run. */
    versions: string[];
    /** Restarts counted so far (local: processes replaced after exiting on their own; cluster: the pods' containerStatuses[].restartCount summed). */
    restarts: number;
}

/** A run holding an environment's lock. */
export interface LockHolder {
    /** `pid 4242`, `Azure DevOps build 4711 (…)`, `alice@host pid 77`. */
    holder: string;
    /** ISO time it took the lock. */
    since?: string;
    /** ISO time its lease runs out unless renewed (the Pulumi backend's store). */
    expiresAt?: string;
}

export interface Backend {
    readonly kind: "local" | "pulumi";
    readonly env: string;
    /** Takes the environment's lock; throws {@link BlockedError} when another release holds it. Returns the release function. */
    lock(): Promise<() => Promise<void>>;
    /** The persisted record (state + operation in progress). */
    read(): Promise<EngineRecord>;
    /**
     * Persists the record, then converges the environment to its state (no-op when only the operation changed).
     * `context.message` names the run and step (the Pulumi backend's update message; the history reads it back).
     */
    apply(record: EngineRecord, onOutput: (line: string) => void, context?: { message: string }): Promise<void>;
    /** Where production and preview requests go (may start the environment, e.g. the local daemon). */
    endpoint(): Promise<PublicEndpoint>;
    /**
     * Production responses the environment's router has counted so far (cumulative), when the backend
     * can see them (local: the proxy counts every answer; on a cluster the proxies' metrics or App
     * Insights do). The engine reports the difference over a whole run, restores included.
     */
    productionCounts?(): Promise<{ requests: number; failed: number }>;
    /**
     * Cumulative production counts per slot and version (requests, failed, total ms, latency histogram),
     * when the backend's router counts them: the source of a progressive step's analysis.
     */
    trafficCounts?(): Promise<SlotTrafficCount[]>;
    /**
     * The router the environment's release stack reports (`nginx` while it also registers the legacy
     * Ingresses), when the backend can read it: the engine refuses to plan with another router model.
     */
    routerKind?(): Promise<string | undefined>;
    /**
     * What each slot actually runs next to what the state asks for. The engine relies on it before every
     * step that gives a slot production weight (ready endpoints, restarts since the candidate was
     * deployed: engine/readiness.ts); a backend that cannot see it throws, and such a step is not taken.
     */
    slotHealth(): Promise<Record<SlotName, SlotHealth>>;
    /** Read-only: who holds the environment's lock now (a release is running), when the backend can tell. */
    lockHolder?(): Promise<LockHolder | undefined>;
    /** Read-only: whether the environment is serving and where, without starting anything. */
    observe(): Promise<Observation>;
    /** The release history, oldest first. */
    history(): Promise<HistoryEntry[]>;
    /** Records a finished run (the Pulumi backend keeps its history in the stack's updates and ignores this). */
    recordHistory(entry: HistoryEntry): Promise<void>;
    /** Whether a slot runs `replicas` ready endpoints of `version` (Helm's atomic wait, or the local processes). */
    slotReady(slot: SlotName, version: string, replicas: number): Promise<{ ok: boolean; detail: string }>;
    close(): Promise<void>;
}
