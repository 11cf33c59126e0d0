/**
 * Small builders so each policy module states only what its rule is: the resource types it
 * reviews, its metadata, and the check. Type filtering and config defaults live here once.
 */
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { configOf, Props } from "./util";

/** The metadata every Phoenix policy must carry. */
interface PolicyMeta {
    name: string;
    /** One sentence. */
    description: string;
    enforcementLevel: EnforcementLevel;
    severity: Severity;
    remediationSteps: string;
    configSchema?: PolicyConfigSchema;
}

/** The SDK-facing metadata of a policy, copied field by field (the spec also holds the check). */
function metaOf(spec: PolicyMeta): PolicyMeta {
    const { name, description, enforcementLevel, severity, remediationSteps, configSchema } = spec;
    return { name, description, enforcementLevel, severity, remediationSteps, configSchema };
}

export interface ResourceCheckContext<C> {
    args: ResourceValidationArgs;
    config: C;
    report: ReportViolation;
}

export interface ResourcePolicySpec<C extends object> extends PolicyMeta {
    /** Resource type tokens this policy reviews; other resources are skipped silently. */
    resourceTypes: readonly string[] | ((type: string) => boolean);
    check: (props: Props, ctx: ResourceCheckContext<C>) => void;
}

export function resourcePolicy<C extends object = Record<string, never>>(spec: ResourcePolicySpec<C>): ResourceValidationPolicy {
    const matches =
        typeof spec.resourceTypes === "function"
            ? spec.resourceTypes
            : (t: string) => (spec.resourceTypes as readonly string[]).includes(t);
    return {
        ...metaOf(spec),
        validateResource: (args, report) => {
            if (!matches(args.type)) return;
            const config = configOf<C>(spec.configSchema, args);
            spec.check(args.props as Props, { args, config, report });
        },
    };
}

export interface StackCheckContext<C> {
    args: StackValidationArgs;
    config: C;
    report: ReportViolation;
}

export interface StackPolicySpec<C extends object> extends PolicyMeta {
    check: (ctx: StackCheckContext<C>) => void;
}

export function stackPolicy<C extends object = Record<string, never>>(spec: StackPolicySpec<C>): StackValidationPolicy {
    return {
        ...metaOf(spec),
        validateStack: (args, report) => {
            const config = configOf<C>(spec.configSchema, args);
            spec.check({ args, config, report });
        },
    };
}

/** Azure resource type tokens Phoenix's policies review. */
export const TYPES = {
    registry: "azure-native:containerregistry:Registry",
    vault: "azure-native:keyvault:Vault",
    cluster: "azure-native:containerservice:ManagedCluster",
    appInsights: "azure-native:applicationinsights:Component",
    roleAssignment: "azure-native:authorization:RoleAssignment",
    helmRelease: "kubernetes:helm.sh/v3:Release",
    ingress: "kubernetes:networking.k8s.io/v1:Ingress",
    gateway: "kubernetes:gateway.networking.k8s.io/v1:Gateway",
    httpRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    referenceGrant: "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant",
    scheduledQueryRule: "azure-native:monitor:ScheduledQueryRule",
    actionGroup: "azure-native:monitor:ActionGroup",
    storageAccount: "azure-native:storage:StorageAccount",
    blobService: "azure-native:storage:BlobServiceProperties",
} as const;
