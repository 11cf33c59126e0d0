/** The local backend's record file (`.phoenix/<env>/state.json`); the environment lock is in ./lock. */
import * as fs from "fs";
import * as path from "path";
import { validateReleaseState } from "../../model/release-state";
import type { EngineRecord } from "../../planner/types";

// The lock lives in its own module; it is re-exported here, where the backend and specs find the store.
export { acquireLock } from "./lock";

export function readRecord(dir: string): EngineRecord {
    const file = path.join(dir, "state.json");
    if (!fs.existsSync(file)) return { state: null };
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as { state: unknown; operation?: EngineRecord["operation"] };
    return { state: raw.state === null ? null : validateReleaseState(raw.state), ...(raw.operation ? { operation: raw.operation } : {}) };
}

/** Atomic write (temp file + rename): a crash never leaves half a record. */
export function writeRecord(dir: string, record: EngineRecord): void {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "state.json");
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
}
