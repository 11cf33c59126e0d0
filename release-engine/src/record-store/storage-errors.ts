/**
 * Failures of the record store as the engine's errors (pure: looks only at the error's shape). A missing
 * role, a missing container or account, an unreachable endpoint and a missing credential are a bad
 * environment (exit 2) named with the account, the container and the role; nothing has changed then.
 */
import { EnvironmentError } from "../errors";
import type { RecordStoreLocation } from "./location";

export const BLOB_DATA_ROLE = "Storage Blob Data Contributor";

interface ErrorShape {
    name?: string;
    message?: string;
    code?: string;
    statusCode?: number;
    details?: { errorCode?: string };
}

/** The storage service's error code (x-ms-error-code), or the Node error code. */
export function storageErrorCode(e: unknown): string | undefined {
    const x = e as ErrorShape;
    return x?.details?.errorCode ?? x?.code;
}

export function statusOf(e: unknown): number | undefined {
    return (e as ErrorShape)?.statusCode;
}

const UNREACHABLE =
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|REQUEST_SEND_ERROR|UND_ERR_CONNECT_TIMEOUT|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED)$/;

/** The engine's error for a store failure, or undefined when it is none of the environment's (the caller rethrows it). */
export function classifyStorageError(e: unknown, loc: RecordStoreLocation): EnvironmentError | undefined {
    const where = `release record store ${loc.accountUrl}/${loc.container} (account ${loc.account}, container ${loc.container})`;
    const code = storageErrorCode(e);
    const status = statusOf(e);
    const name = (e as ErrorShape)?.name ?? "";
    if (name === "CredentialUnavailableError" || name === "AuthenticationError" || name === "AggregateAuthenticationError") {
        return new EnvironmentError(
            `no Azure credential for the ${where}: sign in (az login), or run in the pipeline's AzureCLI@2 task; the identity needs "${BLOB_DATA_ROLE}" on the container (${((e as ErrorShape).message ?? "").split("\n")[0]})`,
        );
    }
    if (status === 403) {
        return new EnvironmentError(
            `the ${where} refused this identity (403 ${code ?? "Forbidden"}): it needs the role "${BLOB_DATA_ROLE}" on container ${loc.container} of account ${loc.account} (the platform stack grants it to the pipeline identity; for a person: az role assignment create --role "${BLOB_DATA_ROLE}" --assignee <you> --scope <account id>/blobServices/default/containers/${loc.container})`,
        );
    }
    if (status === 401)
        return new EnvironmentError(
            `the ${where} did not accept the token (401 ${code ?? "Unauthorized"}): the identity must be of the storage account's tenant and hold "${BLOB_DATA_ROLE}" on the container`,
        );
    if (code === "ContainerNotFound")
        return new EnvironmentError(
            `the ${where} does not exist (ContainerNotFound): run the platform stack's pulumi up, or check PHOENIX_RECORD_STORE / the vault's release-record-container`,
        );
    if (code === "AccountIsDisabled" || code === "ResourceNotFound")
        return new EnvironmentError(
            `the ${where} is not available (${code}): check the account name (vault secret release-record-account)`,
        );
    if (
        (code && UNREACHABLE.test(code)) ||
        (status === undefined && /ECONNREFUSED|ENOTFOUND|getaddrinfo|socket hang up|timed? ?out/i.test((e as ErrorShape)?.message ?? ""))
    ) {
        return new EnvironmentError(
            `cannot reach the ${where} (${code ?? "no answer"}): check the account name, its network rules and this agent's network; nothing was changed`,
        );
    }
    return undefined;
}
