/**
 * The release stack's config contract, shared by the engine's Pulumi backend (which writes it) and
 * `stacks/release` (which reads it): the keys, the record ↔ config conversion and the one rule for
 * the preview secret.
 *
 * - `phoenix-release:state`              the state as JSON, without the preview secret (plain config);
 * - `phoenix-release:previewHeaderValue` the per-release preview value (secret config), removed when unset;
 * - `phoenix-release:releaseOperation`   the operation in progress (secret: its `before` may hold a preview value);
 * - `phoenix-release:releaseLock`        the engine's advisory lock between runs;
 * - `phoenix-release:rejectedVersions`   versions rolled back or rejected (JSON list; `rollback` never returns to one).
 * The preview rule: the state JSON may carry `previewHeaderValue` only when it equals the secret
 * config value; two different values are refused by both sides (never silently overridden).
 */
import { rejectedProblems, validateOperation, type EngineRecord } from "./record";
import { ReleaseStateError, validateReleaseState, type ReleaseState } from "./release-state";

export const RELEASE_PROJECT = "phoenix-release";

/** Config keys without the project prefix (as the program's `pulumi.Config` reads them). */
export const RELEASE_STATE_KEYS = {
    state: "state",
    previewHeaderValue: "previewHeaderValue",
    operation: "releaseOperation",
    lock: "releaseLock",
    rejected: "rejectedVersions",
} as const;

/** `phoenix-release:<key>`, as the Automation API and `pulumi config` name it. */
export function qualifiedKey(key: string): string {
    return `${RELEASE_PROJECT}:${key}`;
}

export const KEY_STATE = qualifiedKey(RELEASE_STATE_KEYS.state);
export const KEY_PREVIEW = qualifiedKey(RELEASE_STATE_KEYS.previewHeaderValue);
export const KEY_OPERATION = qualifiedKey(RELEASE_STATE_KEYS.operation);
export const KEY_LOCK = qualifiedKey(RELEASE_STATE_KEYS.lock);
export const KEY_REJECTED = qualifiedKey(RELEASE_STATE_KEYS.rejected);

export interface ConfigEntry {
    value: string;
    secret?: boolean;
}

/** A config value that does not hold what the contract says; `key` names it (qualified). */
export class StackConfigError extends Error {
    constructor(
        public readonly key: string,
        public readonly problems: string[],
    ) {
        super(`${key}: ${problems.join("; ")}`);
        this.name = "StackConfigError";
    }
}

/**
 * The one preview rule: a state (parsed JSON, not yet validated) with the secret config value merged
 * in. Refuses a state that carries a different value. Never echoes either value.
 */
export function mergePreviewSecret(parsedState: unknown, secretValue: string | undefined): unknown {
    if (secretValue === undefined || secretValue === "") return parsedState;
    if (typeof parsedState !== "object" || parsedState === null || Array.isArray(parsedState)) return parsedState;
    const inState = (parsedState as Record<string, unknown>).previewHeaderValue;
    if (inState !== undefined && inState !== secretValue) {
        throw new ReleaseStateError([
            "previewHeaderValue is set both in state and as the secret config previewHeaderValue, with different values (values not shown)",
        ]);
    }
    return { ...(parsedState as Record<string, unknown>), previewHeaderValue: secretValue };
}

/** Parses and validates the state config text with the secret merged; throws {@link ReleaseStateError}. */
export function parseStateConfig(stateText: string, secretValue: string | undefined): ReleaseState {
    let parsed: unknown;
    try {
        parsed = JSON.parse(stateText);
    } catch (e) {
        throw new ReleaseStateError([`the state is not valid JSON: ${(e as Error).message}`]);
    }
    return validateReleaseState(mergePreviewSecret(parsed, secretValue));
}

/** The config entries for a record (qualified keys) and the keys to remove. */
export function recordToConfig(record: EngineRecord): { set: Record<string, ConfigEntry>; remove: string[] } {
    const set: Record<string, ConfigEntry> = {};
    const remove: string[] = [];
    if (record.state) {
        const { previewHeaderValue, ...plain } = record.state;
        set[KEY_STATE] = { value: JSON.stringify(plain), secret: false };
        if (previewHeaderValue !== undefined) set[KEY_PREVIEW] = { value: previewHeaderValue, secret: true };
        else remove.push(KEY_PREVIEW);
    } else {
        remove.push(KEY_STATE, KEY_PREVIEW);
    }
    if (record.operation) set[KEY_OPERATION] = { value: JSON.stringify(record.operation), secret: true };
    else remove.push(KEY_OPERATION);
    if (record.rejected?.length) set[KEY_REJECTED] = { value: JSON.stringify(record.rejected), secret: false };
    else remove.push(KEY_REJECTED);
    return { set, remove };
}

/** The record from the stack's config (qualified keys). Throws {@link StackConfigError} naming the bad key. */
export function configToRecord(config: Record<string, ConfigEntry | undefined>): EngineRecord {
    const stateText = config[KEY_STATE]?.value;
    let state: ReleaseState | null = null;
    if (stateText !== undefined && stateText !== "") {
        try {
            state = parseStateConfig(stateText, config[KEY_PREVIEW]?.value);
        } catch (e) {
            if (e instanceof ReleaseStateError) throw new StackConfigError(KEY_STATE, e.problems);
            throw e;
        }
    }
    const record: EngineRecord = { state };
    const rejectedText = config[KEY_REJECTED]?.value;
    if (rejectedText) {
        let rejected: unknown;
        try {
            rejected = JSON.parse(rejectedText);
        } catch {
            throw new StackConfigError(KEY_REJECTED, ["not a JSON list of versions"]);
        }
        const problems = rejectedProblems(rejected);
        if (problems.length) throw new StackConfigError(KEY_REJECTED, problems);
        record.rejected = [...(rejected as string[])];
    }
    const opText = config[KEY_OPERATION]?.value;
    if (!opText) return record;
    let op: unknown;
    try {
        op = JSON.parse(opText);
    } catch (e) {
        throw new StackConfigError(KEY_OPERATION, [`not valid JSON: ${(e as Error).message}`]);
    }
    try {
        return { ...record, operation: validateOperation(op) };
    } catch (e) {
        if (e instanceof ReleaseStateError) throw new StackConfigError(KEY_OPERATION, e.problems);
        throw e;
    }
}
