import { strict as assert } from "assert";
import * as fc from "fast-check";
import {
    ReleaseState,
    ReleaseStateError,
    SLOT_NAMES,
    SLOT_ROLES,
    SlotState,
    candidateSlot,
    isSemver,
    liveSlot,
    otherSlot,
    parseReleaseState,
    presentSlots,
    routerIntent,
    slotResourceName,
    standbySlot,
    validateReleaseState,
} from "../release-engine/src/model/release-state";
import { ANNOTATIONS, IngressRule, routePreview, routeProduction, soleService } from "../release-engine/src/model/routing";

const SECRET = "pv-0123456789abcdef";

function problemsOf(input: unknown): string[] {
    try {
        validateReleaseState(input);
    } catch (e) {
        assert.ok(e instanceof ReleaseStateError, `expected ReleaseStateError, got ${String(e)}`);
        assert.ok(e.message.includes(e.problems[0]));
        return e.problems;
    }
    return [];
}

describe("release state", () => {
    it("accepts every well-formed state and types it", () => {
        const s = validateReleaseState({
            slots: { blue: { role: "standby", version: "1.0.0", replicas: 2 }, green: { role: "live", version: "1.1.0-rc.1+b.7" } },
            previewHeaderValue: SECRET,
        });
        assert.equal(liveSlot(s), "green");
        assert.equal(standbySlot(s), "blue");
        assert.equal(candidateSlot(s), undefined);
        assert.deepEqual(presentSlots(s), ["blue", "green"]);
        assert.equal(s.slots.green.replicas, undefined);
        assert.equal(s.previewHeaderValue, SECRET);
        const first = parseReleaseState('{"slots":{"blue":{"role":"live","version":"0.1.0","replicas":1},"green":{"role":"absent"}}}');
        assert.deepEqual(presentSlots(first), ["blue"]);
        assert.equal(otherSlot("blue"), "green");
        assert.equal(slotResourceName("green", "calculator"), "green-calculator");
    });

    it("semver is strict", () => {
        for (const ok of ["0.0.0", "1.2.3", "10.20.30", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85"]) assert.ok(isSemver(ok), ok);
        for (const bad of ["1", "1.2", "v1.2.3", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "latest", " 1.2.3", "1.2.3.4"]) assert.ok(!isSemver(bad), bad);
    });

    const cases: Array<[string, unknown, RegExp[]]> = [
        ["not an object", "blue", [/must be an object/]],
        ["no slots", {}, [/"slots" must be an object/]],
        ["unknown keys", { slots: { blue: { role: "live", version: "1.0.0", colour: 1 }, green: { role: "absent" }, red: {} }, extra: 1 },
            [/unknown key "extra"/, /unknown slot "red"/, /slot blue: unknown key "colour"/]],
        ["missing slot", { slots: { blue: { role: "live", version: "1.0.0" } } }, [/slot green is missing/]],
        ["bad role", { slots: { blue: { role: "primary", version: "1.0.0" }, green: { role: "absent" } } }, [/role must be one of live \| candidate \| standby \| absent, got "primary"/]],
        ["no live slot", { slots: { blue: { role: "standby", version: "1.0.0" }, green: { role: "candidate", version: "1.1.0" } } }, [/exactly one slot must be live, found none/]],
        ["two live slots", { slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "live", version: "1.1.0" } } }, [/found blue and green/]],
        ["two candidates", { slots: { blue: { role: "candidate", version: "1.0.0" }, green: { role: "candidate", version: "1.1.0" } } }, [/found none/, /at most one slot may hold a candidate/]],
        ["live without version", { slots: { blue: { role: "live" }, green: { role: "absent" } } }, [/slot blue is live but has no version/]],
        ["version not semver", { slots: { blue: { role: "live", version: "v1.0" }, green: { role: "candidate", version: 2 } } }, [/blue: version must be semver.*"v1.0"/, /green: version must be semver.*2/]],
        ["absent with version and replicas", { slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "absent", version: "1.1.0", replicas: 2 } } }, [/absent but has a version/, /absent but has replicas/]],
        ["blue absent (green live)", { slots: { blue: { role: "absent" }, green: { role: "live", version: "1.0.0" } } }, [/slot blue must not be absent/]],
        ["blue with zero replicas", { slots: { blue: { role: "standby", version: "1.0.0", replicas: 0 }, green: { role: "live", version: "1.1.0" } } }, [/slot blue \(standby\): replicas must be an integer from 1 to 100 \(blue backs the main Ingress/]],
        ["live green with zero replicas", { slots: { blue: { role: "standby", version: "1.0.0" }, green: { role: "live", version: "1.1.0", replicas: 0 } } }, [/slot green \(live\): replicas must be an integer from 1/]],
        ["fractional replicas", { slots: { blue: { role: "live", version: "1.0.0", replicas: 1.5 }, green: { role: "absent" } } }, [/replicas must be an integer/]],
        ["guessable preview value", { slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "absent" } }, previewHeaderValue: "always" }, [/previewHeaderValue must be 16 to 128/]],
    ];
    for (const [name, input, expected] of cases) {
        it(`refuses: ${name}`, () => {
            const problems = problemsOf(input);
            assert.ok(problems.length >= expected.length, `expected problems, got ${JSON.stringify(problems)}`);
            for (const re of expected) assert.ok(problems.some((p) => re.test(p)), `${re} not in ${JSON.stringify(problems)}`);
        });
    }

    it("lists every problem at once and never echoes the preview secret", () => {
        const bad = "x".repeat(12) + " secret!";
        const problems = problemsOf({ slots: { blue: { role: "absent", version: "1" }, green: { role: "bogus" } }, previewHeaderValue: bad });
        assert.ok(problems.length >= 3, JSON.stringify(problems));
        assert.ok(!problems.join("\n").includes(bad));
        assert.throws(() => parseReleaseState("{nope"), /not valid JSON/);
    });

    it("a green standby may be scaled to zero (blue never)", () => {
        const s = validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "standby", version: "0.9.0", replicas: 0 } } });
        assert.equal(s.slots.green.replicas, 0);
    });

    describe("routerIntent", () => {
        const st = (blue: SlotState, green: SlotState, previewHeaderValue?: string): ReleaseState =>
            validateReleaseState({ slots: { blue, green }, ...(previewHeaderValue ? { previewHeaderValue } : {}) });

        it("moves production by weight only: 0 when blue is live, 100 when green is", () => {
            assert.equal(routerIntent(st({ role: "live", version: "1.0.0" }, { role: "absent" }), "canary").canaryWeight, 0);
            assert.equal(routerIntent(st({ role: "standby", version: "1.0.0" }, { role: "live", version: "1.1.0" }), "canary").canaryWeight, 100);
        });

        it("previews a green candidate with always, or with the secret value (then sets canary-by-header-value)", () => {
            const plain = routerIntent(st({ role: "live", version: "1.0.0" }, { role: "candidate", version: "1.1.0" }), "x-preview");
            assert.deepEqual(plain.preview, { header: "x-preview", value: "always", target: "green", secret: false });
            assert.equal(plain.canaryHeaderValue, undefined);
            const secret = routerIntent(st({ role: "live", version: "1.0.0" }, { role: "candidate", version: "1.1.0" }, SECRET), "canary");
            assert.deepEqual(secret.preview, { header: "canary", value: SECRET, target: "green", secret: true });
            assert.equal(secret.canaryHeaderValue, SECRET);
        });

        it("previews a blue candidate with never and no header value (a value would make never meaningless)", () => {
            const i = routerIntent(st({ role: "candidate", version: "1.2.0" }, { role: "live", version: "1.1.0" }, SECRET), "canary");
            assert.deepEqual(i.preview, { header: "canary", value: "never", target: "blue", secret: false });
            assert.equal(i.canaryHeaderValue, undefined);
            assert.equal(i.canaryWeight, 100);
        });

        it("has no preview without a candidate and refuses a bad header name", () => {
            assert.equal(routerIntent(st({ role: "live", version: "1.0.0" }, { role: "standby", version: "0.9.0" }), "canary").preview, undefined);
            assert.throws(() => routerIntent(st({ role: "live", version: "1.0.0" }, { role: "absent" }), "x_preview"), ReleaseStateError);
            assert.throws(() => routerIntent(st({ role: "live", version: "1.0.0" }, { role: "absent" }), ""), ReleaseStateError);
        });

        it("property: for every valid state, the intent routes production to the live slot and previews to the candidate", () => {
            const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);
            const slot = fc.record({ role: fc.constantFrom(...SLOT_ROLES), version: fc.option(version, { nil: undefined }), replicas: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }) });
            const input = fc.record({ slots: fc.record({ blue: slot, green: slot }), previewHeaderValue: fc.option(fc.constant(SECRET), { nil: undefined }) });
            let valid = 0;
            fc.assert(
                fc.property(input, (raw) => {
                    const clean = JSON.parse(JSON.stringify(raw)) as unknown;
                    let s: ReleaseState;
                    try {
                        s = validateReleaseState(clean);
                    } catch (e) {
                        assert.ok(e instanceof ReleaseStateError);
                        return;
                    }
                    valid++;
                    const intent = routerIntent(s, "canary");
                    const svc = (slotName: string) => ({ namespace: `${slotName}-calculator`, name: `${slotName}-calculator` });
                    const rule = (slotName: "blue" | "green", annotations: Record<string, string>, order: number): IngressRule => ({
                        namespace: svc(slotName).namespace, name: "calculator", creationOrder: order, ingressClassName: "nginx",
                        host: "h", path: "/", pathType: "Prefix", annotations, backend: svc(slotName),
                    });
                    const rules = [
                        rule("blue", { [ANNOTATIONS.canary]: "false" }, 1),
                        rule("green", {
                            [ANNOTATIONS.canary]: "true",
                            [ANNOTATIONS.canaryByHeader]: intent.headerName,
                            [ANNOTATIONS.canaryWeight]: String(intent.canaryWeight),
                            ...(intent.canaryHeaderValue ? { [ANNOTATIONS.canaryByHeaderValue]: intent.canaryHeaderValue } : {}),
                        }, 2),
                    ];
                    const eps: Record<string, number> = {};
                    for (const n of SLOT_NAMES) {
                        const r = s.slots[n].role === "absent" ? 0 : (s.slots[n].replicas ?? 2);
                        eps[`${n}-calculator/${n}-calculator`] = r;
                    }
                    assert.deepEqual(soleService(routeProduction(rules, eps, { host: "h" })), svc(liveSlot(s)));
                    if (intent.preview) {
                        const p = routePreview(rules, eps, { host: "h", header: intent.preview.header, value: intent.preview.value });
                        assert.deepEqual(soleService(p), svc(intent.preview.target));
                        assert.equal(intent.preview.target, candidateSlot(s));
                    } else {
                        assert.equal(candidateSlot(s), undefined);
                    }
                }),
                { numRuns: 400, seed: 4242 },
            );
            assert.ok(valid > 20, `generator produced only ${valid} valid states`);
        });
    });
});
