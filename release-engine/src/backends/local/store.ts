/**
 * The local backend's record file (`.phoenix/<service>/<env>/state.json`), its previous version beside it
 * (`state.json.prev`, the last good copy); the environment lock lives in ./lock.
 */
import * as fs from "fs";
import * as path from "path";
import { InputError } from "../../errors";
import { describeState } from "../../planner/plan";
import type { EngineRecord } from "../../planner/types";
import { readIfExists } from "./lock";
import { parseRecord } from "../../record-store/record-format";

const STATE_FILE = "state.json";
const PREVIOUS_SUFFIX = ".prev";

/**
 * The record file cannot be used (exit 2, nothing changed): names the file, what is wrong with it
 * and how to recover. An {@link InputError}, so every command maps it to exit code 2.
 */
export class StateFileError extends InputError {
    constructor(
        readonly file: string,
        readonly problem: string,
        message: string,
    ) {
        super(message);
        this.name = "StateFileError";
    }
}

/** The text of the previous copy, if it can be read. */
function previousCopy(file: string): string | undefined {
    try {
        return readIfExists(`${file}${PREVIOUS_SUFFIX}`);
    } catch {
        return undefined;
    }
}

/** The refusal for a corrupt record file: what is wrong, the last good copy (if usable), the ways out. */
function corruptStateMessage(file: string, problem: string, previous: string | undefined): string {
    const prev = `${file}${PREVIOUS_SUFFIX}`;
    const cmd = (c: string) => `"npm run release -- ${c} --env ${path.basename(path.dirname(file))}"`;
    const parsedPrev = previous === undefined ? undefined : parseRecord(previous);
    const ways: string[] = [];
    let note = "";
    if (parsedPrev?.ok) {
        const op = parsedPrev.record.operation;
        ways.push(
            `restore the last good copy (the record one write before the last: ${describeState(parsedPrev.record.state)}${op ? `, ${op.kind} pending` : ""}):\n` +
                `      cp ${prev} ${file}\n` +
                `    commands that change the environment first bring it back to that state${op ? `; ${cmd(op.kind === "release" ? "abort" : "rollback")} settles the pending ${op.kind}` : ""}`,
        );
    } else {
        note = ` (there is no usable previous copy: ${prev} ${parsedPrev ? `is unusable too: ${parsedPrev.problem.split("\n")[0]}` : "does not exist"})`;
    }
    ways.push(`re-create the environment: ${cmd("local-down")}, move ${file} away, and release again`);
    ways.push(`repair ${file} by hand (docs/release-engine.md, "State files")`);
    return [
        `the state file ${file} is unusable: ${problem}`,
        `Nothing was changed. To recover${note}:`,
        ...ways.map((w, i) => `  - ${i > 0 ? "or " : ""}${w}`),
    ].join("\n");
}

/**
 * The recorded state and operation; `{ state: null }` when nothing was ever recorded. A file that is
 * empty, not JSON, truncated or not a valid record is a {@link StateFileError}; nothing is written.
 */
export function readRecord(dir: string): EngineRecord {
    const file = path.join(dir, STATE_FILE);
    let text: string | undefined;
    try {
        text = readIfExists(file);
    } catch (e) {
        const problem = `it cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
        throw new StateFileError(file, problem, corruptStateMessage(file, problem, previousCopy(file)));
    }
    if (text === undefined) return { state: null };
    const parsed = parseRecord(text);
    if (parsed.ok) return parsed.record;
    throw new StateFileError(file, parsed.problem, corruptStateMessage(file, parsed.problem, previousCopy(file)));
}

/** Writes `data` to `file` atomically: a private temp file, fsynced, renamed over `file`, directory fsynced. */
export function writeFileAtomic(file: string, data: string): void {
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
        const fd = fs.openSync(tmp, "wx", 0o600);
        try {
            fs.writeFileSync(fd, data);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(tmp, file);
    } catch (e) {
        fs.rmSync(tmp, { force: true });
        throw e;
    }
    try {
        // Makes the rename itself durable; not possible on every platform (e.g. Windows), where it is skipped.
        const dirFd = fs.openSync(path.dirname(file), "r");
        try {
            fs.fsyncSync(dirFd);
        } finally {
            fs.closeSync(dirFd);
        }
    } catch {
        /* best effort */
    }
}

/**
 * Persists the record atomically (a crash leaves the old or the new record, never a mix), first
 * keeping the current one, when it is valid and differs, as `state.json.prev`.
 */
export function writeRecord(dir: string, record: EngineRecord): void {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, STATE_FILE);
    const text = `${JSON.stringify(record, null, 2)}\n`;
    const current = readIfExists(file);
    if (current !== undefined && current !== text && parseRecord(current).ok) writeFileAtomic(`${file}${PREVIOUS_SUFFIX}`, current);
    writeFileAtomic(file, text);
}
