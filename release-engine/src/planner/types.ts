/** The planner's vocabulary: intents, the engine's record, steps, checks and plans. */
import type { ReleaseState, SlotName } from "../model/release-state";

export type IntentKind = "release" | "deploy" | "promote" | "rollback" | "abort";

export type Intent =
    /** The whole cycle: deploy V as candidate, gate it, promote it, check production. */
    | { kind: "release"; version: string; previewHeaderValue?: string }
    /** Only the first half: deploy V as candidate and wait until it is ready (ADO `deploy` hook). */
    | { kind: "deploy"; version: string; previewHeaderValue?: string }
    /** Promote the pending candidate (ADO `on: success`). */
    | { kind: "promote" }
    /** Undo: a pending candidate is removed; otherwise production switches back to the standby (ADO `on: failure`). */
    | { kind: "rollback"; version?: string }
    /** Remove the pending candidate, restoring its slot. */
    | { kind: "abort" };

/** An operation in progress, persisted with the state so that a crash at any step can be resumed or cleaned up. */
export type Operation =
    | {
          kind: "release";
          version: string;
          /** The slot the candidate occupies (the non-live slot when the release began). */
          slot: SlotName;
          /** The state before the release began; a rejected or aborted release returns to exactly this. */
          before: ReleaseState | null;
      }
    | {
          kind: "rollback";
          /** Slot and version production is moving back to. */
          to: { slot: SlotName; version: string };
          from: { slot: SlotName; version: string };
      };

/** What the engine persists: the release stack's desired state plus the operation in progress. */
export interface EngineRecord {
    /** Null: nothing has ever been released to this environment. */
    state: ReleaseState | null;
    operation?: Operation;
    /**
     * Versions that were rolled back or rejected here, newest last: `rollback` never moves production to
     * one of them (only `release <v>`, gated, brings one back, and takes it off this list). Optional:
     * records written before it existed read as "none".
     */
    rejected?: string[];
}

export type Check =
    /** The slot runs `replicas` ready endpoints of `version`. */
    | { kind: "slot-ready"; slot: SlotName; version: string; replicas: number }
    /** Preview gates (HTTP, then App Insights when configured) against the candidate. */
    | { kind: "gates"; slot: SlotName; version: string }
    /** Production requests are all answered by `slot` running `version`. */
    | { kind: "production"; slot: SlotName; version: string };

export type StepName =
    | "first-release"
    | "deploy-candidate"
    | "scale-candidate"
    | "promote"
    | "switch-back"
    | "restore-slot"
    | "scale-standby"
    | "rollback-switch"
    | "verify"
    | "complete";

export interface Step {
    name: StepName;
    /** One human line. */
    description: string;
    /** The record to persist and apply (its `state` is the release stack's desired state). */
    record: EngineRecord;
    /** Run after the step is applied; a failure triggers recovery when `recoverOnFailure`. */
    checks: Check[];
    /** True when the step is part of an operation that must be undone if a check fails. */
    recoverOnFailure: boolean;
}

export type PlanOutcome = "apply" | "noop" | "blocked" | "invalid";

export interface Plan {
    intent: Intent;
    outcome: PlanOutcome;
    steps: Step[];
    /** Human notes: replaced candidates, resumed operations, why nothing happens. */
    notes: string[];
    /** For `blocked`/`invalid`: the reason. */
    reason?: string;
}

export interface PlannerOptions {
    /** Replicas for the first release (later releases copy the live slot's replicas). */
    defaultReplicas: number;
}
