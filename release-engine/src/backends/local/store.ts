/** The local backend's record file (`.phoenix/<env>/state.json`) and lock file (`.phoenix/<env>/lock`). */
import * as fs from "fs";
import * as path from "path";
import { validateReleaseState } from "../../model/release-state";
import type { EngineRecord } from "../../planner/types";
import { BlockedError } from "../../engine/backend";

export function readRecord(dir: string): EngineRecord {
    const file = path.join(dir, "state.json");
    if (!fs.existsSync(file)) return { state: null };
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as { state: unknown; operation?: EngineRecord["operation"]; rejected?: unknown };
    const rejected = Array.isArray(raw.rejected) ? raw.rejected.filter((v): v is string => typeof v === "string") : undefined;
    return { state: raw.state === null ? null : validateReleaseState(raw.state), ...(raw.operation ? { operation: raw.operation } : {}), ...(rejected ? { rejected } : {}) };
}

/** Atomic write (temp file + rename): a crash never leaves half a record. */
export function writeRecord(dir: string, record: EngineRecord): void {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "state.json");
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * Exclusive lock by `open(O_CREAT|O_EXCL)`. A lock left by a dead process is taken over; one held by
 * a live process (or by this process, e.g. a second engine in the same test) is a BlockedError.
 */
export function acquireLock(dir: string, env: string): () => void {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "lock");
    const token = `${process.pid} ${Date.now()} ${Math.random()}`;
    for (let attempt = 0; attempt < 2; attempt++) {
        try {
            fs.writeFileSync(file, token, { flag: "wx" });
            return () => {
                try {
                    if (fs.readFileSync(file, "utf8") === token) fs.unlinkSync(file);
                } catch {
                    /* already gone */
                }
            };
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            const holder = Number.parseInt(fs.readFileSync(file, "utf8").split(" ")[0], 10);
            if (Number.isInteger(holder) && alive(holder)) {
                throw new BlockedError(`another release is running in ${env} (pid ${holder}, lock ${file})`);
            }
            fs.rmSync(file, { force: true });
        }
    }
    throw new BlockedError(`another release is running in ${env} (lock ${file})`);
}
