/**
 * The HTTP gate: checks the candidate through the public URL with the preview header, while
 * production requests (no header) must keep succeeding and come from the live slot.
 *
 * Status codes alone prove nothing (a canary without endpoints silently falls back to the main
 * Service), so every answer must carry the candidate's `x-app-version` and `x-app-slot`; one wrong
 * answer fails the gate at once. Error rate and slowness are judged with Wald's SPRT so the gate
 * stops as soon as the verdict is statistically certain either way (see stats.ts).
 */
import { header, httpRequest, randomCalculationBody, type HttpResult } from "../util/http";
import { interruptibleSleep, pause, throwIfInterrupted } from "../util/interrupt";
import {
    percentile,
    sprtCappedDecision,
    sprtCapRule,
    sprtDecision,
    sprtInit,
    sprtUpdate,
    validateSprt,
    wilson,
    type SprtCapRule,
    type SprtParams,
    type SprtState,
} from "./stats";
import { DEFAULT_ERROR_BUDGET, measureWithin, type Measured } from "./error-budget";
import type { Gate, GateReportBase } from "./gate";

export interface HttpGateConfig {
    /** Maximum candidate requests (the sample cap N). */
    maxRequests: number;
    /** Never accept before this many requests (p95 needs a sample). */
    minRequests: number;
    concurrency: number;
    timeoutMs: number;
    /** The bad error rate (H1); the good rate (H0) is maxErrorRate / 5. */
    maxErrorRate: number;
    /** p95 latency bound: a request slower than this is a "slow" event; H0 ≤ 2 % slow, H1 ≥ 10 % slow. */
    maxP95Ms: number;
    /** False-reject bound (SPRT alpha). */
    alpha: number;
    /** False-accept bound (SPRT beta). */
    beta: number;
    /** Production probes run alongside (concurrency 1, this many ms apart). */
    productionIntervalMs: number;
    /** API path requested (POST with a JSON number). */
    path: string;
}

export const DEFAULT_HTTP_GATE: HttpGateConfig = {
    maxRequests: 600,
    minRequests: 30,
    concurrency: 4,
    timeoutMs: 2000,
    maxErrorRate: 0.05,
    maxP95Ms: 500,
    alpha: 0.01,
    beta: 0.01,
    productionIntervalMs: 10,
    path: "/api/calculation",
};

export interface GateTarget {
    /** Public base URL, e.g. http://127.0.0.1:PORT or http://<fqdn>. */
    url: string;
    /** Host header to send (the Ingress host) when `url` is an IP. */
    hostHeader?: string;
    /** The preview header that reaches the candidate; undefined when the candidate is what production reaches (a first release). */
    preview?: { header: string; value: string };
    candidate: { slot: string; version: string };
    live?: { slot: string; version: string };
}

export interface HttpGateReport extends GateReportBase<"http"> {
    requests: number;
    errors: number;
    slow: number;
    wrongVersion: number;
    errorRate: number;
    errorRate95: { low: number; high: number };
    p50Ms: number;
    p95Ms: number;
    /** Final log-likelihood ratios and Wald bounds for the two tests. */
    sprt: { errors: { llr: number; decision: string }; slow: { llr: number; decision: string } };
    production: { requests: number; failures: number; wrongSlot: number };
    /** First unexpected answer, for the log (never includes request headers). */
    firstProblem?: string;
}

function describeAnswer(r: HttpResult): string {
    if (r.error) return `no answer (${r.error})`;
    return `HTTP ${r.status} from ${header(r.headers, "x-app-slot") ?? "?"} ${header(r.headers, "x-app-version") ?? "?"}`;
}

export function errorParams(c: HttpGateConfig): SprtParams {
    return { p0: c.maxErrorRate / 5, p1: c.maxErrorRate, alpha: c.alpha, beta: c.beta };
}
export function slowParams(c: HttpGateConfig): SprtParams {
    return { p0: 0.02, p1: 0.1, alpha: c.alpha, beta: c.beta };
}

export function validateHttpGateConfig(c: HttpGateConfig): string[] {
    const problems: string[] = [];
    const int = (k: keyof HttpGateConfig, min: number) => {
        const v = c[k];
        if (typeof v !== "number" || !Number.isInteger(v) || v < min)
            problems.push(`gate.http.${k} must be an integer >= ${min} (got ${String(v)})`);
    };
    int("maxRequests", 1);
    int("minRequests", 1);
    int("concurrency", 1);
    int("timeoutMs", 1);
    int("maxP95Ms", 1);
    int("productionIntervalMs", 0);
    if (c.minRequests > c.maxRequests)
        problems.push(`gate.http.minRequests (${c.minRequests}) must not exceed maxRequests (${c.maxRequests})`);
    if (!(c.maxErrorRate > 0 && c.maxErrorRate < 1)) problems.push(`gate.http.maxErrorRate must be in (0,1) (got ${c.maxErrorRate})`);
    try {
        validateSprt(errorParams(c));
        validateSprt(slowParams(c));
    } catch (e) {
        problems.push(`gate.http: ${(e as Error).message}`);
    }
    return problems;
}

/** The gate's running statistics, reported after every candidate answer (progress display; cli/progress.ts). */
export interface GateProgress {
    gate: "http";
    requests: number;
    maxRequests: number;
    errors: number;
    slow: number;
    wrongVersion: number;
    production: { requests: number; failures: number; wrongSlot: number };
    /** The SPRT's running decisions: "continue" until the evidence is enough either way. */
    decisions: { errors: "accept" | "reject" | "continue"; slow: "accept" | "reject" | "continue" };
    elapsedMs: number;
}

export async function runHttpGate(
    target: GateTarget,
    config: HttpGateConfig,
    onProgress?: (p: GateProgress) => void,
    /** Cuts the gate short: aborted, it stops sending and throws InterruptedError (util/interrupt.ts). */
    signal?: AbortSignal,
): Promise<HttpGateReport> {
    const started = Date.now();
    const ep = errorParams(config);
    const sp = slowParams(config);
    // The cap's rule keeps the false-accept bound beta exactly (stats.ts: sprtCapRule).
    const errRule: SprtCapRule = sprtCapRule(ep, config.maxRequests, config.minRequests).rule;
    const slowRule: SprtCapRule = sprtCapRule(sp, config.maxRequests, config.minRequests).rule;
    let errState: SprtState = sprtInit();
    let slowState: SprtState = sprtInit();
    const latencies: number[] = [];
    let wrong = 0;
    let issued = 0;
    let verdict: { v: "pass" | "fail"; reason: string } | undefined;
    let firstProblem: string | undefined;
    const hostHeaders: Record<string, string> = target.hostHeader ? { host: target.hostHeader } : {};
    const url = new URL(config.path, target.url).toString();

    const prod = { requests: 0, failures: 0, wrongSlot: 0 };
    let stopProd = false;
    const productionLoop = (async () => {
        if (!target.live) return;
        while (!stopProd && !signal?.aborted) {
            const r = await httpRequest(url, {
                method: "POST",
                headers: hostHeaders,
                body: randomCalculationBody(),
                timeoutMs: config.timeoutMs,
            });
            prod.requests++;
            if (!r.ok) {
                prod.failures++;
                firstProblem ??= `production request: ${describeAnswer(r)}`;
            } else if (header(r.headers, "x-app-slot") !== target.live.slot || header(r.headers, "x-app-version") !== target.live.version) {
                prod.wrongSlot++;
                firstProblem ??= `production request answered by ${describeAnswer(r)}, expected live ${target.live.slot} ${target.live.version}`;
            }
            if (config.productionIntervalMs > 0) await pause(config.productionIntervalMs, signal);
        }
    })();

    const decide = () => {
        if (verdict) return;
        if (wrong > 0) {
            verdict = { v: "fail", reason: `an answer came from outside the candidate (${firstProblem ?? "wrong version"})` };
            return;
        }
        if (prod.failures > 0 || prod.wrongSlot > 0) {
            verdict = { v: "fail", reason: `production was disturbed during the gate (${firstProblem})` };
            return;
        }
        const de = sprtDecision(ep, errState);
        const ds = sprtDecision(sp, slowState);
        if (de === "reject")
            verdict = { v: "fail", reason: `error rate above ${config.maxErrorRate} (SPRT, ${errState.events}/${errState.n} failed)` };
        else if (ds === "reject")
            verdict = { v: "fail", reason: `p95 latency above ${config.maxP95Ms} ms (SPRT, ${slowState.events}/${slowState.n} slow)` };
        else if (de === "accept" && ds === "accept" && errState.n >= config.minRequests) {
            verdict = { v: "pass", reason: `error rate and latency within bounds (SPRT accepted after ${errState.n} requests)` };
        } else if (errState.n >= config.maxRequests) {
            const te = sprtCappedDecision(ep, errRule, errState);
            const ts = sprtCappedDecision(sp, slowRule, slowState);
            verdict =
                te === "accept" && ts === "accept"
                    ? {
                          v: "pass",
                          reason: `sample cap ${config.maxRequests} reached undecided; ${errState.events} failed (the cap accepts at most ${errRule.maxEventsAtCap}, keeping the false-accept bound ${config.beta})`,
                      }
                    : te === "reject"
                      ? {
                            v: "fail",
                            reason: `sample cap ${config.maxRequests} reached undecided; ${errState.events} failed, more than the ${errRule.maxEventsAtCap} the cap may accept while keeping the false-accept bound ${config.beta}`,
                        }
                      : {
                            v: "fail",
                            reason: `sample cap ${config.maxRequests} reached undecided; ${slowState.events} slow, more than the ${slowRule.maxEventsAtCap} the cap may accept while keeping the false-accept bound ${config.beta}`,
                        };
        }
    };

    const worker = async () => {
        while (!verdict && issued < config.maxRequests && !signal?.aborted) {
            issued++;
            const r = await httpRequest(url, {
                method: "POST",
                headers: target.preview ? { ...hostHeaders, [target.preview.header]: target.preview.value } : { ...hostHeaders },
                body: randomCalculationBody(),
                timeoutMs: config.timeoutMs,
            });
            if (verdict) break;
            const answeredBy = { slot: header(r.headers, "x-app-slot"), version: header(r.headers, "x-app-version") };
            if (!r.error && (answeredBy.slot !== target.candidate.slot || answeredBy.version !== target.candidate.version)) {
                wrong++;
                firstProblem ??= `preview request answered by ${describeAnswer(r)}, expected candidate ${target.candidate.slot} ${target.candidate.version}`;
            } else {
                const failed = !r.ok;
                if (failed) firstProblem ??= `preview request: ${describeAnswer(r)}`;
                errState = sprtUpdate(ep, errState, failed);
                slowState = sprtUpdate(sp, slowState, r.ms > config.maxP95Ms);
                latencies.push(r.ms);
            }
            decide();
            onProgress?.({
                gate: "http",
                requests: errState.n + wrong,
                maxRequests: config.maxRequests,
                errors: errState.events,
                slow: slowState.events,
                wrongVersion: wrong,
                production: { ...prod },
                decisions: { errors: sprtDecision(ep, errState), slow: sprtDecision(sp, slowState) },
                elapsedMs: Date.now() - started,
            });
        }
    };
    await Promise.all(Array.from({ length: config.concurrency }, worker));
    decide();
    stopProd = true;
    await productionLoop;
    throwIfInterrupted(signal);
    decide();
    // Production trouble seen after the candidate verdict still fails the gate.
    if (verdict?.v === "pass" && (prod.failures > 0 || prod.wrongSlot > 0)) {
        verdict = { v: "fail", reason: `production was disturbed during the gate (${firstProblem})` };
    }
    const final = verdict ?? { v: "fail" as const, reason: "no verdict" };
    return {
        gate: "http",
        verdict: final.v,
        reason: final.reason,
        requests: errState.n + wrong,
        errors: errState.events,
        slow: slowState.events,
        wrongVersion: wrong,
        errorRate: errState.n ? errState.events / errState.n : 0,
        errorRate95: wilson(errState.events, errState.n),
        p50Ms: round(percentile(latencies, 0.5)),
        p95Ms: round(percentile(latencies, 0.95)),
        sprt: {
            errors: { llr: round(errState.llr), decision: sprtDecision(ep, errState) },
            slow: { llr: round(slowState.llr), decision: sprtDecision(sp, slowState) },
        },
        production: prod,
        durationMs: Date.now() - started,
        firstProblem,
    };
}

function round(x: number): number {
    return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}

export function summarizeHttpGate(r: HttpGateReport): string {
    return (
        `http gate ${r.verdict.toUpperCase()}: ${r.reason}; ${r.requests} preview requests, errors ${r.errors} ` +
        `(${(r.errorRate * 100).toFixed(1)} %, 95 % CI ${(r.errorRate95.low * 100).toFixed(1)}–${(r.errorRate95.high * 100).toFixed(1)} %), ` +
        `p50 ${r.p50Ms} ms, p95 ${r.p95Ms} ms, wrong answers ${r.wrongVersion}; production ${r.production.requests} requests, ` +
        `${r.production.failures} failed, ${r.production.wrongSlot} from the wrong slot; ${r.durationMs} ms`
    );
}

/** The report of a gate that could not measure at all (its run threw past the error budget): nothing was counted. */
export function unmeasuredHttpGate(reason: string, durationMs: number): HttpGateReport {
    return {
        gate: "http",
        verdict: "inconclusive",
        reason,
        requests: 0,
        errors: 0,
        slow: 0,
        wrongVersion: 0,
        errorRate: 0,
        errorRate95: wilson(0, 0),
        p50Ms: Number.NaN,
        p95Ms: Number.NaN,
        sprt: { errors: { llr: 0, decision: "continue" }, slow: { llr: 0, decision: "continue" } },
        production: { requests: 0, failures: 0, wrongSlot: 0 },
        durationMs,
    };
}

export interface HttpGateOptions {
    /** Runs of the gate in a row that may throw and be retried, each after `retryMs` (gates/error-budget.ts). */
    errorBudget?: number;
    retryMs?: number;
    onProgress?: (p: GateProgress) => void;
    /** Called when the gate's run ends, verdict or not (the progress display's line is closed). */
    onDone?: () => void;
}

/**
 * The HTTP gate as a provider of the gate port. A failed request is evidence (it counts against the
 * candidate); only a run that throws is a failed measurement, retried within the error budget.
 */
export function httpGate(config: HttpGateConfig, opts: HttpGateOptions = {}): Gate<HttpGateReport> {
    return {
        kind: "http",
        async run(subject) {
            const t0 = Date.now();
            const target: GateTarget = {
                url: subject.endpoint.url,
                ...(subject.endpoint.hostHeader ? { hostHeader: subject.endpoint.hostHeader } : {}),
                ...(subject.preview ? { preview: subject.preview } : {}),
                candidate: subject.candidate,
                ...(subject.live ? { live: subject.live } : {}),
            };
            let measured: Measured<HttpGateReport>;
            try {
                measured = await measureWithin(() => runHttpGate(target, config, opts.onProgress, subject.signal), {
                    budget: opts.errorBudget ?? DEFAULT_ERROR_BUDGET,
                    retryMs: opts.retryMs ?? 1000,
                    what: "the http gate's run",
                    ...(subject.signal ? { sleep: interruptibleSleep(subject.signal) } : {}),
                });
            } finally {
                opts.onDone?.();
            }
            const report = measured.ok ? measured.value : unmeasuredHttpGate(measured.reason, Date.now() - t0);
            return { verdict: report.verdict, reason: report.reason, report, summary: summarizeHttpGate(report) };
        },
    };
}
