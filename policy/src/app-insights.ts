/** Application Insights policies. */
import { resourcePolicy, TYPES } from "./define";
import { asString, show } from "./util";

export const appInsightsWorkspaceBased = resourcePolicy({
    name: "appinsights-workspace-based",
    description: "Application Insights components must be workspace-based (ingestion into a Log Analytics workspace).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        'Set `ingestionMode: "LogAnalytics"` and `workspaceResourceId` to the environment\'s Log Analytics workspace (classic components are retired and the release gates query the workspace).',
    resourceTypes: [TYPES.appInsights],
    check: (props, { report }) => {
        if (props.ingestionMode !== "LogAnalytics") report(`ingestionMode is ${show(props.ingestionMode)}; expected "LogAnalytics".`);
        const ws = asString(props.workspaceResourceId);
        if (!ws || !/\/providers\/microsoft\.operationalinsights\/workspaces\/[^/]+$/i.test(ws)) {
            report(`workspaceResourceId is ${show(props.workspaceResourceId)}; expected a Log Analytics workspace resource id.`);
        }
    },
});

export const appInsightsPolicies = [appInsightsWorkspaceBased];
