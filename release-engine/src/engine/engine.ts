/**
 * The engine: plans an intent, applies each step through a backend, runs the step's checks, and on
 * a failed check undoes the operation (exit 1). The only impure orchestration in the release engine;
 * the decisions live in the planner (pure) and the gates.
 */
import { randomBytes } from "crypto";
import { findLiveSlot, replicasOf, routerModel, type ReleaseState, type RouterModel, type SlotName } from "@phoenix/release-model";
import { describeState, plan as makePlan, recoverySteps, sameRecord } from "../planner/plan";
import type { Check, EngineRecord, Intent, Plan, PlannerOptions, Step } from "../planner/types";
import { runAppInsightsGate, type AppInsightsReport, type LogsQuerier } from "../gates/appinsights-gate";
import { runHttpGate, summarizeHttpGate, type HttpGateReport } from "../gates/http-gate";
import type { EngineConfig } from "../settings/config";
import { BlockedError, InputError, type Backend } from "./backend";
import { checkProduction } from "./checks";
import { formatDuration, type Reporter, type StepReport } from "./reporter";
import type { EngineObserver } from "../observe/timeline";

export type ExitCode = 0 | 1 | 2 | 3;

export interface EngineDeps {
    backend: Backend;
    config: EngineConfig;
    reporter: Reporter;
    /** The App Insights query client, when that gate is configured. */
    logsClient?: LogsQuerier;
    /** Told of every applied record and gate verdict (the local release report, observe/timeline.ts). */
    observer?: EngineObserver;
}

export interface RunResult {
    exitCode: ExitCode;
    outcome: "done" | "noop" | "rolled-back" | "failed" | "blocked" | "invalid";
    message?: string;
    notes: string[];
    steps: StepReport[];
    gates: Array<HttpGateReport | AppInsightsReport>;
    record?: EngineRecord;
    durationMs: number;
}

/** The state with the preview secret replaced, for output. */
export function redact(state: ReleaseState | null): ReleaseState | null {
    if (!state || state.previewHeaderValue === undefined) return state;
    return { ...state, previewHeaderValue: "(secret)" };
}

function newPreviewValue(): string {
    return randomBytes(18).toString("base64url");
}

interface CheckOutcome {
    ok: boolean;
    detail: string;
}

/** The planner's options for an environment: its replica default and its router's model. */
export function plannerOptions(config: EngineConfig): PlannerOptions {
    return { defaultReplicas: config.replicas, router: routerOf(config) };
}

function routerOf(config: EngineConfig): RouterModel {
    return routerModel(config.router);
}

class Runner {
    readonly steps: StepReport[] = [];
    readonly gates: Array<HttpGateReport | AppInsightsReport> = [];
    constructor(private readonly d: EngineDeps) {}

    private async runCheck(check: Check, state: ReleaseState | null): Promise<CheckOutcome> {
        const { backend, config } = this.d;
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
                return this.runGates(check.slot, check.version, state);
        }
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
        const http = await runHttpGate(
            { url: ep.url, hostHeader: ep.hostHeader, preview, candidate: { slot, version }, live: { slot: live, version: state.slots[live].version as string } },
            config.gate,
        );
        this.gates.push(http);
        this.d.observer?.gate(http, Date.now());
        const details = [summarizeHttpGate(http)];
        if (http.verdict === "fail") return { ok: false, detail: details.join("\n    ") };
        if (config.appInsights && this.d.logsClient) {
            const ai = await runAppInsightsGate(this.d.logsClient, config.appInsights, {
                candidate: { slot, version },
                live: slot === live ? undefined : { slot: live, version: state.slots[live].version as string },
                since: new Date(Date.now() - config.appInsights.windowMs),
            });
            this.gates.push(ai);
            this.d.observer?.gate(ai, Date.now());
            details.push(`appinsights gate ${ai.verdict.toUpperCase()}: ${ai.reason} (${ai.candidate.requests} candidate requests, ${ai.polls} polls, ${formatDuration(ai.durationMs)})`);
            if (ai.verdict === "fail") return { ok: false, detail: details.join("\n    ") };
        }
        return { ok: true, detail: details.join("\n    ") };
    }

    /** Applies one step (unless already in effect) and runs its checks. */
    async exec(step: Step, current: EngineRecord): Promise<{ ok: boolean; record: EngineRecord }> {
        const t0 = Date.now();
        const details: string[] = [];
        let record = current;
        let ok = true;
        try {
            if (!sameRecord(step.record, current)) {
                await this.d.backend.apply(step.record, (line) => this.d.reporter.line(`    | ${line}`));
                this.d.observer?.applied(current, step.record, Date.now());
            } else if (step.checks.length === 0 && step.name !== "complete") {
                details.push("already in effect");
            }
            record = step.record;
            for (const c of step.checks) {
                const r = await this.runCheck(c, record.state);
                details.push(r.detail);
                if (!r.ok) {
                    ok = false;
                    break;
                }
            }
        } catch (e) {
            if (e instanceof BlockedError) throw e;
            ok = false;
            record = await this.d.backend.read().catch(() => step.record);
            details.push(`apply failed: ${(e as Error).message}`);
        }
        const report: StepReport = { name: step.name, description: step.description, status: ok ? "ok" : "failed", durationMs: Date.now() - t0, details };
        this.steps.push(report);
        this.d.reporter.step(report);
        return { ok, record };
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

function result(r: Partial<RunResult> & Pick<RunResult, "exitCode" | "outcome">, runner: Runner | undefined, t0: number): RunResult {
    return { notes: [], steps: runner?.steps ?? [], gates: runner?.gates ?? [], durationMs: Date.now() - t0, ...r };
}

async function withLock<T>(backend: Backend, fn: () => Promise<T>): Promise<T> {
    const release = await backend.lock();
    try {
        return await fn();
    } finally {
        await release();
    }
}

function fail(deps: EngineDeps, e: unknown, t0: number, runner?: Runner): RunResult {
    if (e instanceof BlockedError) {
        deps.reporter.error(e.message);
        return result({ exitCode: 3, outcome: "blocked", message: e.message }, runner, t0);
    }
    if (e instanceof InputError) {
        deps.reporter.error(e.message);
        return result({ exitCode: 2, outcome: "invalid", message: e.message }, runner, t0);
    }
    throw e;
}

/** Runs an intent: release, deploy, promote, rollback, abort. */
export async function runIntent(deps: EngineDeps, intentIn: Intent): Promise<RunResult> {
    const t0 = Date.now();
    const runner = new Runner(deps);
    const { reporter, backend, config } = deps;
    try {
        return await withLock(backend, async () => {
            const record = await backend.read();
            let intent = intentIn;
            if ((intent.kind === "release" || intent.kind === "deploy") && config.secretPreview && intent.previewHeaderValue === undefined) {
                intent = { ...intent, previewHeaderValue: newPreviewValue() };
            }
            const p: Plan = makePlan(record, intent, plannerOptions(config));
            for (const n of p.notes) reporter.line(`note: ${n}`);
            if (p.outcome === "invalid") return fail(deps, new InputError(p.reason ?? "invalid input"), t0, runner);
            if (p.outcome === "blocked") return fail(deps, new BlockedError(p.reason ?? "blocked"), t0, runner);
            if (p.outcome === "noop") return result({ exitCode: 0, outcome: "noop", notes: p.notes, record }, runner, t0);
            let cur = record;
            for (const step of p.steps) {
                const r = await runner.exec(step, cur);
                cur = r.record;
                if (r.ok) continue;
                if (!step.recoverOnFailure) {
                    const message = `step ${step.name} failed; the environment is ${describeState(cur.state)}; re-run to retry`;
                    reporter.error(message);
                    return result({ exitCode: 1, outcome: "failed", message, notes: p.notes, record: cur }, runner, t0);
                }
                reporter.line(`rolling back: ${step.name} failed`);
                const rec = await runner.recover(cur);
                if (!rec.ok) {
                    const message = `recovery did not finish; the environment is ${describeState(rec.record.state)}; run "rollback" to finish it`;
                    reporter.error(message);
                    return result({ exitCode: 1, outcome: "failed", message, notes: p.notes, record: rec.record }, runner, t0);
                }
                const message = `${step.name} failed; rolled back to ${describeState(rec.record.state)}`;
                reporter.error(message);
                return result({ exitCode: 1, outcome: "rolled-back", message, notes: p.notes, record: rec.record }, runner, t0);
            }
            return result({ exitCode: 0, outcome: "done", notes: p.notes, record: cur }, runner, t0);
        });
    } catch (e) {
        return fail(deps, e, t0, runner);
    }
}

/** `verify` (ADO routeTraffic): gate the pending candidate; on failure undo it (exit 1). */
export async function runVerify(deps: EngineDeps): Promise<RunResult> {
    const t0 = Date.now();
    const runner = new Runner(deps);
    try {
        return await withLock(deps.backend, async () => {
            const record = await deps.backend.read();
            const op = record.operation;
            if (!op || op.kind !== "release" || !record.state) throw new BlockedError("nothing to verify: no candidate is pending");
            const verifyStep: Step = {
                name: "verify",
                description: `gate candidate ${op.version} in ${op.slot}`,
                record,
                checks: [
                    { kind: "slot-ready", slot: op.slot, version: op.version, replicas: replicasOf(record.state.slots[op.slot], deps.config.replicas) },
                    { kind: "gates", slot: op.slot, version: op.version },
                ],
                recoverOnFailure: true,
            };
            const r = await runner.exec(verifyStep, record);
            if (r.ok) return result({ exitCode: 0, outcome: "done", record }, runner, t0);
            const rec = await runner.recover(r.record);
            const message = rec.ok ? `verify failed; rolled back to ${describeState(rec.record.state)}` : `verify failed and recovery did not finish; run "rollback"`;
            deps.reporter.error(message);
            return result({ exitCode: 1, outcome: rec.ok ? "rolled-back" : "failed", message, record: rec.record }, runner, t0);
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
        const p = makePlan(record, intent, plannerOptions(deps.config));
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
        return { ...result({ exitCode: 0, outcome: p.outcome === "noop" ? "noop" : "done", notes: p.notes, record }, undefined, t0), plan: p };
    } catch (e) {
        return fail(deps, e, t0);
    }
}

/** `status`: the recorded state and the operation in progress. */
export async function runStatus(deps: EngineDeps): Promise<RunResult> {
    const t0 = Date.now();
    try {
        const record = await deps.backend.read();
        deps.reporter.line(`environment ${deps.config.env} (${deps.backend.kind}): ${describeState(record.state)}`);
        if (record.operation?.kind === "release") deps.reporter.line(`pending: release ${record.operation.version} in ${record.operation.slot}`);
        if (record.operation?.kind === "rollback") deps.reporter.line(`pending: rollback ${record.operation.from.version} → ${record.operation.to.version}`);
        if (record.state) {
            const ep = await deps.backend.endpoint().catch((e: Error) => ({ url: `unavailable (${e.message})` }));
            deps.reporter.line(`url: ${ep.url}`);
        }
        return result({ exitCode: 0, outcome: "done", record }, undefined, t0);
    } catch (e) {
        return fail(deps, e, t0);
    }
}
