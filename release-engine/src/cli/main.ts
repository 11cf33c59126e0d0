/**
 * `phoenix-release <command>` (from a clone: `npm run release -- <command>`): parses the command line,
 * builds the backend (cli/build-backend.ts), runs the command (cli/dispatch.ts, output from
 * cli/render.ts) and exits with its code. With `--json` every outcome, errors included, is one JSON
 * object on stdout. SIGINT/SIGTERM during a command that changes the environment stop the engine at its
 * next step boundary (cli/interrupts.ts); then its lock is released, the history written, and the CLI
 * says what was left and what to run next (exit 130).
 */
import { createReporter } from "../engine/reporter";
import { exitCodeOf, OUTCOME_EXIT, outcomeOf } from "../errors";
import { commandUsage, parseCommandLine, USAGE, UsageError } from "./args";
import { buildBackend, type BuildOptions, type BuiltBackend } from "./build-backend";
import { dispatch, type CommandOutput, type DispatchOptions } from "./dispatch";
import { jsonText } from "./render";

export type MainOptions = BuildOptions & DispatchOptions;

export async function main(
    argv: string[],
    env: NodeJS.ProcessEnv,
    out: (s: string) => void,
    err: (s: string) => void,
    opts: MainOptions = {},
): Promise<number> {
    // Before parsing: a bad command line with --json still answers in JSON.
    const jsonWanted = argv.includes("--json");
    const word = argv.find((a) => !a.startsWith("-"));
    let parsed: ReturnType<typeof parseCommandLine>;
    try {
        parsed = parseCommandLine(argv, env);
    } catch (e) {
        const usage = e instanceof UsageError && e.command ? commandUsage(e.command) : USAGE;
        err(`error: ${(e as Error).message}\n\n${usage}\n`);
        if (jsonWanted)
            out(jsonText({ command: word ?? null, outcome: "invalid", exitCode: OUTCOME_EXIT.invalid, message: (e as Error).message }));
        return OUTCOME_EXIT.invalid;
    }
    if (parsed.kind === "help") {
        out(`${parsed.command ? commandUsage(parsed.command) : USAGE}\n`);
        return 0;
    }
    const { kind: _kind, ...args } = parsed;
    void _kind;
    const progress = args.json ? err : out;
    const output: CommandOutput = {
        out,
        err,
        progress,
        reporter: createReporter({ write: progress, writeError: err, tfBuild: Boolean(env.TF_BUILD) }),
    };
    let built: BuiltBackend | undefined;
    try {
        built = await buildBackend(args, env, opts, progress);
        return await dispatch(args, built, env, output, opts);
    } catch (e) {
        output.reporter.error((e as Error).message);
        if (args.json)
            out(
                jsonText({
                    command: args.command,
                    version: args.version,
                    env: args.env,
                    backend: args.backend,
                    outcome: outcomeOf(e),
                    exitCode: exitCodeOf(e),
                    message: (e as Error).message,
                }),
            );
        return exitCodeOf(e);
    } finally {
        await built?.target.backend.close();
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
