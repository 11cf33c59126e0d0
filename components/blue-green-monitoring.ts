/**
 * Observability of the blue/green release as code, in the platform stack (which owns Log Analytics
 * and App Insights): an Azure Monitor workbook comparing the slots, and scheduled query alerts on
 * the live slot's failure rate and p95 latency with an action group whose receivers come from config.
 *
 * The workbook's serializedData and the alerts' KQL come from the pure builders in ./observability.
 * Those queries are fixed text around two config values (the app name, a DNS label, and the minimum
 * request count, a positive integer), so the suite checks them with its KQL checker
 * (tests/support/kql-check.ts) over every value config can give; here only the config values are
 * validated, before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";
import * as monitor from "@pulumi/azure-native/monitor";
import { liveSlotHealth } from "./observability/queries";
import { blueGreenWorkbook, serializeWorkbook, workbookResourceName } from "./observability/workbook";

export interface LiveSlotAlerts {
    /** Whether the rules evaluate (dev may turn them off; the policy pack refuses that in prod). */
    readonly enabled: boolean;
    /** Email receivers of the action group. */
    readonly emails: readonly string[];
    /** Webhook receivers (https URLs; treated as secrets: they often carry a token). */
    readonly webhookUrls: readonly string[];
    /** Alert when the live slot's failure rate exceeds this many percent. */
    readonly failureRatePercent: number;
    /** Alert when the live slot's weighted p95 latency exceeds this many milliseconds. */
    readonly p95LatencyMs: number;
    /** No alert unless the live slot served at least this many requests in the window. */
    readonly minRequests: number;
}

export interface BlueGreenMonitoringArgs {
    /** Resource group of the environment. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Region of the workbook and the rules (the action group is global). */
    readonly location: pulumi.Input<string>;
    /** Environment name (dev, prod): in display names. */
    readonly environment: string;
    /** The app's cloud role name (`AppRoleName`). */
    readonly appName: string;
    /** ARM id of the Log Analytics workspace holding AppRequests. */
    readonly workspaceResourceId: pulumi.Input<string>;
    /** Entra tenant, for the workbook's portal URL. */
    readonly tenantId: pulumi.Input<string>;
    /** Name prefix of the action group and the rules, e.g. `phoenix-dev`. */
    readonly namePrefix: string;
    /** The live-slot alerts: receivers, thresholds, on/off. */
    readonly alerts: LiveSlotAlerts;
    /** Tags on every Azure resource of the component. */
    readonly tags: Record<string, string>;
}

/** Evaluation frequency and window of the live-slot rules (ISO 8601). */
export const ALERT_WINDOW = "PT5M";
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function argumentProblems(a: BlueGreenMonitoringArgs): Array<{ propertyPath: string; reason: string }> {
    const p: Array<{ propertyPath: string; reason: string }> = [];
    if (!DNS_LABEL.test(a.appName)) p.push({ propertyPath: "appName", reason: `expected a DNS label, got ${JSON.stringify(a.appName)}` });
    if (!DNS_LABEL.test(a.namePrefix))
        p.push({
            propertyPath: "namePrefix",
            reason: `expected lower-case letters, digits and hyphens, got ${JSON.stringify(a.namePrefix)}`,
        });
    a.alerts.emails.forEach((e, i) => {
        if (!EMAIL.test(e)) p.push({ propertyPath: `alerts.emails[${i}]`, reason: `expected an email address, got ${JSON.stringify(e)}` });
    });
    a.alerts.webhookUrls.forEach((u, i) => {
        // The URL is never echoed: it may hold a token.
        if (!/^https:\/\/[^\s]+$/.test(u)) p.push({ propertyPath: `alerts.webhookUrls[${i}]`, reason: "expected an https:// URL" });
    });
    if (a.alerts.enabled && a.alerts.emails.length + a.alerts.webhookUrls.length === 0) {
        p.push({ propertyPath: "alerts", reason: "enabled alerts need at least one email or webhook receiver" });
    }
    if (!(a.alerts.failureRatePercent > 0 && a.alerts.failureRatePercent <= 100))
        p.push({ propertyPath: "alerts.failureRatePercent", reason: `expected 0 < x ≤ 100, got ${a.alerts.failureRatePercent}` });
    if (!(Number.isInteger(a.alerts.p95LatencyMs) && a.alerts.p95LatencyMs > 0))
        p.push({ propertyPath: "alerts.p95LatencyMs", reason: `expected a positive integer, got ${a.alerts.p95LatencyMs}` });
    if (!(Number.isInteger(a.alerts.minRequests) && a.alerts.minRequests > 0))
        p.push({ propertyPath: "alerts.minRequests", reason: `expected a positive integer, got ${a.alerts.minRequests}` });
    return p;
}

export class BlueGreenMonitoring extends pulumi.ComponentResource {
    public readonly workbook: applicationinsights.Workbook;
    /** Present when config names at least one receiver. */
    public readonly actionGroup?: monitor.ActionGroup;
    public readonly failureRateRule: monitor.ScheduledQueryRule;
    public readonly latencyRule: monitor.ScheduledQueryRule;
    /** The workbook in the Azure portal. */
    public readonly workbookUrl: pulumi.Output<string>;
    /** The KQL both rules run. */
    public readonly alertQuery: string;

    constructor(name: string, args: BlueGreenMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:monitoring:BlueGreenMonitoring", name, {}, opts);
        const problems = argumentProblems(args);
        if (problems.length > 0)
            throw new pulumi.InputPropertiesError({ message: `invalid BlueGreenMonitoring "${name}"`, errors: problems });
        this.alertQuery = liveSlotHealth({ appName: args.appName, flavour: "alert" }, args.alerts.minRequests);

        this.workbook = new applicationinsights.Workbook(
            `${name}-workbook`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                resourceName: workbookResourceName(`phoenix/${args.namePrefix}/${args.appName}/blue-green`),
                kind: "shared",
                category: "workbook",
                displayName: `${args.appName} ${args.environment}: blue vs green`,
                description:
                    "Blue/green comparison of production requests, failure rate and weighted p50/p95 latency by slot and version (Phoenix).",
                sourceId: args.workspaceResourceId,
                version: "Notebook/1.0",
                serializedData: pulumi
                    .output(args.workspaceResourceId)
                    .apply((workspaceResourceId) =>
                        serializeWorkbook(blueGreenWorkbook({ appName: args.appName, environment: args.environment, workspaceResourceId })),
                    ),
                tags: args.tags,
            },
            { parent: this },
        );

        const emails = args.alerts.emails.map((emailAddress, i) => ({ name: `email-${i + 1}`, emailAddress, useCommonAlertSchema: true }));
        const webhooks = args.alerts.webhookUrls.map((serviceUri, i) => ({
            name: `webhook-${i + 1}`,
            serviceUri,
            useCommonAlertSchema: true,
        }));
        if (emails.length + webhooks.length > 0) {
            this.actionGroup = new monitor.ActionGroup(
                `${name}-actions`,
                {
                    resourceGroupName: args.resourceGroupName,
                    actionGroupName: `${args.namePrefix}-release-alerts`,
                    location: "Global",
                    groupShortName: `rel-${args.environment}`.slice(0, 12),
                    enabled: true,
                    emailReceivers: emails,
                    // Webhook URLs often carry a token: secret in state and in previews.
                    webhookReceivers: webhooks.length > 0 ? pulumi.secret(webhooks) : [],
                    tags: args.tags,
                },
                { parent: this },
            );
        }

        const rule = (suffix: string, what: string, column: string, threshold: number, severity: number) =>
            new monitor.ScheduledQueryRule(
                `${name}-${suffix}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    location: args.location,
                    ruleName: `${args.namePrefix}-live-${suffix}`,
                    displayName: `${args.appName} ${args.environment}: live slot ${what}`,
                    description: `Fires when the live slot (the one answering most requests in ${ALERT_WINDOW}) has ${what} above ${threshold}; needs ${args.alerts.minRequests} requests.`,
                    kind: "LogAlert",
                    enabled: args.alerts.enabled,
                    severity,
                    scopes: [args.workspaceResourceId],
                    evaluationFrequency: ALERT_WINDOW,
                    windowSize: ALERT_WINDOW,
                    autoMitigate: true,
                    criteria: {
                        allOf: [
                            {
                                query: this.alertQuery,
                                timeAggregation: "Maximum",
                                metricMeasureColumn: column,
                                operator: "GreaterThan",
                                threshold,
                                dimensions: [
                                    { name: "slot", operator: "Include", values: ["*"] },
                                    { name: "version", operator: "Include", values: ["*"] },
                                ],
                                failingPeriods: { numberOfEvaluationPeriods: 1, minFailingPeriodsToAlert: 1 },
                            },
                        ],
                    },
                    actions: {
                        actionGroups: this.actionGroup ? [this.actionGroup.id] : [],
                        customProperties: { environment: args.environment, app: args.appName },
                    },
                    tags: args.tags,
                },
                { parent: this },
            );
        this.failureRateRule = rule("failure-rate", "failure rate (%)", "failureRatePercent", args.alerts.failureRatePercent, 1);
        this.latencyRule = rule("latency", "p95 latency (ms)", "p95Ms", args.alerts.p95LatencyMs, 2);

        this.workbookUrl = pulumi.interpolate`https://portal.azure.com/#@${args.tenantId}/resource${this.workbook.id}/workbook`;
        this.registerOutputs({ workbookUrl: this.workbookUrl, workbookId: this.workbook.id });
    }
}
