/**
 * The blue/green comparison as a Grafana dashboard (for Azure Managed Grafana), built from the same
 * query builders as the workbook. Pure. Queries go through the Azure Monitor data source
 * (`grafana-azure-monitor-datasource`, query type "Azure Log Analytics", KQL with Grafana's
 * `$__timeFilter` macro); the data source, the workspace and the app name are dashboard variables.
 * `npm run dashboards` writes dashboards/grafana/phoenix-blue-green.json from this module, and
 * tests/observability.spec.ts fails when the committed file differs.
 */
import { comparisonQueries, type NamedQuery } from "./queries";

export const GRAFANA_DATASOURCE_TYPE = "grafana-azure-monitor-datasource";
export const DASHBOARD_UID = "phoenix-blue-green";

export interface GrafanaTarget {
    refId: string;
    datasource: { type: typeof GRAFANA_DATASOURCE_TYPE; uid: "${datasource}" };
    queryType: "Azure Log Analytics";
    azureLogAnalytics: { query: string; resources: ["${workspace}"]; resultFormat: "time_series" | "table" };
}

export interface GrafanaPanel {
    id: number;
    type: "timeseries" | "table";
    title: string;
    gridPos: { h: number; w: number; x: number; y: number };
    datasource: GrafanaTarget["datasource"];
    targets: GrafanaTarget[];
    fieldConfig: { defaults: { unit?: string }; overrides: [] };
    options: Record<string, unknown>;
}

export interface GrafanaVariable {
    name: string;
    label: string;
    type: "datasource" | "textbox";
    query: string;
    current?: { text: string; value: string };
    hide: 0;
}

export interface GrafanaDashboard {
    uid: string;
    title: string;
    description: string;
    tags: string[];
    timezone: "utc";
    schemaVersion: number;
    editable: true;
    refresh: string;
    time: { from: string; to: string };
    templating: { list: GrafanaVariable[] };
    panels: GrafanaPanel[];
}

const UNITS: Record<string, string> = {
    "failure-rate": "percent",
    "latency-p50": "ms",
    "latency-p95": "ms",
    "requests-per-minute": "short",
};

function panel(q: NamedQuery, id: number, gridPos: GrafanaPanel["gridPos"]): GrafanaPanel {
    const datasource = { type: GRAFANA_DATASOURCE_TYPE, uid: "${datasource}" } as const;
    return {
        id,
        type: q.visual === "timechart" ? "timeseries" : "table",
        title: q.title,
        gridPos,
        datasource,
        targets: [
            {
                refId: "A",
                datasource,
                queryType: "Azure Log Analytics",
                azureLogAnalytics: {
                    query: q.query,
                    resources: ["${workspace}"],
                    resultFormat: q.visual === "timechart" ? "time_series" : "table",
                },
            },
        ],
        fieldConfig: { defaults: UNITS[q.id] ? { unit: UNITS[q.id] } : {}, overrides: [] },
        options:
            q.visual === "timechart"
                ? { legend: { displayMode: "table", placement: "bottom", calcs: ["max", "mean"] } }
                : { showHeader: true },
    };
}

/** The dashboard: four time series (two per row), then the split and the release events. */
export function blueGreenDashboard(): GrafanaDashboard {
    const queries = comparisonQueries({ appName: "${app}", flavour: "grafana" });
    const panels: GrafanaPanel[] = [];
    let y = 0;
    queries
        .filter((q) => q.visual === "timechart")
        .forEach((q, i) => {
            panels.push(panel(q, panels.length + 1, { h: 8, w: 12, x: (i % 2) * 12, y }));
            if (i % 2 === 1) y += 8;
        });
    for (const q of queries.filter((x) => x.visual === "table")) {
        panels.push(panel(q, panels.length + 1, { h: 7, w: 24, x: 0, y }));
        y += 7;
    }
    return {
        uid: DASHBOARD_UID,
        title: "Phoenix: blue vs green",
        description:
            "Production requests, failure rate and weighted p50/p95 latency of the blue and green slots by version, the current split and release events (AppRequests, Log Analytics).",
        tags: ["phoenix", "blue-green"],
        timezone: "utc",
        schemaVersion: 39,
        editable: true,
        refresh: "1m",
        time: { from: "now-4h", to: "now" },
        templating: {
            list: [
                { name: "datasource", label: "Azure Monitor data source", type: "datasource", query: GRAFANA_DATASOURCE_TYPE, hide: 0 },
                { name: "workspace", label: "Log Analytics workspace resource id", type: "textbox", query: "", hide: 0 },
                {
                    name: "app",
                    label: "App (cloud role name)",
                    type: "textbox",
                    query: "calculator",
                    current: { text: "calculator", value: "calculator" },
                    hide: 0,
                },
            ],
        },
        panels,
    };
}

/** The committed file's text (stable formatting, trailing newline). */
export function dashboardJson(): string {
    return `${JSON.stringify(blueGreenDashboard(), null, 2)}\n`;
}
