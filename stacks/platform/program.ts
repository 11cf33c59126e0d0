/**
 * platform/<env>: one environment — resource group, Log Analytics + App Insights, AKS, a front door
 * behind a static public IP (a Gateway API `Gateway` on Envoy Gateway or AKS app-routing Istio, or
 * legacy ingress-nginx; both side by side while an environment migrates), the release record store
 * (Azure Blob, where the release engine keeps its record, lease lock and history), and a Key Vault
 * holding the settings the pipeline and the release engine read. The shared registry and the pipeline identity
 * come from the registry stack by StackReference.
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import * as authorization from "@pulumi/azure-native/authorization";
import { BlueGreenMonitoring } from "../../components/blue-green-monitoring";
import { AksCluster, ClusterGrant } from "../../components/aks-cluster";
import { IngressController } from "../../components/ingress-controller";
import { GatewayFrontDoor } from "../../components/gateway-front-door";
import { ingressNginxWarning, routerKindOf } from "../../components/gateway-api";
import { KeyVault } from "../../components/key-vault";
import { ReleaseRecordStore } from "../../components/release-record-store";
import { Monitoring } from "../../components/monitoring";
import { AksRbacRoleName, PrincipalType } from "../../components/role-assignment";
import { standardTags } from "../../components/tags";
import { readPlatformConfig } from "./config";
import { serviceClaims, serviceListenerHosts } from "./services";

/**
 * Who gets which AKS RBAC role: the pipeline identity its configured role, the deploying principal
 * cluster-admin (it installs ingress-nginx). When both are the same principal (the pipeline runs
 * `pulumi up`), one cluster-admin assignment — Azure rejects a duplicate.
 */
export function clusterGrants(args: {
    pipelinePrincipalId: string;
    pipelineRole: AksRbacRoleName;
    deployerObjectId: string;
    deployerPrincipalType: PrincipalType;
}): ClusterGrant[] {
    if (args.pipelinePrincipalId === args.deployerObjectId) {
        return [{ principalId: args.pipelinePrincipalId, principalType: "ServicePrincipal", role: "cluster-admin" }];
    }
    return [
        { principalId: args.pipelinePrincipalId, principalType: "ServicePrincipal", role: args.pipelineRole },
        { principalId: args.deployerObjectId, principalType: args.deployerPrincipalType, role: "cluster-admin" },
    ];
}

async function requirePlainOutput(ref: pulumi.StackReference, stackName: string, name: string): Promise<string> {
    const details = await ref.getOutputDetails(name);
    const value = details.value ?? details.secretValue;
    if (typeof value !== "string" || value === "") {
        throw new pulumi.RunError(
            `stack reference ${stackName} has no output "${name}": deploy the registry stack first (see phoenix-platform:registryStack)`,
        );
    }
    return value;
}

export async function main(): Promise<Record<string, unknown>> {
    const cfg = new pulumi.Config();
    // Validate everything first: nothing is registered when config is wrong.
    const config = readPlatformConfig((k) => cfg.get(k));
    const tags = standardTags({ environment: config.environment, service: config.appName, extra: config.tags });

    const nginxWarning = ingressNginxWarning(config.gateway.mode, config.gateway.legacyNginx);
    if (nginxWarning) void pulumi.log.warn(nginxWarning);

    const registry = new pulumi.StackReference("registry", { name: config.registryStack });
    const pipelinePrincipalId = await requirePlainOutput(registry, config.registryStack, "pipelineIdentityPrincipalId");
    const registryId = registry.requireOutput("registryId") as pulumi.Output<string>;
    const registryName = registry.requireOutput("registryName") as pulumi.Output<string>;
    const registryLoginServer = registry.requireOutput("loginServer") as pulumi.Output<string>;
    const client = await authorization.getClientConfig();

    const group = new resources.ResourceGroup("env", { resourceGroupName: config.names.resourceGroup, location: config.location, tags });

    const monitoring = new Monitoring("monitoring", {
        resourceGroupName: group.name,
        location: config.location,
        workspaceName: config.names.logAnalytics,
        appInsightsName: config.names.appInsights,
        retentionInDays: config.logRetentionDays,
        dailyQuotaGb: config.logDailyQuotaGb,
        tags,
    });

    const observability = new BlueGreenMonitoring("observability", {
        resourceGroupName: group.name,
        location: config.location,
        environment: config.environment,
        appName: config.appName,
        workspaceResourceId: monitoring.workspaceResourceId,
        tenantId: client.tenantId,
        namePrefix: `${config.prefix}-${config.environment}`.toLowerCase(),
        alerts: config.alerts,
        tags,
    });

    const aks = new AksCluster("aks", {
        resourceGroupName: group.name,
        location: config.location,
        clusterName: config.names.cluster,
        dnsPrefix: config.names.dnsPrefix,
        nodeResourceGroupName: config.names.nodeResourceGroup,
        kubernetesVersion: config.aks.kubernetesVersion,
        upgradeChannel: config.aks.upgradeChannel,
        nodeOsUpgradeChannel: config.aks.nodeOsUpgradeChannel,
        skuTier: config.aks.skuTier,
        systemPool: {
            name: config.aks.poolName,
            vmSize: config.aks.vmSize,
            minCount: config.aks.minNodes,
            maxCount: config.aks.maxNodes,
            osDiskSizeGB: config.aks.osDiskSizeGb > 0 ? config.aks.osDiskSizeGb : undefined,
            availabilityZones: config.aks.availabilityZones.length > 0 ? config.aks.availabilityZones : undefined,
        },
        tenantId: client.tenantId,
        adminGroupObjectIds: config.aks.adminGroupObjectIds,
        disableLocalAccounts: config.aks.disableLocalAccounts,
        logAnalyticsWorkspaceResourceId: monitoring.workspaceResourceId,
        registryId,
        clusterGrants: clusterGrants({
            pipelinePrincipalId,
            pipelineRole: config.pipelineClusterRole,
            deployerObjectId: client.objectId,
            deployerPrincipalType: config.deployerPrincipalType,
        }),
        kubeloginMode: config.kubeloginMode,
        // AKS-managed Gateway API CRDs and app-routing Istio, enabled by the component (release-model/src/routers/gateway-api/crd-compatibility.ts).
        // Not in nginx mode: an environment pinned to ingress-nginx keeps its cluster as it is.
        gatewayApi:
            config.gateway.mode === "nginx"
                ? undefined
                : { crds: config.gateway.crds, appRoutingIstio: config.gateway.mode === "app-routing-istio" },
        tags,
    });

    const gw = config.gateway;
    const gateway =
        gw.mode === "nginx"
            ? undefined
            : new GatewayFrontDoor("gateway", {
                  mode: gw.mode,
                  resourceGroupName: group.name,
                  location: config.location,
                  dnsLabelPrefix: config.names.dnsLabelPrefix,
                  clusterPrincipalId: aks.principalId,
                  provider: aks.provider,
                  namespace: gw.namespace,
                  hostname: gw.publicHostname,
                  tlsSecretName: gw.tlsSecretName,
                  // A listener per hosted service's own host (none for a service on the platform's host).
                  serviceHosts: serviceListenerHosts(config.services, gw.publicHostname ?? ""),
                  chartVersion: gw.chartVersion,
                  proxyReplicas: gw.replicas,
                  crds: gw.crds,
                  gatewayApiReady: aks.gatewayApiReady,
                  tags,
              });

    // ingress-nginx: the only front door in `nginx` mode, the old one beside the Gateway while migrating.
    const ingress =
        gw.mode !== "nginx" && !gw.legacyNginx
            ? undefined
            : new IngressController("ingress", {
                  resourceGroupName: group.name,
                  resourceGroupId: group.id,
                  location: config.location,
                  dnsLabelPrefix: config.names.dnsLabelPrefix,
                  clusterPrincipalId: aks.principalId,
                  provider: aks.provider,
                  namespace: config.ingress.namespace,
                  chartVersion: config.ingress.chartVersion,
                  replicas: config.ingress.replicas,
                  tags,
              });

    // Where clients reach the environment today: ingress-nginx while it runs (DNS still points there
    // during a migration), else the Gateway.
    const door = (ingress ?? gateway) as IngressController | GatewayFrontDoor;
    const routerKind = routerKindOf(gw.mode);
    // The host the primary router's routes serve: the Gateway's listener host, or nginx's.
    const host = gateway ? gateway.hostname : gw.publicHostname !== undefined ? pulumi.output(gw.publicHostname) : door.fqdn;
    const scheme = gateway?.https ? "https" : "http";
    // Which service owns which host + path and namespaces (docs/policy.md, release-service-claims reads it).
    const claims = host.apply((h) => serviceClaims(config.services, h));

    // The engine's shared record (docs/contracts.md): only the pipeline identity writes it.
    const records = new ReleaseRecordStore("records", {
        resourceGroupName: group.name,
        location: config.location,
        namePrefix: config.names.recordAccountPrefix,
        sku: config.releaseRecord.sku,
        containerName: config.releaseRecord.container,
        softDeleteRetentionDays: config.releaseRecord.retentionDays,
        contributors: [{ principalId: pipelinePrincipalId, principalType: "ServicePrincipal" }],
        tags,
    });

    const vault = new KeyVault("vault", {
        resourceGroupName: group.name,
        location: config.location,
        namePrefix: config.names.vaultPrefix,
        tenantId: client.tenantId,
        sku: config.keyVault.sku,
        softDeleteRetentionInDays: config.keyVault.retentionDays,
        purgeProtection: config.keyVault.purgeProtection,
        secretOfficers: [{ principalId: client.objectId, principalType: config.deployerPrincipalType }],
        secretReaders: [{ principalId: pipelinePrincipalId, principalType: "ServicePrincipal" }],
        // The seed's names where they mean the same thing (docs/contracts.md).
        secrets: {
            "aks-name": aks.clusterName,
            "aks-group": group.name,
            "acr-name": registryName,
            "phoenix-fqdn": door.fqdn,
            "phoenix-namespace": config.appName,
            "appinsights-connection-string": monitoring.connectionString,
            "appinsights-app-id": monitoring.appId,
            "log-analytics-workspace-id": monitoring.workspaceCustomerId,
            "release-record-account": records.accountName,
            "release-record-container": records.containerName,
        },
        tags,
    });

    return {
        environment: config.environment,
        appName: config.appName,
        resourceGroupName: group.name,
        location: config.location,
        clusterName: aks.clusterName,
        nodeResourceGroupName: aks.nodeResourceGroup,
        oidcIssuerUrl: aks.oidcIssuerUrl,
        kubeconfig: aks.kubeconfig,
        publicFqdn: door.fqdn,
        publicIp: door.ipAddress,
        host,
        publicUrl: pulumi.interpolate`${scheme}://${host}`,
        routerKind,
        serviceClaims: claims,
        legacyNginx: gw.mode !== "nginx" && gw.legacyNginx,
        ...(ingress ? { ingressClassName: ingress.ingressClassName, ingressNamespace: ingress.namespace } : {}),
        ...(gateway
            ? {
                  gatewayName: gateway.gatewayName,
                  gatewayNamespace: gateway.gatewayNamespace,
                  gatewayClass: gateway.gatewayClass,
                  gatewayRouteNamespaceLabel: gateway.routeNamespaceLabel,
                  gatewayFqdn: gateway.fqdn,
                  gatewayIp: gateway.ipAddress,
              }
            : {}),
        appInsightsConnectionString: monitoring.connectionString,
        appInsightsAppId: monitoring.appId,
        logAnalyticsWorkspaceId: monitoring.workspaceCustomerId,
        logAnalyticsWorkspaceResourceId: monitoring.workspaceResourceId,
        keyVaultName: vault.vaultName,
        keyVaultUri: vault.vaultUri,
        registryName,
        registryLoginServer,
        workbookUrl: observability.workbookUrl,
        releaseRecordAccount: records.accountName,
        releaseRecordContainer: records.containerName,
        releaseRecordUrl: records.containerUrl,
    };
}
