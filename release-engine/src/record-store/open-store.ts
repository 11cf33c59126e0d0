/**
 * Opens the environment's record store: where it is (`PHOENIX_RECORD_STORE`, else the Key Vault's
 * `release-record-account` and `release-record-container`), with the Azure AD credential the engine
 * already uses (DefaultAzureCredential, or AzurePipelinesCredential in a pipeline). Never a key or SAS.
 */
import type { TokenCredential } from "@azure/identity";
import { InputError } from "../errors";
import { BlobRecordStore, LEASE_SECONDS } from "./blob-store";
import { locationFromNames, locationFromUrl, type RecordStoreLocation } from "./location";

/** The container when the vault names only the account (the platform writes both; components/release-record-store.ts creates this one). */
export const DEFAULT_RECORD_CONTAINER = "release-records";

export interface RecordStoreSettings {
    /** From the vault (release-record-account / release-record-container). */
    account?: string;
    container?: string;
}

/** The store's location for `service` in `env`, or an input error saying how to configure it (pure). */
export function recordStoreLocation(
    env: NodeJS.ProcessEnv,
    vault: RecordStoreSettings | undefined,
    service: string,
    envName: string,
): RecordStoreLocation {
    if (env.PHOENIX_RECORD_STORE) return locationFromUrl(env.PHOENIX_RECORD_STORE, service, envName);
    if (vault?.account) return locationFromNames(vault.account, vault.container ?? DEFAULT_RECORD_CONTAINER, service, envName);
    throw new InputError(
        `the Pulumi backend keeps the release record in Azure Blob Storage, and no store is configured for ${envName}: pass --vault <the environment's Key Vault> (the platform stack writes release-record-account and release-record-container there) or set PHOENIX_RECORD_STORE=https://<account>.blob.core.windows.net/<container>`,
    );
}

/** `PHOENIX_RECORD_LEASE_SECONDS` (15-60, default 60), validated. */
export function leaseSecondsOf(env: NodeJS.ProcessEnv): number {
    const raw = env.PHOENIX_RECORD_LEASE_SECONDS;
    if (raw === undefined || raw === "") return LEASE_SECONDS.default;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < LEASE_SECONDS.min || n > LEASE_SECONDS.max) {
        throw new InputError(
            `PHOENIX_RECORD_LEASE_SECONDS must be ${LEASE_SECONDS.min}-${LEASE_SECONDS.max} whole seconds (Azure's bounds for a fixed lease), got "${raw}"`,
        );
    }
    return n;
}

export async function openRecordStore(
    location: RecordStoreLocation,
    credential: TokenCredential,
    leaseSeconds: number,
): Promise<BlobRecordStore> {
    const { ContainerClient } = await import("@azure/storage-blob");
    // A few quick retries ride out a storage blip or an emulator restart; an unreachable store fails within ~15 s.
    const container = new ContainerClient(`${location.accountUrl}/${location.container}`, credential, {
        retryOptions: { maxTries: 5, retryDelayInMs: 1000, maxRetryDelayInMs: 8000, tryTimeoutInMs: 30000 },
    });
    return new BlobRecordStore({ container, location, leaseSeconds });
}
