/**
 * The release history: one entry per release, promotion, rejection, rollback and abort, with time,
 * versions, the gate's verdict and statistics, and who ran it. The local backend appends entries to a
 * file; the Pulumi backend reads them back from the stack's own update history (each update's message
 * names the run, its step, the gate's verdict and who ran it). Pure: building entries (cli/render.ts formats them).
 */
import type { AppInsightsReport } from "../gates/appinsights-gate";
import type { HttpGateReport } from "../gates/http-gate";
import type { Outcome } from "../errors";

/** `import` and `restore`: the shared release record was imported from a stack's config, or restored from its previous version. */
export type HistoryAction = "release" | "deploy" | "verify" | "promote" | "rejection" | "rollback" | "abort" | "import" | "restore";

export interface HistoryGate {
    gate: "http" | "appinsights";
    verdict: "pass" | "fail";
    reason: string;
    requests?: number;
    errors?: number;
    p95Ms?: number;
}

export interface HistoryEntry {
    /** ISO time the run (or the Pulumi update) started. */
    at: string;
    action: HistoryAction;
    /** The version acted on (released, promoted, rejected, rolled back from, aborted). */
    version?: string;
    outcome: Outcome | "succeeded" | "failed" | "in-progress";
    /** Production before and after, as "blue 1.0.0". */
    liveBefore?: string;
    liveAfter?: string;
    gates: HistoryGate[];
    /** user@host, or the pipeline run. */
    by?: string;
    durationMs?: number;
    /** For entries read from a Pulumi update: the step and the update's message. */
    detail?: string;
}

export function gateSummary(g: HttpGateReport | AppInsightsReport): HistoryGate {
    if (g.gate === "http")
        return { gate: "http", verdict: g.verdict, reason: g.reason, requests: g.requests, errors: g.errors, p95Ms: g.p95Ms };
    return { gate: "appinsights", verdict: g.verdict, reason: g.reason, requests: g.candidate.requests };
}

/** What a finished run was, for the history: a release whose gate failed is a rejection. */
export function historyAction(kind: HistoryAction, outcome: Outcome, gates: HistoryGate[]): HistoryAction {
    if ((kind === "release" || kind === "verify") && outcome === "rolled-back" && gates.some((g) => g.verdict === "fail"))
        return "rejection";
    return kind;
}
