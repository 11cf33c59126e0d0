/**
 * Alerting policy (stack-level): a production stack that owns Application Insights must ship
 * enabled live-slot alert rules that notify someone. dev may switch its rules off; prod may not.
 */
import { stackPolicy, TYPES } from "./define";
import { asArray, at, isProd, ProdDetectionConfig, prodDetectionSchema, show } from "./util";

const RECEIVER_KINDS = [
    "emailReceivers",
    "webhookReceivers",
    "smsReceivers",
    "voiceReceivers",
    "azureAppPushReceivers",
    "logicAppReceivers",
    "azureFunctionReceivers",
    "automationRunbookReceivers",
    "armRoleReceivers",
    "eventHubReceivers",
    "itsmReceivers",
    "incidentReceivers",
];

export const alertsEnabledInProd = stackPolicy<ProdDetectionConfig>({
    name: "alerts-enabled-in-prod",
    description:
        "A production stack that owns Application Insights must have enabled scheduled query alerts that notify an action group with at least one receiver.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Keep the platform stack's `alertsEnabled` true in prod and name a receiver in `alertEmails` or `alertWebhookUrls`; only dev may set `alertsEnabled: false`.",
    configSchema: { properties: { ...prodDetectionSchema } },
    check: ({ args, config, report }) => {
        const owner = args.resources.find((r) => r.type === TYPES.appInsights);
        if (!owner) return;
        if (!isProd(config, { urn: owner.urn, stackTags: args.stackTags, resourceTags: () => owner.props.tags })) return;
        const rules = args.resources.filter((r) => r.type === TYPES.scheduledQueryRule);
        if (rules.length === 0) {
            report(
                `production stack has Application Insights ${owner.name} but no scheduled query alert rule (${TYPES.scheduledQueryRule}).`,
                owner.urn,
            );
            return;
        }
        for (const rule of rules) {
            if (rule.props.enabled !== true)
                report(`alert rule ${rule.name}: enabled is ${show(rule.props.enabled)}; expected true in production.`, rule.urn);
            // Only the list's length is read: group ids are unknown until the groups exist.
            if (asArray(at(rule.props, "actions", "actionGroups")).length === 0)
                report(`alert rule ${rule.name} notifies no action group; expected at least one.`, rule.urn);
        }
        const groups = args.resources.filter((r) => r.type === TYPES.actionGroup);
        const notifying = groups.filter((g) => g.props.enabled === true && RECEIVER_KINDS.some((k) => asArray(g.props[k]).length > 0));
        if (notifying.length === 0)
            report("production stack has no enabled action group with a receiver; alerts would reach nobody.", owner.urn);
    },
});

export const alertPolicies = [alertsEnabledInProd];
