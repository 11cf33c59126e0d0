/** The planner's vocabulary: intents, steps, checks and plans. The record itself is the release model's. */
import type { EngineRecord, Operation, RouterModel, SlotName } from "@phoenix/release-model";

export type { EngineRecord, Operation };
export type { CandidateRestarts } from "@phoenix/release-model";

export type Intent =
    /** The whole cycle: deploy `version` as candidate, gate it, promote it, check production. */
    | { kind: "release"; version: string; previewHeaderValue?: string; steps?: number[] }
    /** Only the first half: deploy `version` as candidate and wait until it is ready (ADO `deploy` hook). */
    | { kind: "deploy"; version: string; previewHeaderValue?: string }
    /** Promote the pending candidate (ADO `on: success`). */
    | { kind: "promote"; steps?: number[] }
    /** Undo: a pending candidate is removed; otherwise production switches back to the standby (ADO `on: failure`). */
    | { kind: "rollback"; version?: string }
    /** Remove the pending candidate, restoring its slot. */
    | { kind: "abort" };

export type Check =
    /** The slot runs `replicas` ready endpoints of `version`. */
    | { kind: "slot-ready"; slot: SlotName; version: string; replicas: number }
    /** Preview gates (HTTP, then App Insights when configured) against the candidate. */
    | { kind: "gates"; slot: SlotName; version: string }
    /** Production requests are all answered by `slot` running `version`. */
    | { kind: "production"; slot: SlotName; version: string }
    /** A progressive step: the candidate, serving `weight` % of production, compared with live on production traffic. */
    | { kind: "analysis"; slot: SlotName; version: string; weight: number };

/**
 * Checked by the engine just before it applies a step that raises `slot`'s share of production to
 * `weight` % (the safety model's readiness rule, release-model routers/readiness.ts): the slot runs
 * `replicas` ready endpoints of `version` — any ready endpoint for a weighted step, every one for
 * 100 % — and, when it holds the release's candidate, none of them restarted since it was deployed.
 */
export interface WeightGuard {
    slot: SlotName;
    version: string;
    replicas: number;
    weight: number;
    /** The slot holds the release's candidate: a restart since its baseline rejects it as crashed. */
    candidate: boolean;
    /**
     * The step returns production to where it was (a recovery: weight back, switch back): when the
     * slot does not become fully ready in time it still goes ahead if some endpoints are ready, as
     * production is leaving a failed candidate.
     */
    restoring?: true;
}

export type StepName =
    | "first-release"
    | "converge"
    | "deploy-candidate"
    | "scale-candidate"
    | "shift"
    | "weight-back"
    | "promote"
    | "roll-home"
    | "return-home"
    | "restore-standby"
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
    /** Checked before the step is applied (present when the step raises a slot's share of production); a failure applies nothing. */
    guards?: WeightGuard[];
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
    /** Replicas for the first release and for slots whose state gives none (later releases copy the live slot's replicas). */
    defaultReplicas: number;
    /** The environment's traffic router: where candidates go, where production rests, which changes are safe. */
    router: RouterModel;
    /**
     * The weights (percent) production takes after the preview gate, ascending, ending with 100 (e.g.
     * `[5, 25, 50, 100]`); each step below 100 is judged against live. Default `[100]`: a direct switch.
     * An intent's own `steps` override it. The rule: planner/plan.ts `stepsRuleBroken`.
     */
    steps?: readonly number[];
}
