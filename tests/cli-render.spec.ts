/**
 * cli/render.ts, the CLI's text built from what the engine returns: every branch of `status` (lock held
 * or not, pending release at a weight or rollback, stopped, slots seen or not, the three preview lines),
 * `plan` (steps, nothing to do, a refused plan stopping after its notes), the history, the interrupt
 * advice, the curl line's shell quoting and the `--json` documents (secrets replaced unless shown).
 */
import { strict as assert } from "assert";
import * as childProcess from "child_process";
import type { EngineRecord, ReleaseState } from "@phoenix/release-model";
import type { PlanView, RunResult, StatusView } from "../release-engine/src/engine/engine";
import type { HistoryEntry } from "../release-engine/src/engine/history";
import { describeState } from "../release-engine/src/planner/plan";
import type { Plan, Step } from "../release-engine/src/planner/types";
import {
    curlLine,
    historyText,
    interruptAdvice,
    interruptMessage,
    markdownSummary,
    planLines,
    progressiveStep,
    runResultJson,
    statusHeadLines,
    statusLines,
    type StatusContext,
} from "../release-engine/src/cli/render";
import { loadConfig } from "../release-engine/src/settings/config";

const config = { ...loadConfig("dev"), progressive: { ...loadConfig("dev").progressive, steps: [10, 50, 100] } };
const context: StatusContext = { config, backend: "local", showSecrets: false };

const LIVE_ONLY: ReleaseState = {
    slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "standby", version: "0.9.0", replicas: 2 } },
};
const PENDING: EngineRecord = {
    state: {
        candidateWeight: 50,
        previewHeaderValue: "s3cr3t-value",
        slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "candidate", version: "1.4.0", replicas: 2 } },
    },
    operation: { kind: "release", version: "1.4.0", slot: "green", before: LIVE_ONLY },
};
const ROLLING_BACK: EngineRecord = {
    state: LIVE_ONLY,
    operation: { kind: "rollback", from: { slot: "green", version: "1.2.0" }, to: { slot: "blue", version: "1.0.0" } },
};

const serving = (over: Partial<StatusView> = {}): StatusView => ({
    running: true,
    lock: { running: false },
    url: "http://127.0.0.1:8080",
    slots: {
        blue: { ready: 2, desired: 2, versions: ["1.0.0"], restarts: 0 },
        green: { ready: 1, desired: 2, versions: ["1.4.0"], restarts: 3 },
    },
    ...over,
});

describe("cli/render.ts: the CLI's text from the engine's views", () => {
    describe("status", () => {
        it("a pending release at a weight, nobody holding the lock: state, step of the configured steps, interrupted advice, slots, URL", () => {
            const lines = statusLines(PENDING, serving(), context);
            assert.deepEqual(lines.slice(0, 3), [
                `environment dev (local, router ${config.router}): ${describeState(PENDING.state)}`,
                "pending: release 1.4.0 in green; the candidate serves 50 % of production (step 2 of 3)",
                'interrupted: no release holds the lock; re-run "release 1.4.0" or "promote" to go on, "abort" returns production to live at once',
            ]);
            assert.ok(lines.includes("  blue: 2/2 ready (1.0.0), restarts 0"), lines.join("\n"));
            assert.ok(lines.includes("  green: 1/2 ready (1.4.0), restarts 3  ← not all ready"), lines.join("\n"));
            assert.ok(lines.includes(`url: http://127.0.0.1:8080  (production: POST ${config.gate.path})`), lines.join("\n"));
        });

        it("a release holding the lock is running: who, since when, the lease; in progress and no re-run advice", () => {
            const lock = { running: true, holder: "alice@host pid 7", since: "2026-12-04T21:00:00Z", expiresAt: "2026-12-04T21:01:00Z" };
            const lines = statusLines(PENDING, serving({ lock }), context);
            assert.equal(
                lines[1],
                "running: a release holds the lock (alice@host pid 7 since 2026-12-04T21:00:00Z; its lease runs to 2026-12-04T21:01:00Z unless renewed)",
            );
            assert.match(lines[2], /^in progress: release 1\.4\.0 in green/);
            assert.ok(!lines.some((line) => /interrupted|re-run/.test(line)), lines.join("\n"));
        });

        it("a pending rollback names both versions; without the lock it says how to finish it", () => {
            const lines = statusLines(ROLLING_BACK, serving({ slots: undefined }), context);
            assert.deepEqual(lines.slice(1, 3), [
                "pending: rollback 1.2.0 → 1.0.0",
                'interrupted: no release holds the lock; re-run "rollback" to finish it',
            ]);
        });

        it("a status that failed after reading the record and the lock shows what it had seen: the same head lines", () => {
            const lock = { running: false };
            const full = statusLines(PENDING, serving({ lock }), context);
            const head = statusHeadLines(PENDING, lock, context);
            assert.deepEqual(head, full.slice(0, 3));
            assert.ok(!head.some((line) => /^url:|ready/.test(line)), head.join("\n"));
        });

        it("a weight outside the configured steps has no step number", () => {
            assert.equal(progressiveStep(25, [10, 50, 100]), "the candidate serves 25 % of production");
            assert.equal(progressiveStep(10, [10, 50, 100]), "the candidate serves 10 % of production (step 1 of 3)");
        });

        it("nothing deployed: only the first line", () => {
            assert.deepEqual(statusLines({ state: null }, { running: false, lock: { running: false } }, context), [
                `environment dev (local, router ${config.router}): nothing deployed`,
            ]);
        });

        it("stopped: the desired state and what restarting it does; no slots, no URL", () => {
            const lines = statusLines(
                { state: LIVE_ONLY },
                { running: false, lock: { running: false }, detail: "router on :8080" },
                context,
            );
            assert.equal(
                lines[1],
                "stopped: nothing is serving dev; the state above is the desired state, restored by the next release, deploy, promote, rollback or abort (router on :8080)",
            );
            assert.equal(lines.length, 2);
        });

        it("slots that cannot be read say why", () => {
            const lines = statusLines({ state: LIVE_ONLY }, serving({ slots: undefined, slotsUnseen: "no kubeconfig output" }), context);
            assert.ok(lines.includes("slots: not seen (no kubeconfig output)"), lines.join("\n"));
        });

        it("the preview: secret hidden (how to see it), shown with a ready curl line, or shown without a URL", () => {
            const preview = { header: "canary", value: "(secret)", secret: true, slot: "green" as const, version: "1.4.0" };
            const hidden = statusLines(PENDING, serving({ preview }), context);
            assert.equal(
                hidden.at(-1),
                'preview: header "canary" with this release\'s secret value reaches green candidate 1.4.0; "status --show-secrets" prints it and a ready curl line',
            );
            const shownPreview = { ...preview, value: "s3cr3t-value" };
            const shown = statusLines(PENDING, serving({ preview: shownPreview }), { ...context, showSecrets: true });
            assert.equal(
                shown.at(-1),
                `preview (reaches green candidate 1.4.0): ${curlLine("http://127.0.0.1:8080", "canary", "s3cr3t-value", config.gate.path)}`,
            );
            const open = { ...shownPreview, secret: false };
            const noUrl = statusLines(PENDING, serving({ preview: open, url: undefined }), context);
            assert.equal(noUrl.at(-1), 'preview: header "canary: s3cr3t-value" reaches green candidate 1.4.0');
        });

        it("the curl line quotes every value for the shell, a single quote included", () => {
            const line = curlLine("http://127.0.0.1:8080", "canary", "it's", "/api/factorize");
            assert.equal(
                line,
                `curl -sS -H 'canary: it'\\''s' -H 'content-type: application/json' -d '{"number":12}' 'http://127.0.0.1:8080/api/factorize'`,
            );
            // The shell reads the header back exactly.
            const echoed = childProcess.execFileSync("sh", ["-c", line.replace(/^curl -sS -H /, "printf %s ").replace(/ -H .*$/, "")], {
                encoding: "utf8",
            });
            assert.equal(echoed, "canary: it's");
        });
    });

    describe("plan", () => {
        const step: Step = {
            name: "deploy-candidate",
            description: "deploy 1.4.0 into green",
            record: PENDING,
            checks: [
                { kind: "slot-ready", slot: "green", version: "1.4.0", replicas: 2 },
                { kind: "gates", slot: "green", version: "1.4.0" },
            ],
            recoverOnFailure: true,
        };
        const view = (plan: Partial<Plan>, current: EngineRecord = { state: LIVE_ONLY }): PlanView => ({
            current,
            plan: { intent: { kind: "release", version: "1.4.0" }, outcome: "apply", steps: [], notes: [], ...plan },
        });

        it("the current state (and what is pending), the notes, each step with the state it leads to and its checks", () => {
            assert.deepEqual(planLines(view({ steps: [step], notes: ["resuming"] }, PENDING)), [
                `current: ${describeState(PENDING.state)} (pending: release)`,
                "note: resuming",
                "1. deploy-candidate: deploy 1.4.0 into green",
                `   → ${describeState(PENDING.state)}`,
                "   checks: slot-ready, gates",
            ]);
        });

        it("nothing to do; a refused plan stops after its notes (its reason is the run's error)", () => {
            assert.deepEqual(planLines(view({ outcome: "noop" })).slice(1), ["nothing to do"]);
            for (const outcome of ["invalid", "blocked"] as const)
                assert.deepEqual(planLines(view({ outcome, steps: [step], notes: ["n"], reason: "no" })), [
                    `current: ${describeState(LIVE_ONLY)}`,
                    "note: n",
                ]);
        });
    });

    describe("history", () => {
        it("none yet; an entry with production before → after, who, its gates and detail", () => {
            assert.equal(historyText([], "prod"), "no releases recorded in prod yet\n");
            const entry: HistoryEntry = {
                at: "2026-12-04T21:00:00.000Z",
                action: "rollback",
                version: "1.2.0",
                outcome: "interrupted",
                liveBefore: "green 1.2.0",
                liveAfter: "blue 1.0.0",
                gates: [{ gate: "http", verdict: "pass", reason: "ok", requests: 20, errors: 0, p95Ms: 12 }],
                by: "alice@host",
                detail: "interrupted by SIGINT",
            };
            assert.equal(
                historyText([entry], "dev"),
                [
                    "2026-12-04T21:00:00.000Z  rollback  1.2.0      interrupted; production green 1.2.0 → blue 1.0.0  by alice@host",
                    "    http gate pass (20 requests, 0 errors, p95 12 ms): ok",
                    "    interrupted by SIGINT",
                    "",
                ].join("\n"),
            );
        });
    });

    describe("interrupts", () => {
        it("a pending release: resume or abort, with --env outside dev; a pending rollback: finish it; nothing pending", () => {
            assert.match(
                interruptAdvice("release", PENDING, "prod"),
                /release 1\.4\.0 is pending in green \(not live\)\. Next: re-run "release 1\.4\.0 --env prod" to resume, or "abort --env prod"/,
            );
            assert.match(
                interruptAdvice("rollback", ROLLING_BACK, "dev"),
                /rollback 1\.2\.0 → 1\.0\.0 is pending\. Next: re-run "rollback" to finish it$/,
            );
            assert.match(interruptAdvice("deploy", { state: LIVE_ONLY }, "dev"), /nothing is pending \(re-run "deploy" to start again\)$/);
            assert.match(interruptAdvice("abort", { state: LIVE_ONLY }, "dev"), /nothing is pending$/);
            assert.match(interruptAdvice("promote", undefined, "dev"), /^the environment is unknown \(the record could not be read\)/);
        });

        it("the message names the signal and the command, and says the lock was released only when it was", () => {
            assert.match(
                interruptMessage("SIGTERM", "promote", PENDING, "dev", true),
                /^interrupted by SIGTERM during promote: .*; the lock was released$/,
            );
            assert.doesNotMatch(interruptMessage("SIGINT", "promote", PENDING, "dev", false), /lock/);
        });
    });

    describe("--json and the summary", () => {
        const result = (over: Partial<RunResult> = {}): RunResult => ({
            exitCode: 0,
            outcome: "done",
            notes: [],
            steps: [],
            gates: [],
            durationMs: 5,
            record: PENDING,
            ...over,
        });
        const head = { command: "status" as const, env: "dev", backend: "local" as const };

        it("the record's preview secret is replaced, unless status --show-secrets; the plan's rendering input is not in it", () => {
            const redacted = runResultJson(
                head,
                { ...result(), view: { current: PENDING, plan: {} as Plan } },
                { ...context, command: "status" },
            );
            assert.equal((redacted.record as EngineRecord).state?.previewHeaderValue, "(secret)");
            assert.equal("view" in redacted, false);
            const shown = runResultJson(head, result(), { ...context, showSecrets: true, command: "status" });
            assert.equal((shown.record as EngineRecord).state?.previewHeaderValue, "s3cr3t-value");
            const release = runResultJson({ ...head, command: "release" }, result(), { ...context, showSecrets: true, command: "release" });
            assert.equal((release.record as EngineRecord).state?.previewHeaderValue, "(secret)");
        });

        it("status: the URL at the top, and the preview's curl line only when its value is shown", () => {
            const preview = { header: "canary", value: "v", secret: true, slot: "green" as const, version: "1.4.0" };
            const shown = runResultJson(
                head,
                { ...result(), status: serving({ preview }) },
                { ...context, showSecrets: true, command: "status" },
            );
            assert.equal(shown.url, "http://127.0.0.1:8080");
            assert.equal(
                (shown.status as { preview: { curl?: string } }).preview.curl,
                curlLine("http://127.0.0.1:8080", "canary", "v", config.gate.path),
            );
            const hidden = runResultJson(
                head,
                { ...result(), status: serving({ preview: { ...preview, value: "(secret)" } }) },
                { ...context, command: "status" },
            );
            assert.equal((hidden.status as { preview: { curl?: string } }).preview.curl, undefined);
        });

        it("the markdown summary: outcome, state, a row per step with its details escaped, the notes", () => {
            const md = markdownSummary(
                { command: "release", version: "1.4.0", env: "dev" },
                result({
                    outcome: "rolled-back",
                    exitCode: 1,
                    message: "rejected",
                    notes: ["n1"],
                    steps: [{ name: "gate", description: "d", status: "failed", durationMs: 1500, details: ["a|b", "c"] }],
                }),
            );
            assert.match(md, /^## Phoenix release: `release 1\.4\.0` on dev\n/);
            assert.match(md, /\*\*Outcome:\*\* rolled-back \(exit 1\) — rejected/);
            assert.match(md, /\| gate \| failed \| 1\.50 s \| a\\\|b<br>c \|/);
            assert.match(md, /\n> n1\n$/);
        });
    });
});
