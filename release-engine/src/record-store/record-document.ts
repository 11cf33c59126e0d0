/**
 * The shared release record's blob format and its pure rules (no I/O):
 *
 * ```json
 * { "schema": "phoenix.release-record/v1", "record": { "state": …, "operation"?: …, "rejected"?: … },
 *   "previousState": <the state before the last change of state> | null,
 *   "writtenBy": "Azure DevOps build 4711", "writtenAt": "2026-12-04T13:00:00.000Z" }
 * ```
 *
 * `previousState` is what lets the drift check tell "the engine wrote a new state and its `up` has not
 * (yet) run" from "someone applied the release stack by hand": the stack's last update must have applied
 * either the record's state or its previous one.
 */
import type { EngineRecord, ReleaseState } from "@phoenix/release-model";
import { isRecord } from "@phoenix/release-model";
import { parseRecord } from "./record-format";

export const RECORD_SCHEMA = "phoenix.release-record/v1";

export interface RecordDocument {
    schema: typeof RECORD_SCHEMA;
    record: EngineRecord;
    /** The state this document's state replaced (kept across writes that change only the operation). */
    previousState: ReleaseState | null;
    writtenBy: string;
    writtenAt: string;
}

export type ParsedDocument = { ok: true; document: RecordDocument } | { ok: false; problem: string };

/** Parses and validates a record blob's text; the problem never quotes the text (it may hold the preview secret). */
export function parseRecordDocument(text: string): ParsedDocument {
    if (text.trim() === "") return { ok: false, problem: "it is empty" };
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch {
        // parseRecord locates the JSON error (line, column, truncation) without quoting.
        const r = parseRecord(text);
        return { ok: false, problem: r.ok ? "it is not valid JSON" : r.problem };
    }
    if (!isRecord(raw))
        return {
            ok: false,
            problem: `it holds ${raw === null ? "null" : Array.isArray(raw) ? "an array" : typeof raw}, not a release record document`,
        };
    if (raw.schema !== RECORD_SCHEMA)
        return { ok: false, problem: `its "schema" is ${JSON.stringify(raw.schema ?? null)}, expected "${RECORD_SCHEMA}"` };
    const unknown = Object.keys(raw).filter((k) => !["schema", "record", "previousState", "writtenBy", "writtenAt"].includes(k));
    if (unknown.length)
        return {
            ok: false,
            problem: `unknown key(s) ${unknown.map((k) => `"${k}"`).join(", ")} (allowed: schema, record, previousState, writtenBy, writtenAt)`,
        };
    const record = parseRecord(JSON.stringify(raw.record ?? null));
    if (!record.ok) return { ok: false, problem: `"record": ${record.problem}` };
    let previousState: ReleaseState | null = null;
    if (raw.previousState !== null && raw.previousState !== undefined) {
        const prev = parseRecord(JSON.stringify({ state: raw.previousState }));
        if (!prev.ok) return { ok: false, problem: `"previousState": ${prev.problem}` };
        previousState = prev.record.state;
    }
    if (typeof raw.writtenBy !== "string" || typeof raw.writtenAt !== "string" || Number.isNaN(Date.parse(raw.writtenAt))) {
        return { ok: false, problem: `"writtenBy" must be a string and "writtenAt" an ISO time` };
    }
    return {
        ok: true,
        document: { schema: RECORD_SCHEMA, record: record.record, previousState, writtenBy: raw.writtenBy, writtenAt: raw.writtenAt },
    };
}

export function serializeRecordDocument(doc: RecordDocument): string {
    return `${JSON.stringify(doc, null, 2)}\n`;
}

/** The document that replaces `current` with `record`: the previous state moves on only when the state changes. */
export function nextRecordDocument(
    current: RecordDocument | undefined,
    record: EngineRecord,
    writtenBy: string,
    writtenAt: Date,
): RecordDocument {
    const before = current?.record.state ?? null;
    const previousState = current && sameState(before, record.state) ? current.previousState : before;
    return { schema: RECORD_SCHEMA, record, previousState, writtenBy, writtenAt: writtenAt.toISOString() };
}

/** JSON with object keys sorted, so equal states compare equal whatever order their keys were written in. */
export function canonicalJson(v: unknown): string {
    if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
    if (isRecord(v)) {
        return `{${Object.keys(v)
            .filter((k) => v[k] !== undefined)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(v ?? null);
}

/** The state as the release stack's config carries it: without the preview secret (that is secret config of its own). */
function withoutPreviewSecret(state: ReleaseState | null): Omit<ReleaseState, "previewHeaderValue"> | null {
    if (!state) return null;
    const { previewHeaderValue: _secret, ...plain } = state;
    void _secret;
    return plain;
}

export function sameState(a: ReleaseState | null, b: ReleaseState | null): boolean {
    return canonicalJson(withoutPreviewSecret(a)) === canonicalJson(withoutPreviewSecret(b));
}

/** One line per slot, e.g. `blue live 1.0.0, green candidate 1.1.0`; `nothing` for no state. */
export function describeSlots(state: ReleaseState | null): string {
    if (!state) return "nothing";
    return (["blue", "green"] as const)
        .map((s) => `${s} ${state.slots[s].role}${state.slots[s].version ? ` ${state.slots[s].version}` : ""}`)
        .join(", ");
}

/**
 * The drift rule: the release stack's last update (its config's state; `undefined` when the stack has
 * never been updated, `null` for a destroy or no state) must have applied the record's state or its
 * previous one. Returns the problem, or undefined when there is no drift.
 */
export function stateDrift(lastApplied: ReleaseState | null | undefined, doc: RecordDocument | undefined): string | undefined {
    const recorded = doc?.record.state ?? null;
    const previous = doc?.previousState ?? null;
    const applied = lastApplied ?? null;
    if (lastApplied === undefined && recorded === null) return undefined;
    if (sameState(applied, recorded) || sameState(applied, previous)) return undefined;
    return `the release stack's last update applied ${describeSlots(applied)}, but the release record says ${describeSlots(recorded)}${previous ? ` (before that: ${describeSlots(previous)})` : ""}`;
}
