/** The local backend's release history: `.phoenix/<service>/<env>/history.jsonl`, one JSON entry a line, appended. */
import * as fs from "fs";
import * as path from "path";
import type { HistoryEntry } from "../../engine/history";

export function appendHistory(dir: string, entry: HistoryEntry): void {
    fs.mkdirSync(dir, { recursive: true });
    fs.appendFileSync(path.join(dir, "history.jsonl"), `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/** Oldest first; a line that is not an entry (a crash mid-write) is skipped. */
export function readHistory(dir: string): HistoryEntry[] {
    const file = path.join(dir, "history.jsonl");
    if (!fs.existsSync(file)) return [];
    const out: HistoryEntry[] = [];
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        if (line.trim() === "") continue;
        try {
            const e = JSON.parse(line) as HistoryEntry;
            if (typeof e.at === "string" && typeof e.action === "string") out.push(e);
        } catch {
            /* a torn last line */
        }
    }
    return out;
}
