import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseRecord } from "../release-engine/src/record-store/record-format";
import { plan } from "../release-engine/src/planner/plan";
import * as fc from "fast-check";
import {
    ROUTER_KINDS,
    ReleaseState,
    ReleaseStateError,
    SLOT_NAMES,
    SLOT_ROLES,
    SlotState,
    candidateSlot,
    configToRecord,
    isSemver,
    liveSlot,
    nginx,
    otherSlot,
    parseReleaseState,
    presentSlots,
    recordToConfig,
    replicasOf,
    routerModel,
    slotResourceName,
    slotService,
    soleService,
    standbySlot,
    validateEngineRecord,
    validateReleaseState,
} from "@phoenix/release-model";

const nginxRouter = routerModel("nginx");
const gatewayRouter = routerModel("gateway-api");

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
        for (const ok of [
            "0.0.0",
            "1.2.3",
            "10.20.30",
            "1.0.0-alpha.1",
            "1.0.0-0.3.7",
            "1.0.0+20130313144700",
            "1.0.0-beta+exp.sha.5114f85",
        ])
            assert.ok(isSemver(ok), ok);
        for (const bad of ["1", "1.2", "v1.2.3", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "latest", " 1.2.3", "1.2.3.4"])
            assert.ok(!isSemver(bad), bad);
    });

    const cases: Array<[string, unknown, RegExp[]]> = [
        ["not an object", "blue", [/must be an object/]],
        ["no slots", {}, [/"slots" must be an object/]],
        [
            "unknown keys",
            { slots: { blue: { role: "live", version: "1.0.0", colour: 1 }, green: { role: "absent" }, red: {} }, extra: 1 },
            [/unknown key "extra"/, /unknown slot "red"/, /slot blue: unknown key "colour"/],
        ],
        ["missing slot", { slots: { blue: { role: "live", version: "1.0.0" } } }, [/slot green is missing/]],
        [
            "bad role",
            { slots: { blue: { role: "primary", version: "1.0.0" }, green: { role: "absent" } } },
            [/role must be one of live \| candidate \| standby \| absent, got "primary"/],
        ],
        [
            "no live slot",
            { slots: { blue: { role: "standby", version: "1.0.0" }, green: { role: "candidate", version: "1.1.0" } } },
            [/exactly one slot must be live, found none/],
        ],
        [
            "two live slots",
            { slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "live", version: "1.1.0" } } },
            [/found blue and green/],
        ],
        [
            "two candidates",
            { slots: { blue: { role: "candidate", version: "1.0.0" }, green: { role: "candidate", version: "1.1.0" } } },
            [/found none/, /at most one slot may hold a candidate/],
        ],
        [
            "live without version",
            { slots: { blue: { role: "live" }, green: { role: "absent" } } },
            [/slot blue is live but has no version/],
        ],
        [
            "version not semver",
            { slots: { blue: { role: "live", version: "v1.0" }, green: { role: "candidate", version: 2 } } },
            [/blue: version must be semver.*"v1.0"/, /green: version must be semver.*2/],
        ],
        [
            "absent with version and replicas",
            { slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "absent", version: "1.1.0", replicas: 2 } } },
            [/absent but has a version/, /absent but has replicas/],
        ],
        [
            "live green with zero replicas",
            { slots: { blue: { role: "standby", version: "1.0.0" }, green: { role: "live", version: "1.1.0", replicas: 0 } } },
            [/slot green \(live\): replicas must be an integer from 1/],
        ],
        [
            "fractional replicas",
            { slots: { blue: { role: "live", version: "1.0.0", replicas: 1.5 }, green: { role: "absent" } } },
            [/replicas must be an integer/],
        ],
        [
            "guessable preview value",
            { slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "absent" } }, previewHeaderValue: "always" },
            [/previewHeaderValue must be 16 to 128/],
        ],
    ];
    for (const [name, input, expected] of cases) {
        it(`refuses: ${name}`, () => {
            const problems = problemsOf(input);
            assert.ok(problems.length >= expected.length, `expected problems, got ${JSON.stringify(problems)}`);
            for (const re of expected)
                assert.ok(
                    problems.some((p) => re.test(p)),
                    `${re} not in ${JSON.stringify(problems)}`,
                );
        });
    }

    it("lists every problem at once and never echoes the preview secret", () => {
        const bad = "x".repeat(12) + " secret!";
        const problems = problemsOf({
            slots: { blue: { role: "absent", version: "1" }, green: { role: "bogus" } },
            previewHeaderValue: bad,
        });
        assert.ok(problems.length >= 3, JSON.stringify(problems));
        assert.ok(!problems.join("\n").includes(bad));
        assert.throws(() => parseReleaseState("{nope"), /not valid JSON/);
    });

    it("a standby may be scaled to zero; the state itself is router-neutral (nginx's blue rule is the router's)", () => {
        const s = validateReleaseState({
            slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "standby", version: "0.9.0", replicas: 0 } },
        });
        assert.equal(s.slots.green.replicas, 0);
        const blueAbsent = validateReleaseState({ slots: { blue: { role: "absent" }, green: { role: "live", version: "1.0.0" } } });
        const blueZero = validateReleaseState({
            slots: { blue: { role: "standby", version: "1.0.0", replicas: 0 }, green: { role: "live", version: "1.1.0" } },
        });
        assert.deepEqual(gatewayRouter.stateProblems(blueAbsent), []);
        assert.deepEqual(gatewayRouter.stateProblems(blueZero), []);
        assert.match(nginxRouter.stateProblems(blueAbsent).join(), /slot blue must not be absent/);
        assert.match(
            nginxRouter.stateProblems(blueZero).join(),
            /slot blue \(standby\): replicas must be at least 1 \(blue backs the main Ingress/,
        );
    });

    it("replicasOf resolves a missing count with the caller's configured default, and absent is 0", () => {
        assert.equal(replicasOf({ role: "live", version: "1.0.0" }, 3), 3);
        assert.equal(replicasOf({ role: "live", version: "1.0.0", replicas: 1 }, 3), 1);
        assert.equal(replicasOf({ role: "absent" }, 3), 0);
        assert.equal(replicasOf(undefined, 3), 0);
    });

    describe("the nginx router's intent and annotations", () => {
        const routerIntent = (st: ReleaseState, header: string) => nginxRouter.intent(st, header);
        const canaryWeight = (st: ReleaseState) => routerIntent(st, "canary").weights.green;
        const canaryHeaderValue = (st: ReleaseState, header = "canary") =>
            nginx.nginxAnnotations(routerIntent(st, header)).canary[nginx.ANNOTATIONS.canaryByHeaderValue];
        const st = (blue: SlotState, green: SlotState, previewHeaderValue?: string): ReleaseState =>
            validateReleaseState({ slots: { blue, green }, ...(previewHeaderValue ? { previewHeaderValue } : {}) });

        it("moves production by weight only: 0 when blue is live, 100 when green is", () => {
            assert.equal(canaryWeight(st({ role: "live", version: "1.0.0" }, { role: "absent" })), 0);
            assert.equal(canaryWeight(st({ role: "standby", version: "1.0.0" }, { role: "live", version: "1.1.0" })), 100);
        });

        it("previews a green candidate with always, or with the secret value (then sets canary-by-header-value)", () => {
            const plain = routerIntent(st({ role: "live", version: "1.0.0" }, { role: "candidate", version: "1.1.0" }), "x-preview");
            assert.deepEqual(plain.preview, { header: "x-preview", value: "always", target: "green", secret: false });
            assert.equal(
                canaryHeaderValue(st({ role: "live", version: "1.0.0" }, { role: "candidate", version: "1.1.0" }), "x-preview"),
                undefined,
            );
            const withSecret = st({ role: "live", version: "1.0.0" }, { role: "candidate", version: "1.1.0" }, SECRET);
            assert.deepEqual(routerIntent(withSecret, "canary").preview, {
                header: "canary",
                value: SECRET,
                target: "green",
                secret: true,
            });
            assert.equal(canaryHeaderValue(withSecret), SECRET);
        });

        it("previews a blue candidate with never and no header value (a value would make never meaningless)", () => {
            const blueCandidate = st({ role: "candidate", version: "1.2.0" }, { role: "live", version: "1.1.0" }, SECRET);
            assert.deepEqual(routerIntent(blueCandidate, "canary").preview, {
                header: "canary",
                value: "never",
                target: "blue",
                secret: false,
            });
            assert.equal(canaryHeaderValue(blueCandidate), undefined);
            assert.equal(canaryWeight(blueCandidate), 100);
            // The Gateway API router previews a blue candidate with the secret, like a green one.
            assert.deepEqual(gatewayRouter.intent(blueCandidate, "canary").preview, {
                header: "canary",
                value: SECRET,
                target: "blue",
                secret: true,
            });
        });

        it("has no preview without a candidate and refuses a bad header name", () => {
            assert.equal(
                routerIntent(st({ role: "live", version: "1.0.0" }, { role: "standby", version: "0.9.0" }), "canary").preview,
                undefined,
            );
            assert.throws(() => routerIntent(st({ role: "live", version: "1.0.0" }, { role: "absent" }), "x_preview"), ReleaseStateError);
            assert.throws(() => routerIntent(st({ role: "live", version: "1.0.0" }, { role: "absent" }), ""), ReleaseStateError);
        });

        for (const kind of ROUTER_KINDS) {
            it(`property (${kind}): for every state the router accepts, its objects route production to the live slot and previews to the candidate`, () => {
                const router = routerModel(kind);
                const version = fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);
                const slot = fc.record({
                    role: fc.constantFrom(...SLOT_ROLES),
                    version: fc.option(version, { nil: undefined }),
                    replicas: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }),
                });
                const input = fc.record({
                    slots: fc.record({ blue: slot, green: slot }),
                    previewHeaderValue: fc.option(fc.constant(SECRET), { nil: undefined }),
                });
                let valid = 0;
                const settings = { appName: "calculator", host: "h", headerName: "canary", gateway: { name: "gw", namespace: "gw" } };
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
                        if (router.stateProblems(s).length > 0) return;
                        valid++;
                        const intent = router.intent(s, "canary");
                        const objects = router.objects(intent, settings);
                        const eps: Record<string, number> = {};
                        for (const n of SLOT_NAMES)
                            if (s.slots[n].role !== "absent") eps[`${n}-calculator/${n}-calculator`] = replicasOf(s.slots[n], 2);
                        assert.deepEqual(
                            soleService(router.distribution(objects, eps, { host: "h", path: "/" })),
                            slotService(liveSlot(s), "calculator"),
                        );
                        if (intent.preview) {
                            const p = router.distribution(objects, eps, {
                                host: "h",
                                path: "/api/calculation",
                                headers: { [intent.preview.header]: intent.preview.value },
                            });
                            assert.deepEqual(soleService(p), slotService(intent.preview.target, "calculator"));
                            assert.equal(intent.preview.target, candidateSlot(s));
                        } else {
                            assert.equal(candidateSlot(s), undefined);
                        }
                    }),
                    { numRuns: 400, seed: 4242 },
                );
                assert.ok(valid > 20, `generator produced only ${valid} valid states`);
            });
        }
    });
});

describe("records written before the release model moved still parse", () => {
    // tests/fixtures/engine-record-before-release-model.json is a record in the format the engine of
    // commit 4019e16 wrote (`.phoenix/<env>/state.json`, JSON.stringify(record, null, 2)): an nginx-era
    // pending release whose candidate sits in blue while green is live.
    const text = fs.readFileSync(path.join(__dirname, "fixtures", "engine-record-before-release-model.json"), "utf8");

    it("as a local state file, as an engine record and as release stack config", () => {
        const local = parseRecord(text);
        assert.ok(local.ok, local.ok ? "" : local.problem);
        const record = validateEngineRecord(JSON.parse(text));
        assert.deepEqual(local.ok && local.record, record);
        assert.equal(record.operation?.kind, "release");
        assert.equal(record.state?.slots.blue.role, "candidate");
        const { set } = recordToConfig(record);
        assert.deepEqual(configToRecord(set), record, "through the release stack's config and back");
    });

    it("the planner resumes it on the Gateway API; on nginx it refuses (a candidate behind the main Ingress) and abort converges on blue", () => {
        const record = validateEngineRecord(JSON.parse(text));
        const gw = plan(record, { kind: "release", version: "1.2.0" }, { defaultReplicas: 2, router: routerModel("gateway-api") });
        assert.equal(gw.outcome, "apply", gw.reason);
        assert.match(gw.notes.join(), /resuming release 1\.2\.0 in blue/);
        const opts = { defaultReplicas: 2, router: routerModel("nginx") };
        const ng = plan(record, { kind: "release", version: "1.2.0" }, opts);
        assert.equal(ng.outcome, "blocked");
        assert.match(ng.reason ?? "", /if blue \(candidate\) lost every endpoint: 503/);
        const abort = plan(record, { kind: "abort" }, opts);
        assert.equal(abort.outcome, "apply", abort.reason);
        assert.deepEqual(
            abort.steps.map((s) => s.name),
            ["restore-slot", "roll-home", "return-home"],
        );
        assert.equal(abort.steps[abort.steps.length - 1].record.state?.slots.blue.role, "live");
    });
});
