/**
 * Command-line parsing (pure), on Node's `util.parseArgs`. Each command is defined once below: its
 * version argument, its options and its help; the usage texts and the validation are derived from
 * those definitions. Anything unexpected is a {@link UsageError} (exit 2, nothing changed) that
 * carries the command whose usage to print.
 */
import { parseArgs as nodeParseArgs } from "util";
import { InputError } from "../errors";
import { isSemver } from "@phoenix/release-model";
import { ENVIRONMENTS } from "../settings/config";
import { imageTagVersionProblem } from "@phoenix/release-model";
import { stepsRuleBroken } from "../planner/plan";

const BACKENDS = ["local", "pulumi"] as const;
/** A service name: a lower-case DNS label (RFC 1123), as the settings' appName and the release record's folder want it. */
const SERVICE_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

type OptionName = "env" | "service" | "backend" | "vault" | "json" | "show-secrets" | "steps" | "replace" | "rps" | "duration" | "help";

interface OptionSpec {
    type: "string" | "boolean";
    short?: string;
    /** Shown after the flag in the usage, e.g. `dev|prod`. */
    value?: string;
    help: string;
}

const OPTIONS: Record<OptionName, OptionSpec> = {
    env: { type: "string", value: ENVIRONMENTS.join("|"), help: "environment (default dev)" },
    service: {
        type: "string",
        value: "NAME",
        help: "the service whose state, lock, history and reports to use (default: the settings' appName)",
    },
    backend: {
        type: "string",
        value: BACKENDS.join("|"),
        help: "local processes (default) or the release stack through the Automation API",
    },
    vault: { type: "string", value: "NAME", help: "read settings from this Key Vault (default: $AZURE_KEYVAULT_NAME)" },
    json: { type: "boolean", help: "print one JSON object on stdout, errors included (progress goes to stderr)" },
    "show-secrets": { type: "boolean", help: "print the preview header's secret value and a ready curl line" },
    steps: {
        type: "string",
        value: "W,W,...,100",
        help: "the production weights after the gate, e.g. 5,25,50,100; 100 switches at once (default: the environment's)",
    },
    rps: { type: "string", value: "N", help: "production requests per second, 1-2000 (default 50)" },
    duration: { type: "string", value: "SECONDS", help: "stop after this long, 1-86400 (default: until Ctrl-C)" },
    replace: { type: "boolean", help: "overwrite the record the store already holds (import-record)" },
    help: { type: "boolean", short: "h", help: "print this command's usage" },
};

const COMMON: OptionName[] = ["env", "service", "backend", "vault", "json", "help"];

interface CommandSpec {
    version: "required" | "optional" | "none";
    summary: string;
    /** Extra help lines for `<command> --help`. */
    detail?: string[];
    options: OptionName[];
}

const SPECS = {
    release: {
        version: "required",
        summary: "the whole cycle: deploy as candidate, gate, promote, check production",
        options: [...COMMON, "steps"],
    },
    deploy: { version: "required", summary: "deploy as candidate and wait until ready   (Azure DevOps: deploy)", options: COMMON },
    verify: { version: "none", summary: "gate the pending candidate; rolls it back on failure (routeTraffic)", options: COMMON },
    promote: {
        version: "none",
        summary: "make the pending candidate live             (on: success)",
        detail: [
            "production moves by the environment's steps (or --steps), each judged against live; a step that fails returns production to live at once",
        ],
        options: [...COMMON, "steps"],
    },
    rollback: {
        version: "optional",
        summary: "undo the pending release, or switch production back to the standby (on: failure)",
        detail: [
            "with a version (default $RELEASE_VERSION) only that release is undone;",
            "never moves production to a version that was itself rolled back or rejected (exit 3)",
        ],
        options: COMMON,
    },
    abort: { version: "none", summary: "remove the pending candidate, restoring its slot", options: COMMON },
    status: {
        version: "none",
        summary: "the recorded state, the URL, and whether the environment is running",
        detail: ["read-only: never starts anything"],
        options: [...COMMON, "show-secrets"],
    },
    history: { version: "none", summary: "every release, promotion, rejection, rollback and abort", options: COMMON },
    plan: { version: "required", summary: 'the steps "release <version>" would take, without taking them', options: [...COMMON, "steps"] },
    "local-down": { version: "none", summary: "stop the local environment's processes (local backend)", options: COMMON },
    load: {
        version: "none",
        summary: "production traffic at a fixed rate against a running local environment (npm run load)",
        detail: ["so a weighted step (--steps) has production to judge; a line every 5 s: requests, failures, who answered"],
        options: ["env", "service", "backend", "rps", "duration", "help"],
    },
    "import-record": {
        version: "none",
        summary: "move the record from stacks/release/Pulumi.<env>.yaml into the shared store, once (Pulumi backend)",
        detail: [
            "refused when the store already holds a record (unless --replace) or when the file is not what the stack's last update applied; recorded in the history",
        ],
        options: [...COMMON, "replace"],
    },
    "restore-record": {
        version: "none",
        summary: "put the last good copy of the record back over a record that is not valid (Pulumi backend)",
        detail: ["refused when the record is valid; recorded in the history"],
        options: COMMON,
    },
} as const satisfies Record<string, CommandSpec>;

export type Command = keyof typeof SPECS;
export const COMMANDS = Object.keys(SPECS) as Command[];

export interface CliArgs {
    command: Command;
    version?: string;
    env: string;
    /** --service: the service to release (a DNS label); absent, the settings' appName. */
    service?: string;
    backend: "local" | "pulumi";
    vault?: string;
    json: boolean;
    showSecrets: boolean;
    /** --steps: the production weights after the gate (release, promote). */
    steps?: number[];
    /** --replace (import-record). */
    replace?: boolean;
    /** --rps and --duration (load). */
    rps?: number;
    durationS?: number;
}

export type Parsed = { kind: "help"; command?: Command } | ({ kind: "run" } & CliArgs);

/** A bad command line: exit 2 with the usage of `command` (or the general usage). */
export class UsageError extends InputError {
    constructor(
        message: string,
        readonly command?: Command,
    ) {
        super(message);
    }
}

const PROG = "phoenix-release";
const EXIT_CODES =
    "exit codes: 0 done, 1 release rejected (gate failed, rolled back), could not be measured (a check inconclusive past its error budget, rolled back) or a step failed, 2 bad input or a missing tool (nothing changed), 3 blocked, 130 interrupted";

function synopsis(name: Command): string {
    const v = (SPECS[name] as CommandSpec).version;
    return `${name}${v === "required" ? " <version>" : v === "optional" ? " [version]" : ""}`;
}

function optionLines(names: readonly OptionName[]): string[] {
    return names.map((n) => {
        const o = OPTIONS[n];
        const flag = `${o.short ? `-${o.short}, ` : ""}--${n}${o.value ? ` ${o.value}` : ""}`;
        return `  ${flag.padEnd(26)}${o.help}`;
    });
}

/** The general usage (`--help`), also quoted in the README's command reference. */
export const USAGE = [
    `usage: ${PROG} <command> [version] [options]      (from a clone: npm run release -- <command> ...)`,
    "",
    "commands:",
    ...COMMANDS.flatMap((c) => {
        const s = SPECS[c] as CommandSpec;
        return [`  ${synopsis(c).padEnd(20)}${s.summary}`];
    }),
    "",
    "options:",
    ...optionLines(COMMON),
    ...optionLines(["show-secrets"]).map((l) => `${l} (status)`),
    ...optionLines(["steps"]).map((l) => `${l} (release, promote, plan)`),
    "",
    `"<command> --help" describes one command. ${EXIT_CODES}`,
].join("\n");

/** One command's usage (`<command> --help`, and after a bad argument to it). */
export function commandUsage(name: Command): string {
    const s = SPECS[name] as CommandSpec;
    return [
        `usage: ${PROG} ${synopsis(name)} [options]`,
        "",
        `${s.summary}${s.detail ? `;\n${s.detail.join("\n")}` : ""}`,
        "",
        "options:",
        ...optionLines(s.options),
        "",
        EXIT_CODES,
    ].join("\n");
}

function isCommand(s: string | undefined): s is Command {
    return s !== undefined && Object.prototype.hasOwnProperty.call(SPECS, s);
}

/** The version argument's rules: semver, and usable as an image tag (no build metadata). */
function checkVersion(v: string, what: string, command: Command): string {
    if (!isSemver(v)) throw new UsageError(`${what} "${v}" is not a semantic version (expected e.g. 1.2.3)`, command);
    const problem = imageTagVersionProblem(v);
    if (problem) throw new UsageError(`${what} "${v}": ${problem}`, command);
    return v;
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): Parsed {
    // The command is the first word that is not an option; it decides which options are allowed.
    const first = argv.find((a) => !a.startsWith("-"));
    const command = isCommand(first) ? first : undefined;
    const allowed = command ? (SPECS[command] as CommandSpec).options : [...COMMON, "show-secrets" as const, "steps" as const];
    const options = Object.fromEntries(
        allowed.map((n) => [n, { type: OPTIONS[n].type, ...(OPTIONS[n].short ? { short: OPTIONS[n].short } : {}) }]),
    );
    let parsed: ReturnType<typeof nodeParseArgs>;
    try {
        parsed = nodeParseArgs({ args: argv, options, allowPositionals: true, strict: true });
    } catch (e) {
        // util.parseArgs's messages name the option ("Unknown option '--what'"); for an option another command takes, say so.
        const unknown = /Unknown option '--?([^']+)'/.exec((e as Error).message)?.[1];
        if (unknown && unknown in OPTIONS && command) throw new UsageError(`${command} takes no --${unknown}`, command);
        throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ""), command);
    }
    const values = parsed.values as Partial<Record<OptionName, string | boolean>>;
    const positionals = parsed.positionals;
    if (values.help || positionals[0] === "help")
        return {
            kind: "help",
            command: isCommand(positionals[0]) ? positionals[0] : isCommand(positionals[1]) ? positionals[1] : undefined,
        };
    const [name, version, ...rest] = positionals;
    if (name === undefined) throw new UsageError("no command given");
    if (!isCommand(name)) throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.join(", ")})`);
    const spec = SPECS[name] as CommandSpec;
    if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`, name);
    if (spec.version === "required" && version === undefined) throw new UsageError(`${name} needs a version, e.g. ${name} 1.2.3`, name);
    if (spec.version === "none" && version !== undefined) throw new UsageError(`${name} takes no version (got "${version}")`, name);
    if (version !== undefined) checkVersion(version, "version", name);
    const envName = (values.env as string | undefined) ?? "dev";
    if (!(ENVIRONMENTS as readonly string[]).includes(envName))
        throw new UsageError(`--env must be one of ${ENVIRONMENTS.join(", ")}, got "${envName}"`, name);
    const service = values.service as string | undefined;
    if (service !== undefined && !SERVICE_RE.test(service))
        throw new UsageError(
            `--service must be a lower-case DNS label (1-63 lower-case letters, digits and inner hyphens), got "${service}"`,
            name,
        );
    const backend = (values.backend as string | undefined) ?? "local";
    if (backend !== "local" && backend !== "pulumi") throw new UsageError(`--backend must be local or pulumi, got "${backend}"`, name);
    if (name === "load" && backend !== "local")
        throw new UsageError("load drives a local environment only (a real environment's production traffic is its users')", name);
    const whole = (flag: "rps" | "duration", min: number, max: number): number | undefined => {
        const v = values[flag];
        if (typeof v !== "string") return undefined;
        const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
        if (!(n >= min && n <= max)) throw new UsageError(`--${flag} must be a whole number ${min}-${max}, got "${v}"`, name);
        return n;
    };
    const rps = whole("rps", 1, 2000);
    const durationS = whole("duration", 1, 86400);
    if ((name === "import-record" || name === "restore-record") && backend !== "pulumi")
        throw new UsageError(`${name} applies to the Pulumi backend's shared record (add --backend pulumi)`, name);
    if (values.vault === "") throw new UsageError("--vault needs a name", name);
    let steps: number[] | undefined;
    if (typeof values.steps === "string") {
        // Only the syntax is the CLI's (comma-separated whole numbers); the rule is the planner's.
        steps = values.steps.split(",").map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : Number.NaN));
        const broken = stepsRuleBroken(steps);
        if (broken)
            throw new UsageError(
                `--steps must be rising whole percents ending with 100 (e.g. 5,25,50,100 or 100), got "${values.steps}": the weights ${broken}`,
                name,
            );
    }
    // In the pipeline's on: failure hook, `rollback` must undo this run's release and nothing else: the
    // pipeline's RELEASE_VERSION names it (like AZURE_KEYVAULT_NAME names the vault).
    let effectiveVersion = version;
    if (name === "rollback" && version === undefined && env.RELEASE_VERSION)
        effectiveVersion = checkVersion(env.RELEASE_VERSION, "RELEASE_VERSION", name);
    return {
        kind: "run",
        command: name,
        version: effectiveVersion,
        env: envName,
        ...(service !== undefined ? { service } : {}),
        backend,
        vault: (values.vault as string | undefined) ?? (env.AZURE_KEYVAULT_NAME || undefined),
        json: values.json === true,
        showSecrets: values["show-secrets"] === true,
        ...(steps ? { steps } : {}),
        ...(values.replace === true ? { replace: true } : {}),
        ...(name === "load" ? { rps: rps ?? 50 } : {}),
        ...(durationS !== undefined ? { durationS } : {}),
    };
}

/** The arguments of a command to run; a help request is a UsageError here (callers that print help use parseCommandLine). */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): CliArgs {
    const p = parseCommandLine(argv, env);
    if (p.kind === "help") throw new UsageError("help requested", p.command);
    const { kind: _kind, ...args } = p;
    void _kind;
    return args;
}
