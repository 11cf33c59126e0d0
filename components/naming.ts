/**
 * Pure naming rules for Azure resources whose names are global or length-limited.
 *
 * Globally unique names (Key Vault, container registry, storage account, public IP DNS label) carry a random
 * suffix of fixed length and alphabet (see {@link SUFFIX_LENGTH}); every check here can therefore
 * run before the suffix exists, with a placeholder of the same shape, and give the same verdict
 * as on the real name. Nothing in this module touches Pulumi resources.
 */

/** Length of the random suffix (lower-case letters and digits) appended to globally unique names. */
export const SUFFIX_LENGTH = 5;

/** A placeholder with the suffix's shape, for validating names before the suffix is generated. */
export const SUFFIX_PLACEHOLDER = "a".repeat(SUFFIX_LENGTH);

/** The alphabet the random suffix is drawn from (RandomString with upper/special off). */
export const SUFFIX_PATTERN = new RegExp(`^[a-z0-9]{${SUFFIX_LENGTH}}$`);

/** Key Vault: 3–24 characters, `[a-zA-Z0-9-]`, starts with a letter, ends with a letter or digit, no `--`. */
export function vaultNameProblem(name: string): string | undefined {
    if (name.length < 3 || name.length > 24) return `a Key Vault name is 3–24 characters; "${name}" has ${name.length}`;
    if (!/^[a-zA-Z0-9-]+$/.test(name)) return `a Key Vault name uses only letters, digits and hyphens; got "${name}"`;
    if (!/^[a-zA-Z]/.test(name)) return `a Key Vault name starts with a letter; got "${name}"`;
    if (!/[a-zA-Z0-9]$/.test(name)) return `a Key Vault name ends with a letter or digit; got "${name}"`;
    if (name.includes("--")) return `a Key Vault name has no consecutive hyphens; got "${name}"`;
    return undefined;
}

/** Container registry: 5–50 characters, alphanumeric only. */
export function registryNameProblem(name: string): string | undefined {
    if (!/^[a-zA-Z0-9]*$/.test(name)) return `a container registry name is alphanumeric only; got "${name}"`;
    if (name.length < 5 || name.length > 50) return `a container registry name is 5–50 characters; "${name}" has ${name.length}`;
    return undefined;
}

/** Storage account: 3–24 characters, lower-case letters and digits only. */
export function storageAccountNameProblem(name: string): string | undefined {
    if (!/^[a-z0-9]*$/.test(name)) return `a storage account name is lower-case letters and digits only; got "${name}"`;
    if (name.length < 3 || name.length > 24) return `a storage account name is 3–24 characters; "${name}" has ${name.length}`;
    return undefined;
}

/**
 * Blob container: 3–63 characters of lower-case letters, digits and hyphens, starting and ending with a
 * letter or digit, every hyphen between two letters or digits.
 */
export function blobContainerNameProblem(name: string): string | undefined {
    if (!/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
        return `a blob container name is 3–63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit; got "${name}"`;
    }
    return undefined;
}

/** Public IP DNS label (`<label>.<region>.cloudapp.azure.com`): 3–63 characters, `^[a-z][a-z0-9-]{1,61}[a-z0-9]$`. */
export function dnsLabelProblem(label: string): string | undefined {
    if (!/^[a-z][a-z0-9-]{1,61}[a-z0-9]$/.test(label)) {
        return `a DNS label is 3–63 lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen; got "${label}"`;
    }
    return undefined;
}

/** Resource group: 1–90 characters of letters, digits, `-_.()`, not ending with a period. */
export function resourceGroupNameProblem(name: string): string | undefined {
    if (name.length < 1 || name.length > 90) return `a resource group name is 1–90 characters; "${name}" has ${name.length}`;
    if (!/^[-\w.()]+$/.test(name)) return `a resource group name uses letters, digits, "-", "_", ".", "(" and ")"; got "${name}"`;
    if (name.endsWith(".")) return `a resource group name does not end with a period; got "${name}"`;
    return undefined;
}

/** AKS cluster name: 1–63 characters, letters, digits, `-` and `_`, starting and ending alphanumeric. */
export function clusterNameProblem(name: string): string | undefined {
    if (!/^[a-zA-Z0-9]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])?$/.test(name)) {
        return `an AKS cluster name is 1–63 letters, digits, "-" or "_", starting and ending with a letter or digit; got "${name}"`;
    }
    return undefined;
}

/** Key Vault secret name: 1–127 characters of `[0-9a-zA-Z-]`. */
export function secretNameProblem(name: string): string | undefined {
    if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) return `a Key Vault secret name is 1–127 letters, digits or hyphens; got "${name}"`;
    return undefined;
}

/** `<prefix>-<suffix>`, the original system's `<prefix>-<rand>-vault` shortened to fit 24 characters. */
export function vaultName(prefix: string, suffix: string): string {
    return `${prefix}-${suffix}`;
}

/** Registries allow no hyphens: the prefix loses them and is lower-cased (login servers are lower-case). */
export function registryName(prefix: string, suffix: string): string {
    return `${prefix.replace(/-/g, "").toLowerCase()}${suffix}`;
}

/**
 * Storage accounts allow no hyphens: the prefix loses them and is lower-cased, like a registry's. `st` is
 * the Cloud Adoption Framework's abbreviation for a storage account.
 */
export function storageAccountName(prefix: string, suffix: string): string {
    return `${prefix.replace(/-/g, "").toLowerCase()}st${suffix}`;
}

/** DNS labels are lower-case. */
export function dnsLabel(prefix: string, suffix: string): string {
    return `${prefix.toLowerCase()}-${suffix}`;
}

/** The FQDN Azure gives a public IP with a DNS label. */
export function cloudappFqdn(label: string, location: string): string {
    return `${label}.${location.toLowerCase().replace(/\s+/g, "")}.cloudapp.azure.com`;
}

/** Validates a prefix by the name it yields with a placeholder suffix. */
export function vaultPrefixProblem(prefix: string): string | undefined {
    return vaultNameProblem(vaultName(prefix, SUFFIX_PLACEHOLDER));
}

export function registryPrefixProblem(prefix: string): string | undefined {
    return registryNameProblem(registryName(prefix, SUFFIX_PLACEHOLDER));
}

export function storageAccountPrefixProblem(prefix: string): string | undefined {
    return storageAccountNameProblem(storageAccountName(prefix, SUFFIX_PLACEHOLDER));
}

export function dnsLabelPrefixProblem(prefix: string): string | undefined {
    return dnsLabelProblem(dnsLabel(prefix, SUFFIX_PLACEHOLDER));
}

/** Names derived from a prefix and an environment; the caller validates them. */
export function environmentNames(prefix: string, environment: string) {
    const base = `${prefix}-${environment}`;
    return {
        resourceGroup: `${base}-rg`,
        cluster: `${base}-aks`,
        dnsPrefix: base,
        logAnalytics: `${base}-logs`,
        appInsights: `${base}-appi`,
        /** Vault prefix: the random suffix is appended. */
        vaultPrefix: `${prefix}-${environment}`,
        /** Release record storage account prefix: `st` and the random suffix are appended, hyphens dropped. */
        recordAccountPrefix: `${prefix}-${environment}`,
        dnsLabelPrefix: base.toLowerCase(),
    };
}
