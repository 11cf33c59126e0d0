/**
 * A bounded production load generator: `concurrency` loops of POST /api/calculation against the
 * public URL (no preview header) until stopped, counting failures and which slot/version answered.
 */
import { header, httpRequest, randomCalculationBody, type HttpResult } from "../util/http";

export interface LoadStats {
    total: number;
    failed: number;
    /** "blue 1.0.0" → count. */
    answeredBy: Record<string, number>;
    /** The first few failures, described. */
    failures: string[];
    /** When the answering slot/version changed (ms since start, new answerer). */
    switches: Array<{ atMs: number; to: string }>;
}

export interface LoadGenerator {
    stats(): LoadStats;
    stop(): Promise<LoadStats>;
}

type OnAnswer = (slot: string, version: string, ok: boolean, t: number) => void;

/** The stats both generators keep, and the one way an answer is counted into them. */
function answerRecorder(onAnswer: OnAnswer | undefined): { s: LoadStats; record(r: HttpResult): void } {
    const t0 = Date.now();
    const s: LoadStats = { total: 0, failed: 0, answeredBy: {}, failures: [], switches: [] };
    let last = "";
    return {
        s,
        record(r) {
            s.total++;
            onAnswer?.(header(r.headers, "x-app-slot") ?? "none", header(r.headers, "x-app-version") ?? "", r.ok, Date.now());
            if (!r.ok) {
                s.failed++;
                if (s.failures.length < 10)
                    s.failures.push(`${new Date().toISOString()} ${r.error ?? `HTTP ${r.status} ${r.body.slice(0, 120)}`}`);
                return;
            }
            const who = `${header(r.headers, "x-app-slot")} ${header(r.headers, "x-app-version")}`;
            s.answeredBy[who] = (s.answeredBy[who] ?? 0) + 1;
            if (who !== last) {
                last = who;
                s.switches.push({ atMs: Date.now() - t0, to: who });
            }
        },
    };
}

export function startLoad(
    url: string,
    opts: { concurrency: number; timeoutMs: number; maxRequests?: number; pauseMs?: number; onAnswer?: OnAnswer },
): LoadGenerator {
    const { s, record } = answerRecorder(opts.onAnswer);
    let running = true;
    const target = new URL("/api/calculation", url).toString();
    const loop = async () => {
        while (running && (opts.maxRequests === undefined || s.total < opts.maxRequests)) {
            record(await httpRequest(target, { method: "POST", body: randomCalculationBody(), timeoutMs: opts.timeoutMs }));
            if (opts.pauseMs) await new Promise((res) => setTimeout(res, opts.pauseMs));
        }
    };
    const loops = Array.from({ length: opts.concurrency }, loop);
    return {
        stats: () => s,
        stop: async () => {
            running = false;
            await Promise.all(loops);
            return s;
        },
    };
}

/**
 * Production load at a fixed rate (`rps` requests started per second, spread evenly, whatever the
 * answers' latency; at most `maxInFlight` at once), until stopped. What `npm run load` drives at a
 * local environment so a weighted step has production traffic to judge.
 */
export function startRateLoad(
    url: string,
    opts: { rps: number; timeoutMs: number; maxInFlight?: number; hostHeader?: string; onAnswer?: OnAnswer },
): LoadGenerator {
    const t0 = Date.now();
    const { s, record } = answerRecorder(opts.onAnswer);
    const target = new URL("/api/calculation", url).toString();
    const maxInFlight = opts.maxInFlight ?? Math.max(8, opts.rps * 2);
    let inFlight = 0;
    let started = 0;
    const pending = new Set<Promise<void>>();
    const one = async () => {
        inFlight++;
        const r = await httpRequest(target, {
            method: "POST",
            body: randomCalculationBody(),
            timeoutMs: opts.timeoutMs,
            ...(opts.hostHeader ? { headers: { host: opts.hostHeader } } : {}),
        });
        inFlight--;
        record(r);
    };
    // Every tick starts the requests the schedule is owed (rps × elapsed), so the rate holds under timer jitter.
    const timer = setInterval(
        () => {
            const owed = Math.floor(((Date.now() - t0) * opts.rps) / 1000) - started;
            for (let i = 0; i < owed && inFlight < maxInFlight; i++) {
                started++;
                const p = one();
                pending.add(p);
                void p.finally(() => pending.delete(p));
            }
        },
        Math.max(5, Math.min(100, 1000 / opts.rps)),
    );
    return {
        stats: () => s,
        stop: async () => {
            clearInterval(timer);
            await Promise.all([...pending]);
            return s;
        },
    };
}
