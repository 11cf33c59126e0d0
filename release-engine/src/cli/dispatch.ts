/**
 * One command, run: the engine call a command names (or what the CLI does itself: `history`, `load`,
 * `local-down`, `import-record`, `restore-record`), with its output rendered (cli/render.ts) as text or,
 * with `--json`, as one JSON object. A command that changes the environment runs under the interrupts'
 * AbortSignal (cli/interrupts.ts): on SIGINT/SIGTERM the engine stops at its next step boundary and
 * releases its lock, and only then is the interruption reported (exit 130).
 */
import * as path from "path";
import { runIntent, runPlan, runStatus, runVerify, type EngineDeps, type RunResult } from "../engine/engine";
import type { Reporter } from "../engine/reporter";
import { InputError, OUTCOME_EXIT } from "../errors";
import type { Timeline } from "../observe/timeline";
import type { Intent } from "../planner/types";
import type { CliArgs } from "./args";
import { actorOf, logsClientFor, MUTATING, type BuiltBackend } from "./build-backend";
import type { LockTrackedBackend } from "./lock-tracking";
import { nextSignal, processSignals, watchInterrupts, type SignalSubscription } from "./interrupts";
import { createProgressRenderer } from "./progress";
import {
    finalStateLine,
    historyText,
    interruptMessage,
    jsonText,
    localDownLine,
    markdownSummary,
    planLines,
    recordCommandLine,
    recordCommandSummary,
    redactRecord,
    reportLine,
    runResultJson,
    statusHeadLines,
    statusLines,
    stoppingLine,
    type JsonHead,
} from "./render";

/** Where a command's output goes. */
export interface CommandOutput {
    /** stdout. */
    out(text: string): void;
    /** stderr. */
    err(text: string): void;
    /** The step lines' stream: stdout, or stderr with `--json` (stdout then holds only the JSON object). */
    progress(text: string): void;
    /** The engine's reporter, writing to `progress` (errors to stderr). */
    reporter: Reporter;
}

export interface DispatchOptions {
    /** The progress stream is a terminal (live progress line); default: its isTTY. */
    tty?: boolean;
    /** Subscribes to SIGINT/SIGTERM. Default: the process's signals. */
    onSignal?: SignalSubscription;
}

/** `status`: the engine's view, rendered through the deps' reporter (its error, if it could not look). */
export async function showStatus(deps: EngineDeps, options: { showSecrets?: boolean } = {}): ReturnType<typeof runStatus> {
    const result = await runStatus(deps, options);
    const context = { config: deps.config, backend: deps.backend.kind, showSecrets: options.showSecrets === true };
    if (result.record && result.status) {
        for (const line of statusLines(result.record, result.status, context)) deps.reporter.line(line);
    } else if (result.statusBeforeError) {
        const { record, lock } = result.statusBeforeError;
        for (const line of statusHeadLines(record, lock, context)) deps.reporter.line(line);
    }
    if (result.exitCode !== 0 && result.message) deps.reporter.error(result.message);
    return result;
}

/** `plan`: what the engine planned, rendered through the deps' reporter (an invalid or blocked plan's reason as its error). */
async function showPlan(deps: EngineDeps, intent: Intent): ReturnType<typeof runPlan> {
    const result = await runPlan(deps, intent);
    if (result.view) for (const line of planLines(result.view)) deps.reporter.line(line);
    if (result.exitCode !== 0 && result.message) deps.reporter.error(result.message);
    return result;
}

/** Runs `args.command` against `built`; returns the exit code. Errors the engine does not turn into a result propagate. */
export async function dispatch(
    args: CliArgs,
    built: BuiltBackend,
    env: NodeJS.ProcessEnv,
    output: CommandOutput,
    options: DispatchOptions = {},
): Promise<number> {
    const head: JsonHead = { command: args.command, version: args.version, env: args.env, backend: args.backend };
    const json = (document: object) => {
        if (args.json) output.out(jsonText(document));
    };
    const { target } = built;
    if (args.command === "local-down" && target.kind === "local") {
        const stopped = await target.daemon.shutdown();
        output.progress(localDownLine(args.env, stopped));
        json({ ...head, outcome: "done", exitCode: 0, stopped });
        return 0;
    }
    if ((args.command === "import-record" || args.command === "restore-record") && target.kind === "pulumi") {
        const source = path.join(
            path.relative(process.cwd(), target.workDir) || ".",
            `Pulumi.${env.PHOENIX_RELEASE_STACK?.split("/").pop() || args.env}.yaml`,
        );
        const done =
            args.command === "import-record"
                ? await target.pulumi.importRecord({ replace: args.replace === true, source, by: actorOf(env) })
                : await target.pulumi.restoreRecord({ by: actorOf(env) });
        const summary = recordCommandSummary(args.command, source, target.store.where);
        output.progress(recordCommandLine(summary, done.record));
        json({ ...head, outcome: "done", exitCode: 0, message: summary, record: redactRecord(done.record) });
        return 0;
    }
    const backend = target.backend;
    const subscribe = options.onSignal ?? processSignals;
    if (args.command === "load") {
        const stop = nextSignal(subscribe);
        try {
            const { runLoadCommand } = await import("./load-command");
            const stats = await runLoadCommand(backend, args.env, {
                rps: args.rps ?? 50,
                ...(args.durationS ? { durationS: args.durationS } : {}),
                write: output.progress,
                interrupted: stop.arrived,
            });
            json({
                ...head,
                outcome: "done",
                exitCode: 0,
                load: { requests: stats.total, failed: stats.failed, seconds: stats.seconds, answeredBy: stats.answeredBy },
            });
            return 0;
        } finally {
            stop.dispose();
        }
    }
    if (args.command === "history") {
        const entries = await backend.history();
        if (args.json) json({ ...head, outcome: "done", exitCode: 0, history: entries });
        else output.out(historyText(entries, args.env));
        return 0;
    }
    const { config } = built;
    // The live line goes where the step lines go: stdout, or stderr with --json.
    const tty = options.tty ?? (args.json ? process.stderr : process.stdout).isTTY === true;
    // Local releases get an HTML report of production during the release (observe/).
    const timeline = target.kind === "local" && args.command === "release" ? await import("../observe/timeline") : undefined;
    const events: Timeline | undefined = timeline ? new timeline.Timeline() : undefined;
    const startedAt = Date.now();
    const deps: EngineDeps = {
        backend,
        config,
        reporter: output.reporter,
        logsClient: await logsClientFor(built, args.command),
        observer: events && timeline?.engineObserver(events),
        actor: actorOf(env),
        progress: createProgressRenderer({ write: output.progress, tty, tfBuild: Boolean(env.TF_BUILD) }),
    };
    const interrupts = MUTATING.includes(args.command)
        ? watchInterrupts(subscribe, (signal) => output.err(stoppingLine(signal, args.command)))
        : undefined;
    let result: RunResult;
    try {
        result = await runEngine(args, { ...deps, ...(interrupts ? { signal: interrupts.signal } : {}) });
    } finally {
        interrupts?.dispose();
    }
    const signal = interrupts?.received();
    if (signal && result.outcome === "interrupted") return reportInterrupted(args, backend, head, output, signal, json);
    if (target.kind === "local" && events && args.command === "release" && result.outcome !== "invalid" && result.outcome !== "blocked") {
        const { writeLocalReleaseReport } = await import("../observe/local-report");
        const daemon = target.daemon;
        const report = await writeLocalReleaseReport({
            traffic: (since) => daemon.traffic(since),
            stateDir: target.stateDir,
            env: args.env,
            version: args.version as string,
            since: startedAt,
            events,
            outcome: result.outcome,
        });
        output.progress(reportLine(report));
    }
    if (result.exitCode === 0 && result.outcome !== "noop" && ["release", "promote", "rollback"].includes(args.command))
        output.progress(finalStateLine(args.env, result.record));
    if (!["status", "plan"].includes(args.command)) output.reporter.summary(markdownSummary(args, result));
    json(runResultJson(head, result, { config, backend: backend.kind, showSecrets: args.showSecrets, command: args.command }));
    return result.exitCode;
}

/** The engine call `args.command` names. */
function runEngine(args: CliArgs, deps: EngineDeps): Promise<RunResult> {
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
            return showStatus(deps, { showSecrets: args.showSecrets });
        case "plan":
            return showPlan(deps, { kind: "release", version: args.version as string, ...(args.steps ? { steps: args.steps } : {}) });
        default:
            throw new InputError(`unhandled command ${args.command}`);
    }
}

/**
 * The engine stopped on an interrupt, released its lock and wrote the history: says what was left (read
 * now, after the engine returned) and what to run next; exit 130.
 */
async function reportInterrupted(
    args: CliArgs,
    backend: LockTrackedBackend,
    head: JsonHead,
    output: CommandOutput,
    signal: NodeJS.Signals,
    json: (document: object) => void,
): Promise<number> {
    // The engine released its own lock before it returned; anything still held is released too.
    await backend.releaseAll();
    const record = await backend.read().catch(() => undefined);
    const message = interruptMessage(signal, args.command, record, args.env, true);
    output.reporter.error(message);
    json({
        ...head,
        outcome: "interrupted",
        exitCode: OUTCOME_EXIT.interrupted,
        message,
        record: record ? redactRecord(record) : undefined,
    });
    return OUTCOME_EXIT.interrupted;
}
