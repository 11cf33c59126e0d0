/**
 * The Application Insights gate: compares the candidate with the live slot over a window, from the
 * workspace-based `AppRequests` table (Log Analytics query API, `@azure/monitor-query-logs`).
 *
 * The app stamps every request with `Properties["app.slot"]` and `Properties["app.version"]` and sets
 * the cloud role name (`AppRoleName`) to the app name (docs/app.md). Counts use `sum(ItemCount)` so
 * sampled telemetry is weighted correctly; a minimum candidate sample is required and the gate polls
 * while telemetry is still being ingested (ingestion delay, typically 1–3 minutes).
 */
import type { LogsQueryClient, LogsTable } from "@azure/monitor-query-logs";
import { wilson } from "./stats";
import { DEFAULT_ERROR_BUDGET, measureWithin } from "./error-budget";
import { interruptibleSleep } from "../util/interrupt";
import type { Gate, GateReportBase } from "./gate";
import { formatDuration } from "../util/duration";

export interface AppInsightsGateConfig {
    /** Log Analytics workspace id (the GUID, platform output `logAnalyticsWorkspaceId`). */
    workspaceId: string;
    /** Cloud role name = the app name. */
    appName: string;
    /** The candidate needs at least this many requests (sum of ItemCount) in the window. */
    minRequests: number;
    /** How long to keep polling for the minimum sample (ingestion delay). */
    maxWaitMs: number;
    pollIntervalMs: number;
    /** Fail when candidate failure rate exceeds live's by more than this (absolute, e.g. 0.02). */
    maxFailureRateIncrease: number;
    /** Fail when candidate p95 exceeds live p95 × this ratio (and by more than `latencySlackMs`). */
    maxP95Ratio: number;
    latencySlackMs: number;
}

export const DEFAULT_APPINSIGHTS_GATE: Omit<AppInsightsGateConfig, "workspaceId" | "appName"> = {
    minRequests: 50,
    maxWaitMs: 5 * 60_000,
    pollIntervalMs: 15_000,
    maxFailureRateIncrease: 0.02,
    maxP95Ratio: 1.5,
    latencySlackMs: 20,
};

export interface SlotVersion {
    slot: string;
    version: string;
}

export interface SlotStats {
    requests: number;
    failed: number;
    p95Ms: number;
}

export interface AppInsightsReport extends GateReportBase<"appinsights"> {
    candidate: SlotStats & { failureRate: number; failureRate95: { low: number; high: number } };
    live?: SlotStats & { failureRate: number; failureRate95: { low: number; high: number } };
    polls: number;
    query: string;
}

const SLOT_RE = /^(blue|green|local)$/;
const VERSION_RE = /^[0-9A-Za-z.+-]+$/;
const APP_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The KQL lines selecting the app's requests of the given slots/versions, with `slot` and `version`
 * columns (shared with the step comparison, appinsights-compare.ts). Inputs are validated, so they
 * cannot break out of the string literals.
 */
export function requestsOf(appName: string, slots: SlotVersion[]): string[] {
    if (!APP_RE.test(appName)) throw new Error(`appinsights gate: app name "${appName}" is not a DNS label`);
    for (const s of slots) {
        if (!SLOT_RE.test(s.slot)) throw new Error(`appinsights gate: slot "${s.slot}" is not blue, green or local`);
        if (!VERSION_RE.test(s.version)) throw new Error(`appinsights gate: version "${s.version}" is not a version`);
    }
    const filter = slots.map((s) => `(slot == "${s.slot}" and version == "${s.version}")`).join(" or ");
    return [
        "AppRequests",
        `| where AppRoleName == "${appName}"`,
        '| extend slot = tostring(Properties["app.slot"]), version = tostring(Properties["app.version"])',
        `| where ${filter}`,
    ];
}

/** KQL for the per-slot summary. */
export function buildQuery(appName: string, slots: SlotVersion[]): string {
    return [
        ...requestsOf(appName, slots),
        "| summarize requests = sum(ItemCount), failed = sumif(ItemCount, Success == false), p95 = percentile(DurationMs, 95) by slot, version",
    ].join("\n");
}

/** Reads the summary table into per slot/version stats. */
export function parseSummary(table: LogsTable): Map<string, SlotStats> {
    const idx = (name: string) => {
        const i = table.columnDescriptors.findIndex((c) => c.name === name);
        if (i < 0) throw new Error(`appinsights gate: query result lacks column "${name}"`);
        return i;
    };
    const [iSlot, iVersion, iReq, iFailed, iP95] = ["slot", "version", "requests", "failed", "p95"].map(idx);
    const out = new Map<string, SlotStats>();
    for (const row of table.rows) {
        out.set(`${String(row[iSlot])}/${String(row[iVersion])}`, {
            requests: Number(row[iReq] ?? 0),
            failed: Number(row[iFailed] ?? 0),
            p95Ms: Number(row[iP95] ?? Number.NaN),
        });
    }
    return out;
}

/** The pure verdict: candidate vs live (or vs absolute bounds when there is no live sample). */
export function evaluate(
    config: AppInsightsGateConfig,
    candidate: SlotStats | undefined,
    live: SlotStats | undefined,
): { verdict: "pass" | "fail" | "wait"; reason: string } {
    const c = candidate ?? { requests: 0, failed: 0, p95Ms: Number.NaN };
    if (c.requests < config.minRequests) {
        return { verdict: "wait", reason: `candidate has ${c.requests} of ${config.minRequests} requests needed` };
    }
    const cRate = c.failed / c.requests;
    const lRate = live && live.requests > 0 ? live.failed / live.requests : 0;
    if (cRate > lRate + config.maxFailureRateIncrease) {
        return {
            verdict: "fail",
            reason: `candidate failure rate ${(cRate * 100).toFixed(2)} % exceeds live ${(lRate * 100).toFixed(2)} % by more than ${(config.maxFailureRateIncrease * 100).toFixed(2)} points`,
        };
    }
    if (live && live.requests > 0 && Number.isFinite(live.p95Ms) && Number.isFinite(c.p95Ms)) {
        const bound = Math.max(live.p95Ms * config.maxP95Ratio, live.p95Ms + config.latencySlackMs);
        if (c.p95Ms > bound) {
            return {
                verdict: "fail",
                reason: `candidate p95 ${c.p95Ms.toFixed(1)} ms exceeds ${bound.toFixed(1)} ms (live p95 ${live.p95Ms.toFixed(1)} ms × ${config.maxP95Ratio})`,
            };
        }
    }
    return {
        verdict: "pass",
        reason: `candidate failure rate ${(cRate * 100).toFixed(2)} % vs live ${(lRate * 100).toFixed(2)} %, p95 ${c.p95Ms.toFixed(1)} ms vs ${live ? live.p95Ms.toFixed(1) : "n/a"} ms`,
    };
}

/** The slice of LogsQueryClient the gate uses (the real client satisfies it). */
export type LogsQuerier = Pick<LogsQueryClient, "queryWorkspace">;

export interface AppInsightsGateOptions {
    /** Failed queries in a row that are retried, each after `pollIntervalMs` (gates/error-budget.ts); the next makes the gate inconclusive. */
    errorBudget?: number;
    sleep?: (ms: number) => Promise<void>;
}

/** One query of the gate's window: the summary table (a partial failure is a failed query, not data). */
async function queryOnce(client: LogsQuerier, config: AppInsightsGateConfig, query: string, since: Date): Promise<LogsTable | undefined> {
    const result = await client.queryWorkspace(config.workspaceId, query, { startTime: since, endTime: new Date() });
    if (result.status === "PartialFailure") throw new Error(`appinsights gate: query partially failed: ${result.partialError.message}`);
    return result.tables[0];
}

export async function runAppInsightsGate(
    client: LogsQuerier,
    config: AppInsightsGateConfig,
    who: { candidate: SlotVersion; live?: SlotVersion; since: Date },
    opts: AppInsightsGateOptions = {},
): Promise<AppInsightsReport> {
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const started = Date.now();
    const query = buildQuery(config.appName, who.live ? [who.candidate, who.live] : [who.candidate]);
    const withRate = (s: SlotStats | undefined) =>
        s ? { ...s, failureRate: s.requests ? s.failed / s.requests : 0, failureRate95: wilson(s.failed, s.requests) } : undefined;
    let polls = 0;
    for (;;) {
        polls++;
        const measured = await measureWithin(() => queryOnce(client, config, query, who.since), {
            budget: opts.errorBudget ?? DEFAULT_ERROR_BUDGET,
            retryMs: config.pollIntervalMs,
            what: "the App Insights query",
            sleep,
        });
        if (!measured.ok)
            return {
                gate: "appinsights",
                verdict: "inconclusive",
                reason: measured.reason,
                candidate: withRate({ requests: 0, failed: 0, p95Ms: Number.NaN })!,
                polls,
                durationMs: Date.now() - started,
                query,
            };
        const stats = measured.value ? parseSummary(measured.value) : new Map<string, SlotStats>();
        const cand = stats.get(`${who.candidate.slot}/${who.candidate.version}`);
        const live = who.live ? stats.get(`${who.live.slot}/${who.live.version}`) : undefined;
        const e = evaluate(config, cand, live);
        const waited = Date.now() - started;
        if (e.verdict !== "wait" || waited + config.pollIntervalMs > config.maxWaitMs) {
            return {
                gate: "appinsights",
                verdict: e.verdict === "pass" ? "pass" : "fail",
                reason: e.verdict === "wait" ? `not enough telemetry within ${config.maxWaitMs} ms: ${e.reason}` : e.reason,
                candidate: withRate(cand ?? { requests: 0, failed: 0, p95Ms: Number.NaN })!,
                live: withRate(live),
                polls,
                durationMs: Date.now() - started,
                query,
            };
        }
        await sleep(config.pollIntervalMs);
    }
}

/** One line for the step's report. */
export function summarizeAppInsightsGate(r: AppInsightsReport): string {
    const sample = r.verdict === "inconclusive" ? "" : `${r.candidate.requests} candidate requests, `;
    return `appinsights gate ${r.verdict.toUpperCase()}: ${r.reason} (${sample}${r.polls} polls, ${formatDuration(r.durationMs)})`;
}

/**
 * The App Insights gate as a provider of the gate port: the candidate against live over the last
 * `windowMs` of `AppRequests`. Configured when the settings name a workspace and a query client exists.
 */
export function appInsightsGate(
    config: AppInsightsGateConfig & { windowMs: number },
    client: LogsQuerier,
    opts: AppInsightsGateOptions = {},
): Gate<AppInsightsReport> {
    return {
        kind: "appinsights",
        async run(subject) {
            const report = await runAppInsightsGate(
                client,
                config,
                {
                    candidate: subject.candidate,
                    // On a first release the candidate is live itself: there is nothing to compare it with.
                    ...(subject.live && subject.live.slot !== subject.candidate.slot ? { live: subject.live } : {}),
                    since: new Date(Date.now() - config.windowMs),
                },
                subject.signal ? { ...opts, sleep: interruptibleSleep(subject.signal) } : opts,
            );
            return { verdict: report.verdict, reason: report.reason, report, summary: summarizeAppInsightsGate(report) };
        },
    };
}
