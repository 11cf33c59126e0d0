/** Tagging policy: the configured tags on every taggable Azure resource. */
import { resourcePolicy } from "./define";
import { asString, at, isRecord } from "./util";

/**
 * azure-native resource types whose arguments accept `tags` (checked against the installed
 * @pulumi/azure-native typings by tests/policy-tags.spec.ts for every type the stacks register).
 * Sub-resources without ARM tags (role assignments, federated credentials, diagnostic settings…)
 * are deliberately absent. Extend through the `additionalTaggableTypes` config.
 */
export const TAGGABLE_TYPES: readonly string[] = [
    "azure-native:resources:ResourceGroup",
    "azure-native:containerregistry:Registry",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:operationalinsights:Workspace",
    "azure-native:applicationinsights:Component",
    "azure-native:applicationinsights:Workbook",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Secret",
    "azure-native:containerservice:ManagedCluster",
    "azure-native:containerservice:AgentPool",
    "azure-native:network:PublicIPAddress",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:storage:StorageAccount",
    "azure-native:monitor:ActionGroup",
    "azure-native:monitor:ScheduledQueryRule",
    "azure-native:monitor:MetricAlert",
];

export interface RequiredTagsConfig {
    requiredTags: string[];
    additionalTaggableTypes: string[];
    exemptTypes: string[];
}

export const requiredTags = resourcePolicy<RequiredTagsConfig>({
    name: "required-tags",
    description: "Every taggable Azure resource must carry the configured tags with non-empty values.",
    enforcementLevel: "mandatory",
    severity: "low",
    remediationSteps:
        "Pass the stack's common tags (environment, service, managed-by plus the `tags` config) to every resource that accepts `tags`.",
    resourceTypes: (t) => t.startsWith("azure-native:"),
    configSchema: {
        properties: {
            requiredTags: {
                type: "array",
                items: { type: "string", minLength: 1 },
                default: ["environment", "service", "managed-by"],
                description: "Tag keys every taggable resource must carry.",
            },
            additionalTaggableTypes: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "More azure-native type tokens to treat as taggable.",
            },
            exemptTypes: {
                type: "array",
                items: { type: "string" },
                default: [],
                description: "Type tokens exempt from this policy.",
            },
        },
    },
    check: (props, { args, config, report }) => {
        const taggable =
            (TAGGABLE_TYPES.includes(args.type) || config.additionalTaggableTypes.includes(args.type)) &&
            !config.exemptTypes.includes(args.type);
        if (!taggable) args.notApplicable(`${args.type} takes no tags`);
        const tags = props.tags;
        if (!isRecord(tags)) {
            report(`tags are unset; expected ${config.requiredTags.join(", ")}.`);
            return;
        }
        const missing = config.requiredTags.filter((k) => !asString(at(tags, k))?.trim());
        if (missing.length > 0) report(`missing or empty tags: ${missing.join(", ")}.`);
    },
});

export const tagPolicies = [requiredTags];
