/**
 * The check port: one runner per check kind of the planner's vocabulary (planner/types.ts `Check`),
 * each in its own file, all behind this interface; checks/runner.ts is the registry the engine calls.
 * A runner measures and returns a verdict — `pass`, `fail` (the candidate or the step is bad), or
 * `inconclusive` (nothing could be measured: it says nothing about the candidate) — with one line of
 * detail for the step's report.
 */
import type { Check, EngineRecord } from "../planner/types";
import type { Backend } from "../engine/backend";
import type { EngineConfig } from "../settings/config";
import type { Gate, GateKind, SlotVersionRef, Verdict } from "../gates/gate";
import type { GateReport } from "../gates/gate-registry";
import type { ComparisonConfig, ComparisonResult } from "../gates/compare";
import type { TrafficSourceChoice } from "./traffic-source";

/** A weighted step's running comparison, for the progress display. */
export interface StepProgress {
    weight: number;
    result: ComparisonResult;
    config: ComparisonConfig;
}

/** What the checks of one run share: chosen once when the run starts. */
export interface CheckContext {
    backend: Pick<Backend, "kind" | "endpoint" | "slotReady">;
    config: EngineConfig;
    /** The configured gates, in order (gates/gate-registry.ts). */
    gates: ReadonlyArray<Gate<GateReport>>;
    /** Where a weighted step's counts come from (checks/traffic-source.ts). */
    traffic: TrafficSourceChoice;
    /** Told of each gate's report as soon as it has one. */
    onGateReport?: (report: GateReport) => void;
    /** Shown a weighted step's running comparison; `done` when it ends. */
    progress?: { step?(p: StepProgress): void; done(): void };
    sleep?: (ms: number) => Promise<void>;
    /** Aborted on an interrupt (cli/interrupts.ts): a check stops waiting and throws InterruptedError. */
    signal?: AbortSignal;
}

/** A weighted step that no production request reached: production goes back to live and the candidate stays pending. */
export interface NoTraffic {
    weight: number;
    seconds: number;
    candidate: SlotVersionRef;
}

export interface CheckOutcome {
    verdict: Verdict;
    /** One line (or several joined by "\n    ") for the step's report. */
    detail: string;
    /** A gate rejected the candidate: the run headlines it. */
    rejection?: { gate: GateKind; reason: string };
    /** What could not be measured and why (with verdict `inconclusive`). */
    inconclusive?: { what: string; reason: string };
    /** A weighted step saw no production traffic (with verdict `fail`). */
    noTraffic?: NoTraffic;
}

export interface CheckRunner<C extends Check> {
    /** What it measures, for messages: "the gate", "the 25 % step's analysis". */
    describe(check: C): string;
    /** True when a restart of the release's candidate during the check rejects it as crashed (the engine watches it). */
    readonly watchesCandidate: boolean;
    run(check: C, record: EngineRecord, ctx: CheckContext): Promise<CheckOutcome>;
}

export function passed(detail: string): CheckOutcome {
    return { verdict: "pass", detail };
}

export function failed(detail: string): CheckOutcome {
    return { verdict: "fail", detail };
}
