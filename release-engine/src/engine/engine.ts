/**
 * The engine: plans an intent, applies each step through a backend, runs the step's checks (checks/:
 * one runner per kind behind one interface; gates/: the gate port and its providers), and on a failed
 * or inconclusive check undoes the operation (exit 1). The only impure orchestration in the release
 * engine; the decisions live in the planner (pure), the gates and the comparison.
 */
import {
    findLiveSlot,
    replicasOf,
    routerModel,
    type ReleaseState,
    type RouterModel,
    type SlotName,
    type SlotsHealth,
} from "@phoenix/release-model";
import { describeState, recoverySteps, sameRecord } from "../planner/plan";
import type { CandidateRestarts, Check, EngineRecord, Intent, Plan, PlannerOptions, Step, WeightGuard } from "../planner/types";
import type { LogsQuerier } from "../gates/appinsights-gate";
import type { GateProgress } from "../gates/http-gate";
import type { GateKind } from "../gates/gate";
import { gatesFor, type GateReport } from "../gates/gate-registry";
import type { EngineConfig } from "../settings/config";
import {
    BlockedError,
    EnvironmentError,
    InputError,
    InterruptedError,
    OUTCOME_EXIT,
    outcomeOf,
    type ExitCode,
    type Outcome,
} from "../errors";
import type { Backend } from "./backend";
import { environmentRouters, planForRouters } from "./routers";
import type { StepProgress } from "../checks/check";
import type { CheckContext, CheckOutcome, NoTraffic } from "../checks/check";
import { runCheck, runnerOf } from "../checks/runner";
import { trafficSourceFor } from "../checks/traffic-source";
import { awaitGuard, CrashWatch, describeCrash } from "./readiness";
import { gateSummary, historyAction, lastVerdictLine, type HistoryAction } from "./history";
import type { Reporter, StepReport } from "./reporter";
import type { EngineObserver } from "../observe/timeline";
import { interruptibleSleep, throwIfInterrupted } from "../util/interrupt";

export type { ExitCode };

export interface EngineDeps {
    backend: Backend;
    config: EngineConfig;
    reporter: Reporter;
    /** The App Insights query client, when that gate is configured. */
    logsClient?: LogsQuerier;
    /** Told of every applied record and gate verdict (the local release report, observe/timeline.ts). */
    observer?: EngineObserver;
    /** Shown the gate's running statistics while it runs, and a weighted step's running comparison (cli/progress.ts). */
    progress?: { update(p: GateProgress): void; step?(p: StepProgress): void; done(): void };
    /** Who runs this (user@host, or the pipeline run): written to the history. */
    actor?: string;
    /**
     * Aborted on an interrupt (the CLI's SIGINT/SIGTERM; its reason names the signal). The engine checks it
     * before every step (recovery steps included) and stops there with outcome `interrupted`, releasing its
     * lock before it writes the history: no step is applied after an abort. The step in flight finishes its
     * apply; the waits of its checks (readiness, gates, a step's analysis, the production check) end at once.
     */
    signal?: AbortSignal;
}

/** A gate that rejected the candidate, or its crash (a restart since it was deployed): headlined as the run's verdict. */
export interface GateRejection {
    gate: GateKind | "crash";
    reason: string;
}

/** A check that could not measure within its error budget: the run's verdict is "could not measure", not a rejection. */
export interface Unmeasured {
    /** "the appinsights gate", "the 5 % step's analysis". */
    what: string;
    /** "could not measure: the App Insights query failed 5 times in a row (error budget 4); last: …". */
    reason: string;
}

/** "the appinsights gate could not measure: …". */
export function unmeasuredText(u: Unmeasured): string {
    return `${u.what} ${u.reason}`;
}

/** "rejected by the http gate: …", or "rejected as crashed: …". */
export function rejectionText(r: GateRejection): string {
    return r.gate === "crash" ? `rejected as crashed: ${r.reason}` : `rejected by the ${r.gate} gate: ${r.reason}`;
}

/** The run's verdict when a check could not measure: it names what and why, says it is not a rejection, and what to do. */
function couldNotMeasureText(subject: string, u: Unmeasured, state: string): string {
    return `${subject} could not be measured: ${unmeasuredText(u)}; this is not a rejection: production was returned to live (rolled back to ${state}); re-run once the measurement works`;
}

/** Why a rejected candidate is being rolled back: "the http gate rejected the candidate (…)", or "the candidate was rejected as crashed: …". */
function rollbackReason(r: GateRejection): string {
    return r.gate === "crash" ? `the candidate was ${rejectionText(r)}` : `the ${r.gate} gate rejected the candidate (${r.reason})`;
}

/** The release's candidate restart baseline, when `record`'s operation carries one. */
function baselineOf(record: EngineRecord): CandidateRestarts | undefined {
    return record.operation?.kind === "release" ? record.operation.candidateRestarts : undefined;
}

/** `record` with the baseline, when its operation is the same release's (a planned step does not know it yet). */
function withBaseline(record: EngineRecord, from: EngineRecord): EngineRecord {
    const op = record.operation;
    const had = from.operation;
    if (op?.kind !== "release" || had?.kind !== "release" || op.candidateRestarts || !had.candidateRestarts) return record;
    if (op.version !== had.version || op.slot !== had.slot) return record;
    return { ...record, operation: { ...op, candidateRestarts: had.candidateRestarts } };
}

export interface RunResult {
    exitCode: ExitCode;
    outcome: Outcome;
    message?: string;
    notes: string[];
    steps: StepReport[];
    gates: GateReport[];
    record?: EngineRecord;
    durationMs: number;
    /** With outcome `inconclusive`: what could not be measured and why. */
    unmeasured?: Unmeasured;
    /** Production responses the environment's router counted during the whole run (restores included), when the backend sees them. */
    production?: { requests: number; failed: number };
}

/** A fresh secret preview value (crypto is loaded here: only a release needs it, not every command's start). */
async function newPreviewValue(): Promise<string> {
    const { randomBytes } = await import("crypto");
    return randomBytes(18).toString("base64url");
}

/** A readiness guard's result. */
interface GuardOutcome {
    ok: boolean;
    detail: string;
}

/** The planner's options for an environment: its replica default and its router's model. */
export function plannerOptions(config: EngineConfig): PlannerOptions {
    return { defaultReplicas: config.replicas, router: routerOf(config), steps: config.progressive.steps };
}

function routerOf(config: EngineConfig): RouterModel {
    return routerModel(config.router);
}

class Runner {
    readonly steps: StepReport[] = [];
    readonly gates: GateReport[] = [];
    /** Set when a gate rejected the candidate (the reason the run was rolled back). */
    rejection?: GateRejection;
    /** Set when a check could not measure within its error budget (the run says so instead of "rejected"). */
    unmeasured?: Unmeasured;
    /** Set when a weighted step saw no production traffic (the run returns production to live and stops, candidate kept). */
    noTraffic?: NoTraffic;
    /** What the run's checks share: the gates and the traffic source, chosen once. */
    private readonly checks: CheckContext;
    constructor(
        private readonly d: EngineDeps,
        /** Names the run in each apply (the Pulumi backend writes it as the update's message). */
        private readonly label: string,
    ) {
        const { backend, config, logsClient, progress, observer } = d;
        this.checks = {
            backend,
            config,
            gates: gatesFor(
                { ...config, retryMs: config.readiness.pollMs },
                { ...(logsClient ? { logsClient } : {}), ...(progress ? { progress } : {}) },
            ),
            traffic: trafficSourceFor(backend, config, logsClient),
            ...(d.signal ? { signal: d.signal, sleep: interruptibleSleep(d.signal) } : {}),
            onGateReport: (report) => {
                this.gates.push(report);
                observer?.gate(report, Date.now());
            },
            ...(progress ? { progress } : {}),
        };
    }

    /** Runs one check through its runner (checks/runner.ts), watching the candidate's restarts where the runner asks for it. */
    private async runCheck(check: Check, record: EngineRecord): Promise<CheckOutcome> {
        const runner = runnerOf(check);
        const run = () => runCheck(check, record, this.checks);
        const r =
            runner.watchesCandidate && "slot" in check ? await this.watched(record, check.slot, runner.describe(check), run) : await run();
        if (r.rejection) this.rejection = r.rejection;
        if (r.inconclusive) this.unmeasured = r.inconclusive;
        if (r.noTraffic) this.noTraffic = r.noTraffic;
        return r;
    }

    /**
     * Runs a gate or a step's analysis of the candidate while watching its restarts: a restart since
     * its baseline rejects it as crashed, whatever the check concluded (a crash explains the errors it saw
     * and the measurements it could not take).
     */
    private async watched(record: EngineRecord, slot: SlotName, during: string, run: () => Promise<CheckOutcome>): Promise<CheckOutcome> {
        const op = record.operation;
        const baseline = baselineOf(record);
        if (op?.kind !== "release" || op.slot !== slot || !baseline) return run();
        const { readiness } = this.d.config;
        const t0 = Date.now();
        const watch = new CrashWatch(() => this.d.backend.slotHealth(), slot, baseline.baseline, readiness.pollMs);
        let r: CheckOutcome;
        try {
            r = await run();
        } catch (e) {
            await watch.stop();
            throw e;
        }
        // A crash fails requests before the environment has counted the restart: look again shortly after a failure.
        const crash = await watch.stop(r.verdict === "pass" ? 0 : Math.min(500, 2 * readiness.pollMs));
        if (!crash) return r;
        const reason = `candidate ${op.version} in ${slot} ${describeCrash(crash, during, t0)}`;
        this.rejection = { gate: "crash", reason };
        return { verdict: "fail", detail: `${r.detail}\n    readiness: ${reason}` };
    }

    /** A step's guard: the slot may take its new share of production (engine/readiness.ts). */
    private async guard(g: WeightGuard, record: EngineRecord): Promise<GuardOutcome> {
        const baseline = baselineOf(record);
        const op = record.operation;
        const r = await awaitGuard(() => this.d.backend.slotHealth(), g, baseline?.baseline, this.d.config.readiness, this.d.signal);
        if (r.crashed && op?.kind === "release") {
            const reason = `candidate ${op.version} in ${g.slot} restarted ${r.crashed.restarts} time${r.crashed.restarts === 1 ? "" : "s"} since it was deployed at ${baseline?.at} (seen ${r.crashed.at.toISOString()}, before it was to get ${g.weight} % of production)`;
            this.rejection = { gate: "crash", reason };
            return { ok: false, detail: `readiness: ${reason}; production did not move` };
        }
        return { ok: r.ok, detail: `readiness before ${g.weight} %: ${r.detail}${r.ok ? "" : "; production did not move"}` };
    }

    /**
     * Records the candidate's restart baseline in the operation once the candidate is deployed (or
     * found deployed by a resumed run that has none): restarts after it reject the candidate.
     */
    private async recordBaseline(record: EngineRecord, details: string[]): Promise<EngineRecord> {
        const op = record.operation;
        if (op?.kind !== "release" || op.candidateRestarts || !record.state) return record;
        const s = record.state.slots[op.slot];
        if (s.role !== "candidate" || s.version !== op.version) return record;
        const h = (await this.d.backend.slotHealth())[op.slot];
        const next: EngineRecord = {
            ...record,
            operation: { ...op, candidateRestarts: { baseline: h.restarts, at: new Date().toISOString() } },
        };
        await this.d.backend.apply(next, (line) => this.d.reporter.line(`    | ${line}`), {
            message: `phoenix ${this.label}: restart-baseline`,
        });
        details.push(`restart baseline of candidate ${op.version} in ${op.slot}: ${h.restarts}`);
        return next;
    }

    /** Applies one step (unless already in effect) and runs its checks. */
    async exec(step: Step, current: EngineRecord): Promise<{ ok: boolean; record: EngineRecord }> {
        const t0 = Date.now();
        const details: string[] = [];
        let record = current;
        let ok = true;
        const target = withBaseline(step.record, current);
        try {
            const applying = !sameRecord(target, current);
            // Readiness before weight: a step that raises a slot's share of production is not applied unless its guards hold.
            if (applying) {
                for (const g of step.guards ?? []) {
                    const r = await this.guard(g, current);
                    details.push(r.detail);
                    if (!r.ok) {
                        const report: StepReport = {
                            name: step.name,
                            description: step.description,
                            status: "failed",
                            durationMs: Date.now() - t0,
                            details,
                        };
                        this.steps.push(report);
                        this.d.reporter.step(report);
                        return { ok: false, record: current };
                    }
                }
            }
            if (applying) {
                await this.d.backend.apply(target, (line) => this.d.reporter.line(`    | ${line}`), { message: this.message(step) });
                this.d.observer?.applied(current, target, Date.now());
            } else if (step.checks.length === 0 && step.name !== "complete") {
                details.push("already in effect");
            }
            record = await this.recordBaseline(target, details);
        } catch (e) {
            // Locked, or a missing tool/plugin/login: nothing was applied; the run stops with that error (exit 3 / 2).
            if (e instanceof BlockedError || e instanceof EnvironmentError) throw e;
            // An interrupt cut a wait short: the step is not judged; the run stops with the record it reached.
            if (e instanceof InterruptedError) throw new InterruptedError(e.message, e.record ?? record);
            ok = false;
            record = await this.d.backend.read().catch(() => step.record);
            details.push(`apply failed: ${(e as Error).message}`);
        }
        // The checks measure what was applied; a measurement that cannot be taken is inconclusive (checks/runner.ts), never "apply failed".
        for (const c of ok ? step.checks : []) {
            const r = await this.runCheck(c, record).catch((e: unknown) => {
                // An interrupt cut the check's wait short: the step is not judged; the run stops with the record applied.
                throw e instanceof InterruptedError ? new InterruptedError(e.message, e.record ?? record) : e;
            });
            details.push(r.detail);
            if (r.verdict !== "pass") {
                ok = false;
                break;
            }
        }
        const report: StepReport = {
            name: step.name,
            description: step.description,
            status: ok ? "ok" : "failed",
            durationMs: Date.now() - t0,
            details,
        };
        this.steps.push(report);
        this.d.reporter.step(report);
        return { ok, record };
    }

    /** The update's message: run, step, the gate's verdict once known, and who ran it. */
    private message(step: Step): string {
        const gate = this.gates.length ? `; gate ${this.gates.map((g) => `${g.gate} ${g.verdict}: ${g.reason}`).join(", ")}` : "";
        return `phoenix ${this.label}: ${step.name}${gate}${this.d.actor ? ` (by ${this.d.actor})` : ""}`;
    }

    /** Undoes the pending operation after a failure. */
    async recover(record: EngineRecord): Promise<{ ok: boolean; record: EngineRecord }> {
        let cur = record;
        for (const s of recoverySteps(cur, plannerOptions(this.d.config))) {
            throwIfInterrupted(this.d.signal, cur);
            const r = await this.exec(s, cur);
            cur = r.record;
            if (!r.ok) return { ok: false, record: cur };
        }
        return { ok: true, record: cur };
    }
}

/** A run's result; its exit code is the outcome's (errors.ts holds the one mapping). */
function result(r: Partial<Omit<RunResult, "exitCode">> & Pick<RunResult, "outcome">, runner: Runner | undefined, t0: number): RunResult {
    return {
        notes: [],
        steps: runner?.steps ?? [],
        gates: runner?.gates ?? [],
        ...(r.outcome === "inconclusive" && runner?.unmeasured ? { unmeasured: runner.unmeasured } : {}),
        durationMs: Date.now() - t0,
        ...r,
        exitCode: OUTCOME_EXIT[r.outcome],
    };
}

async function withLock<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
    const release = await backend.lock();
    try {
        return await fn();
    } finally {
        await release();
    }
}

/** Input and blocked errors become a result (nothing changed); anything else propagates to the caller. */
function fail(deps: EngineDeps, e: unknown, t0: number, runner?: Runner): RunResult {
    const outcome = outcomeOf(e);
    if (outcome === "failed") throw e;
    // The CLI says what an interrupted run left (it reads the record once the engine has returned).
    if (e instanceof InterruptedError) return result({ outcome, message: e.message, record: e.record }, runner, t0);
    deps.reporter.error((e as Error).message);
    return result({ outcome, message: (e as Error).message }, runner, t0);
}

/** Runs an intent: release, deploy, promote, rollback, abort — and reports production over the whole run. */
export async function runIntent(deps: EngineDeps, intentIn: Intent): Promise<RunResult> {
    const t0 = Date.now();
    const seen: { before?: EngineRecord; counts?: { requests: number; failed: number } } = {};
    const r = await runIntentLocked(deps, intentIn, t0, seen);
    // Production as the router counted it from the moment the lock was held to the end (restores included).
    const after = seen.counts ? await deps.backend.capabilities.traffic?.productionCounts().catch(() => undefined) : undefined;
    if (seen.counts && after && r.outcome !== "noop" && r.outcome !== "invalid" && r.outcome !== "blocked") {
        r.production = { requests: after.requests - seen.counts.requests, failed: after.failed - seen.counts.failed };
        deps.reporter.line(
            `production during this run (counted at the router, restores included): ${r.production.requests} requests, ${r.production.failed} failed`,
        );
    }
    const version =
        "version" in intentIn && intentIn.version
            ? intentIn.version
            : seen.before?.operation?.kind === "release"
              ? seen.before.operation.version
              : undefined;
    const rolledBackFrom = intentIn.kind === "rollback" && !version && seen.before?.state ? liveVersion(seen.before.state) : undefined;
    await writeHistory(deps, intentIn.kind, version ?? rolledBackFrom, seen.before, r, t0);
    return r;
}

function liveVersion(state: ReleaseState | null): string | undefined {
    const live = findLiveSlot(state);
    return live && state ? state.slots[live].version : undefined;
}

function liveText(state: ReleaseState | null | undefined): string | undefined {
    const live = findLiveSlot(state ?? null);
    return live && state ? `${live} ${state.slots[live].version}` : undefined;
}

/** Appends a finished run (anything that changed or tried to change the environment) to the backend's history. */
async function writeHistory(
    deps: EngineDeps,
    kind: HistoryAction,
    version: string | undefined,
    before: EngineRecord | undefined,
    r: RunResult,
    t0: number,
): Promise<void> {
    if (!before || !["done", "rolled-back", "inconclusive", "failed", "interrupted"].includes(r.outcome)) return;
    const gates = r.gates.map(gateSummary);
    try {
        await deps.backend.recordHistory({
            at: new Date(t0).toISOString(),
            action: historyAction(kind, r.outcome, gates),
            ...(version ? { version } : {}),
            outcome: r.outcome,
            liveBefore: liveText(before.state),
            liveAfter: liveText(r.record?.state),
            gates,
            ...(deps.actor ? { by: deps.actor } : {}),
            durationMs: r.durationMs,
            // What could not be measured, unless a gate's own line already says it.
            ...(r.outcome === "inconclusive" && r.unmeasured && !gates.some((g) => g.verdict === "inconclusive")
                ? { detail: unmeasuredText(r.unmeasured) }
                : {}),
            ...(r.outcome === "interrupted" && r.message ? { detail: r.message } : {}),
        });
    } catch (e) {
        deps.reporter.line(`note: the history was not written: ${(e as Error).message}`);
    }
}

async function runIntentLocked(
    deps: EngineDeps,
    intentIn: Intent,
    t0: number,
    seen: { before?: EngineRecord; counts?: { requests: number; failed: number } },
): Promise<RunResult> {
    const runner = new Runner(deps, `${intentIn.kind}${"version" in intentIn && intentIn.version ? ` ${intentIn.version}` : ""}`);
    const { reporter, backend, config } = deps;
    try {
        return await withLock(backend, async () => {
            const record = await backend.read();
            seen.before = record;
            const routers = await environmentRouters(backend, config);
            seen.counts = await backend.capabilities.traffic?.productionCounts().catch(() => undefined);
            let intent = intentIn;
            if (
                (intent.kind === "release" || intent.kind === "deploy") &&
                config.secretPreview &&
                intent.previewHeaderValue === undefined
            ) {
                intent = { ...intent, previewHeaderValue: await newPreviewValue() };
            }
            const p: Plan = planForRouters(record, intent, plannerOptions(config), routers);
            for (const n of p.notes) reporter.line(`note: ${n}`);
            if (p.outcome === "invalid") return fail(deps, new InputError(p.reason ?? "invalid input"), t0, runner);
            if (p.outcome === "blocked") return fail(deps, new BlockedError(p.reason ?? "blocked"), t0, runner);
            if (p.outcome === "noop") return result({ outcome: "noop", notes: p.notes, record }, runner, t0);
            let cur = record;
            for (const step of p.steps) {
                throwIfInterrupted(deps.signal, cur);
                const r = await runner.exec(step, cur);
                cur = r.record;
                if (r.ok) continue;
                const subject = "version" in intentIn && intentIn.version ? `release ${intentIn.version}` : "the candidate";
                // A rejection (a gate, a crash) judged the candidate; an unmeasured check did not.
                const unmeasured = runner.rejection ? undefined : runner.unmeasured;
                if (!step.recoverOnFailure) {
                    const message = unmeasured
                        ? `step ${step.name} could not be measured (${unmeasuredText(unmeasured)}); the environment is ${describeState(cur.state)}; re-run to retry`
                        : `step ${step.name} failed; the environment is ${describeState(cur.state)}; re-run to retry`;
                    reporter.error(message);
                    return result({ outcome: unmeasured ? "inconclusive" : "failed", message, notes: p.notes, record: cur }, runner, t0);
                }
                if (runner.noTraffic) return returnToLive(deps, runner, cur, runner.noTraffic, p.notes, t0);
                reporter.line(
                    runner.rejection
                        ? `rolling back: ${rollbackReason(runner.rejection)}`
                        : unmeasured
                          ? `rolling back: ${unmeasuredText(unmeasured)} (nothing was judged; production returns to live, the safe state)`
                          : `rolling back: ${step.name} failed`,
                );
                const rec = await runner.recover(cur);
                if (!rec.ok) {
                    const message = `recovery did not finish; the environment is ${describeState(rec.record.state)}; run "rollback" to finish it`;
                    reporter.error(message);
                    return result({ outcome: "failed", message, notes: p.notes, record: rec.record }, runner, t0);
                }
                const message = runner.rejection
                    ? `${subject} ${rejectionText(runner.rejection)}; rolled back to ${describeState(rec.record.state)}`
                    : unmeasured
                      ? couldNotMeasureText(subject, unmeasured, describeState(rec.record.state))
                      : `${step.name} failed; rolled back to ${describeState(rec.record.state)}`;
                reporter.error(message);
                return result(
                    { outcome: unmeasured ? "inconclusive" : "rolled-back", message, notes: p.notes, record: rec.record },
                    runner,
                    t0,
                );
            }
            return result({ outcome: "done", notes: p.notes, record: cur }, runner, t0);
        });
    } catch (e) {
        return fail(deps, e, t0, runner);
    }
}

/**
 * A weighted step no production request reached says nothing about the candidate: production goes back
 * to live at once (the recovery's weight-back step only), the candidate stays pending, and the run exits
 * 1 with what to do next.
 */
async function returnToLive(
    deps: EngineDeps,
    runner: Runner,
    cur: EngineRecord,
    nt: NoTraffic,
    notes: string[],
    t0: number,
): Promise<RunResult> {
    const back = recoverySteps(cur, plannerOptions(deps.config)).find((s) => s.name === "weight-back");
    let record = cur;
    if (back) {
        throwIfInterrupted(deps.signal, cur);
        const r = await runner.exec(back, cur);
        record = r.record;
        if (!r.ok) {
            const message = `no production traffic reached the candidate, and returning production to live failed; the environment is ${describeState(record.state)}; run "abort" or "rollback"`;
            deps.reporter.error(message);
            return result({ outcome: "failed", message, notes, record }, runner, t0);
        }
    }
    const flags = deps.config.env === "dev" ? "" : ` --env ${deps.config.env}`;
    const message =
        `no production traffic reached candidate ${nt.candidate.slot} ${nt.candidate.version} in ${nt.seconds} s at ${nt.weight} %, so the step could not be judged: production is back on live (${describeState(record.state)}); the candidate stays pending. ` +
        `Next: send production traffic (on a local environment: npm run load --${flags || " --env dev"} --rps 50) and re-run "promote${flags}", or "promote --steps 100${flags}" to switch at once, or "abort${flags}"`;
    deps.reporter.error(message);
    return result({ outcome: "failed", message, notes, record }, runner, t0);
}

/** `verify` (ADO routeTraffic): gate the pending candidate; on failure undo it (exit 1). */
export async function runVerify(deps: EngineDeps): Promise<RunResult> {
    const t0 = Date.now();
    const seen: { before?: EngineRecord } = {};
    const r = await runVerifyLocked(deps, t0, seen);
    const op = seen.before?.operation;
    await writeHistory(deps, "verify", op?.kind === "release" ? op.version : undefined, seen.before, r, t0);
    return r;
}

async function runVerifyLocked(deps: EngineDeps, t0: number, seen: { before?: EngineRecord }): Promise<RunResult> {
    const runner = new Runner(deps, "verify");
    try {
        return await withLock(deps.backend, async () => {
            const record = await deps.backend.read();
            seen.before = record;
            // A failed verify recovers through the planner: it must plan with the router the stack routes with.
            await environmentRouters(deps.backend, deps.config);
            const op = record.operation;
            if (!op || op.kind !== "release" || !record.state) throw new BlockedError("nothing to verify: no candidate is pending");
            const verifyStep: Step = {
                name: "verify",
                description: `gate candidate ${op.version} in ${op.slot}`,
                record,
                checks: [
                    {
                        kind: "slot-ready",
                        slot: op.slot,
                        version: op.version,
                        replicas: replicasOf(record.state.slots[op.slot], deps.config.replicas),
                    },
                    { kind: "gates", slot: op.slot, version: op.version },
                ],
                recoverOnFailure: true,
            };
            throwIfInterrupted(deps.signal, record);
            const r = await runner.exec(verifyStep, record);
            if (r.ok) return result({ outcome: "done", record }, runner, t0);
            const unmeasured = runner.rejection ? undefined : runner.unmeasured;
            const rec = await runner.recover(r.record);
            const why = runner.rejection
                ? `candidate ${op.version} ${rejectionText(runner.rejection)}`
                : unmeasured
                  ? `candidate ${op.version} could not be measured: ${unmeasuredText(unmeasured)}`
                  : "verify failed";
            const message = !rec.ok
                ? `${why}, and recovery did not finish; run "rollback"`
                : unmeasured
                  ? couldNotMeasureText(`candidate ${op.version}`, unmeasured, describeState(rec.record.state))
                  : `${why}; rolled back to ${describeState(rec.record.state)}`;
            deps.reporter.error(message);
            return result(
                { outcome: rec.ok ? (unmeasured ? "inconclusive" : "rolled-back") : "failed", message, record: rec.record },
                runner,
                t0,
            );
        });
    } catch (e) {
        return fail(deps, e, t0, runner);
    }
}

/** What `plan` rendered from: the record it planned from and the plan, whatever its outcome. */
export interface PlanView {
    current: EngineRecord;
    plan: Plan;
}

/**
 * `plan <version>`: what `release` would do, without doing it. Prints nothing: `view` is what the CLI
 * renders (cli/render.ts); `plan` and `record` are the result's (`--json`) for a plan that can run.
 */
export async function runPlan(deps: EngineDeps, intent: Intent): Promise<RunResult & { plan?: Plan; view?: PlanView }> {
    const t0 = Date.now();
    try {
        const record = await deps.backend.read();
        const routers = await environmentRouters(deps.backend, deps.config);
        const p = planForRouters(record, intent, plannerOptions(deps.config), routers);
        const view: PlanView = { current: record, plan: p };
        if (p.outcome === "invalid") return { ...quietFail(new InputError(p.reason ?? "invalid"), t0), view };
        if (p.outcome === "blocked") return { ...quietFail(new BlockedError(p.reason ?? "blocked"), t0), view };
        return { ...result({ outcome: p.outcome === "noop" ? "noop" : "done", notes: p.notes, record }, undefined, t0), plan: p, view };
    } catch (e) {
        return quietFail(e, t0);
    }
}

/** Input and blocked errors become a result for the CLI to render (nothing changed); anything else propagates. */
function quietFail(e: unknown, t0: number): RunResult {
    const outcome = outcomeOf(e);
    if (outcome === "failed") throw e;
    return result({ outcome, message: (e as Error).message }, undefined, t0);
}

/** What `status` saw besides the record: whether the environment serves, where, and what reaches the candidate. */
export interface StatusView {
    running: boolean;
    url?: string;
    /** Whether a release holds the environment's lock now (running), and who; without it a pending operation was interrupted. */
    lock?: { running: boolean; holder?: string; since?: string; expiresAt?: string };
    /** Per slot: ready endpoints beside the desired replicas, versions seen and restarts (backends that can see them). */
    slots?: SlotsHealth;
    /** Why the slots' readiness could not be read (e.g. a release stack without a kubeconfig output). */
    slotsUnseen?: string;
    /** For a stopped environment: what restarting it will do. */
    detail?: string;
    /** The last run's verdict when it was a rejection or could not be measured (engine/history.ts lastVerdictLine). */
    lastRun?: string;
    preview?: {
        header: string;
        /** The value, or "(secret)" unless shown. */
        value: string;
        secret: boolean;
        slot: SlotName;
        version: string;
    };
}

/** What `status` had seen when it could not go on (e.g. the Pulumi backend without its CLI): the record and the lock. */
export interface StatusBeforeError {
    record: EngineRecord;
    lock: StatusView["lock"];
}

/**
 * `status` (read-only: never starts anything): the recorded state, the operation in progress, whether
 * the environment is serving and at which URL, and what reaches the candidate. The per-release
 * secret preview value is in the view only with `showSecrets`. Prints nothing: the CLI renders the
 * record and the view (cli/render.ts).
 */
export async function runStatus(
    deps: EngineDeps,
    opts: { showSecrets?: boolean } = {},
): Promise<RunResult & { status?: StatusView; statusBeforeError?: StatusBeforeError }> {
    const t0 = Date.now();
    let seenBeforeError: StatusBeforeError | undefined;
    try {
        const { backend, config } = deps;
        const record = await backend.read();
        // A release holding the lock is running; one that left an operation without the lock was interrupted.
        const holder = await backend.capabilities.lockHolder?.holder().catch(() => undefined);
        const lock: StatusView["lock"] = holder ? { running: true, ...holder } : { running: false };
        seenBeforeError = { record, lock };
        // The last run's verdict when it was a rejection or could not measure (history.ts tells the two apart).
        const lastRun = await backend
            .history()
            .then(lastVerdictLine)
            .catch(() => undefined);
        if (!record.state)
            return {
                ...result({ outcome: "done", record }, undefined, t0),
                status: { running: false, lock, ...(lastRun ? { lastRun } : {}) },
            };
        const seen = await backend.observe();
        const view: StatusView = {
            running: seen.running,
            lock,
            ...(lastRun ? { lastRun } : {}),
            ...(seen.endpoint ? { url: seen.endpoint.url } : {}),
            ...(seen.detail ? { detail: seen.detail } : {}),
        };
        if (seen.running) {
            // Read-only and only while running: what each slot actually serves beside what the state asks for.
            const health = await backend.slotHealth().catch((e: unknown) => {
                view.slotsUnseen = (e as Error).message;
                return undefined;
            });
            if (health) view.slots = health;
        }
        const intent = routerOf(config).intent(record.state, seen.endpoint?.headerName ?? config.headerName);
        const p = intent.preview;
        if (p && (record.state.slots[p.target].role === "candidate" || record.operation?.kind === "release")) {
            const shown = !p.secret || opts.showSecrets === true;
            view.preview = {
                header: p.header,
                value: shown ? p.value : "(secret)",
                secret: p.secret,
                slot: p.target,
                version: record.state.slots[p.target].version as string,
            };
        }
        return { ...result({ outcome: "done", record }, undefined, t0), status: view };
    } catch (e) {
        const failed = quietFail(e, t0);
        return seenBeforeError ? { ...failed, statusBeforeError: seenBeforeError } : failed;
    }
}
