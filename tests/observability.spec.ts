/**
 * The observability queries as code: the KQL checker (tokenizer + pipeline/column validator) on
 * every query the workbook, the alerts and the Grafana dashboard ship, and on deliberately broken
 * queries it must refuse; the workbook builder's structure; the committed Grafana JSON equal to its
 * generator and its targets on the Azure Monitor data source.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as fc from "fast-check";
import { APP_REQUESTS_COLUMNS } from "./support/app-requests-columns";
import { blueGreenDashboard, dashboardJson, GRAFANA_DATASOURCE_TYPE } from "../components/observability/grafana";
import { checkKql, describeProblems } from "./support/kql-check";
import { comparisonQueries, liveSlotHealth, requestsPerMinute } from "../components/observability/queries";
import { blueGreenWorkbook, workbookResourceName, type QueryItem } from "../components/observability/workbook";
import { DASHBOARD_FILE } from "../dashboards/generate";

const WS = "/subscriptions/s/resourceGroups/phoenix-dev-rg/providers/Microsoft.OperationalInsights/workspaces/phoenix-dev-logs";
const BASE = 'AppRequests\n| extend slot = tostring(Properties["app.slot"]), version = tostring(Properties["app.version"])';

function problems(q: string): string {
    return describeProblems(q, checkKql(q).problems);
}

describe("observability: KQL checker", () => {
    for (const flavour of ["workbook", "alert", "grafana"] as const) {
        it(`accepts every ${flavour} query and reports the columns its visual needs`, () => {
            const appName = flavour === "grafana" ? "${app}" : "calculator";
            for (const q of comparisonQueries({ appName, flavour })) {
                const r = checkKql(q.query);
                assert.ok(r.ok, `${q.id}:\n${describeProblems(q.query, r.problems)}`);
                assert.deepEqual(r.columns, q.columns, q.id);
            }
            const alert = checkKql(liveSlotHealth({ appName, flavour }, 20));
            assert.ok(alert.ok);
            assert.deepEqual(alert.columns, ["slot", "version", "requests", "failureRatePercent", "p95Ms"]);
        });
    }

    it("accepts every query built from any config the component accepts (a DNS-label app name, a positive minRequests)", () => {
        // The component validates these two values and no longer runs the checker: this is what makes that safe.
        const dnsLabel = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
        fc.assert(
            fc.property(dnsLabel, fc.integer({ min: 1, max: 1_000_000 }), (appName, minRequests) => {
                const built = [
                    ...comparisonQueries({ appName, flavour: "workbook" }).map((q) => q.query),
                    liveSlotHealth({ appName, flavour: "alert" }, minRequests),
                ];
                for (const q of built) assert.equal(problems(q), "", `${appName}/${minRequests}:\n${q}`);
            }),
            { numRuns: 200 },
        );
    });

    it("checks columns against the committed AppRequests list (the brief's columns are in it)", () => {
        for (const c of [
            "AppRoleName",
            "AppVersion",
            "DurationMs",
            "Success",
            "ItemCount",
            "ResultCode",
            "Properties",
            "TimeGenerated",
            "Name",
        ])
            assert.ok(APP_REQUESTS_COLUMNS.includes(c), c);
    });

    it("fails on a misspelled column, naming it, its position and the near match", () => {
        const good = requestsPerMinute({ appName: "calculator", flavour: "workbook" });
        assert.ok(checkKql(good).ok);
        const bad = good.replace("sum(ItemCount)", "sum(ItemCnt)");
        const r = checkKql(bad);
        assert.equal(r.ok, false);
        assert.equal(r.problems.length, 1);
        assert.match(problems(bad), /^6:\d+ unknown column "ItemCnt" \(did you mean "ItemCount"\?\)$/);
        assert.match(
            problems(good.replace("where AppRoleName ==", "where AppRolename ==")),
            /unknown column "AppRolename" \(did you mean "AppRoleName"\?\)/,
        );
        assert.match(problems(`${BASE}\n| summarize p95 = percentilew(DurationMS, ItemCount, 95) by slot`), /unknown column "DurationMS"/);
    });

    it("fails on a column used after summarize or project dropped it", () => {
        assert.match(
            problems(`${BASE}\n| summarize requests = sum(ItemCount) by slot\n| where Success == false`),
            /unknown column "Success"/,
        );
        assert.match(problems(`${BASE}\n| project slot, version\n| extend d = DurationMs * 2`), /unknown column "DurationMs"/);
        assert.match(problems(`${BASE}\n| project-away slot\n| where slot == "blue"`), /unknown column "slot"/);
        // …and accepts the columns those operators create.
        assert.equal(problems(`${BASE}\n| summarize n = sum(ItemCount) by s = slot\n| extend twice = n * 2\n| where s == "blue"`), "");
    });

    it("fails on an unknown table, operator or function, and on an aggregation outside summarize", () => {
        assert.match(problems("AppRequest\n| take 5"), /unknown table "AppRequest"/);
        assert.match(problems(`${BASE}\n| evaluate autocluster()`), /unknown or unsupported operator "evaluate"/);
        assert.match(problems(`${BASE}\n| extend x = tostrin(slot)`), /unknown function "tostrin\(\)"/);
        assert.match(problems(`${BASE}\n| extend n = sum(ItemCount)`), /aggregation "sum\(\)" outside summarize/);
        assert.match(
            problems(`${BASE}\n| summarize p = percentilew(DurationMs, 95) by slot`),
            /percentilew\(\) takes 3 argument\(s\), got 2/,
        );
    });

    it("fails on a window function over unserialized rows", () => {
        const q = `${BASE}\n| summarize n = sum(ItemCount) by slot\n| extend before = prev(n)`;
        assert.match(problems(q), /window function "prev\(\)" needs serialized rows/);
        assert.equal(problems(q.replace("| extend before", "| order by n desc\n| extend before")), "");
    });

    it("fails on syntax errors: a dangling pipe, an unbalanced bracket, an unterminated string, a stray character", () => {
        assert.match(problems(`${BASE}\n|`), /expected an operator after "\|", found the end of the query/);
        assert.match(problems(`${BASE}\n| where (slot == "blue"`), /expected "\)"/);
        assert.match(problems(`${BASE}\n| where slot == "blue`), /unterminated string literal/);
        assert.match(problems(`${BASE}\n| where slot == "blue" ;`), /unexpected character ";"/);
        assert.match(problems(`${BASE} slot`), /expected "\|" or the end of the query/);
    });

    it("checks sub-pipelines in toscalar() against their own table", () => {
        assert.equal(problems(`${BASE}\n| extend total = toscalar(AppRequests | summarize sum(ItemCount))`), "");
        assert.match(problems(`${BASE}\n| extend total = toscalar(AppRequests | summarize sum(ItemCout))`), /unknown column "ItemCout"/);
        // The outer columns are not visible inside.
        assert.match(
            problems(`${BASE}\n| extend total = toscalar(AppRequests | where slot == "blue" | summarize sum(ItemCount))`),
            /unknown column "slot"/,
        );
    });

    it("refuses bad builder input instead of writing KQL with it", () => {
        assert.throws(() => requestsPerMinute({ appName: 'x" or 1 == 1', flavour: "workbook" }), /not a DNS label/);
        assert.throws(() => requestsPerMinute({ appName: "calculator", flavour: "workbook", bin: "1 minute" }), /not a timespan/);
        assert.throws(() => liveSlotHealth({ appName: "calculator", flavour: "alert" }, 0), /not a positive integer/);
    });
});

describe("observability: workbook builder", () => {
    it("has the intro, the time range and the seven comparison queries on the workspace", () => {
        const wb = blueGreenWorkbook({ appName: "calculator", environment: "dev", workspaceResourceId: WS });
        assert.equal(wb.version, "Notebook/1.0");
        assert.deepEqual(
            wb.items.map((i) => i.type),
            [1, 9, 3, 3, 3, 3, 3, 3, 3],
        );
        const queries = wb.items.filter((i): i is QueryItem => i.type === 3);
        assert.deepEqual(
            queries.map((q) => q.content.visualization),
            ["timechart", "timechart", "timechart", "timechart", "table", "table", "table"],
        );
        for (const q of queries) {
            assert.equal(q.content.timeContextFromParameter, "TimeRange");
            assert.equal(q.content.version, "KqlItem/1.0");
        }
        assert.throws(
            () => blueGreenWorkbook({ appName: "calculator", environment: "dev", workspaceResourceId: "phoenix-dev-logs" }),
            /not a Log Analytics workspace resource id/,
        );
    });

    it("names workbooks with stable version-5 UUIDs", () => {
        assert.equal(workbookResourceName("a"), workbookResourceName("a"));
        assert.notEqual(workbookResourceName("a"), workbookResourceName("b"));
        assert.match(
            workbookResourceName("phoenix/phoenix-dev/calculator/blue-green"),
            /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        );
    });
});

describe("observability: Grafana dashboard (dashboards/grafana/phoenix-blue-green.json)", () => {
    const committed = fs.readFileSync(DASHBOARD_FILE, "utf8");
    const dashboard = JSON.parse(committed) as ReturnType<typeof blueGreenDashboard>;

    it("is exactly what the generator writes (run `npm run dashboards` after changing the queries)", () => {
        assert.equal(committed, dashboardJson());
    });

    it("queries Log Analytics through the Azure Monitor data source with checked KQL, time-filtered by Grafana", () => {
        assert.equal(dashboard.panels.length, 7);
        for (const p of dashboard.panels) {
            assert.equal(p.targets.length, 1);
            const t = p.targets[0];
            assert.equal(t.datasource.type, GRAFANA_DATASOURCE_TYPE);
            assert.equal(t.queryType, "Azure Log Analytics");
            assert.deepEqual(t.azureLogAnalytics.resources, ["${workspace}"]);
            assert.equal(t.azureLogAnalytics.resultFormat, p.type === "timeseries" ? "time_series" : "table");
            const r = checkKql(t.azureLogAnalytics.query);
            assert.ok(r.ok, `${p.title}: ${describeProblems(t.azureLogAnalytics.query, r.problems)}`);
            assert.match(t.azureLogAnalytics.query, /^AppRequests\n\| where \$__timeFilter\(TimeGenerated\)\n/);
            if (p.type === "timeseries") assert.ok(r.columns.includes("TimeGenerated"), `${p.title} has a time column`);
        }
        assert.deepEqual(
            dashboard.templating.list.map((v) => v.name),
            ["datasource", "workspace", "app"],
        );
    });

    it("the same check fails on a broken committed query", () => {
        const broken = JSON.parse(committed) as typeof dashboard;
        broken.panels[2].targets[0].azureLogAnalytics.query = broken.panels[2].targets[0].azureLogAnalytics.query.replace(
            "DurationMs",
            "Duration",
        );
        const r = checkKql(broken.panels[2].targets[0].azureLogAnalytics.query);
        assert.equal(r.ok, false);
        assert.match(r.problems[0].message, /unknown column "Duration"/);
    });
});
