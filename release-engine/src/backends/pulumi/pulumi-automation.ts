/**
 * The Pulumi backend's adapter over the real Automation API (`LocalWorkspace` on the release stack's
 * folder). Needs the `pulumi` CLI on PATH. The library's `setAllConfig`/`setConfig` put secret values
 * on the command line (`--secret key=value`), readable by anyone who lists processes; secrets are
 * therefore set with `pulumi config set --secret <key>` and the value on stdin, which the CLI reads
 * when no value is given in a non-interactive session.
 */
import { spawn } from "child_process";
import type { AutomationStack, ConfigValueLike, StackFactory } from "./automation-port";

/** Runs the workspace's pulumi command with `input` on stdin; rejects with the CLI's stderr on failure. */
function runWithStdin(command: string, args: string[], cwd: string, env: Record<string, string>, input: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ["pipe", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve() : reject(new Error(`pulumi ${args.slice(0, 3).join(" ")} failed (exit ${code}): ${stderr.trim()}`)),
        );
        child.stdin.end(input);
    });
}

export const createAutomationStack: StackFactory = async ({ stackName, workDir }) => {
    const auto = await import("@pulumi/pulumi/automation");
    const stack = await auto.LocalWorkspace.createOrSelectStack({ stackName, workDir });
    const ws = stack.workspace as import("@pulumi/pulumi/automation").LocalWorkspace;
    return {
        getAllConfig: () => stack.getAllConfig(),
        setAllConfig: async (config: Record<string, ConfigValueLike>) => {
            const secret = Object.keys(config).filter((k) => config[k].secret);
            // Never through the library: it would put the value in argv.
            if (secret.length) throw new Error(`setAllConfig is for plain values; ${secret.join(", ")} must go through setSecretConfig`);
            await stack.setAllConfig(config);
        },
        setSecretConfig: (key: string, value: string) =>
            runWithStdin(
                ws.pulumiCommand.command,
                ["config", "set", "--secret", key, "--stack", stack.name, "--non-interactive"],
                ws.workDir,
                { PULUMI_AUTOMATION_API: "true", ...(ws.pulumiHome ? { PULUMI_HOME: ws.pulumiHome } : {}), ...ws.envVars },
                value,
            ),
        removeConfig: (key: string) => stack.removeConfig(key),
        up: (opts) => stack.up(opts),
        destroy: (opts) => stack.destroy(opts),
        outputs: () => stack.outputs(),
        history: () => stack.history(),
    } satisfies AutomationStack;
};
