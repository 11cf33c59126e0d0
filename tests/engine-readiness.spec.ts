/**
 * Readiness before weight (release-engine/src/engine/readiness.ts): the verdict on one observation of a
 * guarded slot, exhaustively against the rule's words; then the polling around it on scripted
 * observations — waiting for readiness, the candidate's settle window, a restart seen while settling
 * or while a gate runs, a restore that goes ahead on some endpoints, an unreadable cluster.
 */
import { strict as assert } from "assert";
import type { SlotName } from "@phoenix/release-model";
import type { SlotHealth } from "@phoenix/release-model";
import { awaitGuard, CrashWatch, describeCrash, judgeGuard } from "../release-engine/src/engine/readiness";
import type { WeightGuard } from "../release-engine/src/planner/types";
import type { ReadinessSettings } from "../release-engine/src/settings/config";

const FAST: ReadinessSettings = { settleMs: 40, waitMs: 150, pollMs: 5 };
const guard = (o: Partial<WeightGuard> = {}): WeightGuard => ({
    slot: "blue",
    version: "1.2.8",
    replicas: 2,
    weight: 100,
    candidate: true,
    ...o,
});
const health = (o: Partial<SlotHealth> = {}): SlotHealth => ({ ready: 2, desired: 2, versions: ["1.2.8"], restarts: 0, ...o });

/** A health source that plays `script` (one observation per read, the last one repeated) and counts reads. */
function scripted(script: SlotHealth[]): { source: () => Promise<Record<SlotName, SlotHealth>>; reads: () => number } {
    let i = 0;
    return {
        source: async () => {
            const h = script[Math.min(i, script.length - 1)];
            i++;
            return { blue: h, green: health({ ready: 0, versions: [] }) };
        },
        reads: () => i,
    };
}

describe("engine: readiness before weight", () => {
    it("judgeGuard: exhaustive over candidate × baseline × restarts × ready × replicas × weight × versions", () => {
        let n = 0;
        for (const candidate of [true, false]) {
            for (const baseline of [undefined, 0, 2]) {
                for (let restarts = 0; restarts <= 3; restarts++) {
                    for (let ready = 0; ready <= 3; ready++) {
                        for (let replicas = 1; replicas <= 3; replicas++) {
                            for (const weight of [5, 50, 100]) {
                                for (const versions of [[], ["1.2.8"], ["1.2.8", "1.1.0"], ["1.1.0"]]) {
                                    const v = versions.length === 0 ? [] : versions;
                                    const g = guard({ candidate, replicas, weight });
                                    const h = health({ ready: v.length ? ready : 0, versions: v, restarts });
                                    const got = judgeGuard(g, h, baseline);
                                    const crashed = candidate && baseline !== undefined && restarts > baseline;
                                    const onlyVersion = v.every((x) => x === "1.2.8");
                                    const r = onlyVersion ? h.ready : 0;
                                    const ok = !crashed && onlyVersion && r >= 1 && (weight < 100 || r >= replicas);
                                    assert.equal(
                                        got.verdict,
                                        crashed ? "crashed" : ok ? "ok" : "wait",
                                        `${JSON.stringify({ candidate, baseline, h, g })}: ${got.detail}`,
                                    );
                                    if (got.verdict === "crashed") {
                                        assert.equal(got.restarts, restarts - (baseline as number));
                                        assert.match(got.detail, new RegExp(`restarted ${restarts - (baseline as number)} time`));
                                    }
                                    n++;
                                }
                            }
                        }
                    }
                }
            }
        }
        assert.equal(n, 2 * 3 * 4 * 4 * 3 * 3 * 4);
    });

    it("a slot that is ready passes at once, unless it holds the candidate: that must stay ready for the settle window", async () => {
        const standby = scripted([health()]);
        const r1 = await awaitGuard(standby.source, guard({ candidate: false }), undefined, FAST);
        assert.equal(r1.ok, true, r1.detail);
        assert.equal(standby.reads(), 1, "a rollback's guard costs one read");
        const cand = scripted([health()]);
        const r2 = await awaitGuard(cand.source, guard(), 0, FAST);
        assert.equal(r2.ok, true, r2.detail);
        assert.match(r2.detail, /no restart since deployed, held \d+ ms/);
        assert.ok(cand.reads() > 2, `the candidate was watched through the settle window (${cand.reads()} reads)`);
    });

    it("a candidate that restarts while it settles is rejected as crashed, with how often and when it was seen", async () => {
        const t0 = Date.now();
        const s = scripted([health(), health(), health({ ready: 0, versions: [], restarts: 2 })]);
        const r = await awaitGuard(s.source, guard(), 0, FAST);
        assert.equal(r.ok, false);
        assert.equal(r.crashed?.restarts, 2);
        assert.ok(r.crashed && r.crashed.at.getTime() >= t0);
        assert.match(r.detail, /blue \(candidate 1\.2\.8\) restarted 2 times since it was deployed/);
        // A restart before the baseline (counted when the candidate was deployed) is not the candidate's.
        const old = await awaitGuard(scripted([health({ restarts: 3 })]).source, guard(), 3, FAST);
        assert.equal(old.ok, true, old.detail);
    });

    it("waits (bounded) for a slot to become ready; refuses when it never does; a restore goes ahead on some endpoints", async () => {
        const late = scripted([health({ ready: 0, versions: [] }), health({ ready: 1 }), health({ ready: 2 })]);
        const ok = await awaitGuard(late.source, guard({ candidate: false }), undefined, FAST);
        assert.equal(ok.ok, true, ok.detail);
        assert.equal(late.reads(), 3);
        const never = await awaitGuard(scripted([health({ ready: 1 })]).source, guard({ candidate: false }), undefined, FAST);
        assert.equal(never.ok, false);
        assert.match(
            never.detail,
            /blue has 1 of 2 endpoints ready; all of production goes only to a fully ready slot after waiting 150 ms/,
        );
        const restore = await awaitGuard(
            scripted([health({ ready: 1 })]).source,
            guard({ candidate: false, restoring: true }),
            undefined,
            FAST,
        );
        assert.equal(restore.ok, true, restore.detail);
        assert.match(restore.detail, /production returns to it anyway/);
        const none = await awaitGuard(
            scripted([health({ ready: 0, versions: [] })]).source,
            guard({ candidate: false, restoring: true }),
            undefined,
            FAST,
        );
        assert.equal(none.ok, false, "not even a restore goes to a slot without ready endpoints");
        const weighted = await awaitGuard(
            scripted([health({ ready: 1 })]).source,
            guard({ candidate: false, weight: 25 }),
            undefined,
            FAST,
        );
        assert.equal(weighted.ok, true, "a weighted step needs some ready endpoints");
    });

    it("an unreadable cluster moves nothing", async () => {
        const r = await awaitGuard(async () => Promise.reject(new Error("401 Unauthorized")), guard(), 0, FAST);
        assert.equal(r.ok, false);
        assert.match(r.detail, /the readiness of blue cannot be read \(401 Unauthorized\); production does not move to it/);
    });

    it("CrashWatch: reports the first restart after the baseline seen while a gate runs, and nothing when there is none", async () => {
        let restarts = 1;
        const source = async () => ({ blue: health({ restarts }), green: health() });
        const t0 = Date.now();
        const w = new CrashWatch(source, "blue", 1, 5);
        await new Promise((r) => setTimeout(r, 30));
        restarts = 3;
        await new Promise((r) => setTimeout(r, 30));
        const seen = await w.stop();
        assert.equal(seen?.restarts, 2);
        assert.match(
            describeCrash(seen!, "the gate", t0),
            /^restarted 2 times since it was deployed \(first seen \d{4}-\d\d-\d\dT[\d:.]+Z, 0\.\d s into the gate\)$/,
        );
        const quiet = new CrashWatch(source, "blue", 3, 5);
        await new Promise((r) => setTimeout(r, 20));
        assert.equal(await quiet.stop(), undefined);
        // A restart counted just after the gate's last answer is still seen by the read after the grace.
        const late = new CrashWatch(source, "blue", 3, 1000);
        setTimeout(() => (restarts = 4), 10);
        assert.equal((await late.stop(40))?.restarts, 1);
    });
});
