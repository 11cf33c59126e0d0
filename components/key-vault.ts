/**
 * A per-environment Key Vault with RBAC authorization, holding the settings the pipeline and the
 * release engine read (the seed's rule: pipelines read their variables from a per-environment vault).
 *
 * Secret values are wrapped as Pulumi secrets (encrypted in state). Writing them needs Key Vault
 * Secrets Officer first, so every secret depends on the officer role assignments.
 */
import * as pulumi from "@pulumi/pulumi";
import * as keyvault from "@pulumi/azure-native/keyvault";
import { vaultName, vaultPrefixProblem, secretNameProblem } from "./naming";
import { randomSuffix } from "./random-suffix";
import { assignRole, grantKey, grantProblems, Grantee } from "./role-assignment";

export const KEY_VAULT_SKUS = ["standard", "premium"] as const;
export type KeyVaultSku = (typeof KEY_VAULT_SKUS)[number];

export interface KeyVaultArgs {
    /** Resource group of the vault. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region of the vault. */
    readonly location: pulumi.Input<string>;
    /** Name prefix; `-<5 random characters>` is appended (3–24 characters in all). */
    readonly namePrefix: string;
    /** Entra tenant of the vault (from `getClientConfig`). */
    readonly tenantId: pulumi.Input<string>;
    /** Vault SKU, standard or premium. */
    readonly sku: KeyVaultSku;
    /** Soft-delete retention, 7–90 days. */
    readonly softDeleteRetentionInDays: number;
    /** Purge protection is irreversible once on; when false the property is omitted (Azure rejects `false`). */
    readonly purgeProtection: boolean;
    /** Secret name → value. Names allow only letters, digits and hyphens. */
    readonly secrets: Record<string, pulumi.Input<string>>;
    /** Principals that read secrets (Key Vault Secrets User). */
    readonly secretReaders: Grantee[];
    /** Principals that manage secrets (Key Vault Secrets Officer); the deploying principal belongs here. */
    readonly secretOfficers: Grantee[];
    /** Tags on the vault and its secrets. */
    readonly tags: Record<string, string>;
}

export class KeyVault extends pulumi.ComponentResource {
    public readonly vault: keyvault.Vault;
    public readonly secrets: Record<string, keyvault.Secret>;
    public readonly vaultName: pulumi.Output<string>;
    public readonly vaultUri: pulumi.Output<string>;
    public readonly vaultId: pulumi.Output<string>;

    constructor(name: string, args: KeyVaultArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:keyvault:KeyVault", name, {}, opts);
        const errors: { propertyPath: string; reason: string }[] = [];
        const prefixProblem = vaultPrefixProblem(args.namePrefix);
        if (prefixProblem) errors.push({ propertyPath: "namePrefix", reason: prefixProblem });
        if (!(KEY_VAULT_SKUS as readonly string[]).includes(args.sku)) {
            errors.push({ propertyPath: "sku", reason: `expected one of ${KEY_VAULT_SKUS.join(", ")}, got "${args.sku}"` });
        }
        if (
            !Number.isInteger(args.softDeleteRetentionInDays) ||
            args.softDeleteRetentionInDays < 7 ||
            args.softDeleteRetentionInDays > 90
        ) {
            errors.push({
                propertyPath: "softDeleteRetentionInDays",
                reason: `expected an integer from 7 to 90, got ${args.softDeleteRetentionInDays}`,
            });
        }
        for (const secretName of Object.keys(args.secrets)) {
            const p = secretNameProblem(secretName);
            if (p) errors.push({ propertyPath: `secrets.${secretName}`, reason: p });
        }
        errors.push(
            ...grantProblems(
                "secretOfficers",
                args.secretOfficers.map((grantee) => ({ role: "KeyVaultSecretsOfficer" as const, grantee })),
            ),
        );
        errors.push(
            ...grantProblems(
                "secretReaders",
                args.secretReaders.map((grantee) => ({ role: "KeyVaultSecretsUser" as const, grantee })),
            ),
        );
        if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid KeyVault "${name}"`, errors });

        const suffix = randomSuffix(`${name}-suffix`, { parent: this });
        this.vault = new keyvault.Vault(
            `${name}-vault`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                vaultName: suffix.result.apply((s) => vaultName(args.namePrefix, s)),
                properties: {
                    tenantId: args.tenantId,
                    sku: { family: "A", name: args.sku },
                    enableRbacAuthorization: true,
                    enableSoftDelete: true,
                    softDeleteRetentionInDays: args.softDeleteRetentionInDays,
                    enablePurgeProtection: args.purgeProtection ? true : undefined,
                    accessPolicies: [],
                },
                tags: args.tags,
            },
            { parent: this },
        );

        // Named by role and principal; the alias is the former list-index name (stacks deployed before keep theirs).
        const officers = args.secretOfficers.map((p, i) =>
            assignRole(
                `${name}-secrets-officer-${grantKey("KeyVaultSecretsOfficer", p)}`,
                { ...p, scope: this.vault.id, role: "KeyVaultSecretsOfficer" },
                { parent: this, aliases: [{ name: `${name}-secrets-officer-${i}` }] },
            ),
        );
        args.secretReaders.forEach((p, i) =>
            assignRole(
                `${name}-secrets-user-${grantKey("KeyVaultSecretsUser", p)}`,
                { ...p, scope: this.vault.id, role: "KeyVaultSecretsUser" },
                { parent: this, aliases: [{ name: `${name}-secrets-user-${i}` }] },
            ),
        );

        this.secrets = {};
        for (const [secretName, value] of Object.entries(args.secrets)) {
            this.secrets[secretName] = new keyvault.Secret(
                `${name}-${secretName}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    vaultName: this.vault.name,
                    secretName,
                    properties: { value: pulumi.secret(value), contentType: "text/plain" },
                    tags: args.tags,
                },
                { parent: this, dependsOn: officers },
            );
        }

        this.vaultName = this.vault.name;
        this.vaultId = this.vault.id;
        this.vaultUri = this.vault.properties.apply((p) => p.vaultUri);
        this.registerOutputs({ vaultName: this.vaultName, vaultUri: this.vaultUri, vaultId: this.vaultId });
    }
}
