/**
 * The local backend's environment lock (`.phoenix/<service>/<env>/lock/`): at most one engine works on an
 * environment at a time, and a lock left by a dead process is taken over, atomically.
 *
 * The lock is a directory of numbered generation files. Generation `n` is created, complete, by
 * `link(2)` from a private temp file, so it appears whole or not at all, and only one process can
 * create it. The highest generation is the lock: it holds `<pid> <time> <random>` while its holder
 * works and `released` afterwards (replaced by rename, never deleted). To take the lock, a process
 * reads the highest generation `n`; if it names a live process it is blocked, otherwise (released,
 * its holder dead, or unreadable) it creates `n + 1`. Of several processes that saw the same stale
 * `n`, exactly one creates `n + 1`; the others find it and see a live holder.
 *
 * Why this is exclusive: the highest generation is never deleted (only generations below the
 * holder's own are removed), so the highest number never decreases; and `n + 1` is created only
 * by a process that saw `n` not held. A holder of `n` keeps `n` held, so while it works no higher
 * generation can appear. A process that recreates a generation removed earlier (it read the
 * directory long ago) finds a higher one when it looks again after creating, and withdraws.
 */
import * as fs from "fs";
import * as path from "path";
import { BlockedError } from "../../errors";

const RELEASED = "released";
const GENERATION = /^[1-9]\d*$/;
const TEMP = /^\.tmp-(\d+)-/;
/** Tries before giving up under extreme contention (each try that loses finds a newer holder). */
const MAX_TRIES = 20;

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** The generation numbers present, highest first. */
function generations(lockDir: string): number[] {
    return fs
        .readdirSync(lockDir)
        .filter((n) => GENERATION.test(n))
        .map(Number)
        .sort((a, b) => b - a);
}

/** The live holder's PID named by a generation's content, if any (released, dead or unreadable: none). */
function liveHolder(content: string | undefined): number | undefined {
    if (content === undefined || content === RELEASED) return undefined;
    const pid = Number(content.split(" ")[0]);
    return Number.isInteger(pid) && pid > 0 && alive(pid) ? pid : undefined;
}

/** Who holds the lock in `dir` now (a live process), and since when; undefined when nobody does. Read-only. */
export function lockHolder(dir: string): { holder: string; since?: string } | undefined {
    const lockDir = path.join(dir, "lock");
    let top: number | undefined;
    try {
        top = generations(lockDir)[0];
    } catch {
        return undefined;
    }
    if (top === undefined) return undefined;
    const content = readIfExists(path.join(lockDir, String(top)));
    const pid = liveHolder(content);
    if (pid === undefined) return undefined;
    const since = content?.split(" ")[1];
    return { holder: `pid ${pid}`, ...(since ? { since } : {}) };
}

/** A file's text, or undefined when it does not exist (other errors are thrown). */
export function readIfExists(file: string): string | undefined {
    try {
        return fs.readFileSync(file, "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
    }
}

/** Writes `content` to a private temp file in `lockDir`, fsynced; returns its path. */
function tempFile(lockDir: string, content: string): string {
    const tmp = path.join(lockDir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
        fs.writeSync(fd, content);
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    return tmp;
}

/** Removes generations below `mine` and temp files of dead processes (best effort). */
function cleanUp(lockDir: string, mine: number): void {
    for (const name of fs.readdirSync(lockDir)) {
        const tempOf = TEMP.exec(name);
        const stale = GENERATION.test(name) ? Number(name) < mine : tempOf !== null && !alive(Number(tempOf[1]));
        if (stale) fs.rmSync(path.join(lockDir, name), { force: true });
    }
}

/**
 * Takes the environment's lock in `dir` (the environment's state directory) and returns the function
 * that releases it. A lock held by a live process — including this one, e.g. a second engine in the
 * same test — is a {@link BlockedError}; one left by a dead process is taken over.
 */
export function acquireLock(dir: string, env: string): () => void {
    const lockDir = path.join(dir, "lock");
    try {
        fs.mkdirSync(lockDir, { recursive: true });
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
        throw new BlockedError(
            `${lockDir} is not a directory (an older engine's lock file?); remove it if no release is running in ${env}`,
        );
    }
    const token = `${process.pid} ${new Date().toISOString()} ${Math.random().toString(36).slice(2)}`;
    for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
        const top = generations(lockDir)[0] ?? 0;
        if (top > 0) {
            const holder = liveHolder(readIfExists(path.join(lockDir, String(top))));
            if (holder !== undefined) throw new BlockedError(`another release is running in ${env} (pid ${holder}, lock ${lockDir})`);
        }
        const mine = top + 1;
        const file = path.join(lockDir, String(mine));
        const tmp = tempFile(lockDir, token);
        try {
            fs.linkSync(tmp, file);
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
            continue; // another process created generation `mine` first: look again
        } finally {
            fs.rmSync(tmp, { force: true });
        }
        if ((generations(lockDir)[0] ?? 0) > mine) {
            // `mine` had been removed and a newer generation exists: this is not the lock.
            fs.rmSync(file, { force: true });
            continue;
        }
        cleanUp(lockDir, mine);
        return () => {
            if (readIfExists(file) !== token) return;
            const released = tempFile(lockDir, RELEASED);
            fs.renameSync(released, file);
        };
    }
    throw new BlockedError(`another release is running in ${env} (lock ${lockDir}, contended)`);
}
