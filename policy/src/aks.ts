/** AKS (ManagedCluster) policies. */
import { resourcePolicy, TYPES } from "./define";
import { asArray, asNumber, asString, at, isRecord, ProdDetectionConfig, requireProd, prodDetectionSchema, show } from "./util";

export const aksRbacEnabled = resourcePolicy({
    name: "aks-rbac-enabled",
    description: "AKS clusters must have Kubernetes RBAC enabled.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps: "Set `enableRBAC: true` on the ManagedCluster (changing it replaces the cluster).",
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        if (props.enableRBAC !== true) report(`enableRBAC is ${show(props.enableRBAC)}; expected true.`);
    },
});

export const aksEntraAzureRbac = resourcePolicy({
    name: "aks-entra-azure-rbac",
    description: "AKS clusters must use AKS-managed Entra ID integration with Azure RBAC for Kubernetes authorization.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set `aadProfile: { managed: true, enableAzureRBAC: true }` (tenant from getClientConfig) and grant the AKS RBAC roles to the pipeline identity.",
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        const aad = props.aadProfile;
        if (!isRecord(aad)) {
            report("aadProfile is unset; expected Entra ID integration with enableAzureRBAC true.");
            return;
        }
        if (aad.managed === false) report("aadProfile.managed is false; expected AKS-managed Entra ID integration.");
        if (aad.enableAzureRBAC !== true) report(`aadProfile.enableAzureRBAC is ${show(aad.enableAzureRBAC)}; expected true.`);
    },
});

export const aksManagedIdentity = resourcePolicy({
    name: "aks-managed-identity",
    description: "AKS clusters must run with a managed identity, never a service principal and its secret.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: 'Set `identity: { type: "SystemAssigned" }` (or UserAssigned) and remove `servicePrincipalProfile`.',
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        const type = asString(at(props.identity, "type"));
        if (type !== "SystemAssigned" && type !== "UserAssigned") {
            report(`identity.type is ${show(type)}; expected "SystemAssigned" or "UserAssigned".`);
        }
        const spClient = at(props.servicePrincipalProfile, "clientId");
        // "msi" is how Azure itself reports a managed-identity cluster in servicePrincipalProfile.
        if (spClient !== undefined && spClient !== "msi") {
            report("servicePrincipalProfile.clientId is set; expected no service principal (managed identity only).");
        }
    },
});

export const aksContainerInsights = resourcePolicy({
    name: "aks-container-insights",
    description: "AKS clusters must send logs and metrics to Log Analytics with the Container Insights (omsagent) addon and a workspace.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        "Set `addonProfiles.omsagent = { enabled: true, config: { logAnalyticsWorkspaceResourceID: <workspace id> } }` (the key's spelling matters: the config map is free-form).",
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        const oms = at(props.addonProfiles, "omsagent");
        if (!isRecord(oms) || oms.enabled !== true) {
            report("addonProfiles.omsagent.enabled is not true; expected Container Insights enabled.");
            return;
        }
        const ws = asString(at(oms.config, "logAnalyticsWorkspaceResourceID"));
        if (
            !ws ||
            !/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.operationalinsights\/workspaces\/[^/]+$/i.test(ws)
        ) {
            report(
                `addonProfiles.omsagent.config.logAnalyticsWorkspaceResourceID is ${show(ws)}; expected a Log Analytics workspace resource id.`,
            );
        }
    },
});

export const aksSystemPoolAutoscaling = resourcePolicy({
    name: "aks-system-pool-autoscaling",
    description: "An AKS cluster's System node pool must autoscale with 1 ≤ minCount ≤ maxCount.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        'Give the first agent pool `mode: "System"`, `enableAutoScaling: true`, integer `minCount`/`maxCount` with minCount ≤ maxCount, and `ignoreChanges` on its `count`.',
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        const pools = asArray(props.agentPoolProfiles);
        const system = pools.filter((p) => at(p, "mode") === "System");
        if (system.length === 0) {
            report(`agentPoolProfiles has no pool with mode "System" (${pools.length} pools).`);
            return;
        }
        for (const pool of system) {
            const name = show(at(pool, "name"));
            if (at(pool, "enableAutoScaling") !== true) {
                report(`System pool ${name}: enableAutoScaling is ${show(at(pool, "enableAutoScaling"))}; expected true.`);
                continue;
            }
            const min = asNumber(at(pool, "minCount"));
            const max = asNumber(at(pool, "maxCount"));
            if (min === undefined || max === undefined || !Number.isInteger(min) || !Number.isInteger(max) || min < 1 || min > max) {
                report(
                    `System pool ${name}: minCount ${show(at(pool, "minCount"))}, maxCount ${show(at(pool, "maxCount"))}; expected integers with 1 ≤ minCount ≤ maxCount.`,
                );
            }
        }
    },
});

// ---- advisory ---------------------------------------------------------------------------

export const aksLocalAccountsDisabledInProd = resourcePolicy<ProdDetectionConfig>({
    name: "aks-local-accounts-disabled-in-prod",
    description: "Production AKS clusters should disable local accounts so every access goes through Entra ID.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
        "Set `disableLocalAccounts: true` (needs Entra ID integration; the Kubernetes provider then authenticates with kubelogin).",
    resourceTypes: [TYPES.cluster],
    configSchema: { properties: { ...prodDetectionSchema } },
    check: (props, { args, config, report }) => {
        requireProd(config, args, props);
        if (props.disableLocalAccounts !== true)
            report(`disableLocalAccounts is ${show(props.disableLocalAccounts)}; expected true in production.`);
    },
});

export const aksApiServerAuthorizedIpRanges = resourcePolicy({
    name: "aks-api-server-authorized-ip-ranges",
    description: "AKS API servers should be reachable only from authorized IP ranges or privately.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
        "Set `apiServerAccessProfile.authorizedIPRanges` to the pipeline agents' and operators' ranges, or `enablePrivateCluster: true`.",
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        const access = props.apiServerAccessProfile;
        if (at(access, "enablePrivateCluster") === true) return;
        const ranges = asArray(at(access, "authorizedIPRanges"));
        if (ranges.length === 0)
            report("apiServerAccessProfile.authorizedIPRanges is empty and the cluster is public; the API server is open to the internet.");
        else if (ranges.some((r) => r === "0.0.0.0/0")) report("apiServerAccessProfile.authorizedIPRanges contains 0.0.0.0/0.");
    },
});

export const aksWorkloadIdentity = resourcePolicy({
    name: "aks-workload-identity",
    description: "AKS clusters should enable the OIDC issuer and workload identity so pods use federated credentials instead of secrets.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set `oidcIssuerProfile.enabled: true` and `securityProfile.workloadIdentity.enabled: true`.",
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        if (at(props.oidcIssuerProfile, "enabled") !== true) report("oidcIssuerProfile.enabled is not true.");
        if (at(props.securityProfile, "workloadIdentity", "enabled") !== true)
            report("securityProfile.workloadIdentity.enabled is not true.");
    },
});

export const aksAutoUpgradeChannel = resourcePolicy({
    name: "aks-auto-upgrade-channel",
    description: "AKS clusters should follow an automatic upgrade channel so security patches are not forgotten.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set `autoUpgradeProfile.upgradeChannel` to `patch` or `stable` (and a node OS upgrade channel).",
    resourceTypes: [TYPES.cluster],
    check: (props, { report }) => {
        const channel = asString(at(props.autoUpgradeProfile, "upgradeChannel"));
        if (!channel || channel.toLowerCase() === "none")
            report(`autoUpgradeProfile.upgradeChannel is ${show(channel)}; expected an upgrade channel.`);
    },
});

export const aksPolicies = [
    aksRbacEnabled,
    aksEntraAzureRbac,
    aksManagedIdentity,
    aksContainerInsights,
    aksSystemPoolAutoscaling,
    aksLocalAccountsDisabledInProd,
    aksApiServerAuthorizedIpRanges,
    aksWorkloadIdentity,
    aksAutoUpgradeChannel,
];
