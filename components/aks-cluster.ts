/**
 * The environment's AKS cluster: managed identity, Entra ID with Azure RBAC, OIDC issuer and
 * workload identity, Container Insights, an autoscaling System pool, AcrPull for the kubelet on the
 * shared registry, AKS RBAC roles for the principals that deploy to it, and a Kubernetes provider
 * built from the cluster's user credentials (the kubeconfig is a secret everywhere).
 *
 * The Gateway API of the cluster (AKS-managed CRDs, app-routing Istio) lives in ARM fields of the
 * ManagedCluster API from 2026-02-01 on that azure-native 3.28 (API 2025-09-01, the newest on the npm
 * registry) has no input for: a child `command:local:Command` runs `az aks update` once per cluster
 * where `pulumi up` runs, and the cluster ignores `ingressProfile` so the two writers never fight
 * (docs/gateway-migration.md, "How the platform enables AKS Gateway API", says why not otherwise).
 */
import * as pulumi from "@pulumi/pulumi";
import * as containerservice from "@pulumi/azure-native/containerservice";
import * as k8s from "@pulumi/kubernetes";
import * as command from "@pulumi/command";
import { gatewayApi } from "@phoenix/release-model";
import { clusterNameProblem, resourceGroupNameProblem } from "./naming";
import { assignRole, AksRbacRoleName, AksRbacRoles, grantKey, grantProblems, Grantee } from "./role-assignment";
import { decodeKubeconfig, KubeloginMode, withKubeloginMode } from "./kubeconfig";

export const UPGRADE_CHANNELS = ["none", "patch", "stable", "rapid", "node-image"] as const;
export type UpgradeChannel = (typeof UPGRADE_CHANNELS)[number];
export const NODE_OS_UPGRADE_CHANNELS = ["None", "Unmanaged", "NodeImage", "SecurityPatch"] as const;
export type NodeOsUpgradeChannel = (typeof NODE_OS_UPGRADE_CHANNELS)[number];
export const AKS_SKU_TIERS = ["Free", "Standard"] as const;
export type AksSkuTier = (typeof AKS_SKU_TIERS)[number];

/** `1.33` or `1.33.2`. */
export const KUBERNETES_VERSION = /^\d+\.\d+(\.\d+)?$/;

/** The Container Insights addon key and its config key (a free-form map: a typo compiles). */
export const OMS_AGENT_ADDON = "omsagent";
export const OMS_WORKSPACE_KEY = "logAnalyticsWorkspaceResourceID";

export interface SystemPoolArgs {
    /** Pool name: 1–12 lower-case letters and digits, starting with a letter. */
    readonly name: string;
    /** VM size of the pool's nodes, e.g. Standard_D2s_v5. */
    readonly vmSize: string;
    /** Autoscaler minimum, ≥ 1. */
    readonly minCount: number;
    /** Autoscaler maximum, ≥ minCount and ≤ 1000. */
    readonly maxCount: number;
    /** OS disk size in GB; unset for the VM size's default. */
    readonly osDiskSizeGB?: number;
    /** Availability zones ("1", "2", "3"); unset for none. */
    readonly availabilityZones?: string[];
}

export interface ClusterGrant extends Grantee {
    /** AKS RBAC role on the cluster scope. */
    readonly role: AksRbacRoleName;
}

export interface AksClusterArgs {
    /** Resource group of the cluster (not the node resource group). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region of the cluster. */
    readonly location: pulumi.Input<string>;
    /** Cluster name, checked against Azure's rule before anything is registered. */
    readonly clusterName: string;
    /** DNS prefix of the API server's FQDN: 2–54 letters, digits or hyphens. */
    readonly dnsPrefix: string;
    /** Resource group AKS creates for nodes, load balancer and disks. */
    readonly nodeResourceGroupName: string;
    /** Kubernetes version, `<major>.<minor>[.<patch>]`; must be offered in the region. */
    readonly kubernetesVersion: string;
    /** Cluster auto-upgrade channel. */
    readonly upgradeChannel: UpgradeChannel;
    /** Node OS upgrade channel. */
    readonly nodeOsUpgradeChannel: NodeOsUpgradeChannel;
    /** Control-plane tier: Free, or Standard (uptime SLA). */
    readonly skuTier: AksSkuTier;
    /** The first (System) node pool; its rules are {@link systemPoolProblems}. */
    readonly systemPool: SystemPoolArgs;
    /** Entra tenant for the AAD profile. */
    readonly tenantId: pulumi.Input<string>;
    /** Entra groups that get cluster-admin through the AAD profile. */
    readonly adminGroupObjectIds: string[];
    /** Turns off local (certificate) accounts; every client then needs kubelogin. */
    readonly disableLocalAccounts: boolean;
    /** Resource id of the Log Analytics workspace for Container Insights. */
    readonly logAnalyticsWorkspaceResourceId: pulumi.Input<string>;
    /** Resource id of the registry the kubelet pulls from (AcrPull for the kubelet identity). */
    readonly registryId: pulumi.Input<string>;
    /** AKS RBAC role assignments on the cluster. The Kubernetes provider waits for all of them. */
    readonly clusterGrants: ClusterGrant[];
    /** How the exported kubeconfig logs in (kubelogin); see kubeconfig.ts. */
    readonly kubeloginMode: KubeloginMode;
    /**
     * The cluster's Gateway API: who owns the CRDs (`managed`: AKS's Managed Gateway API
     * installation; `phoenix`: none from AKS) and whether AKS's app-routing Istio implementation
     * runs (needs `managed`). Unset: neither is touched.
     */
    readonly gatewayApi?: { readonly crds: gatewayApi.GatewayApiCrdOwner; readonly appRoutingIstio: boolean };
    /** Tags on the cluster and its pool. */
    readonly tags: Record<string, string>;
}

/** The System pool's rules, in one place: this component checks its args and the platform config its keys with them. */
export const SYSTEM_POOL_NAME = /^[a-z][a-z0-9]{0,11}$/;
export const SYSTEM_POOL_NAME_TEXT = "1–12 lower-case letters and digits, starting with a letter";
/** AKS's ceiling for one pool's autoscaler. */
export const SYSTEM_POOL_MAX_NODES = 1000;

/** One problem with a System pool's settings: the field, what a valid value looks like, the value. */
export interface SystemPoolProblem {
    readonly field: "name" | "minCount" | "maxCount";
    readonly expected: string;
    readonly got: string | number;
}

/**
 * The System pool's rules: the name pattern, 1 ≤ minCount ≤ maxCount ≤ 1000 (a System pool cannot
 * scale to zero). `names` words the fields the way the caller's user knows them (config keys, say). Pure.
 */
export function systemPoolProblems(
    pool: Pick<SystemPoolArgs, "name" | "minCount" | "maxCount">,
    names: Readonly<Record<SystemPoolProblem["field"], string>> = { name: "name", minCount: "minCount", maxCount: "maxCount" },
): SystemPoolProblem[] {
    const problems: SystemPoolProblem[] = [];
    if (!SYSTEM_POOL_NAME.test(pool.name)) problems.push({ field: "name", expected: SYSTEM_POOL_NAME_TEXT, got: pool.name });
    const minOk = Number.isInteger(pool.minCount) && pool.minCount >= 1;
    const maxOk = Number.isInteger(pool.maxCount) && pool.maxCount >= 1 && pool.maxCount <= SYSTEM_POOL_MAX_NODES;
    if (!minOk) problems.push({ field: "minCount", expected: "an integer ≥ 1 (a System pool cannot scale to zero)", got: pool.minCount });
    if (!maxOk) problems.push({ field: "maxCount", expected: `an integer ≥ 1 and ≤ ${SYSTEM_POOL_MAX_NODES}`, got: pool.maxCount });
    if (minOk && maxOk && pool.minCount > pool.maxCount)
        problems.push({ field: "minCount", expected: `a value ≤ ${names.maxCount} (${pool.maxCount})`, got: pool.minCount });
    return problems;
}

/** What the autoscaler changes; without it every `up` would scale the pool back. */
export const IGNORE_AUTOSCALED_COUNT = "agentPoolProfiles[0].count";
/**
 * The input path under which ARM keeps `properties.ingressProfile.gatewayAPI.installation` and
 * `properties.ingressProfile.webAppRouting.gatewayAPIImplementations.appRoutingIstio.mode` (the SDK
 * flattens `properties`). The first has no field in azure-native 3.28, so the whole profile is ignored.
 */
export const IGNORE_INGRESS_PROFILE = "ingressProfile";

/**
 * The `az aks update` arguments that make the cluster's ingress profile what the config says
 * (fields of ManagedCluster API 2026-02-01 and later, `ingressProfile.gatewayAPI.installation: Standard`
 * and `ingressProfile.webAppRouting.gatewayAPIImplementations.appRoutingIstio.mode: Enabled`, which the
 * pinned azure-native's `ManagedClusterIngressProfileArgs` lacks); undefined when there is nothing to enable.
 */
export function ingressProfileUpdateArgs(crds: gatewayApi.GatewayApiCrdOwner, appRoutingIstio: boolean): string[] | undefined {
    if (crds !== "managed") return undefined;
    return appRoutingIstio ? ["--enable-gateway-api", "--enable-app-routing-istio"] : ["--enable-gateway-api"];
}

/** The `az aks update` that enables what `ingressProfile` fields the SDK cannot set; undefined when none. Pure. */
export function ingressProfileUpdateCommand(resourceGroup: string, clusterName: string, args: string[] | undefined): string | undefined {
    if (!args) return undefined;
    // Both names are checked against Azure's rules (no quotes, no spaces); quoted for parentheses.
    return [
        "az",
        "aks",
        "update",
        "--resource-group",
        `'${resourceGroup}'`,
        "--name",
        `'${clusterName}'`,
        ...args,
        "--only-show-errors",
        "--output",
        "none",
    ].join(" ");
}

/** The ManagedCluster's ignoreChanges. Pure. */
export function clusterIgnoreChanges(ingressProfileManagedOutside: boolean): string[] {
    return ingressProfileManagedOutside ? [IGNORE_AUTOSCALED_COUNT, IGNORE_INGRESS_PROFILE] : [IGNORE_AUTOSCALED_COUNT];
}

export class AksCluster extends pulumi.ComponentResource {
    public readonly cluster: containerservice.ManagedCluster;
    public readonly clusterName: pulumi.Output<string>;
    /** Control-plane (system-assigned) identity's principal id. */
    public readonly principalId: pulumi.Output<string>;
    /** Kubelet identity's object id (the principal that pulls images). */
    public readonly kubeletObjectId: pulumi.Output<string>;
    public readonly oidcIssuerUrl: pulumi.Output<string>;
    public readonly nodeResourceGroup: pulumi.Output<string>;
    /** Secret. */
    public readonly kubeconfig: pulumi.Output<string>;
    public readonly provider: k8s.Provider;
    /** The `az aks update` of the ingress profile (managed Gateway API CRDs), when there is one. */
    public readonly ingressProfileUpdate?: command.local.Command;
    /** What a Gateway API object must wait for: the CRDs and the implementation exist after these. */
    public readonly gatewayApiReady: pulumi.Resource[];

    constructor(name: string, args: AksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:aks:AksCluster", name, {}, opts);
        const errors: { propertyPath: string; reason: string }[] = [];
        const add = (propertyPath: string, reason: string | undefined) => reason && errors.push({ propertyPath, reason });
        add("clusterName", clusterNameProblem(args.clusterName));
        add("nodeResourceGroupName", resourceGroupNameProblem(args.nodeResourceGroupName));
        if (!/^[a-zA-Z0-9][a-zA-Z0-9-]{0,52}[a-zA-Z0-9]$/.test(args.dnsPrefix))
            add("dnsPrefix", `expected 2–54 letters, digits or hyphens, got "${args.dnsPrefix}"`);
        if (!KUBERNETES_VERSION.test(args.kubernetesVersion))
            add("kubernetesVersion", `expected <major>.<minor>[.<patch>], got "${args.kubernetesVersion}"`);
        if (!(UPGRADE_CHANNELS as readonly string[]).includes(args.upgradeChannel))
            add("upgradeChannel", `expected one of ${UPGRADE_CHANNELS.join(", ")}, got "${args.upgradeChannel}"`);
        const pool = args.systemPool;
        for (const p of systemPoolProblems(pool)) add(`systemPool.${p.field}`, `expected ${p.expected}, got ${JSON.stringify(p.got)}`);
        errors.push(
            ...grantProblems(
                "clusterGrants",
                args.clusterGrants.map((grantee) => ({ role: AksRbacRoles[grantee.role], grantee })),
            ),
        );
        if (args.gatewayApi?.appRoutingIstio && args.gatewayApi.crds !== "managed") {
            add(
                "gatewayApi.crds",
                `expected managed with appRoutingIstio (AKS's app routing runs on its managed CRDs), got "${args.gatewayApi.crds}"`,
            );
        }
        if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid AksCluster "${name}"`, errors });
        const updateArgs = args.gatewayApi ? ingressProfileUpdateArgs(args.gatewayApi.crds, args.gatewayApi.appRoutingIstio) : undefined;

        this.cluster = new containerservice.ManagedCluster(
            `${name}-cluster`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                resourceName: args.clusterName,
                dnsPrefix: args.dnsPrefix,
                nodeResourceGroup: args.nodeResourceGroupName,
                kubernetesVersion: args.kubernetesVersion,
                autoUpgradeProfile: { upgradeChannel: args.upgradeChannel, nodeOSUpgradeChannel: args.nodeOsUpgradeChannel },
                sku: { name: "Base", tier: args.skuTier },
                identity: { type: "SystemAssigned" },
                enableRBAC: true,
                aadProfile: {
                    managed: true,
                    enableAzureRBAC: true,
                    tenantID: args.tenantId,
                    adminGroupObjectIDs: args.adminGroupObjectIds,
                },
                disableLocalAccounts: args.disableLocalAccounts,
                oidcIssuerProfile: { enabled: true },
                securityProfile: { workloadIdentity: { enabled: true } },
                addonProfiles: {
                    [OMS_AGENT_ADDON]: { enabled: true, config: { [OMS_WORKSPACE_KEY]: args.logAnalyticsWorkspaceResourceId } },
                },
                networkProfile: { networkPlugin: "azure", networkPluginMode: "overlay", loadBalancerSku: "standard" },
                agentPoolProfiles: [
                    {
                        name: pool.name,
                        mode: "System",
                        vmSize: pool.vmSize,
                        osType: "Linux",
                        type: "VirtualMachineScaleSets",
                        enableAutoScaling: true,
                        minCount: pool.minCount,
                        maxCount: pool.maxCount,
                        // Required by the API even with autoscaling; the autoscaler owns it afterwards.
                        count: pool.minCount,
                        osDiskSizeGB: pool.osDiskSizeGB,
                        availabilityZones: pool.availabilityZones,
                        tags: args.tags,
                    },
                ],
                tags: args.gatewayApi ? { ...args.tags, [gatewayApi.GATEWAY_API_CRDS_TAG]: args.gatewayApi.crds } : args.tags,
            },
            { parent: this, ignoreChanges: clusterIgnoreChanges(updateArgs !== undefined) },
        );

        this.clusterName = this.cluster.name;
        this.principalId = this.cluster.identity.apply((i) => i?.principalId ?? "");
        this.kubeletObjectId = this.cluster.identityProfile.apply((p) => p?.["kubeletidentity"]?.objectId ?? "");
        this.oidcIssuerUrl = this.cluster.oidcIssuerProfile.apply((p) => p?.issuerURL ?? "");
        this.nodeResourceGroup = this.cluster.nodeResourceGroup.apply((g) => g ?? args.nodeResourceGroupName);

        if (updateArgs) {
            this.ingressProfileUpdate = new command.local.Command(
                `${name}-gateway-api`,
                {
                    create: pulumi
                        .all([pulumi.output(args.resourceGroupName), this.cluster.name])
                        .apply(([group, cluster]) => ingressProfileUpdateCommand(group, cluster, updateArgs) ?? ""),
                    // A new cluster (new id) or other flags run it again; nothing else does.
                    triggers: [this.cluster.id, updateArgs.join(" ")],
                },
                { parent: this },
            );
        }
        this.gatewayApiReady = this.ingressProfileUpdate ? [this.ingressProfileUpdate] : [];

        assignRole(
            `${name}-kubelet-acrpull`,
            { scope: args.registryId, principalId: this.kubeletObjectId, principalType: "ServicePrincipal", role: "AcrPull" },
            { parent: this },
        );
        // Named by role and principal; the alias is the former list-index name (stacks deployed before keep theirs).
        const grants = args.clusterGrants.map((g, i) =>
            assignRole(
                `${name}-rbac-${g.role}-${grantKey(AksRbacRoles[g.role], g)}`,
                { scope: this.cluster.id, principalId: g.principalId, principalType: g.principalType, role: AksRbacRoles[g.role] },
                { parent: this, aliases: [{ name: `${name}-rbac-${g.role}-${i}` }] },
            ),
        );

        const credentials = containerservice.listManagedClusterUserCredentialsOutput(
            { resourceGroupName: args.resourceGroupName, resourceName: this.cluster.name, format: "exec" },
            { parent: this },
        );
        this.kubeconfig = pulumi.secret(credentials.apply((c) => withKubeloginMode(decodeKubeconfig(c), args.kubeloginMode)));

        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig }, { parent: this, dependsOn: grants });

        this.registerOutputs({
            clusterName: this.clusterName,
            principalId: this.principalId,
            kubeletObjectId: this.kubeletObjectId,
            oidcIssuerUrl: this.oidcIssuerUrl,
            nodeResourceGroup: this.nodeResourceGroup,
            kubeconfig: this.kubeconfig,
        });
    }
}
