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
    otherSlot as other,
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

export { isSemver, other };

function clone<T>(x: T): T {
    return x === undefined ? x : (JSON.parse(JSON.stringify(x)) as T);
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

/** Why a list of progressive steps is not usable, or undefined: ascending whole percents 1–100, ending with 100. */
export function stepsProblem(steps: number[]): string | undefined {
    if (!Array.isArray(steps) || steps.length === 0 || steps.length > 20)
        return `steps must be a list of 1 to 20 percents ending with 100, got ${JSON.stringify(steps)}`;
    if (!steps.every((w) => Number.isInteger(w) && w >= 1 && w <= 100))
        return `steps must be whole percents from 1 to 100, got ${JSON.stringify(steps)}`;
    if (!steps.every((w, i) => i === 0 || w > steps[i - 1])) return `steps must rise strictly, got ${JSON.stringify(steps)}`;
    if (steps[steps.length - 1] !== 100)
        return `steps must end with 100 (production entirely on the new version), got ${JSON.stringify(steps)}`;
    return undefined;
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
function normalize(s: ReleaseState | null): unknown {
    if (!s) return null;
    const slot = (x: SlotState) =>
        x.role === "absent" ? { role: "absent" } : { role: x.role, version: x.version, replicas: x.replicas ?? null };
    return { blue: slot(s.slots.blue), green: slot(s.slots.green), preview: s.previewHeaderValue ?? null, weight: s.candidateWeight ?? 0 };
}

const ABSENT: SlotState = { role: "absent" };

function describeSlot(slot: SlotName, s: SlotState | undefined): string {
    if (!s || s.role === "absent") return `${slot} absent`;
    return `${slot} ${s.role} ${s.version ?? "?"}${s.replicas !== undefined ? ` ×${s.replicas}` : ""}`;
}

function step(name: Step["name"], description: string, record: EngineRecord, checks: Check[], recoverOnFailure: boolean): Step {
    return { name, description, record: clone(record), checks, recoverOnFailure };
}

/** The planner's context: options plus the replica resolution every step uses. */
class Ctx {
    constructor(readonly opts: PlannerOptions) {}
    replicas(s: SlotState | undefined): number {
        return replicasOf(s, this.opts.defaultReplicas);
    }
    get home(): SlotName | undefined {
        return this.opts.router.homeSlot;
    }
}

/**
 * Steps that move production from the live slot to `to` (which must hold a version): scale `to` to
 * the live slot's replicas first, then flip roles (one weight change). The old live slot keeps its
 * version and replicas as `fromRole`.
 */
function switchSteps(
    c: Ctx,
    state: ReleaseState,
    to: SlotName,
    fromRole: "standby" | "candidate",
    operation: Operation | undefined,
    names: { scale: Step["name"]; flip: Step["name"] },
    recoverOnFailure: boolean,
    shifts: number[] = [],
): { steps: Step[]; state: ReleaseState } {
    const from = other(to);
    const steps: Step[] = [];
    let cur = clone(state);
    const need = Math.max(c.replicas(cur.slots[from]), 1);
    const target = cur.slots[to];
    const version = target.version as string;
    if (c.replicas(target) < need) {
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
    shifts.forEach((w, i) => {
        cur = withWeight(cur, w);
        steps.push(
            step(
                "shift",
                `step ${i + 1}/${shifts.length + 1}: ${w} % of production to ${to} (${version}), judged against live ${from} (${cur.slots[from].version})`,
                { state: cur, operation },
                [{ kind: "analysis", slot: to, version, weight: w }],
                recoverOnFailure,
            ),
        );
    });
    const fromState = cur.slots[from];
    cur = withWeight(cur, undefined);
    cur = withSlot(cur, to, { role: "live", version, replicas: c.replicas(cur.slots[to]) });
    cur = withSlot(cur, from, { role: fromRole, version: fromState.version, replicas: c.replicas(fromState) });
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
    c: Ctx,
    state: ReleaseState,
    operation: Operation | undefined,
    recoverOnFailure: boolean,
): { steps: Step[]; state: ReleaseState } {
    const home = c.home;
    const live = findLiveSlot(state);
    if (home === undefined || live === undefined || live === home) return { steps: [], state };
    const V = state.slots[live].version as string;
    const R = Math.max(c.replicas(state.slots[live]), 1);
    const steps: Step[] = [];
    let cur = state;
    const h = cur.slots[home];
    if (versionOf(h) !== V || c.replicas(h) < R) {
        cur = withSlot(cur, home, { role: "standby", version: V, replicas: R });
        steps.push(
            step(
                "roll-home",
                `roll ${home} to ${V} ×${R} while ${live} serves production (${home} backs the main Ingress)`,
                { state: cur, operation },
                [{ kind: "slot-ready", slot: home, version: V, replicas: R }],
                recoverOnFailure,
            ),
        );
    }
    cur = withSlot(cur, home, { role: "live", version: V, replicas: R });
    cur = withSlot(cur, live, { role: "standby", version: V, replicas: c.replicas(state.slots[live]) });
    cur = withoutPreview(cur);
    steps.push(
        step(
            "return-home",
            `return production to ${home} (${V}); ${live} stays up as standby`,
            { state: cur, operation },
            [{ kind: "production", slot: home, version: V }],
            recoverOnFailure,
        ),
    );
    return { steps, state: cur };
}

/** Steps that undo a pending release: switch production back if it was promoted, then restore the candidate slot. */
export function recoverySteps(record: EngineRecord, opts: PlannerOptions): Step[] {
    const c = new Ctx(opts);
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
        if (prev.version !== liveBeforeState.version || c.replicas(prev) < c.replicas(liveBeforeState)) {
            const replicas = Math.max(c.replicas(liveBeforeState), c.replicas(cur.slots[op.slot]));
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
        const sw = switchSteps(c, cur, liveBefore, "candidate", op, { scale: "scale-standby", flip: "switch-back" }, false);
        steps.push(...sw.steps);
        cur = sw.state;
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
    for (const x of convergeSteps(c, before, undefined, false).steps) steps.push({ ...x, record: { ...x.record, rejected } });
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
    c: Ctx,
    state: ReleaseState,
    op: Extract<Operation, { kind: "release" }>,
    rejectedBefore: string[] | undefined,
): Step[] {
    const steps: Step[] = [];
    const conv = convergeSteps(c, state, op, true);
    steps.push(...conv.steps);
    let cur = conv.state;
    const live = findLiveSlot(cur) as SlotName;
    const prevLive = op.before ? findLiveSlot(op.before) : undefined;
    const prevVersion = prevLive ? versionOf(op.before?.slots[prevLive]) : undefined;
    const sb = other(live);
    if (
        c.home !== undefined &&
        prevLive !== undefined &&
        prevVersion !== undefined &&
        prevVersion !== op.version &&
        versionOf(cur.slots[sb]) !== prevVersion
    ) {
        const replicas = Math.max(c.replicas(op.before?.slots[prevLive]), 1);
        cur = withSlot(cur, sb, { role: "standby", version: prevVersion, replicas });
        steps.push(
            step(
                "restore-standby",
                `put the previous version ${prevVersion} back on ${sb} as standby ×${replicas} (instant rollback)`,
                { state: cur, operation: op },
                [{ kind: "slot-ready", slot: sb, version: prevVersion, replicas }],
                false,
            ),
        );
    }
    if (conv.steps.length === 0) {
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
    for (const s of steps) {
        if (s.record.rejected === undefined && prev !== undefined) s.record.rejected = [...prev];
        prev = s.record.rejected;
    }
    return steps;
}

/** The weights below 100 of the intent's steps, else the environment's. */
function shiftsOf(c: Ctx, steps: number[] | undefined): number[] {
    return (steps ?? c.opts.steps ?? [100]).filter((w) => w < 100);
}

/** A plan resumed after a crash starts at the step whose record is the current one (its checks re-run), not before it. */
function resumeFrom(steps: Step[], record: EngineRecord): Step[] {
    let at = -1;
    steps.forEach((s, i) => {
        if (
            s.name === "shift" &&
            sameState(s.record.state, record.state) &&
            JSON.stringify(s.record.operation ?? null) === JSON.stringify(record.operation ?? null)
        )
            at = i;
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
export function weightGuards(prev: ReleaseState | null, record: EngineRecord, opts: PlannerOptions, restoring: boolean): WeightGuard[] {
    const state = record.state;
    if (!state) return [];
    const op = record.operation;
    return weightGains(prev, state).map((g) => {
        const s = state.slots[g.slot];
        const candidate = !restoring && op?.kind === "release" && op.slot === g.slot && s.version === op.version;
        return {
            slot: g.slot,
            version: s.version as string,
            replicas: replicasOf(s, opts.defaultReplicas),
            weight: g.to,
            candidate,
            ...(restoring ? { restoring: true as const } : {}),
        };
    });
}

/** Sets each step's guards from the state before it (steps that raise no slot's weight get none). */
function withGuards(from: EngineRecord, steps: Step[], opts: PlannerOptions, restoring: boolean): Step[] {
    let prev = from.state;
    for (const s of steps) {
        const g = weightGuards(prev, s.record, opts, restoring);
        if (g.length) s.guards = g;
        else delete s.guards;
        prev = s.record.state;
    }
    return steps;
}

/** The first safety problem of a sequence of steps from `from`, or undefined. */
export function planSafetyProblem(from: EngineRecord, steps: Step[], opts: PlannerOptions): string | undefined {
    let prev = from.state;
    for (const s of steps) {
        const v = productionViolations(prev, s.record.state, opts.router, { defaultReplicas: opts.defaultReplicas });
        if (v.length > 0) return `step ${s.name} (${s.description}): ${v[0].problem}`;
        prev = s.record.state;
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

function planRelease(record: EngineRecord, intent: Extract<Intent, { kind: "release" | "deploy" }>, c: Ctx): Plan {
    const V = intent.version;
    if (!isSemver(V)) return invalid(intent, `"${V}" is not a semantic version (expected e.g. 1.2.3)`);
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
        const slot: SlotName = c.home ?? "blue";
        const operation: Operation = { kind: "release", version: V, slot, before };
        const replicas = Math.max(1, c.opts.defaultReplicas);
        const s1: ReleaseState = { slots: { blue: clone(ABSENT), green: clone(ABSENT) } };
        s1.slots[slot] = { role: "live", version: V, replicas };
        const steps: Step[] = [
            step(
                "first-release",
                `first release: ${V} goes live in ${slot} ×${replicas}`,
                { state: s1, operation },
                [
                    { kind: "slot-ready", slot, version: V, replicas },
                    { kind: "gates", slot, version: V },
                    { kind: "production", slot, version: V },
                ],
                true,
            ),
        ];
        if (full)
            steps.push(
                step("complete", `release ${V} complete`, { state: s1, rejected: rejectedList(record.rejected, { remove: V }) }, [], false),
            );
        return finish(intent, steps, notes, record, c.opts);
    }

    const liveState = state.slots[live];
    if (op?.kind === "release" && promoted(state, op)) {
        if (op.version !== V) {
            return blocked(
                intent,
                `release ${op.version} is live but not completed; finish it with "promote" or undo it with "rollback" first`,
            );
        }
        if (!full) return noop(intent, `${V} is already deployed and live; run "promote" to complete it`);
        // Crashed after promotion, before completion: converge, check production again, then finish.
        notes.push(`resuming release ${V}: already promoted`);
        return finish(intent, promotedTail(c, state, op, record.rejected), notes, record, c.opts);
    }
    if (liveState.version === V) {
        return noop(intent, `${V} is already live in ${live}; nothing to do`);
    }
    const steps: Step[] = [];
    let start = state;
    let before: ReleaseState;
    let C: SlotName;
    if (op?.kind === "release") {
        // A pending candidate keeps its slot (even one placed by an older engine).
        C = op.slot;
        before = op.before ?? state;
        if (op.version === V) notes.push(`resuming release ${V} in ${C}`);
        else notes.push(`replacing pending candidate ${op.version} in ${C} with ${V}`);
    } else {
        // Production rests on the router's home slot before a candidate is placed.
        const conv = convergeSteps(c, state, undefined, false);
        if (conv.steps.length) notes.push(`production first returns to ${c.home} (the ${c.opts.router.kind} router keeps live there)`);
        steps.push(...conv.steps);
        start = conv.state;
        C = c.opts.router.candidateSlot(start);
        if (start.slots[C].role === "candidate") {
            // A candidate without a pending record (state edited by hand): replaced; a rejection puts it back as it was.
            notes.push(`replacing candidate ${start.slots[C].version} in ${C} (no pending release recorded) with ${V}`);
        }
        before = clone(start);
    }
    // Resuming the same candidate keeps its restart baseline (a restart since then still rejects it).
    const baseline = op?.kind === "release" && op.version === V && op.slot === C ? op.candidateRestarts : undefined;
    const operation: Operation = { kind: "release", version: V, slot: C, before, ...(baseline ? { candidateRestarts: baseline } : {}) };
    const startLive = findLiveSlot(start) as SlotName;
    const R = Math.max(1, c.replicas(start.slots[startLive]));
    let s1 = withWeight(withSlot(start, C, { role: "candidate", version: V, replicas: R }), undefined);
    // Resuming the same release keeps the preview value it was deployed with (a new one would re-deploy the router).
    const resuming = op?.kind === "release" && op.version === V && state.previewHeaderValue !== undefined;
    const previewValue = resuming ? state.previewHeaderValue : intent.previewHeaderValue;
    if (previewValue !== undefined) s1 = { ...s1, previewHeaderValue: previewValue };
    steps.push(
        step(
            "deploy-candidate",
            `deploy ${V} to ${C} as candidate ×${R} (preview only; production stays on ${startLive} ${start.slots[startLive].version})`,
            { state: s1, operation },
            full
                ? [
                      { kind: "slot-ready", slot: C, version: V, replicas: R },
                      { kind: "gates", slot: C, version: V },
                  ]
                : [{ kind: "slot-ready", slot: C, version: V, replicas: R }],
            true,
        ),
    );
    if (full) {
        const sw = switchSteps(
            c,
            s1,
            C,
            "standby",
            operation,
            { scale: "scale-candidate", flip: "promote" },
            true,
            shiftsOf(c, intent.steps),
        );
        steps.push(...sw.steps);
        steps.push(...promotedTail(c, sw.state, operation, record.rejected).filter((s) => s.name !== "promote"));
    }
    return finish(intent, resumeFrom(steps, record), notes, record, c.opts);
}

function planPromote(record: EngineRecord, intent: Intent, c: Ctx): Plan {
    const op = record.operation;
    const state = record.state;
    if (!op || op.kind !== "release" || !state) return blocked(intent, "nothing to promote: no candidate is pending");
    if (promoted(state, op)) {
        return finish(intent, promotedTail(c, state, op, record.rejected), [`${op.version} is already live; completing`], record, c.opts);
    }
    const cand = state.slots[op.slot];
    if (cand.role !== "candidate" || cand.version !== op.version) {
        return blocked(intent, `nothing to promote: ${op.slot} does not hold candidate ${op.version}`);
    }
    // Resuming a progressive promotion: start from the weight 0 state, then skip to where it stopped.
    const sw = switchSteps(
        c,
        withWeight(state, undefined),
        op.slot,
        "standby",
        op,
        { scale: "scale-candidate", flip: "promote" },
        true,
        shiftsOf(c, (intent as Extract<Intent, { kind: "promote" }>).steps),
    );
    return finish(
        intent,
        resumeFrom([...sw.steps, ...promotedTail(c, sw.state, op, record.rejected).filter((s) => s.name !== "promote")], record),
        [],
        record,
        c.opts,
    );
}

/** Switch production to the slot holding `to`, then converge (nginx), then complete. */
function rollbackSteps(
    c: Ctx,
    state: ReleaseState,
    rb: Extract<Operation, { kind: "rollback" }>,
    rejectedBefore: string[] | undefined,
): Step[] {
    const steps: Step[] = [];
    let cur = state;
    const live = findLiveSlot(cur) as SlotName;
    if (cur.slots[live].version !== rb.to.version) {
        const target = versionOf(cur.slots[other(live)]) === rb.to.version ? other(live) : rb.to.slot;
        const sw = switchSteps(c, cur, target, "standby", rb, { scale: "scale-standby", flip: "rollback-switch" }, false);
        steps.push(...sw.steps);
        cur = sw.state;
    }
    const conv = convergeSteps(c, cur, rb, false);
    steps.push(...conv.steps);
    cur = conv.state;
    const nowLive = findLiveSlot(cur) as SlotName;
    steps.push(
        step(
            "complete",
            `rollback ${rb.from.version} → ${rb.to.version} complete`,
            { state: cur, rejected: rejectedList(rejectedBefore, { add: rb.from.version }) },
            [{ kind: "production", slot: nowLive, version: rb.to.version }],
            false,
        ),
    );
    return steps;
}

function planRollback(record: EngineRecord, intent: Extract<Intent, { kind: "rollback" }>, c: Ctx): Plan {
    if (intent.version !== undefined && !isSemver(intent.version)) {
        return invalid(intent, `"${intent.version}" is not a semantic version (expected e.g. 1.2.3)`);
    }
    const op = record.operation;
    const state = record.state;
    if (op?.kind === "release" && (intent.version === undefined || intent.version === op.version)) {
        return finish(intent, recoverySteps(record, c.opts), [`rolling back pending release ${op.version}`], record, c.opts, true);
    }
    if (op?.kind === "rollback" && state) {
        return finish(
            intent,
            rollbackSteps(c, state, op, record.rejected),
            [`resuming rollback ${op.from.version} → ${op.to.version}`],
            record,
            c.opts,
        );
    }
    const live = findLiveSlot(state);
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
    if (standby.version === liveVersion)
        return blocked(intent, `nothing to roll back to: standby ${sb} runs the live version ${liveVersion}`);
    if (record.rejected?.includes(standby.version)) {
        // Rolling back to it would put an ungated, already rejected version in front of production.
        return blocked(
            intent,
            `nothing to roll back to: standby ${sb} holds ${standby.version}, which was itself rolled back or rejected; to make it live again, release it through the gate: release ${standby.version}`,
        );
    }
    const rb: Operation = { kind: "rollback", to: { slot: sb, version: standby.version }, from: { slot: live, version: liveVersion } };
    return finish(intent, rollbackSteps(c, state, rb, record.rejected), [], record, c.opts);
}

/** Plan an intent from the current record. Never throws for bad input: returns an `invalid` plan. */
export function plan(record: EngineRecord, intent: Intent, opts: PlannerOptions): Plan {
    const c = new Ctx(opts);
    for (const steps of [opts.steps, "steps" in intent ? intent.steps : undefined]) {
        const problem = steps === undefined ? undefined : stepsProblem(steps);
        if (problem) return invalid(intent, problem);
    }
    switch (intent.kind) {
        case "release":
        case "deploy":
            return planRelease(record, intent, c);
        case "promote":
            return planPromote(record, intent, c);
        case "rollback":
            return planRollback(record, intent, c);
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
