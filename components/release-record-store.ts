/**
 * The environment's release record store: the Azure Blob container where the release engine keeps
 * its record, lease lock and history (docs/contracts.md, "The release record store"), so every
 * pipeline job and laptop that releases the environment sees the same record.
 *
 * A StorageV2 account reachable only with Azure AD (shared keys off, so no account key or SAS works),
 * no public blob access, TLS 1.2 and HTTPS only; blob versioning, blob soft delete and container soft
 * delete on, so an overwritten or deleted record can be restored; one private container; and
 * Storage Blob Data Contributor on that container (not the account) for each principal that writes
 * records. The account name is derived from a prefix plus a stable random suffix and checked against
 * Azure's rules before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import * as storage from "@pulumi/azure-native/storage";
import { blobContainerNameProblem, storageAccountName, storageAccountPrefixProblem } from "./naming";
import { randomSuffix } from "./random-suffix";
import { assignRole, grantKey, grantProblems, Grantee } from "./role-assignment";

/** Redundancy options of a standard general-purpose v2 account (Premium SKUs need other account kinds). */
export const RECORD_STORE_SKUS = [
    "Standard_LRS",
    "Standard_ZRS",
    "Standard_GRS",
    "Standard_RAGRS",
    "Standard_GZRS",
    "Standard_RAGZRS",
] as const;
export type RecordStoreSku = (typeof RECORD_STORE_SKUS)[number];

/** The container the engine looks for when the vault names only the account. */
export const DEFAULT_RECORD_CONTAINER = "release-records";

/** Azure's range for blob and container soft-delete retention, in days. */
export const SOFT_DELETE_DAYS = { min: 1, max: 365 } as const;

/** The scope of a grant on one container: `<account id>/blobServices/default/containers/<name>`. Pure. */
export function containerScope(accountId: string, containerName: string): string {
    return `${accountId}/blobServices/default/containers/${containerName}`;
}

/** `https://<account>.blob.core.windows.net/<container>` from the account's blob endpoint (trailing slash or not). Pure. */
export function containerUrl(blobEndpoint: string, containerName: string): string {
    return `${blobEndpoint.replace(/\/+$/, "")}/${containerName}`;
}

export interface ReleaseRecordStoreArgs {
    /** Resource group of the account. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region of the account. */
    readonly location: pulumi.Input<string>;
    /** Name prefix; hyphens are dropped, `st` and a 5-character random suffix are appended (lower-case alphanumeric, 3–24 in all). */
    readonly namePrefix: string;
    /** Account redundancy, one of {@link RECORD_STORE_SKUS}. */
    readonly sku: RecordStoreSku;
    /** The record container: 3–63 lower-case letters, digits and single hyphens. */
    readonly containerName: string;
    /** Days a deleted or overwritten blob, and a deleted container, can be restored: an integer from 1 to 365. */
    readonly softDeleteRetentionDays: number;
    /** Principals that read and write records (Storage Blob Data Contributor on the container only); at least one. */
    readonly contributors: Grantee[];
    /** Tags on the account. */
    readonly tags: Record<string, string>;
}

export class ReleaseRecordStore extends pulumi.ComponentResource {
    public readonly account: storage.StorageAccount;
    public readonly blobService: storage.BlobServiceProperties;
    public readonly container: storage.BlobContainer;
    public readonly accountName: pulumi.Output<string>;
    public readonly accountId: pulumi.Output<string>;
    public readonly containerName: pulumi.Output<string>;
    /** The grant scope: `<account id>/blobServices/default/containers/<name>`. */
    public readonly containerId: pulumi.Output<string>;
    /** `https://<account>.blob.core.windows.net/<container>` (the engine's `PHOENIX_RECORD_STORE` form). */
    public readonly containerUrl: pulumi.Output<string>;

    constructor(name: string, args: ReleaseRecordStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:storage:ReleaseRecordStore", name, {}, opts);
        const errors: { propertyPath: string; reason: string }[] = [];
        const prefixProblem = storageAccountPrefixProblem(args.namePrefix);
        if (prefixProblem) errors.push({ propertyPath: "namePrefix", reason: prefixProblem });
        if (!(RECORD_STORE_SKUS as readonly string[]).includes(args.sku)) {
            errors.push({ propertyPath: "sku", reason: `expected one of ${RECORD_STORE_SKUS.join(", ")}, got "${args.sku}"` });
        }
        const containerProblem = blobContainerNameProblem(args.containerName);
        if (containerProblem) errors.push({ propertyPath: "containerName", reason: containerProblem });
        const days = args.softDeleteRetentionDays;
        if (!Number.isInteger(days) || days < SOFT_DELETE_DAYS.min || days > SOFT_DELETE_DAYS.max) {
            errors.push({
                propertyPath: "softDeleteRetentionDays",
                reason: `expected an integer from ${SOFT_DELETE_DAYS.min} to ${SOFT_DELETE_DAYS.max}, got ${days}`,
            });
        }
        if (args.contributors.length === 0) {
            errors.push({
                propertyPath: "contributors",
                reason: "expected at least one principal (the pipeline identity writes the record)",
            });
        }
        errors.push(
            ...grantProblems(
                "contributors",
                args.contributors.map((grantee) => ({ role: "StorageBlobDataContributor" as const, grantee })),
            ),
        );
        if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid ReleaseRecordStore "${name}"`, errors });

        const suffix = randomSuffix(`${name}-suffix`, { parent: this });
        this.account = new storage.StorageAccount(
            `${name}-account`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                accountName: suffix.result.apply((s) => storageAccountName(args.namePrefix, s)),
                kind: "StorageV2",
                sku: { name: args.sku },
                accessTier: "Hot",
                // Azure AD only: with shared keys off no account key or SAS authorizes a request.
                allowSharedKeyAccess: false,
                defaultToOAuthAuthentication: true,
                allowBlobPublicAccess: false,
                allowCrossTenantReplication: false,
                minimumTlsVersion: "TLS1_2",
                enableHttpsTrafficOnly: true,
                tags: args.tags,
            },
            { parent: this },
        );

        this.blobService = new storage.BlobServiceProperties(
            `${name}-blob-service`,
            {
                resourceGroupName: args.resourceGroupName,
                accountName: this.account.name,
                blobServicesName: "default",
                isVersioningEnabled: true,
                deleteRetentionPolicy: { enabled: true, days, allowPermanentDelete: false },
                containerDeleteRetentionPolicy: { enabled: true, days },
            },
            { parent: this },
        );

        // After the blob service: the first record is written with versioning and soft delete already on.
        this.container = new storage.BlobContainer(
            `${name}-container`,
            {
                resourceGroupName: args.resourceGroupName,
                accountName: this.account.name,
                containerName: args.containerName,
                publicAccess: "None",
            },
            { parent: this, dependsOn: [this.blobService] },
        );

        this.accountName = this.account.name;
        this.accountId = this.account.id;
        this.containerName = this.container.name;
        this.containerId = pulumi.all([this.account.id, this.container.name]).apply(([id, c]) => containerScope(id, c));
        this.containerUrl = pulumi.all([this.account.primaryEndpoints, this.container.name]).apply(([e, c]) => containerUrl(e.blob, c));

        // Named by role and principal (reordering the list replaces nothing).
        for (const p of args.contributors) {
            assignRole(
                `${name}-blob-contributor-${grantKey("StorageBlobDataContributor", p)}`,
                {
                    ...p,
                    scope: this.containerId,
                    role: "StorageBlobDataContributor",
                    description: "Reads and writes the environment's release record",
                },
                { parent: this },
            );
        }

        this.registerOutputs({
            accountName: this.accountName,
            accountId: this.accountId,
            containerName: this.containerName,
            containerId: this.containerId,
            containerUrl: this.containerUrl,
        });
    }
}
