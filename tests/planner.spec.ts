/**
 * Planner properties (fast-check), for every router kind: random states, intents, check failures at
 * random steps and crashes at random steps. Every transition is checked against the router model in
 * every order its object changes can take effect, with any slot that may lose its endpoints losing
 * them (release-model routers/safety.ts), and the planner never has to refuse its own plan.
 */
import { strict as assert } from "assert";
import fc from "fast-check";
import {
    ROUTER_KINDS,
    configurations,
    findLiveSlot as findLive,
    productionViolations,
    readyClasses,
    replicasOf,
    restViolations,
    routerModel,
    validateReleaseState,
    weightGains,
    type ReleaseState,
    type RouterKind,
    type SlotName,
    type SlotState,
} from "@phoenix/release-model";
import { describeState, finalRecord, plan as planWith, recoverySteps as recoveryWith, sameState } from "../release-engine/src/planner/plan";
import type { EngineRecord, Intent, Plan, PlannerOptions, Step } from "../release-engine/src/planner/types";

const VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1"];

for (const kind of ROUTER_KINDS) describePlanner(kind);

function describePlanner(kind: RouterKind): void {
    const OPTS: PlannerOptions = { defaultReplicas: 2, router: routerModel(kind) };
    const plan = (r: EngineRecord, i: Intent): Plan => planWith(r, i, OPTS);
    const recoverySteps = (r: EngineRecord): Step[] => recoveryWith(r, OPTS);

    /** Applies a transition, asserting the safety properties; returns the new record. */
    function transition(from: EngineRecord, to: Step, trace: string[], start: EngineRecord): EngineRecord {
        trace.push(`${to.name}: ${to.description} → ${describeState(to.record.state)}`);
        if (to.record.state) {
            validateReleaseState(to.record.state);
            assert.deepEqual(OPTS.router.stateProblems(to.record.state), [], `a state the ${kind} router refuses:\n${trace.join("\n")}`);
        }
        const v = productionViolations(from.state, to.record.state, OPTS.router, { defaultReplicas: OPTS.defaultReplicas });
        assert.deepEqual(v.slice(0, 1), [], `production broken during "${to.name}":\n${trace.join("\n")}`);
        // Readiness before weight: every slot whose share of production rises is guarded, with its new weight.
        const gains = weightGains(from.state, to.record.state);
        const op = to.record.operation;
        assert.deepEqual(
            (to.guards ?? []).map((g) => ({ slot: g.slot, weight: g.weight, version: g.version, replicas: g.replicas })),
            gains.map((g) => ({
                slot: g.slot,
                weight: g.to,
                version: to.record.state!.slots[g.slot].version,
                replicas: replicasOf(to.record.state!.slots[g.slot], OPTS.defaultReplicas),
            })),
            `"${to.name}" raises a slot's weight without a matching guard:\n${trace.join("\n")}`,
        );
        for (const g of to.guards ?? []) {
            const holdsCandidate = op?.kind === "release" && op.slot === g.slot && op.version === g.version;
            assert.equal(
                g.candidate,
                holdsCandidate && !g.restoring,
                `"${to.name}": a guard's candidate flag is whether the slot holds the release's candidate:\n${trace.join("\n")}`,
            );
        }
        const a = from.state;
        const b = to.record.state;
        if (a && b) {
            const la = findLive(a)!;
            const lb = findLive(b)!;
            if (la !== lb) {
                const need = a.slots[la].replicas ?? 1;
                assert.ok(
                    (a.slots[lb].replicas ?? 0) >= need,
                    `${lb} took production with fewer replicas than ${la}:\n${trace.join("\n")}`,
                );
                assert.equal(b.slots[lb].version, a.slots[lb].version, "a switch changes no version");
            }
            for (const slot of ["blue", "green"] as SlotName[]) {
                if (b.slots[slot].role === "candidate") assert.notEqual(slot, lb, "the candidate is never live");
            }
            // Only a recovery on nginx may roll the live (home) slot back in place: after production already
            // returned to blue on the new version, the previous version exists nowhere else.
            if (b.slots[lb] !== undefined && a.slots[lb].role === "live" && !(kind === "nginx" && to.name === "restore-slot")) {
                assert.equal(
                    b.slots[lb].version,
                    a.slots[lb].version,
                    `the live slot's version never changes in place:\n${trace.join("\n")}`,
                );
            }
            if (kind === "nginx" && b.slots.blue.role === "candidate") {
                const s0 = start.operation?.kind === "release" ? start.operation : undefined;
                assert.ok(
                    start.state?.slots.blue.role === "candidate" || s0?.slot === "blue",
                    `nginx: an untested version went behind the main Ingress:\n${trace.join("\n")}`,
                );
            }
        }
        return to.record;
    }

    interface Run {
        record: EngineRecord;
        outcome: "done" | "noop" | "blocked" | "invalid" | "failed" | "crashed";
        notes: string[];
        trace: string[];
    }

    /** Runs an intent like the engine does: apply steps; a failing check triggers recovery; a crash stops. */
    function run(start: EngineRecord, intent: Intent, failAt?: number, crashAt?: number): Run {
        const p = plan(start, intent);
        const trace: string[] = [
            `start: ${describeState(start.state)} op=${JSON.stringify(start.operation ?? null)}`,
            `intent ${JSON.stringify(intent)}`,
        ];
        assert.ok(!(p.reason ?? "").includes("refusing a plan"), `the planner made an unsafe plan: ${p.reason}\n${trace.join("\n")}`);
        if (p.outcome === "blocked" || p.outcome === "invalid" || p.outcome === "noop") {
            return { record: start, outcome: p.outcome, notes: p.notes, trace };
        }
        let cur = start;
        for (let i = 0; i < p.steps.length; i++) {
            const s = p.steps[i];
            cur = transition(cur, s, trace, start);
            if (crashAt === i) return { record: cur, outcome: "crashed", notes: p.notes, trace };
            if (failAt === i && s.checks.length > 0 && s.recoverOnFailure) {
                for (const r of recoverySteps(cur)) cur = transition(cur, r, trace, start);
                return { record: cur, outcome: "failed", notes: p.notes, trace };
            }
        }
        if (!cur.operation)
            assert.deepEqual(
                restViolations(cur.state, OPTS.router, { defaultReplicas: OPTS.defaultReplicas }),
                [],
                `at rest, a standby crash would fail production:\n${trace.join("\n")}`,
            );
        return { record: cur, outcome: "done", notes: p.notes, trace };
    }

    const version = fc.constantFrom(...VERSIONS);
    const replicas = fc.integer({ min: 1, max: 3 });
    const slotOf = (role: SlotState["role"], allowAbsent: boolean) =>
        role === "absent" && allowAbsent
            ? fc.constant<SlotState>({ role: "absent" })
            : fc.record({ role: fc.constant(role), version, replicas });

    /** Any valid state a user or a crash could leave behind (without an operation record). */
    const anyState: fc.Arbitrary<ReleaseState> = fc
        .tuple(fc.constantFrom<SlotName>("blue", "green"), fc.constantFrom<SlotState["role"]>("candidate", "standby", "absent"))
        .chain(([live, otherRole]) => {
            const o: SlotName = live === "blue" ? "green" : "blue";
            const role = o === "blue" && otherRole === "absent" ? "standby" : otherRole;
            return fc.tuple(slotOf("live", false), slotOf(role, true)).map(([l, s]) => {
                const slots = { [live]: l, [o]: s } as Record<SlotName, SlotState>;
                return { slots };
            });
        })
        .filter((s) => {
            try {
                validateReleaseState(s);
                return OPTS.router.stateProblems(s).length === 0;
            } catch {
                return false;
            }
        });

    /** Progressive steps an intent may carry (undefined: the environment's, here a direct switch). */
    const stepsArb = fc.constantFrom<number[] | undefined>(undefined, [100], [5, 25, 50, 100], [50, 100], [1, 99, 100]);
    const intentArb: fc.Arbitrary<Intent> = fc.oneof(
        version.map((v) => ({ kind: "release" as const, version: v })),
        fc.tuple(version, stepsArb).map(([v, steps]) => ({ kind: "release" as const, version: v, ...(steps ? { steps } : {}) })),
        version.map((v) => ({ kind: "deploy" as const, version: v })),
        fc.constant({ kind: "promote" as const }),
        stepsArb.map((steps) => ({ kind: "promote" as const, ...(steps ? { steps } : {}) })),
        fc.constant({ kind: "rollback" as const }),
        fc.constant({ kind: "abort" as const }),
    );

    /** Records reachable by the engine: random histories from nothing, with failures and crashes. */
    const reachableRecord: fc.Arbitrary<EngineRecord> = fc
        .array(fc.tuple(intentArb, fc.option(fc.nat(7), { nil: undefined }), fc.option(fc.nat(7), { nil: undefined })), { maxLength: 6 })
        .map((history) => {
            let rec: EngineRecord = { state: null };
            for (const [intent, failAt, crashAt] of history) rec = run(rec, intent, failAt, crashAt).record;
            return rec;
        });

    const anyRecord = fc.oneof(
        reachableRecord,
        anyState.map((state) => ({ state }) as EngineRecord),
    );

    describe(`planner (${kind}): safety model`, () => {
        const opts = { defaultReplicas: 2 };
        it("routing depends only on none/some ready endpoints: a rolling version change never drops a slot to none", () => {
            const a = validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } });
            const b = validateReleaseState({
                slots: {
                    blue: { role: "live", version: "1.1.0", replicas: 2 },
                    green: { role: "candidate", version: "1.1.0", replicas: 2 },
                },
            });
            assert.deepEqual(readyClasses(a, b, "blue", 2), [1]);
            assert.deepEqual(readyClasses(a, b, "green", 2), [0, 1]);
            assert.equal(configurations(a, b, 2).length, 4);
        });

        it("detects the original system's unsafe ordering (the checker can fail)", () => {
            // Moving production to a green that has no pods yet while blue is scaled to zero.
            const a = validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } });
            const b: ReleaseState = {
                slots: { blue: { role: "standby", version: "1.0.0", replicas: 0 }, green: { role: "live", version: "1.1.0", replicas: 2 } },
            };
            assert.ok(
                productionViolations(a, b, OPTS.router, opts).some((v) => /^50[03]/.test(v.problem)),
                JSON.stringify(productionViolations(a, b, OPTS.router, opts)),
            );
        });

        it("a slot losing every endpoint: harmless for a candidate and, at rest, for the standby; an outage only where the router makes it one", () => {
            const rest = validateReleaseState({
                slots: { blue: { role: "live", version: "1.1.0", replicas: 2 }, green: { role: "standby", version: "1.0.0", replicas: 2 } },
            });
            assert.deepEqual(restViolations(rest, OPTS.router, opts), []);
            const greenLive = validateReleaseState({
                slots: { blue: { role: "standby", version: "1.0.0", replicas: 2 }, green: { role: "live", version: "1.1.0", replicas: 2 } },
            });
            if (kind === "nginx") {
                // Blue behind the main Ingress as a standby: its crash is a 503 for everyone, so nginx plans never rest here.
                assert.match(restViolations(greenLive, OPTS.router, opts).join(), /if blue \(standby\) lost every endpoint: 503/);
            } else {
                assert.deepEqual(restViolations(greenLive, OPTS.router, opts), []);
            }
            // A blue candidate (green live) may crash at any moment: with the Gateway API production never notices;
            // on nginx it would take production down, which is why nginx never places a candidate there.
            const blueCandidate = validateReleaseState({
                slots: {
                    blue: { role: "candidate", version: "1.2.0", replicas: 2 },
                    green: { role: "live", version: "1.1.0", replicas: 2 },
                },
            });
            const v = productionViolations(blueCandidate, blueCandidate, OPTS.router, opts);
            if (kind === "nginx")
                assert.ok(
                    v.some((x) => /if blue \(candidate\) lost every endpoint: 503/.test(x.problem)),
                    JSON.stringify(v),
                );
            else assert.deepEqual(v, []);
        });
    });

    describe(`planner (${kind}): properties`, function () {
        this.timeout(15000);

        it("every step of every intent, with failures at random steps, is safe in every ordering", () => {
            fc.assert(
                fc.property(anyRecord, intentArb, fc.option(fc.nat(7), { nil: undefined }), (rec, intent, failAt) => {
                    run(rec, intent, failAt);
                }),
                { numRuns: 400 },
            );
        });

        it("a rejected or aborted release leaves the environment exactly as before it began", () => {
            fc.assert(
                fc.property(anyRecord, version, fc.nat(3), (rec, v, failAt) => {
                    // "Before" is where the release began: on nginx, after production returned to blue (if it was not there).
                    const deploy = plan(rec, { kind: "release", version: v }).steps.find((x) => x.name === "deploy-candidate")?.record
                        .operation;
                    const began = deploy?.kind === "release" ? deploy.before : undefined;
                    const before = rec.operation?.kind === "release" ? rec.operation.before : (began ?? rec.state);
                    const r = run(rec, { kind: "release", version: v }, failAt);
                    if (r.outcome === "failed") {
                        assert.ok(sameState(r.record.state, before), r.trace.join("\n"));
                        assert.equal(r.record.operation, undefined);
                    }
                    const d = run(rec, { kind: "deploy", version: v });
                    if (d.outcome === "done") {
                        const a = run(d.record, { kind: "abort" });
                        assert.ok(sameState(a.record.state, before), a.trace.join("\n"));
                        assert.equal(a.record.operation, undefined);
                    }
                }),
                { numRuns: 300 },
            );
        });

        it("a successful release makes the new version live at the live slot's replicas and keeps the old live version as standby", () => {
            fc.assert(
                fc.property(anyRecord, version, (rec, v) => {
                    const r = run(rec, { kind: "release", version: v });
                    if (r.outcome !== "done") return;
                    const s = r.record.state!;
                    const live = findLive(s)!;
                    assert.equal(s.slots[live].version, v);
                    assert.equal(r.record.operation, undefined);
                    if (kind === "nginx") assert.equal(live, "blue", "nginx: production rests behind the main Ingress");
                    const prev = rec.operation?.kind === "release" ? rec.operation.before : rec.state;
                    if (prev && !rec.operation) {
                        const prevLive = findLive(prev)!;
                        if (kind === "gateway-api") assert.notEqual(live, prevLive, "the candidate is the non-live slot");
                        const sb = live === "blue" ? "green" : "blue";
                        if (prev.slots[prevLive].version !== v)
                            assert.deepEqual(
                                s.slots[sb],
                                { role: "standby", version: prev.slots[prevLive].version, replicas: prev.slots[prevLive].replicas },
                                r.trace.join("\n"),
                            );
                        assert.equal(s.slots[live].replicas, prev.slots[prevLive].replicas);
                    }
                }),
                { numRuns: 300 },
            );
        });

        it("re-running any intent after a crash at any step converges to the uninterrupted result", () => {
            fc.assert(
                fc.property(anyRecord, intentArb, fc.nat(7), (rec, anyIntent, crashAt) => {
                    // The pipeline's rollback names the release it undoes, which makes it idempotent.
                    const live = findLive(rec.state);
                    const pending = rec.operation?.kind === "release" ? rec.operation.version : undefined;
                    const intent: Intent =
                        anyIntent.kind === "rollback" && live
                            ? { kind: "rollback", version: pending ?? rec.state!.slots[live].version }
                            : anyIntent;
                    const straight = run(rec, intent);
                    const crashed = run(rec, intent, undefined, crashAt);
                    if (crashed.outcome !== "crashed") return;
                    const resumed = run(crashed.record, intent);
                    assert.ok(
                        sameState(resumed.record.state, straight.record.state) &&
                            JSON.stringify(resumed.record.operation ?? null) === JSON.stringify(straight.record.operation ?? null),
                        `straight: ${describeState(straight.record.state)}\nresumed: ${describeState(resumed.record.state)}\n${resumed.trace.join("\n")}`,
                    );
                    // And once done, running it again changes nothing.
                    const again = plan(resumed.record, intent);
                    assert.ok(
                        sameState(finalRecord(resumed.record, again).state, resumed.record.state) || again.outcome === "blocked",
                        `running ${JSON.stringify(intent)} again changed the state:\n${resumed.trace.join("\n")}`,
                    );
                }),
                { numRuns: 400 },
            );
        });

        it("releasing the live version is a no-op; a release over a pending candidate replaces it and says so", () => {
            fc.assert(
                fc.property(anyRecord, (rec) => {
                    const live = findLive(rec.state);
                    if (live && !rec.operation) {
                        const p = plan(rec, { kind: "release", version: rec.state!.slots[live].version! });
                        assert.equal(p.outcome, "noop");
                        assert.equal(p.steps.length, 0);
                    }
                    const op = rec.operation;
                    if (op?.kind === "release" && rec.state && rec.state.slots[findLive(rec.state)!].version !== op.version) {
                        const liveVersion = rec.state.slots[findLive(rec.state)!].version;
                        const other = VERSIONS.find((v) => v !== op.version && v !== liveVersion)!;
                        const p = plan(rec, { kind: "release", version: other });
                        assert.equal(p.outcome, "apply");
                        assert.ok(
                            p.notes.join("\n").includes(`replacing pending candidate ${op.version} in ${op.slot} with ${other}`),
                            p.notes.join("\n"),
                        );
                        assert.equal(p.steps[0].record.state!.slots[op.slot].version, other);
                    }
                }),
                { numRuns: 300 },
            );
        });
    });

    describe(`planner (${kind}): examples`, () => {
        progressiveExamples();
        if (kind === "nginx") return nginxExamples();
        const blueLive: EngineRecord = {
            state: validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0", replicas: 3 }, green: { role: "absent" } } }),
        };

        it("the first release puts blue live; a failed first release leaves nothing", () => {
            const r = run({ state: null }, { kind: "release", version: "1.0.0" });
            assert.equal(r.outcome, "done");
            assert.deepEqual(r.record.state!.slots.blue, { role: "live", version: "1.0.0", replicas: 2 });
            const f = run({ state: null }, { kind: "release", version: "1.0.0" }, 0);
            assert.equal(f.outcome, "failed");
            assert.equal(f.record.state, null);
        });

        it("release: deploy candidate (gated), promote, complete", () => {
            const p = plan(blueLive, { kind: "release", version: "1.1.0" });
            assert.deepEqual(
                p.steps.map((s) => s.name),
                ["deploy-candidate", "promote", "complete"],
            );
            assert.deepEqual(
                p.steps[0].checks.map((c) => c.kind),
                ["slot-ready", "gates"],
            );
            assert.deepEqual(p.steps[0].record.state!.slots.green, { role: "candidate", version: "1.1.0", replicas: 3 });
            assert.deepEqual(
                p.steps[1].checks.map((c) => c.kind),
                ["production"],
            );
        });

        it("promote first scales a candidate with fewer replicas than live to live's count, checked ready, then flips", () => {
            // Live was scaled up after the candidate was deployed: blue ×3, green candidate ×1.
            const before = blueLive.state!;
            const pending: EngineRecord = {
                state: validateReleaseState({
                    slots: {
                        blue: { role: "live", version: "1.0.0", replicas: 3 },
                        green: { role: "candidate", version: "1.1.0", replicas: 1 },
                    },
                }),
                operation: { kind: "release", version: "1.1.0", slot: "green", before },
            };
            const p = plan(pending, { kind: "promote" });
            assert.deepEqual(
                p.steps.map((s) => s.name),
                ["scale-candidate", "promote", "complete"],
            );
            assert.deepEqual(p.steps[0].record.state!.slots.green, { role: "candidate", version: "1.1.0", replicas: 3 });
            assert.deepEqual(p.steps[0].checks, [{ kind: "slot-ready", slot: "green", version: "1.1.0", replicas: 3 }]);
            assert.equal(findLive(p.steps[0].record.state), "blue", "production moves only after the scale-up");
            assert.deepEqual(p.steps[1].record.state!.slots.green, { role: "live", version: "1.1.0", replicas: 3 });
        });

        it("rollback switches to the standby; rollback with nothing standing by is blocked; bad versions are invalid", () => {
            const done = run(blueLive, { kind: "release", version: "1.1.0" }).record;
            const rb = run(done, { kind: "rollback" });
            assert.equal(findLive(rb.record.state), "blue");
            assert.equal(rb.record.state!.slots.green.role, "standby");
            assert.equal(plan(blueLive, { kind: "rollback" }).outcome, "blocked");
            assert.equal(plan(blueLive, { kind: "release", version: "v1" }).outcome, "invalid");
            assert.equal(plan(blueLive, { kind: "promote" }).outcome, "blocked");
            assert.equal(plan(done, { kind: "rollback", version: "1.0.0" }).outcome, "noop");
        });
    });

    function progressiveExamples(): void {
        const blueLive: EngineRecord = {
            state: validateReleaseState({
                slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "standby", version: "0.9.0", replicas: 2 } },
            }),
        };

        it("progressive: production moves through each weight, each judged against live, then flips; a failed step takes the weight back in one update", () => {
            const p = plan(blueLive, { kind: "release", version: "1.1.0", steps: [5, 25, 50, 100] });
            const shifts = p.steps.filter((x) => x.name === "shift");
            assert.deepEqual(
                shifts.map((x) => x.record.state?.candidateWeight),
                [5, 25, 50],
            );
            assert.deepEqual(
                shifts.map((x) => x.checks),
                [5, 25, 50].map((w) => [{ kind: "analysis", slot: "green", version: "1.1.0", weight: w }]),
            );
            const promote = p.steps.find((x) => x.name === "promote")!;
            assert.equal(promote.record.state?.candidateWeight, undefined, "the flip ends the split");
            // A failed analysis at 25 %: weight back to 0 first (nothing else changes), then the slot is restored.
            const rec = recoverySteps(shifts[1].record);
            assert.deepEqual(
                rec.map((x) => x.name),
                ["weight-back", "restore-slot"],
            );
            assert.equal(rec[0].record.state?.candidateWeight, undefined);
            assert.deepEqual(rec[0].record.state?.slots, shifts[1].record.state?.slots, "only the weight moves in that update");
            // A crash at 25 %: re-running resumes at that step (its analysis re-runs), never back through 5 %.
            const resumed = plan(shifts[1].record, { kind: "release", version: "1.1.0", steps: [5, 25, 50, 100] });
            assert.equal(resumed.steps[0].name, "shift");
            assert.equal(resumed.steps[0].record.state?.candidateWeight, 25);
            assert.equal(
                plan(shifts[1].record, { kind: "abort" }).steps[0].name,
                "weight-back",
                "abort at any step returns production to live at once",
            );
            assert.equal(plan(blueLive, { kind: "release", version: "1.1.0", steps: [5, 25] }).outcome, "invalid");
            assert.equal(plan(blueLive, { kind: "release", version: "1.1.0", steps: [50, 25, 100] }).outcome, "invalid");
            assert.deepEqual(
                plan(blueLive, { kind: "release", version: "1.1.0", steps: [100] }).steps.filter((x) => x.name === "shift"),
                [],
                "--steps 100 switches directly",
            );
        });
    }

    function nginxExamples(): void {
        const blueLive: EngineRecord = {
            state: validateReleaseState({
                slots: { blue: { role: "live", version: "1.0.0", replicas: 3 }, green: { role: "standby", version: "0.9.0", replicas: 3 } },
            }),
        };

        it("release: the candidate goes to green, production flips to it, blue rolls to it and production returns to blue, the old version goes back on green", () => {
            const p = plan(blueLive, { kind: "release", version: "1.1.0" });
            assert.deepEqual(
                p.steps.map((s) => s.name),
                ["deploy-candidate", "promote", "roll-home", "return-home", "restore-standby", "complete"],
            );
            assert.deepEqual(p.steps[0].record.state!.slots.green, { role: "candidate", version: "1.1.0", replicas: 3 });
            assert.equal(findLive(p.steps[1].record.state), "green");
            assert.deepEqual(p.steps[2].record.state!.slots.blue, { role: "standby", version: "1.1.0", replicas: 3 });
            assert.deepEqual(p.steps[2].checks, [{ kind: "slot-ready", slot: "blue", version: "1.1.0", replicas: 3 }]);
            assert.deepEqual(p.steps[3].record.state!.slots.blue, { role: "live", version: "1.1.0", replicas: 3 });
            assert.deepEqual(p.steps[3].checks, [{ kind: "production", slot: "blue", version: "1.1.0" }]);
            assert.deepEqual(p.steps[5].record.state!.slots, {
                blue: { role: "live", version: "1.1.0", replicas: 3 },
                green: { role: "standby", version: "1.0.0", replicas: 3 },
            });
        });

        it("rollback flips to the green standby at once, then blue rolls back and production returns to it", () => {
            const done = run(blueLive, { kind: "release", version: "1.1.0" }).record;
            const p = plan(done, { kind: "rollback" });
            assert.deepEqual(
                p.steps.map((s) => s.name),
                ["rollback-switch", "roll-home", "return-home", "complete"],
            );
            assert.equal(findLive(p.steps[0].record.state), "green", "the first step is the instant switch");
            const rb = run(done, { kind: "rollback" });
            assert.deepEqual(rb.record.state!.slots.blue, { role: "live", version: "1.0.0", replicas: 3 });
        });

        it("a state left with green live (an older engine) converges on blue before a candidate is placed", () => {
            const legacy: EngineRecord = {
                state: validateReleaseState({
                    slots: {
                        blue: { role: "standby", version: "1.0.0", replicas: 2 },
                        green: { role: "live", version: "1.1.0", replicas: 2 },
                    },
                }),
            };
            const p = plan(legacy, { kind: "release", version: "1.2.0" });
            assert.deepEqual(p.steps.map((s) => s.name).slice(0, 3), ["roll-home", "return-home", "deploy-candidate"]);
            assert.equal(p.steps[2].record.operation?.kind === "release" && p.steps[2].record.operation.slot, "green");
        });
    }
}
