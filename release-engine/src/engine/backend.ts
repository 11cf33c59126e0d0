/** What the engine needs from an environment. Implemented by the local backend and the Pulumi backend. */
import type { SlotName } from "../model/release-state";
import type { EngineRecord } from "../planner/types";

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
    /** Whether a slot runs `replicas` ready endpoints of `version` (Helm's atomic wait, or the local processes). */
    slotReady(slot: SlotName, version: string, replicas: number): Promise<{ ok: boolean; detail: string }>;
    close(): Promise<void>;
}
