/** Container registry (ACR) policies. */
import { resourcePolicy, TYPES } from "./define";
import { at, asString, ProdDetectionConfig, requireProd, prodDetectionSchema, show } from "./util";

export const acrAdminUserDisabled = resourcePolicy({
    name: "acr-admin-user-disabled",
    description: "Container registries must keep the admin user (a shared, non-auditable password) disabled.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set `adminUserEnabled: false` on the Registry; push with the pipeline identity (AcrPush) and pull with the kubelet identity (AcrPull).",
    resourceTypes: [TYPES.registry],
    check: (props, { report }) => {
        if (props.adminUserEnabled === true) {
            report("adminUserEnabled is true; expected false.");
        }
    },
});

export const acrAnonymousPullDisabled = resourcePolicy({
    name: "acr-anonymous-pull-disabled",
    description: "Container registries must not allow anonymous (unauthenticated) pulls.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set `anonymousPullEnabled: false` (or leave it unset) on the Registry.",
    resourceTypes: [TYPES.registry],
    check: (props, { report }) => {
        if (props.anonymousPullEnabled === true) {
            report("anonymousPullEnabled is true; expected false.");
        }
    },
});

export const acrPremiumInProd = resourcePolicy<ProdDetectionConfig>({
    name: "acr-premium-in-prod",
    description: "A registry serving production should be Premium (geo-replication, private endpoints, higher throughput).",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set the registry SKU config to Premium for the stack that serves production.",
    resourceTypes: [TYPES.registry],
    configSchema: { properties: { ...prodDetectionSchema } },
    check: (props, { args, config, report }) => {
        requireProd(config, args, props);
        const sku = asString(at(props.sku, "name"));
        if (sku !== "Premium") report(`sku.name is ${show(sku)}; expected "Premium" in production.`);
    },
});

export const registryPolicies = [acrAdminUserDisabled, acrAnonymousPullDisabled, acrPremiumInProd];
