/**
 * The engine: plans an intent, applies each step through a backend, runs the step's checks, and on
 * a failed check undoes the operation (exit 1). The only impure orchestration in the release engine;
 * the decisions live in the planner (pure) and the gates.
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
import { runAppInsightsGate, type AppInsightsReport, type LogsQuerier } from "../gates/appinsights-gate";
import { runHttpGate, summarizeHttpGate, type GateProgress, type HttpGateReport } from "../gates/http-gate";
import type { EngineConfig } from "../settings/config";
import { BlockedError, EnvironmentError, InputError, OUTCOME_EXIT, outcomeOf, type ExitCode, type Outcome } from "../errors";
import type { Backend } from "./backend";
import { environmentRouters, planForRouters } from "./routers";
import { runStepAnalysis, summarizeStepAnalysis, type ArmSource, type StepProgress } from "./analysis";
import { emptyHistogram, LATENCY_BUCKETS_MS, type ArmCounts, type ComparisonResult } from "../gates/compare";
import { queryStepCounts } from "../gates/appinsights-compare";
import { checkProduction } from "./checks";
import { awaitGuard, CrashWatch, describeCrash } from "./readiness";
import { gateSummary, historyAction, type HistoryAction } from "./history";
import { formatDuration, type Reporter, type StepReport } from "./reporter";
import type { EngineObserver } from "../observe/timeline";

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
}

/** A gate that rejected the candidate, or its crash (a restart since it was deployed): headlined as the run's verdict. */
export interface GateRejection {
    gate: "http" | "appinsights" | "crash";
    reason: string;
}

/** "rejected by the http gate: …", or "rejected as crashed: …". */
export function rejectionText(r: GateRejection): string {
    return r.gate === "crash" ? `rejected as crashed: ${r.reason}` : `rejected by the ${r.gate} gate: ${r.reason}`;
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
    gates: Array<HttpGateReport | AppInsightsReport>;
    record?: EngineRecord;
    durationMs: number;
    /** Production responses the environment's router counted during the whole run (restores included), when the backend sees them. */
    production?: { requests: number; failed: number };
}

/** The state with the preview secret replaced, for output. */
export function redact(state: ReleaseState | null): ReleaseState | null {
    if (!state || state.previewHeaderValue === undefined) return state;
    return { ...state, previewHeaderValue: "(secret)" };
}

/** A fresh secret preview value (crypto is loaded here: only a release needs it, not every command's start). */
async function newPreviewValue(): Promise<string> {
    const { randomBytes } = await import("crypto");
    return randomBytes(18).toString("base64url");
}

interface CheckOutcome {
    ok: boolean;
    detail: string;
}

/** A weighted step that no production request reached: production goes back to live and the candidate stays pending. */
interface NoTraffic {
    weight: number;
    seconds: number;
    candidate: { slot: SlotName; version: string };
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
    readonly gates: Array<HttpGateReport | AppInsightsReport> = [];
    /** Set when a gate rejected the candidate (the reason the run was rolled back). */
    rejection?: GateRejection;
    /** Set when a weighted step saw no production traffic (the run returns production to live and stops, candidate kept). */
    noTraffic?: NoTraffic;
    constructor(
        private readonly d: EngineDeps,
        /** Names the run in each apply (the Pulumi backend writes it as the update's message). */
        private readonly label: string,
    ) {}

    private async runCheck(check: Check, record: EngineRecord): Promise<CheckOutcome> {
        const { backend, config } = this.d;
        const state = record.state;
        switch (check.kind) {
            case "slot-ready": {
                const r = await backend.slotReady(check.slot, check.version, check.replicas);
                return { ok: r.ok, detail: `slot-ready: ${r.detail}` };
            }
            case "production": {
                const r = await checkProduction(await backend.endpoint(), check, config.production, config.gate.path);
                return { ok: r.ok, detail: `production: ${r.detail}` };
            }
            case "gates":
                return this.watched(record, check.slot, "the gate", () => this.runGates(check.slot, check.version, state));
            case "analysis":
                return this.watched(record, check.slot, `the ${check.weight} % step's analysis`, () => this.runAnalysis(check, state));
        }
    }

    /**
     * Runs a gate or a step's analysis of the candidate while watching its restarts: a restart since
     * its baseline rejects it as crashed, whatever the check concluded (a crash explains the errors it saw).
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
        const crash = await watch.stop(r.ok ? 0 : Math.min(500, 2 * readiness.pollMs));
        if (!crash) return r;
        const reason = `candidate ${op.version} in ${slot} ${describeCrash(crash, during, t0)}`;
        this.rejection = { gate: "crash", reason };
        return { ok: false, detail: `${r.detail}\n    readiness: ${reason}` };
    }

    /** A step's guard: the slot may take its new share of production (engine/readiness.ts). */
    private async guard(g: WeightGuard, record: EngineRecord): Promise<CheckOutcome> {
        const baseline = baselineOf(record);
        const op = record.operation;
        const r = await awaitGuard(() => this.d.backend.slotHealth(), g, baseline?.baseline, this.d.config.readiness);
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

    /** A progressive step: the candidate against live on production traffic, until the comparison is certain. */
    async runAnalysis(check: Extract<Check, { kind: "analysis" }>, state: ReleaseState | null): Promise<CheckOutcome> {
        const { backend, config } = this.d;
        if (!state) return { ok: false, detail: "analysis: nothing is deployed" };
        const liveSlot = findLiveSlot(state) as SlotName;
        const arms = {
            candidate: { slot: check.slot, version: check.version },
            live: { slot: liveSlot, version: state.slots[liveSlot].version as string },
            weight: check.weight,
        };
        const analysis = config.progressive.analysis;
        let source: ArmSource;
        let cumulative = true;
        const traffic = backend.capabilities.traffic;
        if (traffic) {
            const counts = () => traffic.trafficCounts();
            const pick = (all: Awaited<ReturnType<typeof counts>>, who: { slot: SlotName; version: string }): ArmCounts => {
                const c = all.find((x) => x.slot === who.slot && x.version === who.version);
                return c
                    ? { requests: c.requests, failed: c.failed, totalMs: c.totalMs, latency: c.latency }
                    : { requests: 0, failed: 0, totalMs: 0, latency: emptyHistogram(analysis.latency?.bucketsMs ?? LATENCY_BUCKETS_MS) };
            };
            source = async (a) => {
                const all = await counts();
                return { candidate: pick(all, a.candidate), live: pick(all, a.live) };
            };
        } else if (config.appInsights && this.d.logsClient) {
            const client = this.d.logsClient;
            const ai = config.appInsights;
            cumulative = false;
            source = async (a) =>
                queryStepCounts(
                    client,
                    { workspaceId: ai.workspaceId, appName: config.appName, bucketsMs: analysis.latency?.bucketsMs ?? LATENCY_BUCKETS_MS },
                    a,
                );
        } else {
            return {
                ok: false,
                detail: `analysis: the ${backend.kind} backend counts no production per slot and App Insights is not configured; nothing can judge a weighted step (use --steps 100 for a direct switch)`,
            };
        }
        const render = this.d.progress?.step
            ? (p: ComparisonResult) => this.d.progress?.step?.({ weight: check.weight, result: p, config: analysis })
            : undefined;
        let r: Awaited<ReturnType<typeof runStepAnalysis>>;
        try {
            r = await runStepAnalysis(source, arms, analysis, {
                pollMs: config.progressive.pollMs,
                cumulative,
                ...(render ? { onProgress: render } : {}),
            });
        } finally {
            this.d.progress?.done();
        }
        if (r.verdict === "no-traffic")
            this.noTraffic = { weight: check.weight, seconds: Math.round(r.durationMs / 1000), candidate: arms.candidate };
        return { ok: r.verdict === "pass", detail: summarizeStepAnalysis(r, arms) };
    }

    async runGates(slot: SlotName, version: string, state: ReleaseState | null): Promise<CheckOutcome> {
        const { backend, config } = this.d;
        if (!state) return { ok: false, detail: "gates: nothing is deployed" };
        const live = findLiveSlot(state) as SlotName;
        const ep = await backend.endpoint();
        const intent = routerOf(config).intent(state, ep.headerName ?? config.headerName);
        // A candidate is reached by its preview header; a first release (live itself) by production's own path.
        const target = intent.preview?.target ?? live;
        if (target !== slot) return { ok: false, detail: `gates: the router sends previews to ${target}, not ${slot}` };
        const preview = intent.preview ? { header: intent.preview.header, value: intent.preview.value } : undefined;
        let http: HttpGateReport;
        try {
            http = await runHttpGate(
                {
                    url: ep.url,
                    hostHeader: ep.hostHeader,
                    preview,
                    candidate: { slot, version },
                    live: { slot: live, version: state.slots[live].version as string },
                },
                config.gate,
                this.d.progress ? (p) => this.d.progress?.update(p) : undefined,
            );
        } finally {
            this.d.progress?.done();
        }
        this.gates.push(http);
        this.d.observer?.gate(http, Date.now());
        const details = [summarizeHttpGate(http)];
        if (http.verdict === "fail") {
            this.rejection = { gate: "http", reason: http.reason };
            return { ok: false, detail: details.join("\n    ") };
        }
        if (config.appInsights && this.d.logsClient) {
            const ai = await runAppInsightsGate(this.d.logsClient, config.appInsights, {
                candidate: { slot, version },
                live: slot === live ? undefined : { slot: live, version: state.slots[live].version as string },
                since: new Date(Date.now() - config.appInsights.windowMs),
            });
            this.gates.push(ai);
            this.d.observer?.gate(ai, Date.now());
            details.push(
                `appinsights gate ${ai.verdict.toUpperCase()}: ${ai.reason} (${ai.candidate.requests} candidate requests, ${ai.polls} polls, ${formatDuration(ai.durationMs)})`,
            );
            if (ai.verdict === "fail") {
                this.rejection = { gate: "appinsights", reason: ai.reason };
                return { ok: false, detail: details.join("\n    ") };
            }
        }
        return { ok: true, detail: details.join("\n    ") };
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
            for (const c of step.checks) {
                const r = await this.runCheck(c, record);
                details.push(r.detail);
                if (!r.ok) {
                    ok = false;
                    break;
                }
            }
        } catch (e) {
            // Locked, or a missing tool/plugin/login: nothing was applied; the run stops with that error (exit 3 / 2).
            if (e instanceof BlockedError || e instanceof EnvironmentError) throw e;
            ok = false;
            record = await this.d.backend.read().catch(() => step.record);
            details.push(`apply failed: ${(e as Error).message}`);
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
    if (!before || !["done", "rolled-back", "failed", "interrupted"].includes(r.outcome)) return;
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
                const r = await runner.exec(step, cur);
                cur = r.record;
                if (r.ok) continue;
                if (!step.recoverOnFailure) {
                    const message = `step ${step.name} failed; the environment is ${describeState(cur.state)}; re-run to retry`;
                    reporter.error(message);
                    return result({ outcome: "failed", message, notes: p.notes, record: cur }, runner, t0);
                }
                if (runner.noTraffic) return returnToLive(deps, runner, cur, runner.noTraffic, p.notes, t0);
                reporter.line(runner.rejection ? `rolling back: ${rollbackReason(runner.rejection)}` : `rolling back: ${step.name} failed`);
                const rec = await runner.recover(cur);
                if (!rec.ok) {
                    const message = `recovery did not finish; the environment is ${describeState(rec.record.state)}; run "rollback" to finish it`;
                    reporter.error(message);
                    return result({ outcome: "failed", message, notes: p.notes, record: rec.record }, runner, t0);
                }
                const message = runner.rejection
                    ? `${"version" in intentIn && intentIn.version ? `release ${intentIn.version}` : "the candidate"} ${rejectionText(runner.rejection)}; rolled back to ${describeState(rec.record.state)}`
                    : `${step.name} failed; rolled back to ${describeState(rec.record.state)}`;
                reporter.error(message);
                return result({ outcome: "rolled-back", message, notes: p.notes, record: rec.record }, runner, t0);
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
            const r = await runner.exec(verifyStep, record);
            if (r.ok) return result({ outcome: "done", record }, runner, t0);
            const rec = await runner.recover(r.record);
            const why = runner.rejection ? `candidate ${op.version} ${rejectionText(runner.rejection)}` : "verify failed";
            const message = rec.ok
                ? `${why}; rolled back to ${describeState(rec.record.state)}`
                : `${why}, and recovery did not finish; run "rollback"`;
            deps.reporter.error(message);
            return result({ outcome: rec.ok ? "rolled-back" : "failed", message, record: rec.record }, runner, t0);
        });
    } catch (e) {
        return fail(deps, e, t0, runner);
    }
}

/** `plan <version>`: what `release` would do, without doing it. */
export async function runPlan(deps: EngineDeps, intent: Intent): Promise<RunResult & { plan?: Plan }> {
    const t0 = Date.now();
    try {
        const record = await deps.backend.read();
        const routers = await environmentRouters(deps.backend, deps.config);
        const p = planForRouters(record, intent, plannerOptions(deps.config), routers);
        deps.reporter.line(`current: ${describeState(record.state)}${record.operation ? ` (pending: ${record.operation.kind})` : ""}`);
        for (const n of p.notes) deps.reporter.line(`note: ${n}`);
        if (p.outcome === "invalid") return fail(deps, new InputError(p.reason ?? "invalid"), t0);
        if (p.outcome === "blocked") return fail(deps, new BlockedError(p.reason ?? "blocked"), t0);
        p.steps.forEach((s, i) => {
            deps.reporter.line(`${i + 1}. ${s.name}: ${s.description}`);
            deps.reporter.line(`   → ${describeState(s.record.state)}`);
            if (s.checks.length) deps.reporter.line(`   checks: ${s.checks.map((c) => c.kind).join(", ")}`);
        });
        if (p.outcome === "noop") deps.reporter.line("nothing to do");
        return { ...result({ outcome: p.outcome === "noop" ? "noop" : "done", notes: p.notes, record }, undefined, t0), plan: p };
    } catch (e) {
        return fail(deps, e, t0);
    }
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
    preview?: {
        header: string;
        /** The value, or "(secret)" unless shown. */
        value: string;
        secret: boolean;
        slot: SlotName;
        version: string;
        /** A ready request to the candidate (only when the value is shown or not secret). */
        curl?: string;
    };
}

/** "the candidate serves 25 % of production (step 2 of 4)". */
function progressiveStep(weight: number, steps: number[]): string {
    const i = steps.filter((x) => x < 100).indexOf(weight);
    return `the candidate serves ${weight} % of production${i >= 0 ? ` (step ${i + 1} of ${steps.length})` : ""}`;
}

function curlLine(url: string, header: string, value: string, path: string): string {
    const q = (x: string) => `'${x.replace(/'/g, "'\\''")}'`;
    return `curl -sS -H ${q(`${header}: ${value}`)} -H 'content-type: application/json' -d '{"number":12}' ${q(new URL(path, url).toString())}`;
}

/**
 * `status` (read-only: never starts anything): the recorded state, the operation in progress, whether
 * the environment is serving and at which URL, and what reaches the candidate. The per-release
 * secret preview value is shown only with `showSecrets`.
 */
export async function runStatus(deps: EngineDeps, opts: { showSecrets?: boolean } = {}): Promise<RunResult & { status?: StatusView }> {
    const t0 = Date.now();
    try {
        const { reporter, backend, config } = deps;
        const record = await backend.read();
        reporter.line(`environment ${config.env} (${backend.kind}, router ${config.router}): ${describeState(record.state)}`);
        // A release holding the lock is running; one that left an operation without the lock was interrupted.
        const holder = await backend.capabilities.lockHolder?.holder().catch(() => undefined);
        const lock: StatusView["lock"] = holder ? { running: true, ...holder } : { running: false };
        if (holder)
            reporter.line(
                `running: a release holds the lock (${holder.holder}${holder.since ? ` since ${holder.since}` : ""}${holder.expiresAt ? `; its lease runs to ${holder.expiresAt} unless renewed` : ""})`,
            );
        const w = record.state?.candidateWeight;
        const stepText = record.state && w !== undefined ? progressiveStep(w, config.progressive.steps) : undefined;
        if (record.operation?.kind === "release")
            reporter.line(
                `${holder ? "in progress" : "pending"}: release ${record.operation.version} in ${record.operation.slot}${stepText ? `; ${stepText}` : ""}`,
            );
        if (record.operation?.kind === "rollback")
            reporter.line(
                `${holder ? "in progress" : "pending"}: rollback ${record.operation.from.version} → ${record.operation.to.version}`,
            );
        if (record.operation && !holder) {
            reporter.line(
                record.operation.kind === "release"
                    ? `interrupted: no release holds the lock; re-run "release ${record.operation.version}" or "promote" to go on, "abort" returns production to live at once`
                    : `interrupted: no release holds the lock; re-run "rollback" to finish it`,
            );
        }
        if (!record.state) return { ...result({ outcome: "done", record }, undefined, t0), status: { running: false, lock } };
        const seen = await backend.observe();
        const view: StatusView = {
            running: seen.running,
            lock,
            ...(seen.endpoint ? { url: seen.endpoint.url } : {}),
            ...(seen.detail ? { detail: seen.detail } : {}),
        };
        if (!seen.running) {
            reporter.line(
                `stopped: nothing is serving ${config.env}; the state above is the desired state, restored by the next release, deploy, promote, rollback or abort${seen.detail ? ` (${seen.detail})` : ""}`,
            );
        } else {
            // Read-only and only while running: what each slot actually serves beside what the state asks for.
            const health = await backend.slotHealth().catch((e: unknown) => {
                view.slotsUnseen = (e as Error).message;
                reporter.line(`slots: not seen (${view.slotsUnseen})`);
                return undefined;
            });
            if (health) {
                view.slots = health;
                for (const slot of ["blue", "green"] as const) {
                    const h = health[slot];
                    const warn = h.ready < h.desired ? "  ← not all ready" : "";
                    reporter.line(
                        `  ${slot}: ${h.ready}/${h.desired} ready${h.versions.length ? ` (${h.versions.join(", ")})` : ""}, restarts ${h.restarts}${warn}`,
                    );
                }
            }
            reporter.line(`url: ${view.url}  (production: POST ${config.gate.path})`);
        }
        const intent = routerOf(config).intent(record.state, seen.endpoint?.headerName ?? config.headerName);
        const p = intent.preview;
        if (p && (record.state.slots[p.target].role === "candidate" || record.operation?.kind === "release")) {
            const version = record.state.slots[p.target].version as string;
            const shown = !p.secret || opts.showSecrets === true;
            view.preview = {
                header: p.header,
                value: shown ? p.value : "(secret)",
                secret: p.secret,
                slot: p.target,
                version,
                ...(shown && view.url ? { curl: curlLine(view.url, p.header, p.value, config.gate.path) } : {}),
            };
            if (view.preview.curl) reporter.line(`preview (reaches ${p.target} candidate ${version}): ${view.preview.curl}`);
            else if (shown) reporter.line(`preview: header "${p.header}: ${p.value}" reaches ${p.target} candidate ${version}`);
            else
                reporter.line(
                    `preview: header "${p.header}" with this release's secret value reaches ${p.target} candidate ${version}; "status --show-secrets" prints it and a ready curl line`,
                );
        }
        return { ...result({ outcome: "done", record }, undefined, t0), status: view };
    } catch (e) {
        return fail(deps, e, t0);
    }
}
