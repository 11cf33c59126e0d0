/**
 * A typed builder for the blue/green Azure Monitor workbook (`Notebook/1.0` serializedData). Pure:
 * the component only serializes what this returns. Items are markdown text (type 1), the time
 * range parameter (type 9) and KQL queries against the Log Analytics workspace (type 3).
 */
import { createHash } from "crypto";
import { comparisonQueries, type NamedQuery } from "./queries";

export const WORKBOOK_SCHEMA = "https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json";
export const WORKSPACE_RESOURCE_TYPE = "microsoft.operationalinsights/workspaces";
/** The time range parameter every query follows. */
export const TIME_PARAMETER = "TimeRange";

export interface TextItem {
    type: 1;
    name: string;
    content: { json: string };
}

export interface TimeRangeParameter {
    id: string;
    version: "KqlParameterItem/1.0";
    name: string;
    label: string;
    type: 4;
    isRequired: true;
    value: { durationMs: number };
    typeSettings: { selectableValues: Array<{ durationMs: number }>; allowCustom: true };
}

export interface ParametersItem {
    type: 9;
    name: string;
    content: {
        version: "KqlParameterItem/1.0";
        parameters: TimeRangeParameter[];
        style: "pills";
        queryType: 0;
        resourceType: typeof WORKSPACE_RESOURCE_TYPE;
    };
}

export interface QueryItem {
    type: 3;
    name: string;
    customWidth?: string;
    content: {
        version: "KqlItem/1.0";
        title: string;
        query: string;
        size: 0 | 1;
        queryType: 0;
        resourceType: typeof WORKSPACE_RESOURCE_TYPE;
        crossComponentResources: string[];
        timeContextFromParameter: typeof TIME_PARAMETER;
        visualization: "timechart" | "table";
    };
}

export type WorkbookItem = TextItem | ParametersItem | QueryItem;

export interface Workbook {
    version: "Notebook/1.0";
    items: WorkbookItem[];
    fallbackResourceIds: string[];
    $schema: typeof WORKBOOK_SCHEMA;
}

export interface BlueGreenWorkbookArgs {
    /** The service's name: the queries select its requests, the title shows it. */
    readonly appName: string;
    /** Environment name, shown in the workbook's title. */
    readonly environment: string;
    /** ARM id of the Log Analytics workspace holding AppRequests. */
    readonly workspaceResourceId: string;
}

const HOUR = 3_600_000;

export function text(name: string, markdown: string): TextItem {
    return { type: 1, name, content: { json: markdown } };
}

export function timeRange(defaultMs: number): ParametersItem {
    const choices = [15 * 60_000, HOUR, 4 * HOUR, 12 * HOUR, 24 * HOUR, 7 * 24 * HOUR];
    return {
        type: 9,
        name: "parameters",
        content: {
            version: "KqlParameterItem/1.0",
            parameters: [
                {
                    id: "8f3c2d1e-0b6a-4c51-9e0f-5a7d2c4b1e90",
                    version: "KqlParameterItem/1.0",
                    name: TIME_PARAMETER,
                    label: "Time range",
                    type: 4,
                    isRequired: true,
                    value: { durationMs: defaultMs },
                    typeSettings: { selectableValues: choices.map((durationMs) => ({ durationMs })), allowCustom: true },
                },
            ],
            style: "pills",
            queryType: 0,
            resourceType: WORKSPACE_RESOURCE_TYPE,
        },
    };
}

export function queryItem(q: NamedQuery, workspaceResourceId: string, customWidth?: string): QueryItem {
    return {
        type: 3,
        name: q.id,
        ...(customWidth ? { customWidth } : {}),
        content: {
            version: "KqlItem/1.0",
            title: q.title,
            query: q.query,
            size: q.visual === "table" ? 1 : 0,
            queryType: 0,
            resourceType: WORKSPACE_RESOURCE_TYPE,
            crossComponentResources: [workspaceResourceId],
            timeContextFromParameter: TIME_PARAMETER,
            visualization: q.visual,
        },
    };
}

const WORKSPACE_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.OperationalInsights\/workspaces\/[^/]+$/i;

/** The blue/green comparison workbook of one environment. */
export function blueGreenWorkbook(args: BlueGreenWorkbookArgs): Workbook {
    if (!WORKSPACE_ID.test(args.workspaceResourceId)) {
        throw new Error(
            `workbook: workspaceResourceId ${JSON.stringify(args.workspaceResourceId)} is not a Log Analytics workspace resource id`,
        );
    }
    const queries = comparisonQueries({ appName: args.appName, flavour: "workbook" });
    const charts = queries.filter((q) => q.visual === "timechart");
    const tables = queries.filter((q) => q.visual === "table");
    return {
        version: "Notebook/1.0",
        items: [
            text(
                "intro",
                [
                    `## ${args.appName} (${args.environment}): blue vs green`,
                    'Production requests of the two slots from `AppRequests`, by slot and version (`Properties["app.slot"]`, `Properties["app.version"]`).',
                    "Counts are `sum(ItemCount)` and percentiles `percentilew(DurationMs, ItemCount, …)`, so sampling does not skew them.",
                    "Preview requests (the release gates, sent with the preview header) are in the candidate's series too: AppRequests does not record the header.",
                    "Release events are read from the data: the minute the slot answering most requests changed, and each version's first and last request.",
                ].join("\n\n"),
            ),
            timeRange(4 * HOUR),
            ...charts.map((q) => queryItem(q, args.workspaceResourceId, "50")),
            ...tables.map((q) => queryItem(q, args.workspaceResourceId)),
        ],
        fallbackResourceIds: [args.workspaceResourceId],
        $schema: WORKBOOK_SCHEMA,
    };
}

/** The workbook's `serializedData`. */
export function serializeWorkbook(w: Workbook): string {
    return JSON.stringify(w);
}

/**
 * A stable name-based UUID (RFC 4122 version 5, SHA-1) for the workbook's `resourceName`, which
 * Azure requires to be a UUID: the same app and environment always name the same workbook.
 */
export function workbookResourceName(seed: string): string {
    // RFC 4122 URL namespace.
    const ns = Buffer.from("6ba7b8119dad11d180b400c04fd430c8", "hex");
    const h = createHash("sha1")
        .update(Buffer.concat([ns, Buffer.from(seed, "utf8")]))
        .digest();
    h[6] = (h[6] & 0x0f) | 0x50;
    h[8] = (h[8] & 0x3f) | 0x80;
    const hex = h.subarray(0, 16).toString("hex");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
