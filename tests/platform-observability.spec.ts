/**
 * The platform stack's blue/green observability under the mock runtime (platform/dev, platform/prod
 * with their real config): the workbook (serializedData from the typed builder, every query checked),
 * the live-slot alert rules and their action group (receivers from config, webhooks secret), the
 * workbook URL output, and bad alert config refused before anything is registered.
 */
import { strict as assert } from "assert";
import { byType, MOCK_TENANT_ID, one, RunResult } from "./support/pulumi-harness";
import { expectConfigFailure, plainInputs, runPlatform, runRegistry, unwrapSecret } from "./support/phoenix-stacks";
import { checkKql } from "./support/kql-check";
import { blueGreenWorkbook, serializeWorkbook, type QueryItem, type Workbook } from "../components/observability/workbook";

const WB = "azure-native:applicationinsights:Workbook";
const RULE = "azure-native:monitor:ScheduledQueryRule";
const AG = "azure-native:monitor:ActionGroup";
const WS = "azure-native:operationalinsights:Workspace";
const TOKEN_URL = "https://hooks.example.com/services/T0KEN-do-not-leak";

type Condition = {
    query: string;
    metricMeasureColumn: string;
    threshold: number;
    operator: string;
    timeAggregation: string;
    dimensions: Array<{ name: string }>;
};

function condition(rule: { inputs: Record<string, unknown> }): Condition {
    return (plainInputs(rule.inputs.criteria) as { allOf: Condition[] }).allOf[0];
}

describe("platform stack: blue/green workbook and live-slot alerts", () => {
    let registryOutputs: Record<string, unknown>;
    const runs = {} as Record<"dev" | "prod", RunResult>;
    before(async () => {
        registryOutputs = (await runRegistry()).outputs;
        runs.dev = await runPlatform("dev", registryOutputs);
        runs.prod = await runPlatform("prod", registryOutputs);
    });

    for (const env of ["dev", "prod"] as const) {
        describe(`platform/${env}`, () => {
            it("registers one shared workbook on the workspace whose serializedData is the typed builder's, every query valid KQL over AppRequests", () => {
                const wb = one(runs[env].resources, WB);
                const ws = one(runs[env].resources, WS);
                assert.equal(wb.inputs.kind, "shared");
                assert.equal(wb.inputs.category, "workbook");
                assert.equal(wb.inputs.version, "Notebook/1.0");
                assert.equal(wb.inputs.sourceId, ws.id);
                assert.equal(wb.inputs.resourceGroupName, `phoenix-${env}-rg`);
                assert.match(wb.inputs.resourceName as string, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
                assert.equal(wb.inputs.displayName, `calculator ${env}: blue vs green`);
                const data = JSON.parse(wb.inputs.serializedData as string) as Workbook;
                assert.equal(
                    wb.inputs.serializedData,
                    serializeWorkbook(blueGreenWorkbook({ appName: "calculator", environment: env, workspaceResourceId: ws.id })),
                );
                assert.deepEqual(data.fallbackResourceIds, [ws.id]);
                const queries = data.items.filter((i): i is QueryItem => i.type === 3);
                assert.deepEqual(
                    queries.map((q) => q.name),
                    [
                        "requests-per-minute",
                        "failure-rate",
                        "latency-p50",
                        "latency-p95",
                        "current-split",
                        "production-switches",
                        "versions-seen",
                    ],
                );
                for (const q of queries) {
                    const r = checkKql(q.content.query);
                    assert.ok(r.ok, `${q.name}: ${JSON.stringify(r.problems)}`);
                    assert.deepEqual(q.content.crossComponentResources, [ws.id]);
                    assert.equal(q.content.resourceType, "microsoft.operationalinsights/workspaces");
                    assert.match(q.content.query, /AppRoleName == "calculator"/);
                }
            });

            it("alerts on the live slot's failure rate and p95 from one checked query, scoped to the workspace, enabled as config says", () => {
                const rules = byType(runs[env].resources, RULE);
                assert.deepEqual(rules.map((r) => r.inputs.ruleName).sort(), [
                    `phoenix-${env}-live-failure-rate`,
                    `phoenix-${env}-live-latency`,
                ]);
                const ws = one(runs[env].resources, WS);
                for (const r of rules) {
                    assert.equal(r.inputs.enabled, env === "prod", "dev turns the rules off in its stack file, prod keeps them on");
                    assert.equal(r.inputs.kind, "LogAlert");
                    assert.deepEqual(r.inputs.scopes, [ws.id]);
                    assert.equal(r.inputs.windowSize, "PT5M");
                    assert.equal(r.inputs.evaluationFrequency, "PT5M");
                    const c = condition(r);
                    const check = checkKql(c.query);
                    assert.ok(check.ok, JSON.stringify(check.problems));
                    assert.ok(check.columns.includes(c.metricMeasureColumn), `${c.metricMeasureColumn} is a result column`);
                    for (const d of c.dimensions) assert.ok(check.columns.includes(d.name), `dimension ${d.name} is a result column`);
                    assert.equal(c.operator, "GreaterThan");
                    assert.match(c.query, /\| top 1 by requests desc\n\| where requests >= 20/);
                }
                const byName = (s: string) =>
                    condition(rules.find((r) => (r.inputs.ruleName as string).endsWith(s)) as (typeof rules)[number]);
                assert.equal(byName("failure-rate").metricMeasureColumn, "failureRatePercent");
                assert.equal(byName("failure-rate").threshold, env === "prod" ? 2 : 5);
                assert.equal(byName("latency").metricMeasureColumn, "p95Ms");
                assert.equal(byName("latency").threshold, 1000);
            });

            it("sends the alerts to an action group whose receivers come from config", () => {
                const ag = one(runs[env].resources, AG);
                assert.equal(ag.inputs.enabled, true);
                assert.equal(ag.inputs.location, "Global");
                assert.ok((ag.inputs.groupShortName as string).length <= 12);
                assert.deepEqual(plainInputs(ag.inputs.emailReceivers), [
                    {
                        name: "email-1",
                        emailAddress: env === "prod" ? "phoenix-oncall@example.com" : "phoenix-dev@example.com",
                        useCommonAlertSchema: true,
                    },
                ]);
                for (const r of byType(runs[env].resources, RULE))
                    assert.deepEqual(plainInputs(r.inputs.actions), {
                        actionGroups: [ag.id],
                        customProperties: { environment: env, app: "calculator" },
                    });
            });

            it("exports the workbook's portal URL", () => {
                const wb = one(runs[env].resources, WB);
                assert.equal(runs[env].outputs.workbookUrl, `https://portal.azure.com/#@${MOCK_TENANT_ID}/resource${wb.id}/workbook`);
                assert.match(wb.id, /\/providers\/Microsoft\.Insights\/workbooks\/[0-9a-f-]{36}$/);
            });
        });
    }

    it("names a different workbook per environment (name-based UUIDs)", () => {
        assert.notEqual(one(runs.dev.resources, WB).inputs.resourceName, one(runs.prod.resources, WB).inputs.resourceName);
    });

    it("sends webhook receivers as secrets and never shows them in a plain output", async () => {
        const run = await runPlatform("prod", registryOutputs, { configOverrides: { alertWebhookUrls: [TOKEN_URL] } });
        const ag = one(run.resources, AG);
        const hooks = unwrapSecret(ag.inputs.webhookReceivers);
        assert.ok(hooks.secret, "webhookReceivers is marked secret");
        assert.deepEqual(plainInputs(hooks.value), [{ name: "webhook-1", serviceUri: TOKEN_URL, useCommonAlertSchema: true }]);
        for (const [k, v] of Object.entries(run.outputs)) {
            if (run.secretOutputs.includes(k)) continue;
            assert.ok(!JSON.stringify(v).includes("T0KEN"), `plain output ${k} leaks the webhook`);
        }
    });

    describe("refuses bad alert config before registering anything", () => {
        const cases: Array<{ what: string; stack: "dev" | "prod"; overrides: Record<string, unknown>; key: string; expect: RegExp }> = [
            {
                what: "enabled alerts with no receiver",
                stack: "prod",
                overrides: { alertEmails: [] },
                key: "phoenix-platform:alertsEnabled",
                expect: /at least one receiver/,
            },
            {
                what: "an email that is not one",
                stack: "prod",
                overrides: { alertEmails: ["oncall"] },
                key: "phoenix-platform:alertEmails[0]",
                expect: /an email address, got "oncall"/,
            },
            {
                what: "a failure-rate threshold of 0",
                stack: "dev",
                overrides: { alertFailureRatePercent: 0 },
                key: "phoenix-platform:alertFailureRatePercent",
                expect: /≥ 1 and ≤ 100, got 0/,
            },
            {
                what: "a p95 threshold that is not an integer",
                stack: "dev",
                overrides: { alertP95LatencyMs: "fast" },
                key: "phoenix-platform:alertP95LatencyMs",
                expect: /integer/,
            },
            {
                what: "alertsEnabled that is not a boolean",
                stack: "dev",
                overrides: { alertsEnabled: "sometimes" },
                key: "phoenix-platform:alertsEnabled",
                expect: /true or false/,
            },
        ];
        for (const c of cases) {
            it(c.what, async () => {
                const { message, registered } = await expectConfigFailure(
                    (hooks) => runPlatform(c.stack, registryOutputs, { configOverrides: c.overrides, hooks }),
                    registryOutputs,
                );
                assert.equal(registered, 0);
                const line = message.split("\n").find((l) => l.includes(`${c.key}:`));
                assert.ok(line, `the error names ${c.key}: ${message}`);
                assert.match(line, c.expect);
            });
        }

        it("a webhook that is not https is named but its value never shown (it may hold a token)", async () => {
            const leaky = "http://hooks.example.com/T0KEN-do-not-leak";
            for (const value of [[leaky], `[${leaky}`]) {
                const { message, registered } = await expectConfigFailure(
                    (hooks) => runPlatform("prod", registryOutputs, { configOverrides: { alertWebhookUrls: value }, hooks }),
                    registryOutputs,
                );
                assert.equal(registered, 0);
                assert.match(message, /phoenix-platform:alertWebhookUrls(\[0\])?: expected .*https:\/\/ URL/);
                assert.ok(!message.includes("T0KEN"), message);
            }
        });
    });
});
