/** Command-line parsing (pure). Anything unexpected is an InputError (exit 2, nothing changed). */
import { InputError } from "../engine/backend";
import { isSemver } from "@phoenix/release-model";

export const COMMANDS = ["release", "deploy", "verify", "promote", "rollback", "abort", "status", "plan", "local-down"] as const;
export type Command = (typeof COMMANDS)[number];

export interface CliArgs {
    command: Command;
    version?: string;
    env: string;
    backend: "local" | "pulumi";
    vault?: string;
    json: boolean;
}

export const USAGE = `usage: npm run release -- <command> [version] [options]

commands:
  release <version>   the whole cycle: deploy as candidate, gate, promote, check production
  deploy <version>    deploy as candidate and wait until ready   (Azure DevOps: deploy)
  verify              gate the pending candidate; rolls it back on failure (routeTraffic)
  promote             make the pending candidate live             (on: success)
  rollback [version]  undo the pending release, or switch production back to the standby (on: failure);
                      with a version (default $RELEASE_VERSION) only that release is undone
  abort               remove the pending candidate, restoring its slot
  status              the recorded state and the operation in progress
  plan <version>      the steps "release <version>" would take, without taking them
  local-down          stop the local environment's processes (local backend)

options:
  --env dev|prod            environment (default dev)
  --backend local|pulumi    local processes (default) or the release stack through the Automation API
  --vault NAME              read settings from this Key Vault (default: $AZURE_KEYVAULT_NAME)
  --json                    print a JSON result on stdout (progress goes to stderr)

exit codes: 0 done, 1 gate failed and rolled back, 2 bad input (nothing changed), 3 blocked`;

const NEEDS_VERSION: Command[] = ["release", "deploy", "plan"];
const OPTIONAL_VERSION: Command[] = ["rollback"];

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv): CliArgs {
    const positional: string[] = [];
    const out: Partial<CliArgs> = { env: "dev", backend: "local", json: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const value = (name: string) => {
            const eq = a.indexOf("=");
            if (eq > 0) return a.slice(eq + 1);
            const v = argv[++i];
            if (v === undefined || v.startsWith("--")) throw new InputError(`${name} needs a value`);
            return v;
        };
        const flag = a.split("=")[0];
        if (flag === "--env") out.env = value("--env");
        else if (flag === "--backend") {
            const b = value("--backend");
            if (b !== "local" && b !== "pulumi") throw new InputError(`--backend must be local or pulumi, got "${b}"`);
            out.backend = b;
        } else if (flag === "--vault") out.vault = value("--vault");
        else if (a === "--json") out.json = true;
        else if (a.startsWith("-")) throw new InputError(`unknown option "${a}"`);
        else positional.push(a);
    }
    const [command, version, ...rest] = positional;
    if (command === undefined) throw new InputError("no command given");
    if (!(COMMANDS as readonly string[]).includes(command)) throw new InputError(`unknown command "${command}" (commands: ${COMMANDS.join(", ")})`);
    const cmd = command as Command;
    if (rest.length) throw new InputError(`unexpected argument "${rest[0]}"`);
    if (NEEDS_VERSION.includes(cmd) && version === undefined) throw new InputError(`${cmd} needs a version, e.g. ${cmd} 1.2.3`);
    if (version !== undefined && !NEEDS_VERSION.includes(cmd) && !OPTIONAL_VERSION.includes(cmd)) throw new InputError(`${cmd} takes no version (got "${version}")`);
    if (version !== undefined && !isSemver(version)) throw new InputError(`"${version}" is not a semantic version (expected e.g. 1.2.3)`);
    // In the pipeline's on: failure hook, `rollback` must undo this run's release and nothing else: the
    // pipeline's RELEASE_VERSION names it (like AZURE_KEYVAULT_NAME names the vault).
    let rollbackVersion = version;
    if (cmd === "rollback" && version === undefined && env.RELEASE_VERSION) {
        if (!isSemver(env.RELEASE_VERSION)) throw new InputError(`RELEASE_VERSION "${env.RELEASE_VERSION}" is not a semantic version`);
        rollbackVersion = env.RELEASE_VERSION;
    }
    const vault = out.vault ?? (env.AZURE_KEYVAULT_NAME || undefined);
    return { command: cmd, version: cmd === "rollback" ? rollbackVersion : version, env: out.env as string, backend: out.backend as "local" | "pulumi", vault, json: out.json as boolean };
}
