/**
 * The engine's record: the release stack's desired state plus the operation in progress, persisted
 * together so that a crash at any step can be resumed or cleaned up (local backend: a file; Pulumi
 * backend: the release stack's config, see stack-config.ts).
 */
import { ReleaseStateError, isSemver, validateReleaseState, type ReleaseState, type SlotName, SLOT_NAMES } from "./release-state";
import { isRecord } from "./plain-object";

/** An operation in progress. */
export type Operation =
    | {
          kind: "release";
          version: string;
          /** The slot the candidate occupies. */
          slot: SlotName;
          /** The state before the release began; a rejected or aborted release returns to exactly this. */
          before: ReleaseState | null;
          /**
           * The candidate slot's restart count when the candidate was deployed and ready (the engine's
           * baseline: a candidate that restarts after it is rejected as crashed, even by a resumed run).
           * Absent until the engine recorded it (and in records written before it existed).
           */
          candidateRestarts?: CandidateRestarts;
      }
    | {
          kind: "rollback";
          /** Slot and version production is moving back to. */
          to: { slot: SlotName; version: string };
          from: { slot: SlotName; version: string };
      };

/** The restart baseline of a release's candidate. */
export interface CandidateRestarts {
    /** Restarts the slot had counted when its candidate became ready. */
    baseline: number;
    /** When the baseline was taken (ISO 8601). */
    at: string;
}

export interface EngineRecord {
    /** Null: nothing has ever been released to this environment. */
    state: ReleaseState | null;
    operation?: Operation;
    /**
     * Versions that were rolled back or rejected here, newest last: `rollback` never moves production to
     * one of them (only `release <v>`, gated, brings one back, and takes it off this list). Optional:
     * records written before it existed read as "none".
     */
    rejected?: string[];
}

/** Problems with a record's `rejected` list (empty when it is absent or well formed). */
export function rejectedProblems(rejected: unknown): string[] {
    if (rejected === undefined) return [];
    if (!Array.isArray(rejected) || !rejected.every((version) => typeof version === "string" && isSemver(version)))
        return ['"rejected" must be a list of semver versions'];
    return [];
}

function kindOf(value: unknown): string {
    return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

function slotAndVersion(value: unknown, where: string, problems: string[]): void {
    if (!isRecord(value)) {
        problems.push(`${where} must be an object { slot, version }, got ${kindOf(value)}`);
        return;
    }
    if (!(SLOT_NAMES as readonly unknown[]).includes(value.slot)) problems.push(`${where}.slot must be blue or green`);
    if (typeof value.version !== "string" || !isSemver(value.version)) problems.push(`${where}.version must be a semver version`);
}

/** Problems with a recorded operation (empty when it is well formed). Never echoes a preview value. */
export function operationProblems(op: unknown): string[] {
    if (!isRecord(op)) return [`"operation" must be an object, got ${kindOf(op)}`];
    const problems: string[] = [];
    if (op.kind === "release") {
        for (const key of Object.keys(op))
            if (!["kind", "version", "slot", "before", "candidateRestarts"].includes(key)) problems.push(`operation: unknown key "${key}"`);
        if (op.candidateRestarts !== undefined) {
            const restarts = op.candidateRestarts;
            if (
                !isRecord(restarts) ||
                !Number.isInteger(restarts.baseline) ||
                (restarts.baseline as number) < 0 ||
                typeof restarts.at !== "string" ||
                Number.isNaN(Date.parse(restarts.at))
            ) {
                problems.push("operation.candidateRestarts must be { baseline: a whole number >= 0, at: an ISO 8601 time }");
            }
        }
        if (typeof op.version !== "string" || !isSemver(op.version)) problems.push("operation.version must be a semver version");
        if (!(SLOT_NAMES as readonly unknown[]).includes(op.slot as SlotName)) problems.push("operation.slot must be blue or green");
        if (!("before" in op)) problems.push("operation.before is missing (the state to restore, or null)");
        else if (op.before !== null) {
            try {
                validateReleaseState(op.before);
            } catch (e) {
                problems.push(
                    ...(e instanceof ReleaseStateError ? e.problems : [(e as Error).message]).map((p) => `operation.before: ${p}`),
                );
            }
        }
    } else if (op.kind === "rollback") {
        for (const key of Object.keys(op)) if (!["kind", "to", "from"].includes(key)) problems.push(`operation: unknown key "${key}"`);
        slotAndVersion(op.to, "operation.to", problems);
        slotAndVersion(op.from, "operation.from", problems);
    } else {
        problems.push("operation.kind must be release or rollback");
    }
    return problems;
}

/** Validates an operation read back from storage; throws a {@link ReleaseStateError} listing the problems. */
export function validateOperation(input: unknown): Operation {
    const problems = operationProblems(input);
    if (problems.length > 0) throw new ReleaseStateError(problems);
    const op = input as Operation;
    return op.kind === "release"
        ? {
              kind: "release",
              version: op.version,
              slot: op.slot,
              before: op.before === null ? null : validateReleaseState(op.before),
              ...(op.candidateRestarts
                  ? { candidateRestarts: { baseline: op.candidateRestarts.baseline, at: op.candidateRestarts.at } }
                  : {}),
          }
        : { kind: "rollback", to: { slot: op.to.slot, version: op.to.version }, from: { slot: op.from.slot, version: op.from.version } };
}

/** Validates a whole record (`{ state, operation? }`) read back from storage. */
export function validateEngineRecord(input: unknown): EngineRecord {
    if (!isRecord(input) || !("state" in input))
        throw new ReleaseStateError(['the record must be an object with "state" (null or a release state)']);
    const state = input.state === null ? null : validateReleaseState(input.state);
    const operation = input.operation === undefined || input.operation === null ? undefined : validateOperation(input.operation);
    const problems = rejectedProblems(input.rejected);
    if (problems.length) throw new ReleaseStateError(problems);
    return {
        state,
        ...(operation ? { operation } : {}),
        ...(input.rejected !== undefined ? { rejected: [...(input.rejected as string[])] } : {}),
    };
}
