/** Key Vault policies. */
import { resourcePolicy, TYPES } from "./define";
import { asArray, asNumber, asString, at, ProdDetectionConfig, requireProd, prodDetectionSchema, show } from "./util";

/** Azure's soft-delete retention when `softDeleteRetentionInDays` is not set. */
const AZURE_DEFAULT_RETENTION_DAYS = 90;

export const keyVaultRbacAuthorization = resourcePolicy({
    name: "keyvault-rbac-authorization",
    description: "Key Vaults must authorize data-plane access with Azure RBAC, not access policies.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set `properties.enableRbacAuthorization: true` on the Vault and grant Key Vault Secrets User/Officer roles instead of access policies.",
    resourceTypes: [TYPES.vault],
    check: (props, { report }) => {
        const rbac = at(props.properties, "enableRbacAuthorization");
        if (rbac !== true) report(`properties.enableRbacAuthorization is ${show(rbac)}; expected true.`);
    },
});

export const keyVaultSoftDeleteRetention = resourcePolicy<{ minRetentionDays: number }>({
    name: "keyvault-soft-delete-retention",
    description: "Key Vaults must keep soft delete on with a retention of at least the configured number of days (7 by default).",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps:
        "Leave `properties.enableSoftDelete` unset or true and set `properties.softDeleteRetentionInDays` between the configured minimum and 90 (the platform stack's `keyVaultRetentionDays`).",
    resourceTypes: [TYPES.vault],
    configSchema: {
        properties: {
            minRetentionDays: {
                type: "integer",
                minimum: 7,
                maximum: 90,
                default: 7,
                description: "Smallest soft-delete retention accepted, in days (Azure allows 7–90).",
            },
        },
    },
    check: (props, { config, report }) => {
        const p = props.properties;
        if (at(p, "enableSoftDelete") === false) {
            report("properties.enableSoftDelete is false; soft delete must stay on.");
        }
        const raw = at(p, "softDeleteRetentionInDays");
        const days = raw === undefined ? AZURE_DEFAULT_RETENTION_DAYS : asNumber(raw);
        if (days === undefined || !Number.isInteger(days) || days < config.minRetentionDays || days > 90) {
            report(`properties.softDeleteRetentionInDays is ${show(raw)}; expected an integer from ${config.minRetentionDays} to 90.`);
        }
    },
});

export const keyVaultPurgeProtectionInProd = resourcePolicy<ProdDetectionConfig>({
    name: "keyvault-purge-protection-in-prod",
    description: "Production Key Vaults must have purge protection on so deleted secrets cannot be destroyed before retention ends.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set `properties.enablePurgeProtection: true` (the platform stack's `keyVaultPurgeProtection` config) on production vaults. It cannot be turned off afterwards.",
    resourceTypes: [TYPES.vault],
    configSchema: { properties: { ...prodDetectionSchema } },
    check: (props, { args, config, report }) => {
        requireProd(config, args, props);
        const purge = at(props.properties, "enablePurgeProtection");
        if (purge !== true) report(`properties.enablePurgeProtection is ${show(purge)}; expected true in production.`);
    },
});

export const keyVaultNetworkRules = resourcePolicy({
    name: "keyvault-network-rules",
    description: "Key Vaults should deny network access by default and allow only listed networks or private endpoints.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
        'Set `properties.networkAcls.defaultAction: "Deny"` with `bypass: "AzureServices"` and the pipeline agents\' IP ranges or virtual networks, or `publicNetworkAccess: "Disabled"` with a private endpoint.',
    resourceTypes: [TYPES.vault],
    check: (props, { report }) => {
        const p = props.properties;
        if (asString(at(p, "publicNetworkAccess"))?.toLowerCase() === "disabled") return;
        const action = at(p, "networkAcls", "defaultAction");
        if (action !== "Deny")
            report(`properties.networkAcls.defaultAction is ${show(action)}; expected "Deny" (or publicNetworkAccess "Disabled").`);
    },
});

export const keyVaultNoAccessPolicies = resourcePolicy({
    name: "keyvault-no-access-policies",
    description: "Key Vaults should not carry access policies, which RBAC authorization ignores and which mislead reviewers.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Remove `properties.accessPolicies` and grant the equivalent Key Vault RBAC roles with role assignments.",
    resourceTypes: [TYPES.vault],
    check: (props, { report }) => {
        const n = asArray(at(props.properties, "accessPolicies")).length;
        if (n > 0) report(`properties.accessPolicies has ${n} entr${n === 1 ? "y" : "ies"}; expected none.`);
    },
});

export const keyVaultPolicies = [
    keyVaultRbacAuthorization,
    keyVaultSoftDeleteRetention,
    keyVaultPurgeProtectionInProd,
    keyVaultNetworkRules,
    keyVaultNoAccessPolicies,
];
