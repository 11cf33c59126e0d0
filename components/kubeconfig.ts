/**
 * Pure kubeconfig handling for Entra ID (AAD) clusters.
 *
 * `listManagedClusterUserCredentials` returns a kubeconfig whose user runs `kubelogin get-token`
 * with `--login devicecode`, which waits for a human. Pulumi's Kubernetes provider and the release
 * engine run unattended, so the login mode is rewritten (like `kubelogin convert-kubeconfig -l <mode>`):
 * `azurecli` on a laptop or in `AzureCLI@2`, `workloadidentity` where a federated token file exists.
 * Kubeconfigs without an exec user (local accounts) are returned unchanged.
 */
import * as YAML from "yaml";

export const KUBELOGIN_MODES = ["azurecli", "workloadidentity", "msi", "devicecode"] as const;
export type KubeloginMode = (typeof KUBELOGIN_MODES)[number];

interface ExecConfig {
    command?: string;
    args?: string[];
    [k: string]: unknown;
}

/**
 * Args of `kubelogin get-token` that belong to the interactive mode and must go: the login mode and
 * the device-code public client id. Server id, tenant id and environment stay.
 */
const MODE_SPECIFIC_FLAGS = new Set(["--login", "-l", "--client-id", "--client-secret", "--username", "--password"]);

function rewriteArgs(args: string[], mode: KubeloginMode): string[] {
    // Keep the server id (the AKS AAD server application) and everything not mode-specific.
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        const [flag] = a.split("=", 1);
        if (MODE_SPECIFIC_FLAGS.has(flag)) {
            if (!a.includes("=") && i + 1 < args.length && !args[i + 1].startsWith("-")) i++;
            continue;
        }
        out.push(a);
    }
    return [...out, "--login", mode];
}

/** Rewrites every `kubelogin` exec user to the given login mode. */
export function withKubeloginMode(kubeconfig: string, mode: KubeloginMode): string {
    if (mode === "devicecode") return kubeconfig;
    const doc = YAML.parse(kubeconfig) as { users?: { name?: string; user?: { exec?: ExecConfig } }[] } | null;
    if (!doc || !Array.isArray(doc.users)) return kubeconfig;
    let changed = false;
    for (const u of doc.users) {
        const exec = u.user?.exec;
        if (exec && typeof exec.command === "string" && /(^|\/)kubelogin(\.exe)?$/.test(exec.command) && Array.isArray(exec.args)) {
            exec.args = rewriteArgs(exec.args, mode);
            changed = true;
        }
    }
    return changed ? YAML.stringify(doc) : kubeconfig;
}

/** Decodes the base64 value of `kubeconfigs[0]` from a credential result. */
export function decodeKubeconfig(result: { kubeconfigs?: { name?: string; value?: string }[] }): string {
    const first = result.kubeconfigs?.[0]?.value;
    if (!first) throw new Error("the cluster returned no kubeconfig (kubeconfigs[0].value is empty)");
    return Buffer.from(first, "base64").toString("utf8");
}
