/**
 * The planner (pure): current record + intent → ordered steps, each a desired release-stack state
 * plus the checks to run after it. No I/O; the engine applies steps through a backend.
 *
 * Where candidates go and where production rests come from the environment's router model
 * (`@phoenix/release-model`): on the Gateway API a candidate takes the non-live slot and production
 * moves by weights between either slot; on ingress-nginx a candidate always takes the canary side
 * (green) and, after a promotion, blue (the main side, whose drained backend would be a 503 for
 * everyone) is rolled to the promoted version and production returns to it. A candidate is scaled to
 * the live slot's replicas before it takes production, and the previous live version stays up as
 * standby (instant rollback).
 *
 * Every plan is checked against the router's safety model before it is returned
 * (`productionViolations` between consecutive states, `restViolations` where it ends at rest): a
 * plan that could fail a production request in any ordering of its changes is refused. Every step
 * that raises a slot's share of production carries a {@link WeightGuard} per such slot (the model's
 * readiness rule, `weightGains`): the engine checks the slot's readiness and restarts against it
 * before applying the step.
 */
import {
    findLiveSlot,
    isSemver,
    otherSlot,
    productionViolations,
    replicasOf,
    restViolations,
    versionOf,
    weightGains,
    type ReleaseState,
    type SlotName,
    type SlotState,
} from "@phoenix/release-model";
import type { Check, EngineRecord, Intent, Operation, Plan, PlannerOptions, Step, WeightGuard } from "./types";

function clone<T>(value: T): T {
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
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

function withWeight(state: ReleaseState, weight: number | undefined): ReleaseState {
    const next = clone(state);
    if (weight === undefined || weight <= 0) delete next.candidateWeight;
    else next.candidateWeight = weight;
    return next;
}

/** The most weights a list of progressive steps may hold. */
const MAX_STEPS = 20;

/**
 * The rule of progressive steps, the one every caller applies (the planner, the settings, `--steps`): 1 to
 * 20 whole percents from 1 to 100, rising strictly, ending with 100. Returns the part a list breaks
 * ("must rise strictly"), or undefined when it is usable.
 */
export function stepsRuleBroken(steps: readonly number[]): string | undefined {
    if (!Array.isArray(steps) || steps.length === 0 || steps.length > MAX_STEPS)
        return `must be a list of 1 to ${MAX_STEPS} percents ending with 100`;
    if (!steps.every((weight) => Number.isInteger(weight) && weight >= 1 && weight <= 100)) return "must be whole percents from 1 to 100";
    if (!steps.every((weight, index) => index === 0 || weight > steps[index - 1])) return "must rise strictly";
    if (steps[steps.length - 1] !== 100) return "must end with 100 (production entirely on the new version)";
    return undefined;
}

/** Why a list of progressive steps is not usable (`steps <rule broken>, got [...]`), or undefined. */
export function stepsProblem(steps: readonly number[]): string | undefined {
    const broken = stepsRuleBroken(steps);
    return broken === undefined ? undefined : `steps ${broken}, got ${JSON.stringify(steps)}`;
}

export function sameState(a: ReleaseState | null, b: ReleaseState | null): boolean {
    return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

export function sameRecord(a: EngineRecord, b: EngineRecord): boolean {
    return (
        sameState(a.state, b.state) &&
        JSON.stringify(a.operation ?? null) === JSON.stringify(b.operation ?? null) &&
        (a.rejected ?? []).join(" ") === (b.rejected ?? []).join(" ")
    );
}

/** Canonical key order so that equal states compare equal (an unset replica count stays unset). */
function normalize(state: ReleaseState | null): unknown {
    if (!state) return null;
    const slot = (slotState: SlotState) =>
        slotState.role === "absent"
            ? { role: "absent" }
            : { role: slotState.role, version: slotState.version, replicas: slotState.replicas ?? null };
    return {
        blue: slot(state.slots.blue),
        green: slot(state.slots.green),
        preview: state.previewHeaderValue ?? null,
        weight: state.candidateWeight ?? 0,
    };
}

const ABSENT: SlotState = { role: "absent" };

function describeSlot(slot: SlotName, slotState: SlotState | undefined): string {
    if (!slotState || slotState.role === "absent") return `${slot} absent`;
    const replicas = slotState.replicas !== undefined ? ` ×${slotState.replicas}` : "";
    return `${slot} ${slotState.role} ${slotState.version ?? "?"}${replicas}`;
}

function step(name: Step["name"], description: string, record: EngineRecord, checks: Check[], recoverOnFailure: boolean): Step {
    return { name, description, record: clone(record), checks, recoverOnFailure };
}

/** The planner's context: options plus the replica resolution every step uses. */
class PlanContext {
    constructor(readonly opts: PlannerOptions) {}
    replicas(slotState: SlotState | undefined): number {
        return replicasOf(slotState, this.opts.defaultReplicas);
    }
    get home(): SlotName | undefined {
        return this.opts.router.homeSlot;
    }
}

/** What {@link switchSteps} moves, and how its steps are named and recovered. */
interface SwitchOptions {
    /** The state before the switch (production on the other slot). */
    state: ReleaseState;
    /** The slot production moves to; it must hold a version. */
    to: SlotName;
    /** The role the old live slot keeps (with its version and replicas). */
    fromRole: "standby" | "candidate";
    /** The operation recorded with every step. */
    operation: Operation | undefined;
    /** The names of the scale-up step and of the flip. */
    names: { scale: Step["name"]; flip: Step["name"] };
    /** Whether a failed check undoes the operation. */
    recoverOnFailure: boolean;
    /** Progressive weights below 100 that `to` takes, each judged against live, before the flip (none: a direct switch). */
    shifts?: readonly number[];
}

/**
 * Steps that move production from the live slot to `to`: scale `to` to the live slot's replicas first,
 * then the progressive shifts, then flip roles (one weight change).
 */
function switchSteps(context: PlanContext, options: SwitchOptions): { steps: Step[]; state: ReleaseState } {
    const { to, fromRole, operation, names, recoverOnFailure, shifts = [] } = options;
    const from = otherSlot(to);
    const steps: Step[] = [];
    let cur = clone(options.state);
    const need = Math.max(context.replicas(cur.slots[from]), 1);
    const target = cur.slots[to];
    const version = target.version as string;
    if (context.replicas(target) < need) {
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
    // Progressive steps: the candidate takes each weight in turn, each judged against live on production traffic.
    shifts.forEach((weight, index) => {
        cur = withWeight(cur, weight);
        steps.push(
            step(
                "shift",
                `step ${index + 1}/${shifts.length + 1}: ${weight} % of production to ${to} (${version}), judged against live ${from} (${cur.slots[from].version})`,
                { state: cur, operation },
                [{ kind: "analysis", slot: to, version, weight }],
                recoverOnFailure,
            ),
        );
    });
    const fromState = cur.slots[from];
    cur = withWeight(cur, undefined);
    cur = withSlot(cur, to, { role: "live", version, replicas: context.replicas(cur.slots[to]) });
    cur = withSlot(cur, from, { role: fromRole, version: fromState.version, replicas: context.replicas(fromState) });
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

/**
 * Router with a home slot (nginx): when production is live on the other slot, roll the home slot to the
 * live version (it serves nothing meanwhile) and return production to it. No steps otherwise.
 */
function convergeSteps(
    context: PlanContext,
    state: ReleaseState,
    operation: Operation | undefined,
    recoverOnFailure: boolean,
): { steps: Step[]; state: ReleaseState } {
    const home = context.home;
    const live = findLiveSlot(state);
    if (home === undefined || live === undefined || live === home) return { steps: [], state };
    const liveVersion = state.slots[live].version as string;
    const replicas = Math.max(context.replicas(state.slots[live]), 1);
    const steps: Step[] = [];
    let cur = state;
    const homeState = cur.slots[home];
    if (versionOf(homeState) !== liveVersion || context.replicas(homeState) < replicas) {
        cur = withSlot(cur, home, { role: "standby", version: liveVersion, replicas });
        steps.push(
            step(
                "roll-home",
                `roll ${home} to ${liveVersion} ×${replicas} while ${live} serves production (${home} backs the main Ingress)`,
                { state: cur, operation },
                [{ kind: "slot-ready", slot: home, version: liveVersion, replicas }],
                recoverOnFailure,
            ),
        );
    }
    cur = withSlot(cur, home, { role: "live", version: liveVersion, replicas });
    cur = withSlot(cur, live, { role: "standby", version: liveVersion, replicas: context.replicas(state.slots[live]) });
    cur = withoutPreview(cur);
    steps.push(
        step(
            "return-home",
            `return production to ${home} (${liveVersion}); ${live} stays up as standby`,
            { state: cur, operation },
            [{ kind: "production", slot: home, version: liveVersion }],
            recoverOnFailure,
        ),
    );
    return { steps, state: cur };
}

/** Steps that undo a pending release: switch production back if it was promoted, then restore the candidate slot. */
export function recoverySteps(record: EngineRecord, opts: PlannerOptions): Step[] {
    const context = new PlanContext(opts);
    const op = record.operation;
    if (!op || op.kind !== "release") return [];
    const before = op.before;
    const steps: Step[] = [];
    if (!record.state || !before) {
        // The first release failed: there was nothing before it.
        steps.push(
            step(
                "restore-slot",
                `remove ${op.slot} (${op.version}): nothing was deployed before`,
                { state: null, rejected: rejectedList(record.rejected, { add: op.version }) },
                [],
                false,
            ),
        );
        return withGuards(record, carryRejected(steps, record), opts, true);
    }
    const liveBefore = findLiveSlot(before) as SlotName;
    const liveBeforeState = before.slots[liveBefore];
    let cur = clone(record.state);
    if ((cur.candidateWeight ?? 0) > 0) {
        // One object update: the candidate's weight back to 0, before anything else moves.
        cur = withWeight(cur, undefined);
        steps.push(
            step(
                "weight-back",
                `production back to ${findLiveSlot(cur)} at once (the candidate's weight to 0)`,
                { state: cur, operation: op },
                [
                    {
                        kind: "production",
                        slot: findLiveSlot(cur) as SlotName,
                        version: cur.slots[findLiveSlot(cur) as SlotName].version as string,
                    },
                ],
                false,
            ),
        );
    }
    if (findLiveSlot(cur) !== liveBefore) {
        // Promoted already: make sure the previous live slot is back on its version and capacity, then flip back.
        const prev = cur.slots[liveBefore];
        if (prev.version !== liveBeforeState.version || context.replicas(prev) < context.replicas(liveBeforeState)) {
            const replicas = Math.max(context.replicas(liveBeforeState), context.replicas(cur.slots[op.slot]));
            cur = withSlot(cur, liveBefore, { role: "standby", version: liveBeforeState.version, replicas });
            steps.push(
                step(
                    "scale-standby",
                    `bring ${liveBefore} back to ${liveBeforeState.version} ×${replicas} before switching back`,
                    { state: cur, operation: op },
                    [{ kind: "slot-ready", slot: liveBefore, version: liveBeforeState.version as string, replicas }],
                    false,
                ),
            );
        }
        const switched = switchSteps(context, {
            state: cur,
            to: liveBefore,
            fromRole: "candidate",
            operation: op,
            names: { scale: "scale-standby", flip: "switch-back" },
            recoverOnFailure: false,
        });
        steps.push(...switched.steps);
        cur = switched.state;
    }
    const rejected = rejectedList(record.rejected, { add: op.version });
    steps.push(
        step(
            "restore-slot",
            `restore ${describeSlot(op.slot, before.slots[op.slot])}; ${describeSlot(liveBefore, before.slots[liveBefore])} (removing candidate ${op.version})`,
            { state: clone(before), rejected },
            [{ kind: "production", slot: liveBefore, version: liveBeforeState.version as string }],
            false,
        ),
    );
    // A state from before the router kept production at home (an older engine's nginx record): converge too.
    for (const converge of convergeSteps(context, before, undefined, false).steps)
        steps.push({ ...converge, record: { ...converge.record, rejected } });
    return withGuards(record, carryRejected(steps, record), opts, true);
}

/** True when the pending release's version is what production runs. */
function promoted(state: ReleaseState, op: Extract<Operation, { kind: "release" }>): boolean {
    const live = findLiveSlot(state);
    return live !== undefined && state.slots[live].version === op.version;
}

/**
 * What follows a promotion: converge on the router's home slot (nginx), put the previous live version
 * back on the other slot as standby when convergence took it away, check production, complete.
 */
function promotedTail(
    context: PlanContext,
    state: ReleaseState,
    op: Extract<Operation, { kind: "release" }>,
    rejectedBefore: string[] | undefined,
): Step[] {
    const steps: Step[] = [];
    const converged = convergeSteps(context, state, op, true);
    steps.push(...converged.steps);
    let cur = converged.state;
    const live = findLiveSlot(cur) as SlotName;
    const prevLive = op.before ? findLiveSlot(op.before) : undefined;
    const prevVersion = prevLive ? versionOf(op.before?.slots[prevLive]) : undefined;
    const standbySlot = otherSlot(live);
    if (
        context.home !== undefined &&
        prevLive !== undefined &&
        prevVersion !== undefined &&
        prevVersion !== op.version &&
        versionOf(cur.slots[standbySlot]) !== prevVersion
    ) {
        const replicas = Math.max(context.replicas(op.before?.slots[prevLive]), 1);
        cur = withSlot(cur, standbySlot, { role: "standby", version: prevVersion, replicas });
        steps.push(
            step(
                "restore-standby",
                `put the previous version ${prevVersion} back on ${standbySlot} as standby ×${replicas} (instant rollback)`,
                { state: cur, operation: op },
                [{ kind: "slot-ready", slot: standbySlot, version: prevVersion, replicas }],
                false,
            ),
        );
    }
    if (converged.steps.length === 0) {
        steps.push(
            step(
                "promote",
                `${op.version} is live in ${live}; checking production`,
                { state: cur, operation: op },
                [{ kind: "production", slot: live, version: op.version }],
                true,
            ),
        );
    }
    steps.push(
        step(
            "complete",
            `release ${op.version} complete`,
            { state: cur, rejected: rejectedList(rejectedBefore, { remove: op.version }) },
            [],
            false,
        ),
    );
    return steps;
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
    for (const planned of steps) {
        if (planned.record.rejected === undefined && prev !== undefined) planned.record.rejected = [...prev];
        prev = planned.record.rejected;
    }
    return steps;
}

/** The weights below 100 of the intent's steps, else the environment's. */
function shiftsOf(context: PlanContext, steps: readonly number[] | undefined): number[] {
    return (steps ?? context.opts.steps ?? [100]).filter((weight) => weight < 100);
}

/** A plan resumed after a crash starts at the step whose record is the current one (its checks re-run), not before it. */
function resumeFrom(steps: Step[], record: EngineRecord): Step[] {
    let at = -1;
    steps.forEach((planned, index) => {
        if (
            planned.name === "shift" &&
            sameState(planned.record.state, record.state) &&
            JSON.stringify(planned.record.operation ?? null) === JSON.stringify(record.operation ?? null)
        )
            at = index;
    });
    return at > 0 ? steps.slice(at) : steps;
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

/** The guards of a step from `prev` to `record`: one per slot whose share of production rises. */
function weightGuards(prev: ReleaseState | null, record: EngineRecord, opts: PlannerOptions, restoring: boolean): WeightGuard[] {
    const state = record.state;
    if (!state) return [];
    const op = record.operation;
    return weightGains(prev, state).map((gain) => {
        const slotState = state.slots[gain.slot];
        const candidate = !restoring && op?.kind === "release" && op.slot === gain.slot && slotState.version === op.version;
        return {
            slot: gain.slot,
            version: slotState.version as string,
            replicas: replicasOf(slotState, opts.defaultReplicas),
            weight: gain.to,
            candidate,
            ...(restoring ? { restoring: true as const } : {}),
        };
    });
}

/** Sets each step's guards from the state before it (steps that raise no slot's weight get none). */
function withGuards(from: EngineRecord, steps: Step[], opts: PlannerOptions, restoring: boolean): Step[] {
    let prev = from.state;
    for (const planned of steps) {
        const guards = weightGuards(prev, planned.record, opts, restoring);
        if (guards.length) planned.guards = guards;
        else delete planned.guards;
        prev = planned.record.state;
    }
    return steps;
}

/** The first safety problem of a sequence of steps from `from`, or undefined. */
export function planSafetyProblem(from: EngineRecord, steps: Step[], opts: PlannerOptions): string | undefined {
    let prev = from.state;
    for (const planned of steps) {
        const violations = productionViolations(prev, planned.record.state, opts.router, { defaultReplicas: opts.defaultReplicas });
        if (violations.length > 0) return `step ${planned.name} (${planned.description}): ${violations[0].problem}`;
        prev = planned.record.state;
    }
    const last = steps.length ? steps[steps.length - 1].record : from;
    if (!last.operation) {
        const rest = restViolations(last.state, opts.router, { defaultReplicas: opts.defaultReplicas });
        if (rest.length > 0) return `the plan ends in ${describeState(last.state)}: ${rest[0]}`;
    }
    return undefined;
}

/** `restoring`: the steps undo a pending release (abort, rollback of it): they return production to where it was. */
function finish(intent: Intent, steps: Step[], notes: string[], from: EngineRecord, opts: PlannerOptions, restoring = false): Plan {
    // Drop nothing: a step whose record equals the current one is skipped by the engine, which still
    // re-runs its checks (resume after a crash).
    const outcome = steps.length === 0 || steps.every((s) => sameRecord(s.record, from) && s.checks.length === 0) ? "noop" : "apply";
    if (outcome === "apply") {
        const problem = planSafetyProblem(from, steps, opts);
        if (problem)
            return blocked(intent, `refusing a plan that could fail production requests with the ${opts.router.kind} router: ${problem}`);
    }
    return { intent, outcome, steps: withGuards(from, carryRejected(steps, from), opts, restoring), notes };
}

function planRelease(record: EngineRecord, intent: Extract<Intent, { kind: "release" | "deploy" }>, context: PlanContext): Plan {
    const version = intent.version;
    if (!isSemver(version)) return invalid(intent, `"${version}" is not a semantic version (expected e.g. 1.2.3)`);
    const state = record.state;
    const op = record.operation;
    const notes: string[] = [];
    const full = intent.kind === "release";

    if (op?.kind === "rollback") {
        return blocked(intent, `a rollback to ${op.to.version} is in progress; run "rollback" again to finish it first`);
    }
    const live = findLiveSlot(state);
    if (!state || !live) {
        // First release: the home slot (blue) becomes live directly (there is no production to protect yet).
        const before = op?.kind === "release" ? op.before : state;
        const slot: SlotName = context.home ?? "blue";
        const operation: Operation = { kind: "release", version: version, slot, before };
        const replicas = Math.max(1, context.opts.defaultReplicas);
        const firstState: ReleaseState = { slots: { blue: clone(ABSENT), green: clone(ABSENT) } };
        firstState.slots[slot] = { role: "live", version: version, replicas };
        const steps: Step[] = [
            step(
                "first-release",
                `first release: ${version} goes live in ${slot} ×${replicas}`,
                { state: firstState, operation },
                [
                    { kind: "slot-ready", slot, version: version, replicas },
                    { kind: "gates", slot, version: version },
                    { kind: "production", slot, version: version },
                ],
                true,
            ),
        ];
        if (full)
            steps.push(
                step(
                    "complete",
                    `release ${version} complete`,
                    { state: firstState, rejected: rejectedList(record.rejected, { remove: version }) },
                    [],
                    false,
                ),
            );
        return finish(intent, steps, notes, record, context.opts);
    }

    const liveState = state.slots[live];
    if (op?.kind === "release" && promoted(state, op)) {
        if (op.version !== version) {
            return blocked(
                intent,
                `release ${op.version} is live but not completed; finish it with "promote" or undo it with "rollback" first`,
            );
        }
        if (!full) return noop(intent, `${version} is already deployed and live; run "promote" to complete it`);
        // Crashed after promotion, before completion: converge, check production again, then finish.
        notes.push(`resuming release ${version}: already promoted`);
        return finish(intent, promotedTail(context, state, op, record.rejected), notes, record, context.opts);
    }
    if (liveState.version === version) {
        return noop(intent, `${version} is already live in ${live}; nothing to do`);
    }
    const steps: Step[] = [];
    let start = state;
    let before: ReleaseState;
    let candidateSlot: SlotName;
    if (op?.kind === "release") {
        // A pending candidate keeps its slot (even one placed by an older engine).
        candidateSlot = op.slot;
        before = op.before ?? state;
        if (op.version === version) notes.push(`resuming release ${version} in ${candidateSlot}`);
        else notes.push(`replacing pending candidate ${op.version} in ${candidateSlot} with ${version}`);
    } else {
        // Production rests on the router's home slot before a candidate is placed.
        const converged = convergeSteps(context, state, undefined, false);
        if (converged.steps.length)
            notes.push(`production first returns to ${context.home} (the ${context.opts.router.kind} router keeps live there)`);
        steps.push(...converged.steps);
        start = converged.state;
        candidateSlot = context.opts.router.candidateSlot(start);
        if (start.slots[candidateSlot].role === "candidate") {
            // A candidate without a pending record (state edited by hand): replaced; a rejection puts it back as it was.
            notes.push(
                `replacing candidate ${start.slots[candidateSlot].version} in ${candidateSlot} (no pending release recorded) with ${version}`,
            );
        }
        before = clone(start);
    }
    // Resuming the same candidate keeps its restart baseline (a restart since then still rejects it).
    const baseline = op?.kind === "release" && op.version === version && op.slot === candidateSlot ? op.candidateRestarts : undefined;
    const operation: Operation = {
        kind: "release",
        version: version,
        slot: candidateSlot,
        before,
        ...(baseline ? { candidateRestarts: baseline } : {}),
    };
    const startLive = findLiveSlot(start) as SlotName;
    const candidateReplicas = Math.max(1, context.replicas(start.slots[startLive]));
    let candidateState = withWeight(
        withSlot(start, candidateSlot, { role: "candidate", version: version, replicas: candidateReplicas }),
        undefined,
    );
    // Resuming the same release keeps the preview value it was deployed with (a new one would re-deploy the router).
    const resuming = op?.kind === "release" && op.version === version && state.previewHeaderValue !== undefined;
    const previewValue = resuming ? state.previewHeaderValue : intent.previewHeaderValue;
    if (previewValue !== undefined) candidateState = { ...candidateState, previewHeaderValue: previewValue };
    steps.push(
        step(
            "deploy-candidate",
            `deploy ${version} to ${candidateSlot} as candidate ×${candidateReplicas} (preview only; production stays on ${startLive} ${start.slots[startLive].version})`,
            { state: candidateState, operation },
            full
                ? [
                      { kind: "slot-ready", slot: candidateSlot, version: version, replicas: candidateReplicas },
                      { kind: "gates", slot: candidateSlot, version: version },
                  ]
                : [{ kind: "slot-ready", slot: candidateSlot, version: version, replicas: candidateReplicas }],
            true,
        ),
    );
    if (full) {
        const switched = switchSteps(context, {
            state: candidateState,
            to: candidateSlot,
            fromRole: "standby",
            operation,
            names: { scale: "scale-candidate", flip: "promote" },
            recoverOnFailure: true,
            shifts: shiftsOf(context, intent.steps),
        });
        steps.push(...switched.steps);
        steps.push(...promotedTail(context, switched.state, operation, record.rejected).filter((s) => s.name !== "promote"));
    }
    return finish(intent, resumeFrom(steps, record), notes, record, context.opts);
}

function planPromote(record: EngineRecord, intent: Intent, context: PlanContext): Plan {
    const op = record.operation;
    const state = record.state;
    if (!op || op.kind !== "release" || !state) return blocked(intent, "nothing to promote: no candidate is pending");
    if (promoted(state, op)) {
        return finish(
            intent,
            promotedTail(context, state, op, record.rejected),
            [`${op.version} is already live; completing`],
            record,
            context.opts,
        );
    }
    const cand = state.slots[op.slot];
    if (cand.role !== "candidate" || cand.version !== op.version) {
        return blocked(intent, `nothing to promote: ${op.slot} does not hold candidate ${op.version}`);
    }
    // Resuming a progressive promotion: start from the weight 0 state, then skip to where it stopped.
    const switched = switchSteps(context, {
        state: withWeight(state, undefined),
        to: op.slot,
        fromRole: "standby",
        operation: op,
        names: { scale: "scale-candidate", flip: "promote" },
        recoverOnFailure: true,
        shifts: shiftsOf(context, (intent as Extract<Intent, { kind: "promote" }>).steps),
    });
    return finish(
        intent,
        resumeFrom(
            [...switched.steps, ...promotedTail(context, switched.state, op, record.rejected).filter((s) => s.name !== "promote")],
            record,
        ),
        [],
        record,
        context.opts,
    );
}

/** Switch production to the slot holding `to`, then converge (nginx), then complete. */
function rollbackSteps(
    context: PlanContext,
    state: ReleaseState,
    rollback: Extract<Operation, { kind: "rollback" }>,
    rejectedBefore: string[] | undefined,
): Step[] {
    const steps: Step[] = [];
    let cur = state;
    const live = findLiveSlot(cur) as SlotName;
    if (cur.slots[live].version !== rollback.to.version) {
        const target = versionOf(cur.slots[otherSlot(live)]) === rollback.to.version ? otherSlot(live) : rollback.to.slot;
        const switched = switchSteps(context, {
            state: cur,
            to: target,
            fromRole: "standby",
            operation: rollback,
            names: { scale: "scale-standby", flip: "rollback-switch" },
            recoverOnFailure: false,
        });
        steps.push(...switched.steps);
        cur = switched.state;
    }
    const converged = convergeSteps(context, cur, rollback, false);
    steps.push(...converged.steps);
    cur = converged.state;
    const nowLive = findLiveSlot(cur) as SlotName;
    steps.push(
        step(
            "complete",
            `rollback ${rollback.from.version} → ${rollback.to.version} complete`,
            { state: cur, rejected: rejectedList(rejectedBefore, { add: rollback.from.version }) },
            [{ kind: "production", slot: nowLive, version: rollback.to.version }],
            false,
        ),
    );
    return steps;
}

function planRollback(record: EngineRecord, intent: Extract<Intent, { kind: "rollback" }>, context: PlanContext): Plan {
    if (intent.version !== undefined && !isSemver(intent.version)) {
        return invalid(intent, `"${intent.version}" is not a semantic version (expected e.g. 1.2.3)`);
    }
    const op = record.operation;
    const state = record.state;
    if (op?.kind === "release" && (intent.version === undefined || intent.version === op.version)) {
        return finish(
            intent,
            recoverySteps(record, context.opts),
            [`rolling back pending release ${op.version}`],
            record,
            context.opts,
            true,
        );
    }
    if (op?.kind === "rollback" && state) {
        return finish(
            intent,
            rollbackSteps(context, state, op, record.rejected),
            [`resuming rollback ${op.from.version} → ${op.to.version}`],
            record,
            context.opts,
        );
    }
    const live = findLiveSlot(state);
    if (!state || !live) return blocked(intent, "nothing to roll back: nothing is live");
    const liveVersion = state.slots[live].version as string;
    if (intent.version !== undefined && intent.version !== liveVersion) {
        return noop(intent, `release ${intent.version} is neither pending nor live (live: ${liveVersion}); nothing to roll back`);
    }
    const standbySlot = otherSlot(live);
    const standby = state.slots[standbySlot];
    if (standby.role !== "standby" || !standby.version) {
        return blocked(intent, `nothing to roll back to: ${standbySlot} holds no standby version`);
    }
    if (standby.version === liveVersion)
        return blocked(intent, `nothing to roll back to: standby ${standbySlot} runs the live version ${liveVersion}`);
    if (record.rejected?.includes(standby.version)) {
        // Rolling back to it would put an ungated, already rejected version in front of production.
        return blocked(
            intent,
            `nothing to roll back to: standby ${standbySlot} holds ${standby.version}, which was itself rolled back or rejected; to make it live again, release it through the gate: release ${standby.version}`,
        );
    }
    const rollback: Operation = {
        kind: "rollback",
        to: { slot: standbySlot, version: standby.version },
        from: { slot: live, version: liveVersion },
    };
    return finish(intent, rollbackSteps(context, state, rollback, record.rejected), [], record, context.opts);
}

/** Plan an intent from the current record. Never throws for bad input: returns an `invalid` plan. */
export function plan(record: EngineRecord, intent: Intent, opts: PlannerOptions): Plan {
    const context = new PlanContext(opts);
    for (const steps of [opts.steps, "steps" in intent ? intent.steps : undefined]) {
        const problem = steps === undefined ? undefined : stepsProblem(steps);
        if (problem) return invalid(intent, problem);
    }
    switch (intent.kind) {
        case "release":
        case "deploy":
            return planRelease(record, intent, context);
        case "promote":
            return planPromote(record, intent, context);
        case "rollback":
            return planRollback(record, intent, context);
        case "abort": {
            const op = record.operation;
            if (!op || op.kind !== "release") return noop(intent, "nothing to abort: no candidate is pending");
            return finish(intent, recoverySteps(record, opts), [`aborting release ${op.version}`], record, opts, true);
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
