/**
 * The CLI's composition root: the settings (Key Vault, then the environment's config) and the backend a
 * command runs against, with its adapters — the local daemon, or the Pulumi backend over the shared
 * record store — and, for the commands that change the environment, the App Insights query client.
 *
 * The Pulumi backend, the record store and the query client are loaded only when asked for, so a local
 * command such as `rollback` starts without them (bench: release-engine/scripts/rollback-speed.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DaemonCluster } from "../backends/local/daemon-client";
import { refuseOldLayout, serviceStateDir } from "../backends/local/state-dir";
import { LocalBackend } from "../backends/local/local-backend";
import type { PulumiBackend } from "../backends/pulumi/pulumi-backend";
import { EnvironmentError, InputError } from "../errors";
import type { LogsQuerier } from "../gates/appinsights-gate";
import type { RecordStoreLocation } from "../record-store/location";
import type { RecordStore } from "../record-store/port";
import { loadConfig, type EngineConfig } from "../settings/config";
import { createCredential, createSecretClient, loadVaultSettings } from "../settings/keyvault";
import type { CliArgs, Command } from "./args";
import { trackLocks, type LockTrackedBackend } from "./lock-tracking";
import { vaultSettingsLine } from "./render";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** Commands that change the environment (they take the lock; an interrupt stops them at a step boundary). */
export const MUTATING: Command[] = ["release", "deploy", "verify", "promote", "rollback", "abort"];

/** The working directory of the release stack: `PHOENIX_RELEASE_WORKDIR`, else `defaultDir` (the repository's stacks/release). */
function releaseWorkDir(env: NodeJS.ProcessEnv, defaultDir: string): string {
    return env.PHOENIX_RELEASE_WORKDIR ? path.resolve(env.PHOENIX_RELEASE_WORKDIR) : defaultDir;
}

/** FAULT_* variables given to the CLI reach the processes of the version being released (local backend only). */
function faultEnv(env: NodeJS.ProcessEnv): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of ["FAULT_ERROR_RATE", "FAULT_LATENCY_MS"]) if (env[k] !== undefined) out[k] = env[k] as string;
    return out;
}

/**
 * The service a command works on: `--service`, else the settings' `appName`. Both given and
 * different is an input error: the settings read are another service's.
 */
export function serviceOf(args: Pick<CliArgs, "service">, config: Pick<EngineConfig, "appName">): string {
    if (args.service !== undefined && config.appName && args.service !== config.appName)
        throw new InputError(
            `--service "${args.service}" is not the service the settings are for (appName "${config.appName}"); give the service's own settings (PHOENIX_CONFIG_DIR) or drop --service`,
        );
    return args.service ?? config.appName;
}

/** Who runs this, for the history: the pipeline run, or user@host. */
export function actorOf(env: NodeJS.ProcessEnv): string {
    if (env.BUILD_BUILDID)
        return `Azure DevOps ${env.BUILD_DEFINITIONNAME ? `${env.BUILD_DEFINITIONNAME} ` : ""}run ${env.BUILD_BUILDNUMBER ?? env.BUILD_BUILDID}`;
    let user = env.USER ?? env.USERNAME;
    try {
        user ??= os.userInfo().username;
    } catch {
        /* no passwd entry */
    }
    return `${user ?? "unknown"}@${os.hostname()}`;
}

export interface BuildOptions {
    /**
     * Opens the Pulumi backend's record store at its location (default: Azure Blob with the engine's
     * Azure AD credential). In-process specs pass a store on the emulator signed with its key.
     */
    openRecordStore?: (location: RecordStoreLocation) => Promise<RecordStore>;
}

/** The local backend and the daemon that runs its environment. */
export interface LocalTarget {
    kind: "local";
    backend: LockTrackedBackend;
    /** What the CLI itself asks of the local daemon: `local-down`, and a release's production traffic for its report. */
    daemon: Pick<DaemonCluster, "shutdown" | "traffic">;
    /** Where the environment's local state lives (the release report is written there). */
    stateDir: string;
}

/** The Pulumi backend over the shared record store. */
export interface PulumiTarget {
    kind: "pulumi";
    backend: LockTrackedBackend;
    pulumi: PulumiBackend;
    store: RecordStore;
    /** The release stack's working directory. */
    workDir: string;
}

/** What a command runs against. */
export interface BuiltBackend {
    config: EngineConfig;
    target: LocalTarget | PulumiTarget;
    /** The engine's Azure AD credential, created on first use and shared by every adapter that needs it. */
    credential(): Promise<Credential>;
}

type Credential = Awaited<ReturnType<typeof createCredential>>;

/**
 * Reads the settings and builds the backend `args` name. Refuses a command the backend does not have
 * (`import-record` on local, `local-down` on Pulumi) before anything is started. `progress` is told
 * which settings came from a Key Vault.
 */
export async function buildBackend(
    args: CliArgs,
    env: NodeJS.ProcessEnv,
    options: BuildOptions,
    progress: (text: string) => void,
): Promise<BuiltBackend> {
    let credentialMade: Promise<Credential> | undefined;
    const credential = () => (credentialMade ??= createCredential(env));
    const vault = args.vault ? await loadVaultSettings(args.vault, await createSecretClient(args.vault, await credential())) : undefined;
    if (args.vault && vault) progress(vaultSettingsLine(args.vault, vault.read));
    const config: EngineConfig = loadConfig(args.env, { vault: vault?.settings, configDir: env.PHOENIX_CONFIG_DIR || undefined });
    const root = env.PHOENIX_HOME ?? path.join(process.cwd(), ".phoenix");
    const service = serviceOf(args, config);
    if (args.backend === "local") {
        refuseOldLayout(root, service, args.env);
        const stateDir = serviceStateDir(root, service, args.env);
        const clusterOpts = {
            appEntry: path.join(REPO_ROOT, "app", "dist", "main.js"),
            appName: config.appName,
            host: config.host,
            headerName: config.headerName,
            router: config.router,
            defaultReplicas: config.replicas,
            ...config.local,
        };
        const daemon = new DaemonCluster(stateDir, clusterOpts);
        if (args.command === "import-record" || args.command === "restore-record")
            throw new InputError(`${args.command} applies to the Pulumi backend (--backend pulumi)`);
        if (MUTATING.includes(args.command) && !fs.existsSync(clusterOpts.appEntry))
            throw new EnvironmentError(`the app is not built (${clusterOpts.appEntry}); run: npm run build -w app`);
        const versionEnv = args.version && Object.keys(faultEnv(env)).length ? { [args.version]: faultEnv(env) } : undefined;
        const backend = trackLocks(new LocalBackend({ env: args.env, service, root, cluster: daemon, versionEnv }));
        return { config, credential, target: { kind: "local", backend, daemon, stateDir } };
    }
    if (args.command === "local-down") throw new InputError("local-down applies to the local backend only");
    const { PulumiBackend, defaultWorkDir } = await import("../backends/pulumi/pulumi-backend");
    // The composition root picks the Automation API adapter (the backend only knows its port, automation-port.ts).
    const { createAutomationStack } = await import("../backends/pulumi/pulumi-automation");
    const { leaseSecondsOf, openRecordStore, recordStoreLocation } = await import("../record-store/open-store");
    const policyConfig = path.join(REPO_ROOT, "policy", "config", `${args.env}.json`);
    const location = recordStoreLocation(env, vault?.recordStore, service, args.env);
    const leaseSeconds = leaseSecondsOf(env);
    const store = options.openRecordStore
        ? await options.openRecordStore(location)
        : await openRecordStore(location, await credential(), leaseSeconds);
    const workDir = releaseWorkDir(env, defaultWorkDir(REPO_ROOT));
    const pulumi = new PulumiBackend({
        env: args.env,
        workDir,
        factory: createAutomationStack,
        stackName: env.PHOENIX_RELEASE_STACK || args.env,
        store,
        policyPacks: [path.join(REPO_ROOT, "policy")],
        policyPackConfigs: fs.existsSync(policyConfig) ? [policyConfig] : undefined,
        holder: env.BUILD_BUILDID ? `Azure DevOps build ${env.BUILD_BUILDID} (${actorOf(env)})` : `${actorOf(env)} pid ${process.pid}`,
        secretConfig: vault ? { appInsightsConnectionString: vault.secrets.appInsightsConnectionString } : undefined,
    });
    return { config, credential, target: { kind: "pulumi", backend: trackLocks(pulumi), pulumi, store, workDir } };
}

/** The App Insights query client, for a command that changes the environment when that gate is configured. */
export async function logsClientFor(built: BuiltBackend, command: Command): Promise<LogsQuerier | undefined> {
    if (!built.config.appInsights || !MUTATING.includes(command)) return undefined;
    const { LogsQueryClient } = await import("@azure/monitor-query-logs");
    return new LogsQueryClient(await built.credential());
}
