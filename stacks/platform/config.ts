/** The platform stack's config, read and validated before any resource exists. Pure. */
import { AZURE_REGION, ConfigReader, GUID, NAME_PREFIX, RawConfig } from "../../components/config-validation";
import {
    AKS_SKU_TIERS,
    AksSkuTier,
    KUBERNETES_VERSION,
    NODE_OS_UPGRADE_CHANNELS,
    NodeOsUpgradeChannel,
    systemPoolProblems,
    UPGRADE_CHANNELS,
    UpgradeChannel,
} from "../../components/aks-cluster";
import { KEY_VAULT_SKUS, KeyVaultSku } from "../../components/key-vault";
import { CHART_VERSION } from "../../components/ingress-controller";
import {
    DEFAULT_GATEWAY_NAMESPACE,
    ENVOY_GATEWAY_CHART_VERSION,
    ENVOY_GATEWAY_NAMESPACE,
    ENVOY_GATEWAY_VERSION,
    GATEWAY_MODES,
    GatewayMode,
} from "../../components/gateway-api";
import { gatewayApi } from "@phoenix/release-model";
import { KUBELOGIN_MODES, KubeloginMode } from "../../components/kubeconfig";
import {
    blobContainerNameProblem,
    clusterNameProblem,
    dnsLabelPrefixProblem,
    environmentNames,
    resourceGroupNameProblem,
    storageAccountPrefixProblem,
    vaultPrefixProblem,
} from "../../components/naming";
import { DEFAULT_RECORD_CONTAINER, RECORD_STORE_SKUS, RecordStoreSku, SOFT_DELETE_DAYS } from "../../components/release-record-store";
import type { LiveSlotAlerts } from "../../components/blue-green-monitoring";
import { AksRbacRoleName, AksRbacRoles, PRINCIPAL_TYPES, PrincipalType } from "../../components/role-assignment";
import { readServices, type PlatformService } from "./services";

export const PLATFORM_PROJECT = "phoenix-platform";

export interface PlatformConfig {
    environment: string;
    location: string;
    prefix: string;
    appName: string;
    registryStack: string;
    tags: Record<string, string>;
    names: {
        resourceGroup: string;
        cluster: string;
        dnsPrefix: string;
        nodeResourceGroup: string;
        logAnalytics: string;
        appInsights: string;
        vaultPrefix: string;
        recordAccountPrefix: string;
        dnsLabelPrefix: string;
    };
    logRetentionDays: number;
    logDailyQuotaGb: number;
    keyVault: { sku: KeyVaultSku; retentionDays: number; purgeProtection: boolean };
    /** The release record store (components/release-record-store.ts). */
    releaseRecord: { sku: RecordStoreSku; container: string; retentionDays: number };
    aks: {
        kubernetesVersion: string;
        upgradeChannel: UpgradeChannel;
        nodeOsUpgradeChannel: NodeOsUpgradeChannel;
        skuTier: AksSkuTier;
        poolName: string;
        vmSize: string;
        minNodes: number;
        maxNodes: number;
        osDiskSizeGb: number;
        availabilityZones: string[];
        adminGroupObjectIds: string[];
        disableLocalAccounts: boolean;
    };
    kubeloginMode: KubeloginMode;
    pipelineClusterRole: AksRbacRoleName;
    deployerPrincipalType: PrincipalType;
    ingress: { namespace: string; chartVersion: string; replicas: number };
    /** The front door: a Gateway (envoy, app-routing-istio) or ingress-nginx alone (nginx). */
    gateway: {
        mode: GatewayMode;
        /** Who installs the Gateway API CRDs: AKS (managed, standard channel) or Phoenix (with Envoy Gateway). */
        crds: gatewayApi.GatewayApiCrdOwner;
        /** Keep ingress-nginx running beside the Gateway (migration; docs/gateway-migration.md). */
        legacyNginx: boolean;
        namespace: string;
        chartVersion: string;
        replicas: number;
        /** Unset: no HTTPS listener. */
        tlsSecretName?: string;
        /** Unset: the front door's own cloudapp.azure.com name. */
        publicHostname?: string;
    };
    /** The live-slot alerts of the blue/green monitoring (components/blue-green-monitoring.ts). */
    alerts: LiveSlotAlerts;
    /** The services the platform hosts, each with its hosts and path prefix (default: appName alone, on the platform's host). */
    services: PlatformService[];
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** A fully qualified host name: lower-case labels, at least one dot, no wildcard, not an IP address. */
const PUBLIC_HOSTNAME = /^(?=.{4,253}$)(?![\d.]+$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)+$/;

export function readPlatformConfig(raw: RawConfig): PlatformConfig {
    const r = new ConfigReader(PLATFORM_PROJECT, raw);
    const environment = r.string("environment", {
        pattern: /^[a-z][a-z0-9]{1,9}$/,
        patternText: "2–10 lower-case letters and digits, starting with a letter (e.g. dev, prod)",
    });
    const location = r.string("location", { pattern: AZURE_REGION, patternText: "an Azure region name such as westeurope" });
    const prefix = r.string("prefix", {
        default: "phoenix",
        pattern: NAME_PREFIX,
        patternText: "a letter followed by letters, digits and single hyphens",
    });
    const appName = r.string("appName", {
        default: "calculator",
        pattern: /^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$/,
        patternText: "a DNS-1123 label of at most 40 characters (it names the blue-<app> and green-<app> namespaces)",
    });
    const registryStack = r.string("registryStack", {
        default: "organization/phoenix-registry/shared",
        pattern: /^([^/\s]+\/){0,2}[^/\s]+$/,
        patternText: "a stack reference name: <stack>, <project>/<stack> or <organization>/<project>/<stack>",
    });
    const tags = r.tags("tags");

    const derived = environmentNames(prefix, environment);
    const resourceGroup = r.string("resourceGroupName", { default: derived.resourceGroup, check: resourceGroupNameProblem });
    const nodeResourceGroup = r.string("aksNodeResourceGroupName", { default: `${resourceGroup}-nodes`, check: resourceGroupNameProblem });
    r.require(
        nodeResourceGroup !== resourceGroup,
        "aksNodeResourceGroupName",
        "a resource group other than resourceGroupName (AKS creates and owns it)",
        nodeResourceGroup,
    );
    const cluster = r.string("aksClusterName", { default: derived.cluster, check: clusterNameProblem });
    if (environment && prefix) {
        const vp = vaultPrefixProblem(derived.vaultPrefix);
        if (vp)
            r.problem(
                "prefix",
                `a prefix that, with the environment and a 5-character suffix, yields a valid Key Vault name: ${vp}`,
                prefix,
            );
        const sp = vp ? undefined : storageAccountPrefixProblem(derived.recordAccountPrefix);
        if (sp)
            r.problem(
                "prefix",
                `a prefix that, with the environment and a 5-character suffix, yields a valid storage account name: ${sp}`,
                prefix,
            );
    }
    const dnsLabelPrefix = r.string("dnsLabelPrefix", {
        default: derived.dnsLabelPrefix,
        check: (p) => {
            const problem = dnsLabelPrefixProblem(p);
            return problem && `a prefix that yields a valid DNS label (prefix + "-" + 5 random characters): ${problem}`;
        },
    });

    const logRetentionDays = r.integer("logRetentionDays", { default: 30, min: 30, max: 730 });
    const logDailyQuotaGb = r.integer("logDailyQuotaGb", { default: 0, min: 0, max: 10000 });

    const keyVault = {
        sku: r.oneOf("keyVaultSku", KEY_VAULT_SKUS, "standard"),
        retentionDays: r.integer("keyVaultRetentionDays", { default: 90, min: 7, max: 90 }),
        purgeProtection: r.boolean("keyVaultPurgeProtection", true),
    };

    const releaseRecord = {
        sku: r.oneOf("releaseRecordSku", RECORD_STORE_SKUS, "Standard_LRS"),
        container: r.string("releaseRecordContainer", { default: DEFAULT_RECORD_CONTAINER, check: blobContainerNameProblem }),
        retentionDays: r.integer("releaseRecordRetentionDays", { default: 7, min: SOFT_DELETE_DAYS.min, max: SOFT_DELETE_DAYS.max }),
    };

    // The System pool: defaults live in Pulumi.yaml (the CLI applies them), the rules in
    // components/aks-cluster.ts (systemPoolProblems), worded here with the config keys.
    const poolKeys = { name: "aksSystemPoolName", minCount: "aksNodeMin", maxCount: "aksNodeMax" } as const;
    const poolName = r.string(poolKeys.name);
    const minNodes = r.integer(poolKeys.minCount);
    const maxNodes = r.integer(poolKeys.maxCount);
    const unread = new Set(r.problems.map((p) => p.key));
    for (const p of systemPoolProblems({ name: poolName, minCount: minNodes, maxCount: maxNodes }, poolKeys)) {
        if (!unread.has(r.key(poolKeys[p.field]))) r.problem(poolKeys[p.field], p.expected, p.got);
    }
    const aks = {
        kubernetesVersion: r.string("aksKubernetesVersion", {
            pattern: KUBERNETES_VERSION,
            patternText: "<major>.<minor> or <major>.<minor>.<patch>, e.g. 1.34",
        }),
        upgradeChannel: r.oneOf("aksUpgradeChannel", UPGRADE_CHANNELS, "patch"),
        nodeOsUpgradeChannel: r.oneOf("aksNodeOsUpgradeChannel", NODE_OS_UPGRADE_CHANNELS, "NodeImage"),
        skuTier: r.oneOf("aksSkuTier", AKS_SKU_TIERS, "Free"),
        poolName,
        vmSize: r.string("aksNodeVmSize", { pattern: /^Standard_[A-Za-z0-9_]+$/, patternText: "an Azure VM size such as Standard_D4s_v5" }),
        minNodes,
        maxNodes,
        osDiskSizeGb: r.integer("aksNodeOsDiskGb", { min: 0, max: 2048 }),
        availabilityZones: r.stringList("aksAvailabilityZones", { pattern: /^[1-3]$/, patternText: "a zone number 1, 2 or 3" }),
        adminGroupObjectIds: r.stringList("aksAdminGroupObjectIds", { pattern: GUID, patternText: "an Entra group object id (GUID)" }),
        disableLocalAccounts: r.boolean("aksDisableLocalAccounts", true),
    };
    r.require(
        aks.osDiskSizeGb === 0 || aks.osDiskSizeGb >= 30,
        "aksNodeOsDiskGb",
        "0 (the VM size's default) or at least 30",
        aks.osDiskSizeGb,
    );

    const kubeloginMode = r.oneOf(
        "kubeloginMode",
        KUBELOGIN_MODES.filter((m) => m !== "devicecode"),
        "azurecli",
    );
    const pipelineClusterRole = r.oneOf("pipelineClusterRole", Object.keys(AksRbacRoles) as AksRbacRoleName[], "cluster-admin");
    const deployerPrincipalType = r.oneOf("deployerPrincipalType", PRINCIPAL_TYPES, "User");

    const ingress = {
        namespace: r.string("ingressNamespace", {
            default: "ingress-nginx",
            pattern: DNS1123_LABEL,
            patternText: "a Kubernetes namespace name",
        }),
        chartVersion: r.string("ingressChartVersion", {
            default: "4.15.1",
            pattern: CHART_VERSION,
            patternText: "an exact chart version such as 4.15.1 (pinned, no ranges)",
        }),
        replicas: r.integer("ingressReplicas", { default: 2, min: 2, max: 20 }),
    };

    const gatewayMode = r.oneOf("gateway", GATEWAY_MODES, "app-routing-istio");
    const gateway = {
        mode: gatewayMode,
        crds: r.oneOf("gatewayApiCrds", gatewayApi.GATEWAY_API_CRD_OWNERS, "managed"),
        legacyNginx: r.boolean("legacyNginx", false),
        namespace: r.string("gatewayNamespace", {
            default: DEFAULT_GATEWAY_NAMESPACE,
            pattern: DNS1123_LABEL,
            patternText: "a Kubernetes namespace name",
        }),
        chartVersion: r.string("gatewayChartVersion", {
            default: ENVOY_GATEWAY_CHART_VERSION,
            pattern: ENVOY_GATEWAY_VERSION,
            patternText: "an exact Envoy Gateway release such as v1.9.2 (pinned: no ranges, no -rc, no v0.0.0-latest)",
        }),
        replicas: r.integer("gatewayReplicas", { default: 2, min: 2, max: 20 }),
        tlsSecretName: r.optionalString("gatewayTlsSecretName", {
            pattern: DNS1123_SUBDOMAIN,
            patternText: "a Kubernetes Secret name (kubernetes.io/tls, in gatewayNamespace), or empty for none",
        }),
        publicHostname: r.optionalString("publicHostname", {
            pattern: PUBLIC_HOSTNAME,
            patternText: "a fully qualified lower-case host name such as shop.example.com (no wildcard, no IP), or empty",
        }),
    };
    r.require(
        !(gateway.legacyNginx && gatewayMode === "nginx"),
        "legacyNginx",
        "false when gateway is nginx (legacyNginx keeps ingress-nginx beside a Gateway; with gateway nginx it is the only front door)",
        true,
    );
    r.require(
        !(gatewayMode === "nginx" && gateway.tlsSecretName !== undefined),
        "gatewayTlsSecretName",
        "empty when gateway is nginx (there is no Gateway to hold the certificate)",
        gateway.tlsSecretName,
    );
    r.require(
        gateway.namespace !== ingress.namespace,
        "gatewayNamespace",
        `a namespace other than ingressNamespace ("${ingress.namespace}")`,
        gateway.namespace,
    );
    if (gatewayMode !== "nginx" && KUBERNETES_VERSION.test(aks.kubernetesVersion) && ENVOY_GATEWAY_VERSION.test(gateway.chartVersion)) {
        for (const p of gatewayApi.crdOwnershipProblems({
            gateway: gatewayMode,
            crds: gateway.crds,
            kubernetesVersion: aks.kubernetesVersion,
            envoyChartVersion: gateway.chartVersion,
        })) {
            r.problem("gatewayApiCrds", `a CRD owner that fits gateway ${gatewayMode} (${p})`, gateway.crds);
        }
    }
    r.require(
        gateway.namespace !== ENVOY_GATEWAY_NAMESPACE,
        "gatewayNamespace",
        `a namespace other than Envoy Gateway's own "${ENVOY_GATEWAY_NAMESPACE}"`,
        gateway.namespace,
    );
    const alerts = readAlerts(r, raw);
    const services = readServices(r, "services", appName, {
        publicHostname: gateway.publicHostname,
        platformListeners: gateway.tlsSecretName !== undefined ? 2 : 1,
    });

    r.done();
    return {
        environment,
        location,
        prefix,
        appName,
        registryStack,
        tags,
        names: { ...derived, resourceGroup, cluster, nodeResourceGroup, dnsLabelPrefix },
        logRetentionDays,
        logDailyQuotaGb,
        keyVault,
        releaseRecord,
        aks,
        kubeloginMode,
        pipelineClusterRole,
        deployerPrincipalType,
        ingress,
        gateway,
        alerts,
        services,
    };
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * The alert keys. Webhook URLs are treated as secrets (set them with `pulumi config set --secret
 * --path`): a problem names the entry but never shows its value.
 */
function readAlerts(r: ConfigReader, raw: RawConfig): LiveSlotAlerts {
    const enabled = r.boolean("alertsEnabled", true);
    const emails = r.stringList("alertEmails", { pattern: EMAIL, patternText: "an email address" });
    // Parsed here rather than with r.json, whose error would echo the text.
    const text = raw("alertWebhookUrls");
    let rawHooks: unknown = [];
    try {
        rawHooks = text === undefined || text === "" ? [] : (JSON.parse(text) as unknown);
    } catch {
        rawHooks = undefined;
    }
    const webhookUrls: string[] = [];
    if (!Array.isArray(rawHooks)) r.problem("alertWebhookUrls", "a list of https:// URLs (value not shown: it may hold a token)");
    else {
        rawHooks.forEach((u: unknown, i) => {
            if (typeof u === "string" && /^https:\/\/[^\s]+$/.test(u)) webhookUrls.push(u);
            else r.problem(`alertWebhookUrls[${i}]`, "an https:// URL (value not shown: it may hold a token)");
        });
    }
    r.require(
        !enabled || emails.length + webhookUrls.length > 0,
        "alertsEnabled",
        "alertEmails or alertWebhookUrls to name at least one receiver when alerts are enabled (or alertsEnabled: false, which the policy pack refuses in prod)",
        enabled,
    );
    return {
        enabled,
        emails,
        webhookUrls,
        failureRatePercent: r.integer("alertFailureRatePercent", { default: 5, min: 1, max: 100 }),
        p95LatencyMs: r.integer("alertP95LatencyMs", { default: 1000, min: 1, max: 60000 }),
        minRequests: r.integer("alertMinRequests", { default: 20, min: 1, max: 1000000 }),
    };
}
