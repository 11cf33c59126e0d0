/**
 * `phoenix-release <command>` (from a clone: `npm run release -- <command>`). Wires arguments,
 * settings (Key Vault), a backend, the reporter and the gate's progress display to the engine, prints
 * one line per step and exits with the engine's code. With `--json` every outcome, errors included,
 * is one JSON object on stdout. SIGINT/SIGTERM during a command that changes the environment say what
 * was left and what to run next, release the lock, and exit 130.
 *
 * Modules only some commands need (the Pulumi backend and the shared record store, the load generator,
 * the local release report) are loaded by those commands, so a local command such as `rollback`
 * starts without them (bench: release-engine/scripts/rollback-speed.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { LogsQuerier } from "../gates/appinsights-gate";
import { DaemonCluster } from "../backends/local/daemon-client";
import { LocalBackend } from "../backends/local/local-backend";
import { redact, runIntent, runPlan, runStatus, runVerify, type EngineDeps, type RunResult } from "../engine/engine";
import { formatHistoryEntry } from "../engine/history";
import { createReporter, formatDuration } from "../engine/reporter";
import { EnvironmentError, exitCodeOf, InputError, OUTCOME_EXIT, outcomeOf } from "../errors";
import { describeState } from "../planner/plan";
import type { EngineRecord } from "../planner/types";
import { loadConfig, type EngineConfig } from "../settings/config";
import { createCredential, createSecretClient, loadVaultSettings, type LoadedVault } from "../settings/keyvault";
import type { RecordStoreLocation } from "../record-store/location";
import type { RecordStore } from "../record-store/port";
import { commandUsage, parseCommandLine, USAGE, UsageError, type CliArgs, type Command } from "./args";
import { trackLocks, type LockTrackedBackend } from "./lock-tracking";
import { createProgressRenderer } from "./progress";
import type { Timeline } from "../observe/timeline";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** Commands that change the environment (they take the lock; an interrupt must release it). */
const MUTATING: Command[] = ["release", "deploy", "verify", "promote", "rollback", "abort"];

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
        ...r.steps.map(
            (s) => `| ${s.name} | ${s.status} | ${formatDuration(s.durationMs)} | ${s.details.join("<br>").replace(/\|/g, "\\|")} |`,
        ),
    ];
    for (const n of r.notes) lines.push("", `> ${n}`);
    return `${lines.join("\n")}\n`;
}

/** What an interrupted command left, and what to run next. */
export function interruptAdvice(command: Command, record: EngineRecord | undefined, env: string): string {
    const flags = env === "dev" ? "" : ` --env ${env}`;
    const state = record ? describeState(record.state) : "unknown (the record could not be read)";
    const op = record?.operation;
    if (op?.kind === "release") {
        const live = record?.state && (record.state.slots[op.slot].role === "live" ? "live" : "not live");
        return `the environment is ${state}; release ${op.version} is pending in ${op.slot} (${live}). Next: re-run "release ${op.version}${flags}" to resume, or "abort${flags}" to remove the candidate`;
    }
    if (op?.kind === "rollback")
        return `the environment is ${state}; rollback ${op.from.version} → ${op.to.version} is pending. Next: re-run "rollback${flags}" to finish it`;
    return `the environment is ${state}; nothing is pending${command === "release" || command === "deploy" ? ` (re-run "${command}" to start again)` : ""}`;
}

export interface MainOptions {
    /** The progress stream is a terminal (live progress line); default: its isTTY. */
    tty?: boolean;
    /**
     * Opens the Pulumi backend's record store at its location (default: Azure Blob with the engine's
     * Azure AD credential). In-process specs pass a store on the emulator signed with its key.
     */
    openRecordStore?: (location: RecordStoreLocation) => Promise<RecordStore>;
    /** Subscribes to SIGINT/SIGTERM; returns the unsubscribe function. Default: the process's signals. */
    onSignal?: (handler: (signal: NodeJS.Signals) => void) => () => void;
}

const processSignals: NonNullable<MainOptions["onSignal"]> = (handler) => {
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
    };
};

export async function main(
    argv: string[],
    env: NodeJS.ProcessEnv,
    out: (s: string) => void,
    err: (s: string) => void,
    opts: MainOptions = {},
): Promise<number> {
    // Before parsing: a bad command line with --json still answers in JSON.
    const jsonWanted = argv.includes("--json");
    const json = (o: Record<string, unknown>) => out(`${JSON.stringify(o, null, 2)}\n`);
    const word = argv.find((a) => !a.startsWith("-"));
    let parsed: ReturnType<typeof parseCommandLine>;
    try {
        parsed = parseCommandLine(argv, env);
    } catch (e) {
        const usage = e instanceof UsageError && e.command ? commandUsage(e.command) : USAGE;
        err(`error: ${(e as Error).message}\n\n${usage}\n`);
        if (jsonWanted) json({ command: word ?? null, outcome: "invalid", exitCode: OUTCOME_EXIT.invalid, message: (e as Error).message });
        return OUTCOME_EXIT.invalid;
    }
    if (parsed.kind === "help") {
        out(`${parsed.command ? commandUsage(parsed.command) : USAGE}\n`);
        return 0;
    }
    const { kind: _kind, ...args } = parsed;
    void _kind;
    const progress = args.json ? err : out;
    const reporter = createReporter({ write: progress, writeError: err, tfBuild: Boolean(env.TF_BUILD) });
    let daemon: DaemonCluster | undefined;
    const head = { command: args.command, version: args.version, env: args.env, backend: args.backend };
    let backend: LockTrackedBackend | undefined;
    let interrupted: Promise<number> | undefined;
    let unsubscribe: (() => void) | undefined;
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
        const clusterOpts = {
            appEntry: path.join(REPO_ROOT, "app", "dist", "main.js"),
            appName: config.appName,
            host: config.host,
            headerName: config.headerName,
            router: config.router,
            defaultReplicas: config.replicas,
            ...config.local,
        };
        if (args.backend === "local") {
            daemon = new DaemonCluster(path.join(root, args.env), clusterOpts);
            if (args.command === "import-record" || args.command === "restore-record")
                throw new InputError(`${args.command} applies to the Pulumi backend (--backend pulumi)`);
            if (args.command === "local-down") {
                const stopped = await daemon.shutdown();
                progress(stopped ? `local environment ${args.env} stopped\n` : `local environment ${args.env} was not running\n`);
                if (args.json) json({ ...head, outcome: "done", exitCode: 0, stopped });
                return 0;
            }
            if (MUTATING.includes(args.command) && !fs.existsSync(clusterOpts.appEntry))
                throw new EnvironmentError(`the app is not built (${clusterOpts.appEntry}); run: npm run build -w app`);
            const versionEnv = args.version && Object.keys(faultEnv(env)).length ? { [args.version]: faultEnv(env) } : undefined;
            backend = trackLocks(new LocalBackend({ env: args.env, root, cluster: daemon, versionEnv }));
        } else {
            if (args.command === "local-down") throw new InputError("local-down applies to the local backend only");
            const { PulumiBackend, defaultWorkDir } = await import("../backends/pulumi/pulumi-backend");
            // The composition root picks the Automation API adapter (the backend only knows its port, automation-port.ts).
            const { createAutomationStack } = await import("../backends/pulumi/pulumi-automation");
            const { leaseSecondsOf, openRecordStore, recordStoreLocation } = await import("../record-store/open-store");
            const policyConfig = path.join(REPO_ROOT, "policy", "config", `${args.env}.json`);
            const location = recordStoreLocation(env, vault?.recordStore, config.appName, args.env);
            const leaseSeconds = leaseSecondsOf(env);
            const store = opts.openRecordStore
                ? await opts.openRecordStore(location)
                : await openRecordStore(location, (credential ??= await createCredential(env)), leaseSeconds);
            const workDir = releaseWorkDir(env, defaultWorkDir(REPO_ROOT));
            const pulumi = new PulumiBackend({
                env: args.env,
                workDir,
                factory: createAutomationStack,
                stackName: env.PHOENIX_RELEASE_STACK || args.env,
                store,
                policyPacks: [path.join(REPO_ROOT, "policy")],
                policyPackConfigs: fs.existsSync(policyConfig) ? [policyConfig] : undefined,
                holder: env.BUILD_BUILDID
                    ? `Azure DevOps build ${env.BUILD_BUILDID} (${actorOf(env)})`
                    : `${actorOf(env)} pid ${process.pid}`,
                secretConfig: vault ? { appInsightsConnectionString: vault.secrets.appInsightsConnectionString } : undefined,
            });
            if (args.command === "import-record" || args.command === "restore-record") {
                const source = path.join(
                    path.relative(process.cwd(), workDir) || ".",
                    `Pulumi.${env.PHOENIX_RELEASE_STACK?.split("/").pop() || args.env}.yaml`,
                );
                const done =
                    args.command === "import-record"
                        ? await pulumi.importRecord({ replace: args.replace === true, source, by: actorOf(env) })
                        : await pulumi.restoreRecord({ by: actorOf(env) });
                const what =
                    args.command === "import-record"
                        ? `imported ${source} into ${store.where}`
                        : `restored ${store.where} from its last good version`;
                progress(`${what}: ${describeState(done.record.state)}\n`);
                if (args.json)
                    json({
                        ...head,
                        outcome: "done",
                        exitCode: 0,
                        message: what,
                        record: { ...done.record, state: redact(done.record.state) },
                    });
                return 0;
            }
            backend = trackLocks(pulumi);
        }
        if (args.command === "load") {
            const stop = new Promise<NodeJS.Signals>((resolve) => {
                const off = (opts.onSignal ?? processSignals)((sig) => {
                    off();
                    resolve(sig);
                });
                unsubscribe = off;
            });
            const { runLoadCommand } = await import("./load-command");
            const s = await runLoadCommand(backend, args.env, {
                rps: args.rps ?? 50,
                ...(args.durationS ? { durationS: args.durationS } : {}),
                write: progress,
                interrupted: stop,
            });
            if (args.json)
                json({
                    ...head,
                    outcome: "done",
                    exitCode: 0,
                    load: { requests: s.total, failed: s.failed, seconds: s.seconds, answeredBy: s.answeredBy },
                });
            return 0;
        }
        if (args.command === "history") {
            const entries = await backend.history();
            if (args.json) json({ ...head, outcome: "done", exitCode: 0, history: entries });
            else if (entries.length === 0) out(`no releases recorded in ${args.env} yet\n`);
            else for (const e of entries) out(`${formatHistoryEntry(e)}\n`);
            return 0;
        }
        let logsClient: LogsQuerier | undefined;
        if (config.appInsights && MUTATING.includes(args.command)) {
            const { LogsQueryClient } = await import("@azure/monitor-query-logs");
            logsClient = new LogsQueryClient(credential ?? (await createCredential(env)));
        }
        // The live line goes where the step lines go: stdout, or stderr with --json.
        const tty = opts.tty ?? (args.json ? process.stderr : process.stdout).isTTY === true;
        // Local releases get an HTML report of production during the release (observe/).
        const timeline = daemon && args.command === "release" ? await import("../observe/timeline") : undefined;
        const events: Timeline | undefined = timeline ? new timeline.Timeline() : undefined;
        const startedAt = Date.now();
        const deps: EngineDeps = {
            backend,
            config,
            reporter,
            logsClient,
            observer: events && timeline?.engineObserver(events),
            actor: actorOf(env),
            progress: createProgressRenderer({ write: progress, tty, tfBuild: Boolean(env.TF_BUILD) }),
        };
        if (MUTATING.includes(args.command)) {
            const b = backend;
            interrupted = new Promise<number>((resolve) => {
                unsubscribe = (opts.onSignal ?? processSignals)((signal) => {
                    unsubscribe?.();
                    void (async () => {
                        const record = await b.read().catch(() => undefined);
                        const released = await b.releaseAll();
                        const action =
                            args.command === "release" ||
                            args.command === "deploy" ||
                            args.command === "verify" ||
                            args.command === "promote" ||
                            args.command === "rollback" ||
                            args.command === "abort"
                                ? args.command
                                : "release";
                        await b
                            .recordHistory({
                                at: new Date().toISOString(),
                                action,
                                ...(args.version ? { version: args.version } : {}),
                                outcome: "interrupted",
                                gates: [],
                                by: actorOf(env),
                                detail: `interrupted by ${signal}`,
                            })
                            .catch(() => undefined);
                        const message = `interrupted by ${signal} during ${args.command}: ${interruptAdvice(args.command, record, args.env)}${released ? "; the lock was released" : ""}`;
                        reporter.error(message);
                        if (args.json)
                            json({
                                ...head,
                                outcome: "interrupted",
                                exitCode: OUTCOME_EXIT.interrupted,
                                message,
                                record: record ? { ...record, state: redact(record.state) } : undefined,
                            });
                        resolve(OUTCOME_EXIT.interrupted);
                    })();
                });
            });
        }
        const run = (async (): Promise<RunResult> => {
            switch (args.command) {
                case "release":
                case "deploy":
                    return runIntent(
                        deps,
                        args.command === "release" && args.steps
                            ? { kind: "release", version: args.version as string, steps: args.steps }
                            : { kind: args.command, version: args.version as string },
                    );
                case "promote":
                    return runIntent(deps, args.steps ? { kind: "promote", steps: args.steps } : { kind: "promote" });
                case "abort":
                    return runIntent(deps, { kind: args.command });
                case "rollback":
                    return runIntent(deps, { kind: "rollback", version: args.version });
                case "verify":
                    return runVerify(deps);
                case "status":
                    return runStatus(deps, { showSecrets: args.showSecrets });
                case "plan":
                    return runPlan(deps, {
                        kind: "release",
                        version: args.version as string,
                        ...(args.steps ? { steps: args.steps } : {}),
                    });
                default:
                    throw new InputError(`unhandled command ${args.command}`);
            }
        })();
        const first = await (interrupted ? Promise.race([run, interrupted]) : run);
        if (typeof first === "number") {
            run.catch(() => undefined);
            return first;
        }
        const r = first;
        if (daemon && events && args.command === "release" && r.outcome !== "invalid" && r.outcome !== "blocked") {
            const d = daemon;
            const { writeLocalReleaseReport } = await import("../observe/local-report");
            const report = await writeLocalReleaseReport({
                traffic: (since) => d.traffic(since),
                stateDir: path.join(root, args.env),
                env: args.env,
                version: args.version as string,
                since: startedAt,
                events,
                outcome: r.outcome,
            });
            progress(`${report.path ? `report: ${report.path}` : report.problem}\n`);
        }
        if (r.exitCode === 0 && r.outcome !== "noop" && ["release", "promote", "rollback"].includes(args.command)) {
            progress(`${args.env}: ${describeState(r.record?.state ?? null)}\n`);
        }
        if (!["status", "plan"].includes(args.command)) reporter.summary(markdownSummary(args, r));
        if (args.json) {
            const shown =
                args.command === "status" && args.showSecrets
                    ? r.record
                    : r.record
                      ? { ...r.record, state: redact(r.record.state) }
                      : undefined;
            const rest = r;
            const url = (r as { status?: { url?: string } }).status?.url;
            json({ ...head, ...rest, ...(url ? { url } : {}), record: shown });
        }
        return r.exitCode;
    } catch (e) {
        reporter.error((e as Error).message);
        if (args.json) json({ ...head, outcome: outcomeOf(e), exitCode: exitCodeOf(e), message: (e as Error).message });
        return exitCodeOf(e);
    } finally {
        unsubscribe?.();
        await backend?.close();
    }
}

/** Runs the CLI on this process's arguments and exits with its code. */
export function cli(): void {
    main(
        process.argv.slice(2),
        process.env,
        (s) => process.stdout.write(s),
        (s) => process.stderr.write(s),
    ).then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`error: ${(e as Error).message}\n`);
            process.exit(1);
        },
    );
}

if (require.main === module) cli();
