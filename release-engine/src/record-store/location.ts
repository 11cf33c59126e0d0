/**
 * Where an environment's release record lives (pure): a blob container, and the folder
 * `<service>/<env>/` in it. From `PHOENIX_RECORD_STORE` (the container's URL, e.g.
 * `https://phxrecdev1a2b.blob.core.windows.net/release-records`) or from the environment's Key Vault
 * (secrets `release-record-account` and `release-record-container`, written by the platform stack).
 */
import { InputError } from "../errors";

export interface RecordStoreLocation {
    /** `https://<account>.blob.core.windows.net` (or an emulator's `https://127.0.0.1:10000/devstoreaccount1`). */
    accountUrl: string;
    account: string;
    container: string;
    /** `<service>/<env>` */
    prefix: string;
}

/** Azure's rules: account 3-24 lowercase letters and digits; container 3-63 of lowercase letters, digits and single hyphens, starting and ending with a letter or digit. */
const ACCOUNT_RE = /^[a-z0-9]{3,24}$/;
const CONTAINER_RE = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;
const SEGMENT_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

function prefixOf(service: string, env: string): string {
    for (const [what, v] of [
        ["service", service],
        ["environment", env],
    ] as const) {
        if (!SEGMENT_RE.test(v))
            throw new InputError(`the release record's ${what} name "${v}" must be 1-63 lowercase letters, digits and hyphens`);
    }
    return `${service}/${env}`;
}

/** From a container URL (`PHOENIX_RECORD_STORE`): `https://<account>.blob.core.windows.net/<container>`, or an emulator's path-style `https://<host>:<port>/<account>/<container>`. */
export function locationFromUrl(url: string, service: string, env: string): RecordStoreLocation {
    let u: URL;
    try {
        u = new URL(url);
    } catch {
        throw new InputError(`PHOENIX_RECORD_STORE "${url}" is not a URL (expected https://<account>.blob.core.windows.net/<container>)`);
    }
    if (u.protocol !== "https:")
        throw new InputError(
            `PHOENIX_RECORD_STORE "${url}" must be https (the store takes an Azure AD token, which is never sent over plain http)`,
        );
    if (u.search || u.hash || u.username)
        throw new InputError(
            `PHOENIX_RECORD_STORE "${u.origin}${u.pathname}" must be a container URL without query, fragment or credentials (the engine authenticates with Azure AD, never a SAS or key)`,
        );
    const parts = u.pathname.split("/").filter((p) => p !== "");
    const pathStyle = /^(\d+\.\d+\.\d+\.\d+|localhost|\[[0-9a-f:]+\])$/i.test(u.hostname);
    const account = pathStyle ? parts[0] : u.hostname.split(".")[0];
    const container = pathStyle ? parts[1] : parts[0];
    if ((pathStyle ? parts.length : parts.length + 1) !== 2 || !account || !container) {
        throw new InputError(`PHOENIX_RECORD_STORE "${url}" must name one container: https://<account>.blob.core.windows.net/<container>`);
    }
    if (!pathStyle && !/\.blob\.core\.(windows\.net|chinacloudapi\.cn|usgovcloudapi\.net)$/i.test(u.hostname)) {
        throw new InputError(`PHOENIX_RECORD_STORE "${url}": "${u.hostname}" is not a blob endpoint (<account>.blob.core.windows.net)`);
    }
    if (!/^[a-z0-9]{3,24}$/.test(account))
        throw new InputError(
            `PHOENIX_RECORD_STORE "${url}": storage account "${account}" is not an account name (3-24 lowercase letters and digits)`,
        );
    if (!CONTAINER_RE.test(container))
        throw new InputError(
            `PHOENIX_RECORD_STORE "${url}": container "${container}" is not a container name (3-63 lowercase letters, digits and single hyphens)`,
        );
    return { accountUrl: pathStyle ? `${u.origin}/${account}` : u.origin, account, container, prefix: prefixOf(service, env) };
}

/** From the account and container names (the Key Vault secrets the platform writes). */
export function locationFromNames(account: string, container: string, service: string, env: string): RecordStoreLocation {
    if (!ACCOUNT_RE.test(account))
        throw new InputError(
            `the release record's storage account "${account}" is not an account name (3-24 lowercase letters and digits)`,
        );
    if (!CONTAINER_RE.test(container))
        throw new InputError(
            `the release record's container "${container}" is not a container name (3-63 lowercase letters, digits and single hyphens)`,
        );
    return { accountUrl: `https://${account}.blob.core.windows.net`, account, container, prefix: prefixOf(service, env) };
}

/** The URL of a blob of the environment's record folder. */
export function blobUrl(loc: RecordStoreLocation, name: string): string {
    return `${loc.accountUrl}/${loc.container}/${loc.prefix}/${name}`;
}
