/**
 * Where a service's local state lives: `<root>/<service>/<env>/` (record, lock, history, the
 * daemon's files and the release reports). Before services had their own folders the state was
 * `<root>/<env>/`; such a folder is refused, never silently ignored, with the one command that
 * moves it (the CLI does not move it itself: a daemon started from the old folder still runs there).
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../../errors";

/** The files only an environment's state folder holds (a service folder holds environment folders). */
const STATE_FILES = ["state.json", "history.jsonl", "lock", "cluster.json", "router-port"];

/** `<root>/<service>/<env>`. */
export function serviceStateDir(root: string, service: string, env: string): string {
    return path.join(root, service, env);
}

/**
 * Refuses (exit 2, nothing started) when `<root>/<env>/` is an environment's state of the old
 * layout and the service's folder does not exist yet: the error names both and the command that moves it.
 */
export function refuseOldLayout(root: string, service: string, env: string): void {
    const old = path.join(root, env);
    const now = serviceStateDir(root, service, env);
    if (fs.existsSync(now) || !STATE_FILES.some((f) => fs.existsSync(path.join(old, f)))) return;
    throw new InputError(
        `the local state of ${env} is at ${old}, the layout before per-service state; it now belongs at ${now}. ` +
            `Stop its processes if any run (kill the pid in ${path.join(old, "cluster.json")}), then move it once: ` +
            `mkdir -p ${path.dirname(now)} && mv ${old} ${now}`,
    );
}
