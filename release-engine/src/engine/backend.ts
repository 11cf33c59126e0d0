/** What the engine needs from an environment. Implemented by the local backend and the Pulumi backend. */
import type { SlotName } from "@phoenix/release-model";
import type { EngineRecord } from "../planner/types";

/** Raised when the environment is locked by another run (exit code 3). */
export class BlockedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BlockedError";
    }
}

/** Bad input or a missing setting (exit code 2, nothing changed). */
export class InputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InputError";
    }
}

export interface PublicEndpoint {
    /** Base URL requests go to. */
    url: string;
    /** Host header to send when `url` is not the Ingress host itself. */
    hostHeader?: string;
    /** The preview header name the router uses, when the backend knows it (else the config's). */
    headerName?: string;
}

export interface Backend {
    readonly kind: "local" | "pulumi";
    readonly env: string;
    /** Takes the environment's lock; throws {@link BlockedError} when another release holds it. Returns the release function. */
    lock(): Promise<() => Promise<void>>;
    /** The persisted record (state + operation in progress). */
    read(): Promise<EngineRecord>;
    /** Persists the record, then converges the environment to its state (no-op when only the operation changed). */
    apply(record: EngineRecord, onOutput: (line: string) => void): Promise<void>;
    /** Where production and preview requests go. */
    endpoint(): Promise<PublicEndpoint>;
    /**
     * Production responses the environment's router has counted so far (cumulative), when the backend
     * can see them (local: the proxy counts every answer; on a cluster the proxies' metrics or App
     * Insights do). The engine reports the difference over a whole run, restores included.
     */
    productionCounts?(): Promise<{ requests: number; failed: number }>;
    /** What each slot actually runs next to what the state asks for, when the backend can see it. */
    slotHealth?(): Promise<Record<SlotName, { ready: number; desired: number; versions: string[]; restarts: number }>>;
    /** Whether a slot runs `replicas` ready endpoints of `version` (Helm's atomic wait, or the local processes). */
    slotReady(slot: SlotName, version: string, replicas: number): Promise<{ ok: boolean; detail: string }>;
    close(): Promise<void>;
}
