/**
 * The gate port: one interface for every preview gate (Flagger's `pkg/metrics/providers` Interface,
 * Argo Rollouts' `metric.Provider`). A gate measures the candidate and returns a verdict with its
 * reason and report:
 *   - `pass`: the measurement shows the candidate is good;
 *   - `fail`: the measurement shows it is bad (the run rejects it);
 *   - `inconclusive`: nothing could be measured (a query that failed, an endpoint that did not answer
 *     the measurement itself) — which says nothing about the candidate (Argo's `Error` phase).
 * The providers live beside their measurements (http-gate.ts, appinsights-gate.ts); gate-registry.ts
 * is the typed factory that names them.
 */
import type { SlotName } from "@phoenix/release-model";

/** The gate kinds, in the order a release runs them. The one spelling of the union. */
export const GATE_KINDS = ["http", "appinsights"] as const;
export type GateKind = (typeof GATE_KINDS)[number];

export function isGateKind(v: unknown): v is GateKind {
    return typeof v === "string" && (GATE_KINDS as readonly string[]).includes(v);
}

/** A measurement's verdict (gates, a step's analysis, any check). */
export const VERDICTS = ["pass", "fail", "inconclusive"] as const;
export type Verdict = (typeof VERDICTS)[number];

export function isVerdict(v: unknown): v is Verdict {
    return typeof v === "string" && (VERDICTS as readonly string[]).includes(v);
}

export interface SlotVersionRef {
    slot: SlotName;
    version: string;
}

/** What a gate measures: the candidate (reached by its preview header, or by production's path on a first release) beside live. */
export interface GateSubject {
    /** Public base URL and the Host header to send, when the URL is not the host itself. */
    endpoint: { url: string; hostHeader?: string };
    /** The header that reaches the candidate; absent when production itself reaches it (a first release). */
    preview?: { header: string; value: string };
    candidate: SlotVersionRef;
    /** Production's slot now (on a first release the candidate's own); absent when nothing is live. */
    live?: SlotVersionRef;
    /** Aborted on an interrupt: the gate stops waiting and throws InterruptedError (util/interrupt.ts), without a verdict. */
    signal?: AbortSignal;
}

/** Every gate report names its gate and verdict; the rest is the gate's own evidence. */
export interface GateReportBase<K extends GateKind> {
    gate: K;
    verdict: Verdict;
    reason: string;
    durationMs: number;
}

export interface GateResult<R extends GateReportBase<GateKind> = GateReportBase<GateKind>> {
    verdict: Verdict;
    reason: string;
    report: R;
    /** One line for the step's report. */
    summary: string;
}

export interface Gate<R extends GateReportBase<GateKind> = GateReportBase<GateKind>> {
    readonly kind: GateKind;
    run(subject: GateSubject): Promise<GateResult<R>>;
}
