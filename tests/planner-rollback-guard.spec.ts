/**
 * Issue 14 item 3: rollback never moves production to a version that was itself rolled back or rejected.
 * The engine record remembers such versions (`rejected`, optional: older records parse without it).
 */
import { strict as assert } from "assert";
import { routerModel } from "@phoenix/release-model";
import { finalRecord, plan, recoverySteps } from "../release-engine/src/planner/plan";
import type { EngineRecord } from "../release-engine/src/planner/types";

const OPTS = { defaultReplicas: 2, router: routerModel("gateway-api") };
const live = (version: string) => ({ role: "live" as const, version, replicas: 2 });
const standby = (version: string) => ({ role: "standby" as const, version, replicas: 2 });

/** Runs a plan to its end (every check passing), as the engine does. */
function apply(record: EngineRecord, intent: Parameters<typeof plan>[1]): EngineRecord {
    const p = plan(record, intent, OPTS);
    assert.equal(p.outcome, "apply", `${JSON.stringify(intent)}: ${p.reason ?? p.notes.join("; ")}`);
    return finalRecord(record, p);
}

describe("planner: rollback never rolls forward to a rolled-back or rejected version", () => {
    const promoted: EngineRecord = { state: { slots: { blue: standby("1.0.0"), green: live("1.1.0") } } };

    it("a second rollback after rolling back 1.1.0 is blocked and points to release 1.1.0", () => {
        const once = apply(promoted, { kind: "rollback" });
        assert.deepEqual(once.state?.slots.blue, live("1.0.0"));
        assert.deepEqual(once.rejected, ["1.1.0"], "the rolled-back version is remembered");
        const twice = plan(once, { kind: "rollback" }, OPTS);
        assert.equal(twice.outcome, "blocked");
        assert.match(twice.reason ?? "", /1\.1\.0, which was itself rolled back or rejected.*release 1\.1\.0/);
        assert.equal(twice.steps.length, 0);
    });

    it("a version rejected by the gate (recovery) is remembered; releasing it again through the gate clears it", () => {
        const pending = plan(promoted, { kind: "release", version: "1.2.0" }, OPTS);
        const deployed = pending.steps[0].record; // candidate 1.2.0 in blue, then the gate fails:
        const steps = recoverySteps(deployed, OPTS);
        const rejected = steps[steps.length - 1].record;
        assert.deepEqual(rejected.rejected, ["1.2.0"]);
        assert.equal(rejected.operation, undefined);
        const again = apply(rejected, { kind: "release", version: "1.2.0" });
        assert.deepEqual(again.rejected, [], "a gated release of 1.2.0 takes it off the list");
    });

    it("every step of a plan carries the list forward (no step forgets it)", () => {
        const start: EngineRecord = { ...promoted, rejected: ["0.9.0"] };
        const p = plan(start, { kind: "release", version: "1.2.0" }, OPTS);
        for (const s of p.steps) assert.ok(s.record.rejected?.includes("0.9.0"), `${s.name} dropped the list`);
    });

    it("records without the field (written before it existed) still plan a rollback", () => {
        const old = JSON.parse(JSON.stringify(promoted)) as EngineRecord;
        assert.equal("rejected" in old, false);
        assert.equal(plan(old, { kind: "rollback" }, OPTS).outcome, "apply");
    });

    it("the guard fails when the record forgets the rollback (deliberately broken input)", () => {
        const once = apply(promoted, { kind: "rollback" });
        const forgotten: EngineRecord = { state: once.state };
        assert.equal(
            plan(forgotten, { kind: "rollback" }, OPTS).outcome,
            "apply",
            "without the memory the second rollback would roll forward",
        );
    });
});
