/**
 * Progress while a gate runs, rendered from the gate's running statistics (gates/http-gate.ts
 * GateProgress): on a terminal one live line rewritten in place (at most every `ttyIntervalMs`); in
 * a log one line every `logIntervalMs`; under Azure DevOps each log line is preceded by a
 * `##vso[task.setprogress]` command. Pure apart from the injected writer and clock.
 */
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
    /** Ends the live line (terminal) so the next output starts on its own line. */
    done(): void;
}

function verdictSoFar(p: GateProgress): string {
    if (p.wrongVersion > 0 || p.production.failures > 0 || p.production.wrongSlot > 0 || p.decisions.errors === "reject" || p.decisions.slow === "reject") return "failing";
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

export function createProgressRenderer(o: ProgressOptions): ProgressRenderer {
    const now = o.now ?? Date.now;
    const interval = o.tty ? (o.ttyIntervalMs ?? 100) : (o.logIntervalMs ?? 2000);
    let last = Number.NEGATIVE_INFINITY;
    let live = false;
    return {
        update(p) {
            const t = now();
            if (t - last < interval) return;
            last = t;
            const line = progressLine(p);
            if (o.tty) {
                o.write(`\r\x1b[K${line}`);
                live = true;
                return;
            }
            if (o.tfBuild) o.write(`##vso[task.setprogress value=${Math.min(100, Math.round((100 * p.requests) / p.maxRequests))};]${p.gate} gate\n`);
            o.write(`    ${line}\n`);
        },
        done() {
            if (live) o.write("\r\x1b[K");
            live = false;
            last = Number.NEGATIVE_INFINITY;
        },
    };
}
