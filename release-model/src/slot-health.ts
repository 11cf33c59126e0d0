/**
 * What one slot actually runs, as the environment reports it: the one shape the release engine's
 * backends report (local: the processes in the pool; cluster: the slot's pods), the engine's readiness
 * and restart checks judge, `status` shows, and the safety model's readiness rule reads (its
 * {@link SlotReadiness} is the ready/desired part of it).
 */
import type { SlotName } from "./release-state";

export interface SlotHealth {
    /** Ready endpoints (local: live processes in the pool; cluster: pods with the Ready condition True). */
    ready: number;
    /** Replicas the state (local) or the release (cluster) asks for. */
    desired: number;
    /** Versions the slot's ready endpoints run. */
    versions: string[];
    /**
     * Restarts counted so far (local: processes replaced after exiting on their own; cluster: the pods'
     * containerStatuses[].restartCount summed).
     */
    restarts: number;
}

/** Every slot's health, as one read of the environment returns it. */
export type SlotsHealth = Record<SlotName, SlotHealth>;

/** What the readiness rule needs of a slot: ready endpoints beside the replicas it should have. */
export type SlotReadiness = Pick<SlotHealth, "ready" | "desired">;
