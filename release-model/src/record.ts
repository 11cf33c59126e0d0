/**
 * The engine's record: the release stack's desired state plus the operation in progress, persisted
 * together so that a crash at any step can be resumed or cleaned up (local backend: a file; Pulumi
 * backend: the release stack's config, see stack-config.ts).
 */
import { ReleaseStateError, isSemver, validateReleaseState, type ReleaseState, type SlotName, SLOT_NAMES } from "./release-state";

/** An operation in progress. */
export type Operation =
    | {
          kind: "release";
          version: string;
          /** The slot the candidate occupies. */
          slot: SlotName;
          /** The state before the release began; a rejected or aborted release returns to exactly this. */
          before: ReleaseState | null;
      }
    | {
          kind: "rollback";
          /** Slot and version production is moving back to. */
          to: { slot: SlotName; version: string };
          from: { slot: SlotName; version: string };
      };

export interface EngineRecord {
    /** Null: nothing has ever been released to this environment. */
    state: ReleaseState | null;
    operation?: Operation;
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function slotVersion(v: unknown, where: string, problems: string[]): { slot: SlotName; version: string } | undefined {
    if (!isRecord(v) || !(SLOT_NAMES as readonly unknown[]).includes(v.slot) || typeof v.version !== "string" || !isSemver(v.version)) {
        problems.push(`${where} must be { slot: blue|green, version: <semver> }`);
        return undefined;
    }
    return { slot: v.slot as SlotName, version: v.version };
}

/** Validates an operation read back from storage; throws a {@link ReleaseStateError} listing the problems. */
export function validateOperation(input: unknown): Operation {
    const problems: string[] = [];
    if (!isRecord(input)) throw new ReleaseStateError(["the operation must be an object"]);
    if (input.kind === "release") {
        if (typeof input.version !== "string" || !isSemver(input.version)) problems.push("operation.version must be semver");
        if (!(SLOT_NAMES as readonly unknown[]).includes(input.slot)) problems.push("operation.slot must be blue or green");
        let before: ReleaseState | null = null;
        if (input.before !== null) {
            try {
                before = validateReleaseState(input.before);
            } catch (e) {
                problems.push(...(e instanceof ReleaseStateError ? e.problems.map((p) => `operation.before: ${p}`) : [String(e)]));
            }
        }
        if (problems.length) throw new ReleaseStateError(problems);
        return { kind: "release", version: input.version as string, slot: input.slot as SlotName, before };
    }
    if (input.kind === "rollback") {
        const to = slotVersion(input.to, "operation.to", problems);
        const from = slotVersion(input.from, "operation.from", problems);
        if (problems.length || !to || !from) throw new ReleaseStateError(problems);
        return { kind: "rollback", to, from };
    }
    throw new ReleaseStateError([`operation.kind must be release or rollback, got ${JSON.stringify(input.kind)}`]);
}

/** Validates a whole record (`{ state, operation? }`) read back from storage. */
export function validateEngineRecord(input: unknown): EngineRecord {
    if (!isRecord(input) || !("state" in input)) throw new ReleaseStateError(['the record must be an object with "state" (null or a release state)']);
    const state = input.state === null ? null : validateReleaseState(input.state);
    const operation = input.operation === undefined || input.operation === null ? undefined : validateOperation(input.operation);
    return { state, ...(operation ? { operation } : {}) };
}
