/**
 * The Azure source of the step comparison: candidate and live counts over the step's window from
 * Application Insights (`AppRequests` in the Log Analytics workspace), in the shape compare.ts takes.
 *
 * The query is the App Insights gate's (appinsights-gate.ts: same filter on `AppRoleName` and
 * `Properties["app.slot"]` / `Properties["app.version"]`), summarised per slot/version and weighted by
 * `ItemCount` so sampled telemetry counts right: requests, failed, total duration, the weighted p95
 * (`percentilew`, for the report) and a latency histogram over the comparison's bucket edges. The
 * window runs from the step's start to now, so successive polls give cumulative counts. Telemetry
 * arrives 1–3 minutes late: in Azure the step's minimum bake time should cover that delay.
 */
import type { LogsTable } from "@azure/monitor-query-logs";
import { requestsOf, type LogsQuerier, type SlotVersion } from "./appinsights-gate";
import type { TrafficCount } from "@phoenix/release-model";

export interface StepCountsSource {
    /** Log Analytics workspace id (GUID). */
    readonly workspaceId: string;
    /** Cloud role name = the app name. */
    readonly appName: string;
    /** The comparison's latency bucket edges (ms), strictly ascending. */
    readonly bucketsMs: readonly number[];
}

export interface StepCounts {
    readonly candidate: TrafficCount;
    readonly live: TrafficCount;
    /** Weighted p95 per arm (ms; NaN without requests), for the report. */
    readonly p95Ms: { readonly candidate: number; readonly live: number };
    /** The KQL that produced them. */
    readonly query: string;
}

function checkEdges(edges: readonly number[]): void {
    if (!Array.isArray(edges) || edges.length < 1 || !edges.every((x, i) => Number.isFinite(x) && x > 0 && (i === 0 || x > edges[i - 1]))) {
        throw new Error(`appinsights compare: bucketsMs must be strictly ascending positive numbers (got ${JSON.stringify(edges)})`);
    }
}

/** KQL summarising the two arms (one row per slot/version present in the window). */
export function buildCompareQuery(appName: string, candidate: SlotVersion, live: SlotVersion, bucketsMs: readonly number[]): string {
    checkEdges(bucketsMs);
    // Bucket i: (edge[i-1], edge[i]]; the overflow bucket is what remains (parseCompareTable), so the buckets always sum to `requests`.
    const buckets = bucketsMs.map((e, i) =>
        i === 0
            ? `b${i} = sumif(ItemCount, DurationMs <= ${e})`
            : `b${i} = sumif(ItemCount, DurationMs > ${bucketsMs[i - 1]} and DurationMs <= ${e})`,
    );
    return [
        ...requestsOf(appName, [candidate, live]),
        "| summarize requests = sum(ItemCount), failed = sumif(ItemCount, Success == false), totalMs = sum(DurationMs * ItemCount),",
        "    p95 = percentilew(DurationMs, ItemCount, 95),",
        `    ${buckets.join(", ")}`,
        "    by slot, version",
    ].join("\n");
}

const key = (s: SlotVersion) => `${s.slot}/${s.version}`;

/** Reads the summary table into counts per `slot/version`. */
export function parseCompareTable(table: LogsTable, bucketsMs: readonly number[]): Map<string, TrafficCount & { p95Ms: number }> {
    const idx = (name: string) => {
        const i = table.columnDescriptors.findIndex((c) => c.name === name);
        if (i < 0) throw new Error(`appinsights compare: query result lacks column "${name}"`);
        return i;
    };
    const cols = {
        slot: idx("slot"),
        version: idx("version"),
        requests: idx("requests"),
        failed: idx("failed"),
        totalMs: idx("totalMs"),
        p95: idx("p95"),
    };
    const bucketCols = bucketsMs.map((_, i) => idx(`b${i}`));
    const count = (row: unknown[], i: number, what: string) => {
        const v = Number(row[i] ?? 0);
        if (!Number.isSafeInteger(v) || v < 0) throw new Error(`appinsights compare: ${what} is not a count (got ${String(row[i])})`);
        return v;
    };
    const out = new Map<string, TrafficCount & { p95Ms: number }>();
    for (const row of table.rows) {
        const requests = count(row, cols.requests, "requests");
        const latency = bucketCols.map((i, b) => count(row, i, `b${b}`));
        const inBuckets = latency.reduce((a, b) => a + b, 0);
        if (inBuckets > requests) throw new Error(`appinsights compare: bucket counts (${inBuckets}) exceed requests (${requests})`);
        latency.push(requests - inBuckets);
        out.set(`${String(row[cols.slot])}/${String(row[cols.version])}`, {
            requests,
            failed: count(row, cols.failed, "failed"),
            totalMs: Number(row[cols.totalMs] ?? 0),
            latency,
            p95Ms: row[cols.p95] === null || row[cols.p95] === undefined ? Number.NaN : Number(row[cols.p95]),
        });
    }
    return out;
}

/**
 * One poll: both arms' cumulative counts from `since` (the step's start) to `until` (default now).
 * An arm without telemetry yet has zero counts.
 */
export async function queryStepCounts(
    client: LogsQuerier,
    source: StepCountsSource,
    who: { candidate: SlotVersion; live: SlotVersion; since: Date; until?: Date },
): Promise<StepCounts> {
    const query = buildCompareQuery(source.appName, who.candidate, who.live, source.bucketsMs);
    const result = await client.queryWorkspace(source.workspaceId, query, { startTime: who.since, endTime: who.until ?? new Date() });
    if (result.status === "PartialFailure") throw new Error(`appinsights compare: query partially failed: ${result.partialError.message}`);
    const table = result.tables[0];
    const rows = table ? parseCompareTable(table, source.bucketsMs) : new Map<string, TrafficCount & { p95Ms: number }>();
    const empty = () => ({
        requests: 0,
        failed: 0,
        totalMs: 0,
        latency: new Array<number>(source.bucketsMs.length + 1).fill(0),
        p95Ms: Number.NaN,
    });
    const c = rows.get(key(who.candidate)) ?? empty();
    const l = rows.get(key(who.live)) ?? empty();
    const arm = (a: TrafficCount & { p95Ms: number }): TrafficCount => ({
        requests: a.requests,
        failed: a.failed,
        totalMs: a.totalMs,
        latency: a.latency,
    });
    return { candidate: arm(c), live: arm(l), p95Ms: { candidate: c.p95Ms, live: l.p95Ms }, query };
}
