/**
 * What the engine needs from an environment: a required core every backend implements, and capability
 * objects a backend has only when it can see that part of the environment (the shape of Flagger's
 * `pkg/router` and `pkg/metrics/providers` interfaces: one small interface per concern). Implemented by
 * the local backend and the Pulumi backend. A caller asks `backend.capabilities.<name>` once and gets
 * the object or undefined; a wrapper of the core (the CLI's lock tracking) passes `capabilities` on as
 * it is, whatever capabilities there are.
 */
import type { SlotName, SlotsHealth, SlotTrafficCount } from "@phoenix/release-model";
import type { EngineRecord } from "../planner/types";
import type { HistoryEntry } from "./history";

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

/** A run holding an environment's lock. */
export interface LockHolder {
    /** `pid 4242`, `Azure DevOps build 4711 (…)`, `alice@host pid 77`. */
    holder: string;
    /** ISO time it took the lock. */
    since?: string;
    /** ISO time its lease runs out unless renewed (the Pulumi backend's store). */
    expiresAt?: string;
}

/**
 * The environment's router counters, when the backend can see them (local: the proxy counts every
 * answer; on a cluster the proxies' metrics or App Insights do).
 */
export interface RouterCounters {
    /** Production responses counted so far (cumulative): the engine reports the difference over a whole run, restores included. */
    productionCounts(): Promise<{ requests: number; failed: number }>;
    /** Cumulative production counts per slot and version: the source of a progressive step's analysis. */
    trafficCounts(): Promise<SlotTrafficCount[]>;
}

/**
 * The routers the environment's release stack runs (Argo Rollouts' list of traffic routers): one, or
 * two while an environment moves between front doors (`gateway-api` and `nginx` while the platform's
 * `legacyNginx` keeps ingress-nginx beside the Gateway). The engine checks the list against its
 * `router` setting and plans for every router in it (engine/routers.ts).
 */
export interface RouterList {
    /** The routers' kinds as the release stack reports them, in its order; undefined when it reports none (never updated). */
    routers(): Promise<string[] | undefined>;
}

/** Who holds the environment's lock now (read-only): a release holding it is running. */
export interface LockInspection {
    holder(): Promise<LockHolder | undefined>;
}

/** What a backend can do beyond the core; an absent member is a capability the backend does not have. */
export interface BackendCapabilities {
    readonly traffic?: RouterCounters;
    readonly routers?: RouterList;
    readonly lockHolder?: LockInspection;
}

/** The core: what every backend implements. */
export interface Backend {
    readonly kind: "local" | "pulumi";
    readonly env: string;
    readonly capabilities: BackendCapabilities;
    /** Takes the environment's lock; throws BlockedError (../errors) when another release holds it. Returns the release function. */
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
     * What each slot actually runs next to what the state asks for. The engine relies on it before every
     * step that gives a slot production weight (ready endpoints, restarts since the candidate was
     * deployed: engine/readiness.ts); a backend that cannot see it throws, and such a step is not taken.
     */
    slotHealth(): Promise<SlotsHealth>;
    /** Read-only: whether the environment is serving and where, without starting anything. */
    observe(): Promise<Observation>;
    /** The release history, oldest first. */
    history(): Promise<HistoryEntry[]>;
    /** Appends a finished run to the history (local: a file beside the record; Pulumi: the record store's append-only history). */
    recordHistory(entry: HistoryEntry): Promise<void>;
    /** Whether a slot runs `replicas` ready endpoints of `version` (Helm's atomic wait, or the local processes). */
    slotReady(slot: SlotName, version: string, replicas: number): Promise<{ ok: boolean; detail: string }>;
    close(): Promise<void>;
}
