/**
 * The safety model's readiness rule (release-model routers/readiness.ts, invariant 5): production
 * weight only on a slot with ready endpoints, all of production only on a fully ready one. Checked
 * exhaustively over small domains against oracles written here from the rule's words, and tied to
 * both router models: where the rule holds for every weighted slot, no production request errors
 * (on nginx, with the main side's endpoints too, its own rule 2); where it fails, some do.
 */
import { strict as assert } from "assert";
import {
    SAFETY_SETTINGS,
    SLOT_NAMES,
    readinessProblem,
    readinessViolations,
    routerModel,
    slotServiceKey,
    weightGains,
    type ReadyEndpoints,
    type ReleaseState,
    type RouterKind,
    type SlotName,
    type SlotReadiness,
    type SlotState,
} from "@phoenix/release-model";

/** Every state shape the planner produces: one live slot, the other absent/standby/candidate, a candidate weight or none. */
function states(): ReleaseState[] {
    const out: ReleaseState[] = [];
    for (const live of SLOT_NAMES) {
        const other: SlotName = live === "blue" ? "green" : "blue";
        const others: SlotState[] = [
            { role: "absent" },
            { role: "standby", version: "1.0.0", replicas: 2 },
            { role: "candidate", version: "1.1.0", replicas: 2 },
        ];
        for (const o of others) {
            const weights = o.role === "candidate" ? [undefined, 1, 5, 50, 99] : [undefined];
            for (const w of weights) {
                const slots = { [live]: { role: "live", version: "1.0.1", replicas: 2 }, [other]: o } as Record<SlotName, SlotState>;
                out.push({ slots, ...(w !== undefined ? { candidateWeight: w } : {}) });
            }
        }
    }
    return out;
}

/** The share of production a slot has, from the state's words: the candidate its weight, live the rest. */
function shareOf(s: ReleaseState, slot: SlotName): number {
    const cand = SLOT_NAMES.find((x) => s.slots[x].role === "candidate");
    const w = cand ? (s.candidateWeight ?? 0) : 0;
    if (s.slots[slot].role === "live") return 100 - w;
    if (s.slots[slot].role === "candidate") return w;
    return 0;
}

/** The rule from its words. */
const allowed = (weight: number, r: SlotReadiness) => weight === 0 || (r.ready >= 1 && (weight < 100 || r.ready >= r.desired));

const READINESS: SlotReadiness[] = [];
for (let desired = 0; desired <= 3; desired++) for (let ready = 0; ready <= 3; ready++) READINESS.push({ ready, desired });

describe("safety model: the readiness rule (weight only on ready endpoints, 100 % only on a fully ready slot)", () => {
    it("readinessProblem: exhaustive over weight 0–100 × ready 0–3 × desired 0–3", () => {
        let checked = 0;
        for (let weight = 0; weight <= 100; weight++) {
            for (const r of READINESS) {
                const p = readinessProblem("blue", weight, r);
                assert.equal(p === undefined, allowed(weight, r), `weight ${weight}, ${JSON.stringify(r)}: ${p}`);
                if (p) assert.match(p, /^blue /, "the problem names the slot");
                checked++;
            }
        }
        assert.equal(checked, 101 * 16);
        assert.match(
            readinessProblem("green", 5, { ready: 0, desired: 2 }) ?? "",
            /no ready endpoints \(0 of 2\), so 5 % of production would fail/,
        );
        assert.match(
            readinessProblem("green", 100, { ready: 1, desired: 2 }) ?? "",
            /1 of 2 endpoints ready; all of production goes only to a fully ready slot/,
        );
        assert.equal(
            readinessProblem("green", 99, { ready: 1, desired: 2 }),
            undefined,
            "a weighted step needs some ready endpoints, not all",
        );
    });

    it("weightGains: exactly the slots whose share rises, with both shares, for every pair of states; none without production before or after", () => {
        const all = states();
        let gains = 0;
        for (const a of all) {
            assert.deepEqual(weightGains(null, a), []);
            assert.deepEqual(weightGains(a, null), []);
            for (const b of all) {
                const want = SLOT_NAMES.filter((s) => shareOf(b, s) > shareOf(a, s)).map((slot) => ({
                    slot,
                    from: shareOf(a, slot),
                    to: shareOf(b, slot),
                }));
                assert.deepEqual(weightGains(a, b), want, `${JSON.stringify(a)} → ${JSON.stringify(b)}`);
                gains += want.length;
            }
        }
        assert.ok(gains > 100, "the domain has changes that raise a slot's share");
    });

    it("readinessViolations: every pair of states × every readiness of both slots; only the slots gaining weight are judged", () => {
        const all = states();
        let refused = 0;
        let total = 0;
        for (const a of all) {
            for (const b of all) {
                for (const rb of [
                    { ready: 0, desired: 2 },
                    { ready: 1, desired: 2 },
                    { ready: 2, desired: 2 },
                ]) {
                    for (const rg of [
                        { ready: 0, desired: 2 },
                        { ready: 1, desired: 2 },
                        { ready: 2, desired: 2 },
                    ]) {
                        const readiness = { blue: rb, green: rg };
                        const want = SLOT_NAMES.filter((s) => shareOf(b, s) > shareOf(a, s) && !allowed(shareOf(b, s), readiness[s]));
                        const got = readinessViolations(a, b, readiness);
                        assert.equal(
                            got.length,
                            want.length,
                            `${JSON.stringify(a)} → ${JSON.stringify(b)} with ${JSON.stringify(readiness)}: ${got.join("; ")}`,
                        );
                        want.forEach((s, i) => assert.match(got[i], new RegExp(`^${s} `)));
                        refused += got.length ? 1 : 0;
                        total++;
                    }
                }
            }
        }
        assert.ok(refused > 0 && refused < total, `${refused} of ${total} refused`);
    });

    for (const kind of ["gateway-api", "nginx"] as RouterKind[]) {
        it(`${kind}: where every weighted slot satisfies the rule, production never errors; where a weighted slot (nginx: the main side) has no ready endpoint, it does`, () => {
            const router = routerModel(kind);
            const s = SAFETY_SETTINGS;
            let served = 0;
            let failing = 0;
            for (const state of states()) {
                if (router.stateProblems(state).length > 0) continue;
                for (const rb of [0, 1, 2]) {
                    for (const rg of [0, 1, 2]) {
                        const ready: Record<SlotName, number> = { blue: rb, green: rg };
                        const endpoints: ReadyEndpoints = {};
                        for (const slot of SLOT_NAMES)
                            if (state.slots[slot].role !== "absent") endpoints[slotServiceKey(slot, s.appName)] = ready[slot];
                        const outcomes = router.distribution(router.objects(router.intent(state, s.headerName), s), endpoints, {
                            host: s.host,
                            path: "/",
                        });
                        const errors = outcomes.filter((o) => o.outcome.kind === "error");
                        const ruleHolds = SLOT_NAMES.every((slot) => allowed(shareOf(state, slot), { ready: ready[slot], desired: 2 }));
                        // nginx's own rule 2: the main side (blue) must have endpoints whatever the weights.
                        const mainSideOk = kind !== "nginx" || ready.blue > 0;
                        // Gateway API: a weighted backend without endpoints fails its share. nginx: a canary without
                        // endpoints silently falls back to the main side (traffic-routing.md rule 3), the main side's
                        // loss fails everything (rule 2).
                        const weightedWithoutEndpoints =
                            kind === "nginx" ? ready.blue === 0 : SLOT_NAMES.some((slot) => shareOf(state, slot) > 0 && ready[slot] === 0);
                        if (ruleHolds && mainSideOk) {
                            assert.deepEqual(errors, [], `${JSON.stringify(state)} ready ${JSON.stringify(ready)}`);
                            served++;
                        }
                        if (weightedWithoutEndpoints) {
                            assert.ok(
                                errors.length > 0,
                                `a weighted slot without endpoints must fail production: ${JSON.stringify(state)} ready ${JSON.stringify(ready)}`,
                            );
                            failing++;
                        }
                    }
                }
            }
            assert.ok(served > 10 && failing > 10, `${served} safe, ${failing} failing configurations checked`);
        });
    }
});
