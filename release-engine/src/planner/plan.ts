/**
 * The planner (pure): current record + intent → ordered steps, each a desired release-stack state
 * plus the checks to run after it. No I/O; the engine applies steps through a backend.
 *
 * Routing invariant this encodes (docs/contracts.md): the main Ingress always points at blue, the canary
 * Ingress at green, production moves only by canary-weight 0 ↔ 100. So blue is never absent once
 * created, a candidate is scaled to the live slot's replicas before it takes production, and the
 * previous live slot stays up as standby (instant rollback).
 */
import { isSemver, otherSlot as other, type ReleaseState, type SlotName, type SlotState } from "../model/release-state";
import type { Check, EngineRecord, Intent, Operation, Plan, PlannerOptions, Step } from "./types";

export { isSemver, other };

export function findLive(state: ReleaseState | null): SlotName | undefined {
    if (!state) return undefined;
    if (state.slots.blue.role === "live") return "blue";
    if (state.slots.green.role === "live") return "green";
    return undefined;
}

function clone<T>(x: T): T {
    return x === undefined ? x : (JSON.parse(JSON.stringify(x)) as T);
}

function replicasOf(s: SlotState | undefined): number {
    return s && s.role !== "absent" ? (s.replicas ?? 0) : 0;
}

function withSlot(state: ReleaseState, slot: SlotName, value: SlotState): ReleaseState {
    const next = clone(state);
    next.slots[slot] = clone(value);
    return next;
}

function withoutPreview(state: ReleaseState): ReleaseState {
    const next = clone(state);
    delete next.previewHeaderValue;
    return next;
}

export function sameState(a: ReleaseState | null, b: ReleaseState | null): boolean {
    return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

export function sameRecord(a: EngineRecord, b: EngineRecord): boolean {
    return sameState(a.state, b.state) && JSON.stringify(a.operation ?? null) === JSON.stringify(b.operation ?? null) && (a.rejected ?? []).join(" ") === (b.rejected ?? []).join(" ");
}

/** Canonical key order so that equal states compare equal. */
function normalize(s: ReleaseState | null): unknown {
    if (!s) return null;
    const slot = (x: SlotState) =>
        x.role === "absent" ? { role: "absent" } : { role: x.role, version: x.version, replicas: x.replicas ?? 0 };
    return { blue: slot(s.slots.blue), green: slot(s.slots.green), preview: s.previewHeaderValue ?? null };
}

const ABSENT: SlotState = { role: "absent" };

function describeSlot(slot: SlotName, s: SlotState | undefined): string {
    if (!s || s.role === "absent") return `${slot} absent`;
    return `${slot} ${s.role} ${s.version ?? "?"} ×${s.replicas ?? 0}`;
}

function step(
    name: Step["name"],
    description: string,
    record: EngineRecord,
    checks: Check[],
    recoverOnFailure: boolean,
): Step {
    return { name, description, record: clone(record), checks, recoverOnFailure };
}

/**
 * Steps that move production from the live slot to `to` (which must hold a version): scale `to` to
 * the live slot's replicas first, then flip roles (one canary-weight change). The old live slot stays
 * as standby with its replicas.
 */
function switchSteps(
    state: ReleaseState,
    to: SlotName,
    toRole: "live",
    fromRole: "standby" | "candidate",
    operation: Operation | undefined,
    names: { scale: Step["name"]; flip: Step["name"] },
    recoverOnFailure: boolean,
): { steps: Step[]; state: ReleaseState } {
    const from = other(to);
    const steps: Step[] = [];
    let cur = clone(state);
    const need = Math.max(replicasOf(cur.slots[from]), 1);
    const target = cur.slots[to];
    const version = target.version as string;
    if (replicasOf(target) < need) {
        cur = withSlot(cur, to, { ...target, replicas: need });
        steps.push(
            step(
                names.scale,
                `scale ${to} (${version}) to ${need} replicas before it takes production`,
                { state: cur, operation },
                [{ kind: "slot-ready", slot: to, version, replicas: need }],
                recoverOnFailure,
            ),
        );
    }
    const fromState = cur.slots[from];
    cur = withSlot(cur, to, { role: toRole, version, replicas: replicasOf(cur.slots[to]) });
    cur = withSlot(cur, from, { role: fromRole, version: fromState.version, replicas: replicasOf(fromState) });
    if (fromRole === "standby") cur = withoutPreview(cur);
    steps.push(
        step(
            names.flip,
            `switch production ${from} (${fromState.version}) → ${to} (${version}); ${from} stays up as ${fromRole}`,
            { state: cur, operation },
            [{ kind: "production", slot: to, version }],
            recoverOnFailure,
        ),
    );
    return { steps, state: cur };
}

/** Steps that undo a pending release: switch production back if it was promoted, then restore the candidate slot. */
export function recoverySteps(record: EngineRecord): Step[] {
    const op = record.operation;
    if (!op || op.kind !== "release") return [];
    const before = op.before;
    const steps: Step[] = [];
    if (!record.state || !before) {
        // The first release failed: there was nothing before it.
        steps.push(step("restore-slot", `remove ${op.slot} (${op.version}): nothing was deployed before`, { state: null, rejected: rejectedList(record.rejected, { add: op.version }) }, [], false));
        return carryRejected(steps, record);
    }
    const liveBefore = findLive(before) as SlotName;
    const liveBeforeState = before.slots[liveBefore];
    let cur = clone(record.state);
    if (findLive(cur) !== liveBefore) {
        // Promoted already: make sure the previous live slot is back on its version and capacity, then flip back.
        const prev = cur.slots[liveBefore];
        if (prev.version !== liveBeforeState.version || replicasOf(prev) < replicasOf(liveBeforeState)) {
            cur = withSlot(cur, liveBefore, {
                role: "standby",
                version: liveBeforeState.version,
                replicas: Math.max(replicasOf(liveBeforeState), replicasOf(cur.slots[op.slot])),
            });
            steps.push(
                step(
                    "scale-standby",
                    `bring ${liveBefore} back to ${liveBeforeState.version} ×${replicasOf(cur.slots[liveBefore])} before switching back`,
                    { state: cur, operation: op },
                    [{ kind: "slot-ready", slot: liveBefore, version: liveBeforeState.version as string, replicas: replicasOf(cur.slots[liveBefore]) }],
                    false,
                ),
            );
        }
        const sw = switchSteps(cur, liveBefore, "live", "candidate", op, { scale: "scale-standby", flip: "switch-back" }, false);
        steps.push(...sw.steps);
        cur = sw.state;
    }
    const restored = clone(before);
    steps.push(
        step(
            "restore-slot",
            `restore ${describeSlot(op.slot, before.slots[op.slot])} (removing candidate ${op.version})`,
            { state: restored, rejected: rejectedList(record.rejected, { add: op.version }) },
            [{ kind: "production", slot: liveBefore, version: liveBeforeState.version as string }],
            false,
        ),
    );
    return carryRejected(steps, record);
}

/** For an operation whose candidate already took production: check production (recoverable), then complete. */
function promotedTail(record: EngineRecord, op: Extract<Operation, { kind: "release" }>): Step[] {
    const state = record.state as ReleaseState;
    return [
        step("promote", `${op.version} is live in ${op.slot}; checking production`, { state, operation: op }, [{ kind: "production", slot: op.slot, version: op.version }], true),
        step("complete", `release ${op.version} complete`, { state, rejected: rejectedList(record.rejected, { remove: op.version }) }, [], false),
    ];
}

/** `rejected` with `add` appended (once, newest last) and `remove` taken off; at most the last 20 kept. */
function rejectedList(prev: string[] | undefined, change: { add?: string; remove?: string }): string[] {
    const out = (prev ?? []).filter((v) => v !== change.add && v !== change.remove);
    if (change.add) out.push(change.add);
    return out.slice(-20);
}

/** Steps that do not change `rejected` carry the list of the step before them (or of `from`). */
function carryRejected(steps: Step[], from: EngineRecord): Step[] {
    let prev = from.rejected;
    for (const s of steps) {
        if (s.record.rejected === undefined && prev !== undefined) s.record.rejected = [...prev];
        prev = s.record.rejected;
    }
    return steps;
}

function invalid(intent: Intent, reason: string): Plan {
    return { intent, outcome: "invalid", steps: [], notes: [], reason };
}

function blocked(intent: Intent, reason: string): Plan {
    return { intent, outcome: "blocked", steps: [], notes: [], reason };
}

function noop(intent: Intent, note: string): Plan {
    return { intent, outcome: "noop", steps: [], notes: [note] };
}

function finish(intent: Intent, steps: Step[], notes: string[], from: EngineRecord): Plan {
    // Drop leading steps that are already in effect (resume after a crash), but keep their checks:
    // a step's checks are re-run by the engine when its record equals the current one.
    const outcome = steps.length === 0 || steps.every((s) => sameRecord(s.record, from) && s.checks.length === 0) ? "noop" : "apply";
    return { intent, outcome, steps: carryRejected(steps, from), notes };
}

function planRelease(record: EngineRecord, intent: Extract<Intent, { kind: "release" | "deploy" }>, opts: PlannerOptions): Plan {
    const V = intent.version;
    if (!isSemver(V)) return invalid(intent, `"${V}" is not a semantic version (expected e.g. 1.2.3)`);
    const state = record.state;
    const op = record.operation;
    const notes: string[] = [];
    const full = intent.kind === "release";

    if (op?.kind === "rollback") {
        return blocked(intent, `a rollback to ${op.to.version} is in progress; run "rollback" again to finish it first`);
    }
    const live = findLive(state);
    if (!state || !live) {
        // First release: blue becomes live directly (there is no production to protect yet).
        const before = op?.kind === "release" ? op.before : state;
        const operation: Operation = { kind: "release", version: V, slot: "blue", before };
        const replicas = Math.max(1, opts.defaultReplicas);
        const s1: ReleaseState = {
            slots: { blue: { role: "live", version: V, replicas }, green: clone(ABSENT) },
        };
        const steps: Step[] = [
            step(
                "first-release",
                `first release: ${V} goes live in blue ×${replicas}`,
                { state: s1, operation },
                [
                    { kind: "slot-ready", slot: "blue", version: V, replicas },
                    { kind: "gates", slot: "blue", version: V },
                    { kind: "production", slot: "blue", version: V },
                ],
                true,
            ),
        ];
        if (full) steps.push(step("complete", `release ${V} complete`, { state: s1, rejected: rejectedList(record.rejected, { remove: V }) }, [], false));
        return finish(intent, steps, notes, record);
    }

    const liveState = state.slots[live];
    if (op?.kind === "release" && findLive(state) === op.slot) {
        if (op.version !== V) {
            return blocked(intent, `release ${op.version} is live in ${op.slot} but not completed; finish it with "promote" or undo it with "rollback" first`);
        }
        if (!full) return noop(intent, `${V} is already deployed to ${op.slot} (live); run "verify" and "promote" to complete it`);
        // Crashed after promotion, before completion: check production again, then finish.
        notes.push(`resuming release ${V}: already promoted to ${op.slot}`);
        return finish(intent, promotedTail(record, op), notes, record);
    }
    if (liveState.version === V) {
        return noop(intent, `${V} is already live in ${live}; nothing to do`);
    }
    const C = other(live);
    let before: ReleaseState;
    if (op?.kind === "release") {
        before = op.before ?? state;
        if (op.version === V) notes.push(`resuming release ${V} in ${C}`);
        else notes.push(`replacing pending candidate ${op.version} in ${C} with ${V}`);
    } else if (state.slots[C].role === "candidate") {
        // A candidate without a pending record (state edited by hand): replaced; a rejection puts it back as it was.
        notes.push(`replacing candidate ${state.slots[C].version} in ${C} (no pending release recorded) with ${V}`);
        before = clone(state);
    } else {
        before = clone(state);
    }
    const operation: Operation = { kind: "release", version: V, slot: C, before };
    const R = Math.max(1, replicasOf(liveState));
    let s1 = withSlot(state, C, { role: "candidate", version: V, replicas: R });
    if (intent.previewHeaderValue !== undefined) s1 = { ...s1, previewHeaderValue: intent.previewHeaderValue };
    const steps: Step[] = [
        step(
            "deploy-candidate",
            `deploy ${V} to ${C} as candidate ×${R} (preview only; production stays on ${live} ${liveState.version})`,
            { state: s1, operation },
            full
                ? [
                      { kind: "slot-ready", slot: C, version: V, replicas: R },
                      { kind: "gates", slot: C, version: V },
                  ]
                : [{ kind: "slot-ready", slot: C, version: V, replicas: R }],
            true,
        ),
    ];
    if (full) {
        const sw = switchSteps(s1, C, "live", "standby", operation, { scale: "scale-candidate", flip: "promote" }, true);
        steps.push(...sw.steps);
        steps.push(step("complete", `release ${V} complete`, { state: sw.state, rejected: rejectedList(record.rejected, { remove: V }) }, [], false));
    }
    return finish(intent, steps, notes, record);
}

function planPromote(record: EngineRecord, intent: Intent): Plan {
    const op = record.operation;
    const state = record.state;
    if (!op || op.kind !== "release" || !state) return blocked(intent, "nothing to promote: no candidate is pending");
    if (findLive(state) === op.slot) {
        return finish(intent, promotedTail(record, op), [`${op.version} is already live in ${op.slot}; completing`], record);
    }
    const cand = state.slots[op.slot];
    if (cand.role !== "candidate" || cand.version !== op.version) {
        return blocked(intent, `nothing to promote: ${op.slot} does not hold candidate ${op.version}`);
    }
    const sw = switchSteps(state, op.slot, "live", "standby", op, { scale: "scale-candidate", flip: "promote" }, true);
    return finish(intent, [...sw.steps, step("complete", `release ${op.version} complete`, { state: sw.state, rejected: rejectedList(record.rejected, { remove: op.version }) }, [], false)], [], record);
}

function planRollback(record: EngineRecord, intent: Extract<Intent, { kind: "rollback" }>): Plan {
    if (intent.version !== undefined && !isSemver(intent.version)) {
        return invalid(intent, `"${intent.version}" is not a semantic version (expected e.g. 1.2.3)`);
    }
    const op = record.operation;
    const state = record.state;
    if (op?.kind === "release" && (intent.version === undefined || intent.version === op.version)) {
        return finish(intent, recoverySteps(record), [`rolling back pending release ${op.version}`], record);
    }
    if (op?.kind === "rollback" && state) {
        const sw = switchSteps(state, op.to.slot, "live", "standby", op, { scale: "scale-standby", flip: "rollback-switch" }, false);
        const steps = findLive(state) === op.to.slot ? [] : sw.steps;
        return finish(
            intent,
            [
                ...steps,
                step(
                    "complete",
                    `rollback to ${op.to.version} complete`,
                    { state: steps.length ? sw.state : state, rejected: rejectedList(record.rejected, { add: op.from.version }) },
                    [{ kind: "production", slot: op.to.slot, version: op.to.version }],
                    false,
                ),
            ],
            [`resuming rollback ${op.from.version} → ${op.to.version}`],
            record,
        );
    }
    const live = findLive(state);
    if (!state || !live) return blocked(intent, "nothing to roll back: nothing is live");
    const liveVersion = state.slots[live].version as string;
    if (intent.version !== undefined && intent.version !== liveVersion) {
        return noop(intent, `release ${intent.version} is neither pending nor live (live: ${liveVersion}); nothing to roll back`);
    }
    const sb = other(live);
    const standby = state.slots[sb];
    if (standby.role !== "standby" || !standby.version) {
        return blocked(intent, `nothing to roll back to: ${sb} holds no standby version`);
    }
    if (standby.version === liveVersion) return blocked(intent, `nothing to roll back to: standby ${sb} runs the live version ${liveVersion}`);
    if (record.rejected?.includes(standby.version)) {
        // Rolling back to it would put an ungated, already rejected version in front of production.
        return blocked(intent, `nothing to roll back to: standby ${sb} holds ${standby.version}, which was itself rolled back or rejected; to make it live again, release it through the gate: release ${standby.version}`);
    }
    const rb: Operation = { kind: "rollback", to: { slot: sb, version: standby.version }, from: { slot: live, version: liveVersion } };
    const sw = switchSteps(state, sb, "live", "standby", rb, { scale: "scale-standby", flip: "rollback-switch" }, false);
    const done = step("complete", `rollback ${liveVersion} → ${standby.version} complete`, { state: sw.state, rejected: rejectedList(record.rejected, { add: liveVersion }) }, [], false);
    return finish(intent, [...sw.steps, done], [], record);
}

/** Plan an intent from the current record. Never throws for bad input: returns an `invalid` plan. */
export function plan(record: EngineRecord, intent: Intent, opts: PlannerOptions): Plan {
    switch (intent.kind) {
        case "release":
        case "deploy":
            return planRelease(record, intent, opts);
        case "promote":
            return planPromote(record, intent);
        case "rollback":
            return planRollback(record, intent);
        case "abort": {
            const op = record.operation;
            if (!op || op.kind !== "release") return noop(intent, "nothing to abort: no candidate is pending");
            return finish(intent, recoverySteps(record), [`aborting release ${op.version}`], record);
        }
    }
}

/** The record after the whole plan succeeds (or the current one if there is nothing to do). */
export function finalRecord(record: EngineRecord, p: Plan): EngineRecord {
    return p.steps.length ? p.steps[p.steps.length - 1].record : record;
}

export function describeState(state: ReleaseState | null): string {
    if (!state) return "nothing deployed";
    return `${describeSlot("blue", state.slots.blue)}; ${describeSlot("green", state.slots.green)}`;
}
