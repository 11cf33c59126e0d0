/**
 * Progress while a gate runs, rendered from the gate's running statistics (gates/http-gate.ts
 * GateProgress), and while a weighted step is judged, from its running comparison (checks/check.ts
 * StepProgress): on a terminal one live line rewritten in place (at most every `ttyIntervalMs`); in
 * a log one line every `logIntervalMs`; under Azure DevOps each log line is preceded by a
 * `##vso[task.setprogress]` command. Pure apart from the injected writer and clock.
 */
import type { StepProgress } from "../checks/check";
import type { GateProgress } from "../gates/http-gate";

export interface ProgressOptions {
    write: (s: string) => void;
    /** A terminal: rewrite one line (carriage return + clear line). */
    tty: boolean;
    /** Azure DevOps (TF_BUILD): add ##vso[task.setprogress] commands. */
    tfBuild: boolean;
    now?: () => number;
    ttyIntervalMs?: number;
    logIntervalMs?: number;
}

export interface ProgressRenderer {
    update(p: GateProgress): void;
    step(p: StepProgress): void;
    /** Ends the live line (terminal) so the next output starts on its own line. */
    done(): void;
}

function verdictSoFar(p: GateProgress): string {
    if (
        p.wrongVersion > 0 ||
        p.production.failures > 0 ||
        p.production.wrongSlot > 0 ||
        p.decisions.errors === "reject" ||
        p.decisions.slow === "reject"
    )
        return "failing";
    if (p.decisions.errors === "accept" && p.decisions.slow === "accept") return "passing";
    return "undecided";
}

/** One progress line: requests, errors, slow answers, production, the running verdict. */
export function progressLine(p: GateProgress): string {
    return (
        `${p.gate} gate: ${p.requests}/${p.maxRequests} preview requests, ${p.errors} errors, ${p.slow} slow` +
        `${p.wrongVersion ? `, ${p.wrongVersion} wrong answers` : ""}; production ${p.production.requests} requests, ${p.production.failures} failed` +
        ` — ${verdictSoFar(p)} (${(p.elapsedMs / 1000).toFixed(1)} s)`
    );
}

/** One line for a weighted step: requests of both arms against the minimum, bake time and the no-traffic clock, the running verdict. */
export function stepProgressLine(p: StepProgress): string {
    const { stats } = p.result;
    const s = Math.floor(stats.elapsedMs / 1000);
    const c = stats.candidate;
    const bake = Math.ceil(p.config.minBakeMs / 1000);
    const idle =
        c.requests === 0 && p.config.noTrafficMs !== undefined
            ? `; no candidate traffic for ${s} s of ${Math.round(p.config.noTrafficMs / 1000)} s`
            : "";
    const verdict =
        p.result.verdict === "continue"
            ? "undecided"
            : p.result.verdict === "pass"
              ? "passing"
              : p.result.verdict === "fail"
                ? "failing"
                : "no traffic";
    return (
        `step ${p.weight} %: candidate ${c.requests}/${p.config.minRequests} requests, ${c.failed} failed; live ${stats.live.requests} requests, ${stats.live.failed} failed; ` +
        `baked ${Math.min(s, bake)} s of ${bake} s${idle} — ${verdict} (${(stats.elapsedMs / 1000).toFixed(1)} s)`
    );
}

/** How far a step is towards its earliest possible verdict (both the bake time and the candidate's minimum sample), 0-100. */
export function stepPercent(p: StepProgress): number {
    const bake = p.config.minBakeMs > 0 ? p.result.stats.elapsedMs / p.config.minBakeMs : 1;
    const sample = p.result.stats.candidate.requests / p.config.minRequests;
    return Math.max(0, Math.min(100, Math.round(100 * Math.min(bake, sample))));
}

export function createProgressRenderer(o: ProgressOptions): ProgressRenderer {
    const now = o.now ?? Date.now;
    const interval = o.tty ? (o.ttyIntervalMs ?? 100) : (o.logIntervalMs ?? 2000);
    let last = Number.NEGATIVE_INFINITY;
    let live = false;
    const show = (line: string, percent: number, what: string) => {
        const t = now();
        if (t - last < interval) return;
        last = t;
        if (o.tty) {
            o.write(`\r\x1b[K${line}`);
            live = true;
            return;
        }
        if (o.tfBuild) o.write(`##vso[task.setprogress value=${percent};]${what}\n`);
        o.write(`    ${line}\n`);
    };
    return {
        update(p) {
            show(progressLine(p), Math.min(100, Math.round((100 * p.requests) / p.maxRequests)), `${p.gate} gate`);
        },
        step(p) {
            show(stepProgressLine(p), stepPercent(p), `step ${p.weight} %`);
        },
        done() {
            if (live) o.write("\r\x1b[K");
            live = false;
            last = Number.NEGATIVE_INFINITY;
        },
    };
}
