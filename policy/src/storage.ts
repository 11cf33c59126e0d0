/**
 * Storage policies: the release record store (docs/contracts.md, "The release record store") holds
 * each environment's release record, lock and history, so its account must be reachable only with
 * Azure AD over TLS 1.2+, and an overwritten or deleted record must be recoverable.
 *
 * Recoverability lives on a separate resource (the account's `BlobServiceProperties`), which may be
 * missing altogether; only a stack policy can see both, so that rule runs once per stack and finds
 * each account's blob service by its dependency on the account (the `accountName` input).
 */
import type { PolicyResource } from "@pulumi/policy";
import { resourcePolicy, stackPolicy, TYPES } from "./define";
import { asNumber, at, show } from "./util";

/** TLS versions an account may require as its minimum. */
const ACCEPTED_TLS = ["TLS1_2", "TLS1_3"];

export const releaseRecordStorageHardened = resourcePolicy({
    name: "release-record-storage-hardened",
    description:
        "Storage accounts (the release record store) must refuse shared-key and anonymous access and accept only HTTPS with TLS 1.2 or later.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        'Set `allowSharedKeyAccess: false` (Azure AD only; Azure allows shared keys when unset), `allowBlobPublicAccess: false`, `minimumTlsVersion: "TLS1_2"` and `enableHttpsTrafficOnly: true` on the StorageAccount (components/release-record-store.ts sets all four).',
    resourceTypes: [TYPES.storageAccount],
    check: (props, { report }) => {
        if (props.allowSharedKeyAccess !== false)
            report(
                `allowSharedKeyAccess is ${show(props.allowSharedKeyAccess)}; expected false (account keys and SAS would bypass Azure AD).`,
            );
        if (props.allowBlobPublicAccess !== false) report(`allowBlobPublicAccess is ${show(props.allowBlobPublicAccess)}; expected false.`);
        if (!ACCEPTED_TLS.includes(props.minimumTlsVersion as string))
            report(`minimumTlsVersion is ${show(props.minimumTlsVersion)}; expected one of ${ACCEPTED_TLS.join(", ")}.`);
        if (props.enableHttpsTrafficOnly !== true)
            report(`enableHttpsTrafficOnly is ${show(props.enableHttpsTrafficOnly)}; expected true.`);
    },
});

/** Problems with one soft-delete policy (`deleteRetentionPolicy` or `containerDeleteRetentionPolicy`). Pure. */
function retentionProblems(field: string, policy: unknown, minDays: number): string[] {
    if (at(policy, "enabled") !== true) return [`${field}.enabled is ${show(at(policy, "enabled"))}; expected true.`];
    const raw = at(policy, "days");
    const days = asNumber(raw);
    if (days === undefined || !Number.isInteger(days) || days < minDays || days > 365)
        return [`${field}.days is ${show(raw)}; expected an integer from ${minDays} to 365.`];
    return [];
}

/** Problems with an account's blob service settings. Pure. */
export function blobServiceProblems(props: Record<string, unknown>, minDays: number): string[] {
    const problems: string[] = [];
    if (props.isVersioningEnabled !== true) problems.push(`isVersioningEnabled is ${show(props.isVersioningEnabled)}; expected true.`);
    problems.push(...retentionProblems("deleteRetentionPolicy", props.deleteRetentionPolicy, minDays));
    if (at(props.deleteRetentionPolicy, "allowPermanentDelete") === true)
        problems.push(
            "deleteRetentionPolicy.allowPermanentDelete is true; expected false or unset (soft-deleted versions could be destroyed before retention ends).",
        );
    problems.push(...retentionProblems("containerDeleteRetentionPolicy", props.containerDeleteRetentionPolicy, minDays));
    return problems;
}

/** The blob service resources that configure `account`: those that depend on it. */
function blobServicesOf(account: PolicyResource, resources: readonly PolicyResource[]): PolicyResource[] {
    return resources.filter((r) => r.type === TYPES.blobService && r.dependencies.some((d) => d.urn === account.urn));
}

export const releaseRecordStorageRecoverable = stackPolicy<{ minRetentionDays: number }>({
    name: "release-record-storage-recoverable",
    description:
        "Every storage account (the release record store) must have blob versioning, blob soft delete and container soft delete on, with at least the configured retention.",
    // Advisory by default; policy/config/prod.json raises it to mandatory with a 30-day minimum.
    enforcementLevel: "advisory",
    severity: "high",
    remediationSteps:
        "Register the account's BlobServiceProperties (blobServicesName `default`) with `isVersioningEnabled: true`, `deleteRetentionPolicy` and `containerDeleteRetentionPolicy` `{ enabled: true, days: <n> }` (the platform stack's `releaseRecordRetentionDays`, at least the configured minimum) and no `allowPermanentDelete`.",
    configSchema: {
        properties: {
            minRetentionDays: {
                type: "integer",
                minimum: 1,
                maximum: 365,
                default: 7,
                description: "Smallest blob and container soft-delete retention accepted, in days (Azure allows 1–365).",
            },
        },
    },
    check: ({ args, config, report }) => {
        for (const account of args.resources.filter((r) => r.type === TYPES.storageAccount)) {
            const services = blobServicesOf(account, args.resources);
            if (services.length === 0) {
                report(
                    `storage account ${account.name} has no blob service settings (${TYPES.blobService}) in the stack; versioning and soft delete are off unless set.`,
                    account.urn,
                );
            }
            for (const s of services) {
                for (const p of blobServiceProblems(s.props, config.minRetentionDays))
                    report(`blob service ${s.name} of ${account.name}: ${p}`, s.urn);
            }
        }
    },
});

export const storagePolicies = [releaseRecordStorageHardened, releaseRecordStorageRecoverable];
