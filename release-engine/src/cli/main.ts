/**
 * `npm run release -- <command>` (bin: phoenix-release). Wires arguments, settings (Key Vault),
 * a backend and the reporter to the engine, prints one line per step and exits with the engine's code.
 */
import * as fs from "fs";
import * as path from "path";
import type { LogsQuerier } from "../gates/appinsights-gate";
import { DaemonCluster } from "../backends/local/daemon";
import { LocalBackend } from "../backends/local/local-backend";
import { PulumiBackend, defaultWorkDir } from "../backends/pulumi/pulumi-backend";
import type { Backend } from "../engine/backend";
import { exitCodeOf, InputError } from "../errors";
import { redact, runIntent, runPlan, runStatus, runVerify, type EngineDeps, type RunResult } from "../engine/engine";
import { createReporter, formatDuration } from "../engine/reporter";
import { describeState } from "../planner/plan";
import { loadConfig, type EngineConfig } from "../settings/config";
import { createCredential, createSecretClient, loadVaultSettings, type LoadedVault } from "../settings/keyvault";
import { parseArgs, USAGE, type CliArgs } from "./args";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** FAULT_* variables given to the CLI reach the processes of the version being released (local backend only). */
function faultEnv(env: NodeJS.ProcessEnv): Record<string, string> {
    const out: Record<string, string> = {};
    for (const k of ["FAULT_ERROR_RATE", "FAULT_LATENCY_MS"]) if (env[k] !== undefined) out[k] = env[k] as string;
    return out;
}

export function markdownSummary(args: CliArgs, r: RunResult): string {
    const lines = [
        `## Phoenix release: \`${args.command}${args.version ? ` ${args.version}` : ""}\` on ${args.env}`,
        "",
        `**Outcome:** ${r.outcome} (exit ${r.exitCode})${r.message ? ` — ${r.message}` : ""}`,
        "",
        `**State:** ${describeState(r.record?.state ?? null)}`,
        "",
        "| step | status | duration | details |",
        "|---|---|---|---|",
        ...r.steps.map((s) => `| ${s.name} | ${s.status} | ${formatDuration(s.durationMs)} | ${s.details.join("<br>").replace(/\|/g, "\\|")} |`),
    ];
    for (const n of r.notes) lines.push("", `> ${n}`);
    return `${lines.join("\n")}\n`;
}

export async function main(argv: string[], env: NodeJS.ProcessEnv, out: (s: string) => void, err: (s: string) => void): Promise<number> {
    if (argv.length === 1 && (argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help")) {
        out(`${USAGE}\n`);
        return 0;
    }
    let args: CliArgs;
    try {
        args = parseArgs(argv, env);
    } catch (e) {
        err(`error: ${(e as Error).message}\n\n${USAGE}\n`);
        return 2;
    }
    const progress = args.json ? err : out;
    const reporter = createReporter({ write: progress, writeError: err, tfBuild: Boolean(env.TF_BUILD) });
    let backend: Backend | undefined;
    try {
        let vault: LoadedVault | undefined;
        let credential: Awaited<ReturnType<typeof createCredential>> | undefined;
        if (args.vault) {
            credential = await createCredential(env);
            vault = await loadVaultSettings(args.vault, await createSecretClient(args.vault, credential));
            progress(`settings from Key Vault ${args.vault}: ${vault.read.join(", ")}\n`);
        }
        const config: EngineConfig = loadConfig(args.env, { vault: vault?.settings, configDir: env.PHOENIX_CONFIG_DIR || undefined });
        const root = env.PHOENIX_HOME ?? path.join(process.cwd(), ".phoenix");
        const clusterOpts = { appEntry: path.join(REPO_ROOT, "app", "dist", "main.js"), appName: config.appName, host: config.host, headerName: config.headerName, ...config.local };
        if (args.backend === "local") {
            const daemon = new DaemonCluster(path.join(root, args.env), clusterOpts);
            if (args.command === "local-down") {
                progress((await daemon.shutdown()) ? `local environment ${args.env} stopped\n` : `local environment ${args.env} was not running\n`);
                return 0;
            }
            if (!fs.existsSync(clusterOpts.appEntry)) throw new InputError(`the app is not built (${clusterOpts.appEntry}); run: npm run build -w app`);
            const versionEnv = args.version && Object.keys(faultEnv(env)).length ? { [args.version]: faultEnv(env) } : undefined;
            const local = new LocalBackend({ env: args.env, root, cluster: daemon, versionEnv });
            backend = local;
        } else {
            if (args.command === "local-down") throw new InputError("local-down applies to the local backend only");
            const policyConfig = path.join(REPO_ROOT, "policy", "config", `${args.env}.json`);
            backend = new PulumiBackend({
                env: args.env,
                workDir: defaultWorkDir(REPO_ROOT),
                stackName: env.PHOENIX_RELEASE_STACK || args.env,
                policyPacks: [path.join(REPO_ROOT, "policy")],
                policyPackConfigs: fs.existsSync(policyConfig) ? [policyConfig] : undefined,
                holder: env.BUILD_BUILDID ? `Azure DevOps build ${env.BUILD_BUILDID}` : `pid ${process.pid}`,
                secretConfig: vault ? { appInsightsConnectionString: vault.secrets.appInsightsConnectionString } : undefined,
            });
        }
        let logsClient: LogsQuerier | undefined;
        if (config.appInsights) {
            const { LogsQueryClient } = await import("@azure/monitor-query-logs");
            logsClient = new LogsQueryClient(credential ?? (await createCredential(env)));
        }
        const deps: EngineDeps = { backend, config, reporter, logsClient };
        let r: RunResult;
        switch (args.command) {
            case "release":
            case "deploy":
                r = await runIntent(deps, { kind: args.command, version: args.version as string });
                break;
            case "promote":
            case "abort":
                r = await runIntent(deps, { kind: args.command });
                break;
            case "rollback":
                r = await runIntent(deps, { kind: "rollback", version: args.version });
                break;
            case "verify":
                r = await runVerify(deps);
                break;
            case "status":
                r = await runStatus(deps);
                break;
            case "plan":
                r = await runPlan(deps, { kind: "release", version: args.version as string });
                break;
            default:
                throw new InputError(`unhandled command ${args.command}`);
        }
        if (r.exitCode === 0 && r.outcome !== "noop" && ["release", "promote", "rollback"].includes(args.command)) {
            progress(`${args.env}: ${describeState(r.record?.state ?? null)}\n`);
        }
        if (!["status", "plan"].includes(args.command)) reporter.summary(markdownSummary(args, r));
        if (args.json) {
            out(`${JSON.stringify({ command: args.command, version: args.version, env: args.env, backend: args.backend, ...r, record: r.record ? { ...r.record, state: redact(r.record.state) } : undefined }, null, 2)}\n`);
        }
        return r.exitCode;
    } catch (e) {
        reporter.error((e as Error).message);
        return exitCodeOf(e);
    } finally {
        await backend?.close();
    }
}

/** Runs the CLI on this process's arguments and exits with its code. */
export function cli(): void {
    main(process.argv.slice(2), process.env, (s) => process.stdout.write(s), (s) => process.stderr.write(s)).then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`error: ${(e as Error).message}\n`);
            process.exit(1);
        },
    );
}

if (require.main === module) cli();
