/**
 * The blue/green comparison as KQL over `AppRequests`, built from typed pieces. Pure.
 *
 * Every query starts from the same base: the app's requests (`AppRoleName`), health probes left
 * out, slot and version read from the properties the app stamps (`app.slot`, `app.version`), only
 * blue and green. Counts are `sum(ItemCount)` and percentiles `percentilew(…, ItemCount, …)`, so
 * sampled telemetry is weighted right. The workbook, the alerts and the Grafana dashboard all use
 * these builders; tests/observability.spec.ts checks each with the suite's tests/support/kql-check.ts.
 *
 * What AppRequests cannot tell: a preview request (sent with the preview header) from a production
 * one — both are requests of the candidate's slot. "Live" is therefore inferred: the slot that
 * answered most requests in the window (production outweighs the gates' previews by far).
 */

/** Where a query runs: the workbook's time range applies by itself; Grafana needs its macro. */
export type QueryFlavour = "workbook" | "alert" | "grafana";

export interface QueryOptions {
    /** Cloud role name; a DNS label, or a Grafana variable reference such as `${app}`. */
    appName: string;
    flavour: QueryFlavour;
    /** Time bin of charts (KQL timespan). */
    bin?: string;
}

/** Health probes answer the kubelet, not users. */
export const PROBE_OPERATIONS = ["GET /healthz", "GET /readyz"] as const;
export const SLOTS = ["blue", "green"] as const;
const APP_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?|\$\{[a-z]+\})$/;
const TIMESPAN = /^[1-9][0-9]*(s|m|h|d)$/;

function quote(s: string): string {
    return JSON.stringify(s);
}

/** The base pipeline (a list of lines); every query below extends it. */
export function baseLines(o: QueryOptions): string[] {
    if (!APP_NAME.test(o.appName)) throw new Error(`queries: app name ${quote(o.appName)} is not a DNS label or a \${variable}`);
    return [
        "AppRequests",
        ...(o.flavour === "grafana" ? ["| where $__timeFilter(TimeGenerated)"] : []),
        `| where AppRoleName == ${quote(o.appName)}`,
        `| where Name !in (${PROBE_OPERATIONS.map(quote).join(", ")})`,
        '| extend slot = tostring(Properties["app.slot"]), version = tostring(Properties["app.version"])',
        `| where slot in (${SLOTS.map(quote).join(", ")})`,
    ];
}

function binOf(o: QueryOptions): string {
    const b = o.bin ?? "1m";
    if (!TIMESPAN.test(b)) throw new Error(`queries: bin ${quote(b)} is not a timespan such as 1m`);
    return b;
}

const SERIES = 'series = strcat(slot, " ", version)';
const WEIGHTED_FAILED = "failed = sumif(ItemCount, Success == false)";

/** Requests per time bin, one series per slot and version. */
export function requestsPerMinute(o: QueryOptions): string {
    return [
        ...baseLines(o),
        `| summarize requests = sum(ItemCount) by bin(TimeGenerated, ${binOf(o)}), ${SERIES}`,
        "| order by TimeGenerated asc",
    ].join("\n");
}

/** Failure rate (percent of weighted requests) per time bin and slot/version. */
export function failureRate(o: QueryOptions): string {
    return [
        ...baseLines(o),
        `| summarize total = sum(ItemCount), ${WEIGHTED_FAILED} by bin(TimeGenerated, ${binOf(o)}), ${SERIES}`,
        "| extend failureRatePercent = round(100.0 * failed / total, 2)",
        "| project TimeGenerated, series, failureRatePercent",
        "| order by TimeGenerated asc",
    ].join("\n");
}

/** A weighted latency percentile (50, 95, …) per time bin and slot/version. */
export function latencyPercentile(o: QueryOptions, percentile: number): string {
    if (!Number.isInteger(percentile) || percentile < 1 || percentile > 99)
        throw new Error(`queries: percentile ${percentile} is not 1–99`);
    return [
        ...baseLines(o),
        `| summarize p${percentile}Ms = percentilew(DurationMs, ItemCount, ${percentile}) by bin(TimeGenerated, ${binOf(o)}), ${SERIES}`,
        "| order by TimeGenerated asc",
    ].join("\n");
}

/** The split of the last 5 minutes: requests, failures, p95 and share per slot/version. */
export function currentSplit(o: QueryOptions): string {
    const recent = "| where TimeGenerated > ago(5m)";
    const total = [...baseLines(o), recent, "| summarize sum(ItemCount)"].join(" ");
    return [
        ...baseLines(o),
        recent,
        `| summarize requests = sum(ItemCount), ${WEIGHTED_FAILED}, p95Ms = percentilew(DurationMs, ItemCount, 95) by slot, version`,
        `| extend sharePercent = round(100.0 * requests / toscalar(${total}), 1)`,
        "| order by requests desc",
    ].join("\n");
}

/** Release events seen in the data: each slot/version's first and last request. */
export function versionsSeen(o: QueryOptions): string {
    return [
        ...baseLines(o),
        "| summarize firstSeen = min(TimeGenerated), lastSeen = max(TimeGenerated), requests = sum(ItemCount) by slot, version",
        "| order by firstSeen asc",
    ].join("\n");
}

/** Release events seen in the data: the minutes where the slot/version answering most requests changed. */
export function productionSwitches(o: QueryOptions): string {
    return [
        ...baseLines(o),
        `| summarize requests = sum(ItemCount) by minute = bin(TimeGenerated, ${binOf(o)}), slot, version`,
        "| summarize arg_max(requests, slot, version) by minute",
        "| order by minute asc",
        '| extend live = strcat(slot, " ", version)',
        "| extend previous = prev(live)",
        "| where isempty(previous) or previous != live",
        '| project TimeGenerated = minute, event = iff(isempty(previous), strcat("first minute in view: ", live), strcat("production moved ", previous, " -> ", live)), requests',
    ].join("\n");
}

/**
 * The alerts' query: the live slot (most requests in the alert window) with its failure rate and
 * weighted p95, only when it served at least `minRequests` (no alert on an idle service).
 */
export function liveSlotHealth(o: QueryOptions, minRequests: number): string {
    if (!Number.isInteger(minRequests) || minRequests < 1) throw new Error(`queries: minRequests ${minRequests} is not a positive integer`);
    return [
        ...baseLines(o),
        `| summarize requests = sum(ItemCount), ${WEIGHTED_FAILED}, p95Ms = percentilew(DurationMs, ItemCount, 95) by slot, version`,
        "| top 1 by requests desc",
        `| where requests >= ${minRequests}`,
        "| extend failureRatePercent = round(100.0 * failed / requests, 2)",
        "| project slot, version, requests, failureRatePercent, p95Ms",
    ].join("\n");
}

export interface NamedQuery {
    /** Stable id (workbook item name, Grafana refId source). */
    id: string;
    title: string;
    query: string;
    /** How it is drawn. */
    visual: "timechart" | "table";
    /** Columns the visual needs in the result. */
    columns: string[];
}

/** The comparison's queries, in display order. */
export function comparisonQueries(o: QueryOptions): NamedQuery[] {
    return [
        {
            id: "requests-per-minute",
            title: "Production requests per minute by slot and version",
            query: requestsPerMinute(o),
            visual: "timechart",
            columns: ["TimeGenerated", "series", "requests"],
        },
        {
            id: "failure-rate",
            title: "Failure rate (%) by slot and version",
            query: failureRate(o),
            visual: "timechart",
            columns: ["TimeGenerated", "series", "failureRatePercent"],
        },
        {
            id: "latency-p50",
            title: "p50 latency (ms, weighted by ItemCount)",
            query: latencyPercentile(o, 50),
            visual: "timechart",
            columns: ["TimeGenerated", "series", "p50Ms"],
        },
        {
            id: "latency-p95",
            title: "p95 latency (ms, weighted by ItemCount)",
            query: latencyPercentile(o, 95),
            visual: "timechart",
            columns: ["TimeGenerated", "series", "p95Ms"],
        },
        {
            id: "current-split",
            title: "Current split (last 5 minutes)",
            query: currentSplit(o),
            visual: "table",
            columns: ["slot", "version", "requests", "failed", "p95Ms", "sharePercent"],
        },
        {
            id: "production-switches",
            title: "Release events: production moved",
            query: productionSwitches(o),
            visual: "table",
            columns: ["TimeGenerated", "event", "requests"],
        },
        {
            id: "versions-seen",
            title: "Release events: versions seen per slot",
            query: versionsSeen(o),
            visual: "table",
            columns: ["slot", "version", "firstSeen", "lastSeen", "requests"],
        },
    ];
}
