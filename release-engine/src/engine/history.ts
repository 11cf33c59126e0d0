/**
 * The release history: one entry per release, promotion, rejection, rollback and abort, with time,
 * versions, the gate's verdict and statistics, and who ran it. The local backend appends entries to a
 * file; the Pulumi backend reads them back from the stack's own update history (each update's message
 * names the run, its step, the gate's verdict and who ran it). Pure: building entries (cli/render.ts formats them).
 */
import type { GateKind, Verdict } from "../gates/gate";
import type { GateReport } from "../gates/gate-registry";
import type { Outcome } from "../errors";

/** `import` and `restore`: the shared release record was imported from a stack's config, or restored from its previous version. */
export type HistoryAction = "release" | "deploy" | "verify" | "promote" | "rejection" | "rollback" | "abort" | "import" | "restore";

export interface HistoryGate {
    gate: GateKind;
    /** `inconclusive`: the gate could not measure (a failed query past the error budget), which is not a rejection. */
    verdict: Verdict;
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
    /** `inconclusive`: a check could not measure within its error budget and production went back to live; `detail` says which and why. */
    outcome: Outcome | "succeeded" | "failed" | "in-progress";
    /** Production before and after, as "blue 1.0.0". */
    liveBefore?: string;
    liveAfter?: string;
    gates: HistoryGate[];
    /** user@host, or the pipeline run. */
    by?: string;
    durationMs?: number;
    /** What could not be measured and why (outcome `inconclusive`); how a run was interrupted; for entries read from a Pulumi update: the step and the update's message. */
    detail?: string;
}

export function gateSummary(g: GateReport): HistoryGate {
    // A gate that could not measure has no sample to report.
    if (g.verdict === "inconclusive") return { gate: g.gate, verdict: g.verdict, reason: g.reason };
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

/**
 * For `status`: the last run's verdict when it was a rejection or could not measure (the two are told
 * apart: a rejection judged the candidate, an inconclusive run did not), else undefined.
 */
export function lastVerdictLine(entries: readonly HistoryEntry[]): string | undefined {
    const last = entries.at(-1);
    if (!last) return undefined;
    const what = `${last.action === "rejection" ? "release" : last.action}${last.version ? ` ${last.version}` : ""}`;
    if (last.outcome === "inconclusive") {
        const gate = last.gates.find((g) => g.verdict === "inconclusive");
        const why = last.detail ?? (gate ? `the ${gate.gate} gate ${gate.reason}` : "a check was inconclusive");
        return `last run: ${what} could not be measured (${why}) at ${last.at}`;
    }
    if (last.action === "rejection") {
        const gate = last.gates.find((g) => g.verdict === "fail");
        return `last run: ${what} was rejected${gate ? ` by the ${gate.gate} gate (${gate.reason})` : ""} at ${last.at}`;
    }
    return undefined;
}
