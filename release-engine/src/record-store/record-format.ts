/**
 * The engine record's JSON format, `{ "state": <release state> | null, "operation"?: <operation>,
 * "rejected"?: [...] }`: the local backend's `state.json` and the `record` of the shared store's
 * document (record-document.ts). Pure: turns the file's text into a validated {@link EngineRecord} or
 * says what is wrong with it, without echoing the text (it may hold the preview secret).
 */
import {
    operationProblems,
    rejectedProblems,
    validateReleaseState,
    ReleaseStateError,
    type EngineRecord,
    type Operation,
} from "@phoenix/release-model";

export type ParsedRecord = { ok: true; record: EngineRecord } | { ok: false; problem: string };

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
    return v === null ? "null" : Array.isArray(v) ? "an array" : typeof v;
}

/** Where JSON.parse stopped, from its message, without the excerpt of the text it quotes. */
function jsonProblem(e: Error, text: string): string {
    const at = /at position (\d+)/.exec(e.message);
    const pos = at ? Number(at[1]) : undefined;
    if (/end of JSON input|Unterminated string/i.test(e.message) || (pos !== undefined && pos >= text.trimEnd().length)) {
        return "it ends in the middle of the JSON (truncated)";
    }
    if (pos === undefined) return "it is not valid JSON";
    const before = text.slice(0, pos).split("\n");
    return `it is not valid JSON (at line ${before.length} column ${before[before.length - 1].length + 1})`;
}

/** Parses and validates the text of a record file. */
export function parseRecord(text: string): ParsedRecord {
    if (text.trim() === "") return { ok: false, problem: "it is empty" };
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        return { ok: false, problem: jsonProblem(e as Error, text) };
    }
    if (!isObject(raw)) return { ok: false, problem: `it holds ${kindOf(raw)}, not a record { "state": ..., "operation"?: ... }` };
    const problems: string[] = [];
    for (const k of Object.keys(raw))
        if (!["state", "operation", "rejected"].includes(k)) problems.push(`unknown key "${k}" (allowed: state, operation, rejected)`);
    let state: EngineRecord["state"] = null;
    if (!("state" in raw)) problems.push(`"state" is missing (a release state, or null)`);
    else if (raw.state !== null) {
        try {
            state = validateReleaseState(raw.state);
        } catch (e) {
            problems.push(...(e instanceof ReleaseStateError ? e.problems : [(e as Error).message]).map((p) => `state: ${p}`));
        }
    }
    if (raw.operation !== undefined) problems.push(...operationProblems(raw.operation));
    problems.push(...rejectedProblems(raw.rejected));
    if (problems.length > 0) return { ok: false, problem: `it is not a valid record:\n  - ${problems.join("\n  - ")}` };
    const record: EngineRecord = raw.operation === undefined ? { state } : { state, operation: raw.operation as Operation };
    if (raw.rejected !== undefined) record.rejected = [...(raw.rejected as string[])];
    return { ok: true, record };
}
