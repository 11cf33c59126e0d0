/**
 * Settings from the environment's Key Vault (the original system's rule: pipelines read their variables from a
 * per-environment vault). `--vault NAME` or `AZURE_KEYVAULT_NAME` selects the vault; secrets are read
 * with `@azure/keyvault-secrets` using `DefaultAzureCredential`, or `AzurePipelinesCredential` when
 * running in Azure DevOps with a workload-identity service connection's variables present.
 * Secret values are never logged; a missing secret is an input error that names it.
 */
import type { TokenCredential } from "@azure/identity";
import { InputError } from "../errors";
import type { VaultSettings } from "./config";

/** The secret names the platform stack writes (docs/contracts.md) that the engine reads. */
export const VAULT_SECRETS = {
    fqdn: "phoenix-fqdn",
    appName: "phoenix-namespace",
    logAnalyticsWorkspaceId: "log-analytics-workspace-id",
    appInsightsAppId: "appinsights-app-id",
    appInsightsConnectionString: "appinsights-connection-string",
    recordAccount: "release-record-account",
    recordContainer: "release-record-container",
} as const;

const REQUIRED: Array<keyof typeof VAULT_SECRETS> = ["fqdn", "appName", "logAnalyticsWorkspaceId", "appInsightsConnectionString"];
const OPTIONAL: Array<keyof typeof VAULT_SECRETS> = ["appInsightsAppId", "recordAccount", "recordContainer"];

/** The slice of SecretClient used (the real client satisfies it). */
export interface SecretReader {
    getSecret(name: string): Promise<{ value?: string }>;
}

export interface LoadedVault {
    settings: VaultSettings;
    /** Secret values for the release stack's secret config; never printed. */
    secrets: { appInsightsConnectionString: string };
    /** Where the Pulumi backend's shared release record lives (the platform stack's storage account), when the vault names it. */
    recordStore?: { account: string; container?: string };
    /** Names read, for the log (names only). */
    read: string[];
}

function isNotFound(e: unknown): boolean {
    const err = e as { statusCode?: number; code?: string };
    return err?.statusCode === 404 || err?.code === "SecretNotFound";
}

export const VAULT_NAME_RE = /^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/;

export async function loadVaultSettings(vaultName: string, client: SecretReader): Promise<LoadedVault> {
    if (!VAULT_NAME_RE.test(vaultName))
        throw new InputError(`vault name "${vaultName}" is not a Key Vault name (3-24 letters, digits and dashes)`);
    const values: Partial<Record<keyof typeof VAULT_SECRETS, string>> = {};
    const missing: string[] = [];
    for (const key of [...REQUIRED, ...OPTIONAL]) {
        const name = VAULT_SECRETS[key];
        try {
            const secret = await client.getSecret(name);
            if (secret.value === undefined || secret.value === "") {
                if (REQUIRED.includes(key)) missing.push(name);
            } else values[key] = secret.value;
        } catch (e) {
            if (!isNotFound(e)) {
                // Never include the error object itself: keep the message to the status and code.
                const err = e as { statusCode?: number; code?: string; message?: string };
                throw new Error(`reading secret "${name}" from Key Vault ${vaultName} failed: ${err.code ?? err.statusCode ?? "error"}`);
            }
            if (REQUIRED.includes(key)) missing.push(name);
        }
    }
    if (missing.length) throw new InputError(`Key Vault ${vaultName} lacks required secret(s): ${missing.join(", ")}`);
    return {
        settings: {
            fqdn: values.fqdn,
            appName: values.appName,
            logAnalyticsWorkspaceId: values.logAnalyticsWorkspaceId,
            appInsightsAppId: values.appInsightsAppId,
        },
        secrets: { appInsightsConnectionString: values.appInsightsConnectionString as string },
        ...(values.recordAccount
            ? { recordStore: { account: values.recordAccount, ...(values.recordContainer ? { container: values.recordContainer } : {}) } }
            : {}),
        read: Object.keys(values).map((k) => VAULT_SECRETS[k as keyof typeof VAULT_SECRETS]),
    };
}

/** Variables AzurePipelinesCredential needs (set by the AzureCLI@2 task's service connection, plus System.AccessToken). */
export const PIPELINES_ENV = [
    "AZURESUBSCRIPTION_TENANT_ID",
    "AZURESUBSCRIPTION_CLIENT_ID",
    "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
    "SYSTEM_ACCESSTOKEN",
] as const;

/** Which credential to use in an environment (pure). */
export function credentialKind(env: NodeJS.ProcessEnv): "azure-pipelines" | "default" {
    return env.TF_BUILD && PIPELINES_ENV.every((k) => (env[k] ?? "") !== "") ? "azure-pipelines" : "default";
}

export async function createCredential(env: NodeJS.ProcessEnv = process.env): Promise<TokenCredential> {
    const identity = await import("@azure/identity");
    if (credentialKind(env) === "azure-pipelines") {
        return new identity.AzurePipelinesCredential(
            env.AZURESUBSCRIPTION_TENANT_ID as string,
            env.AZURESUBSCRIPTION_CLIENT_ID as string,
            env.AZURESUBSCRIPTION_SERVICE_CONNECTION_ID as string,
            env.SYSTEM_ACCESSTOKEN as string,
        );
    }
    return new identity.DefaultAzureCredential();
}

export async function createSecretClient(vaultName: string, credential: TokenCredential): Promise<SecretReader> {
    const { SecretClient } = await import("@azure/keyvault-secrets");
    return new SecretClient(`https://${vaultName}.vault.azure.net`, credential);
}
