/**
 * Log Analytics workspace and a workspace-based Application Insights component
 * (`ingestionMode: LogAnalytics`): the gates query `AppRequests` in the workspace.
 */
import * as pulumi from "@pulumi/pulumi";
import * as operationalinsights from "@pulumi/azure-native/operationalinsights";
import * as applicationinsights from "@pulumi/azure-native/applicationinsights";

export interface MonitoringArgs {
    /** Resource group of the workspace and App Insights. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region of both. */
    readonly location: pulumi.Input<string>;
    /** Log Analytics workspace name. */
    readonly workspaceName: string;
    /** Application Insights component name (workspace-based). */
    readonly appInsightsName: string;
    /** Workspace retention, 30–730 days. */
    readonly retentionInDays: number;
    /** Daily ingestion cap in GB; -1 or undefined for none. */
    readonly dailyQuotaGb?: number;
    /** Tags on both resources. */
    readonly tags: Record<string, string>;
}

export class Monitoring extends pulumi.ComponentResource {
    public readonly workspace: operationalinsights.Workspace;
    public readonly appInsights: applicationinsights.Component;
    /** ARM resource id of the workspace (for the omsagent addon and App Insights). */
    public readonly workspaceResourceId: pulumi.Output<string>;
    /** The workspace's customer id: the GUID the query API takes. */
    public readonly workspaceCustomerId: pulumi.Output<string>;
    /** Secret: the connection string holds the ingestion key. */
    public readonly connectionString: pulumi.Output<string>;
    public readonly appId: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:monitoring:Monitoring", name, {}, opts);
        if (!Number.isInteger(args.retentionInDays) || args.retentionInDays < 30 || args.retentionInDays > 730) {
            throw new pulumi.InputPropertiesError({
                message: `invalid Monitoring "${name}"`,
                errors: [{ propertyPath: "retentionInDays", reason: `expected an integer from 30 to 730, got ${args.retentionInDays}` }],
            });
        }

        this.workspace = new operationalinsights.Workspace(
            `${name}-workspace`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                workspaceName: args.workspaceName,
                sku: { name: "PerGB2018" },
                retentionInDays: args.retentionInDays,
                workspaceCapping:
                    args.dailyQuotaGb !== undefined && args.dailyQuotaGb > 0 ? { dailyQuotaGb: args.dailyQuotaGb } : undefined,
                tags: args.tags,
            },
            { parent: this },
        );

        this.appInsights = new applicationinsights.Component(
            `${name}-appinsights`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                resourceName: args.appInsightsName,
                kind: "web",
                applicationType: "web",
                ingestionMode: "LogAnalytics",
                workspaceResourceId: this.workspace.id,
                tags: args.tags,
            },
            { parent: this },
        );

        this.workspaceResourceId = this.workspace.id;
        this.workspaceCustomerId = this.workspace.customerId;
        this.connectionString = pulumi.secret(this.appInsights.connectionString);
        this.appId = this.appInsights.appId;
        this.registerOutputs({
            workspaceResourceId: this.workspaceResourceId,
            workspaceCustomerId: this.workspaceCustomerId,
            connectionString: this.connectionString,
            appId: this.appId,
        });
    }
}
