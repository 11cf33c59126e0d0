/**
 * The engine's errors and the one mapping from an outcome to the CLI's exit code. At the bottom of the
 * engine: settings/, engine/, backends/ and cli/ import it; it imports nothing of the engine (only the record's type from the model).
 *
 * Exit codes (docs/release-engine.md): 0 done, 1 the release was rejected (gate failed, rolled back), could
 * not be measured (a check inconclusive past its error budget, rolled back) or a step failed, 2 bad input
 * or a missing tool or credential (nothing changed), 3 blocked (locked, or not allowed now), 130
 * interrupted (SIGINT/SIGTERM; the run stops at a step boundary, then the lock is released and the state left is reported).
 */
import type { EngineRecord } from "@phoenix/release-model";

export type ExitCode = 0 | 1 | 2 | 3 | 130;

/** Bad input or a missing setting (exit code 2, nothing changed). */
export class InputError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InputError";
    }
}

/** A tool or credential the command needs is missing (exit code 2, nothing changed). The message says how to get it. */
export class EnvironmentError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EnvironmentError";
    }
}

/** The environment is locked by another run, or the command is not allowed in this state (exit code 3). */
export class BlockedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "BlockedError";
    }
}

/**
 * The run was interrupted (SIGINT/SIGTERM aborted its signal, exit code 130): the engine stopped at a step
 * boundary, or cut a wait short, with `record` as what it last applied. Nothing more was applied after it.
 */
export class InterruptedError extends Error {
    constructor(
        message: string,
        /** The record the run had reached when it stopped, when it had read one. */
        readonly record?: EngineRecord,
    ) {
        super(message);
        this.name = "InterruptedError";
    }
}

/** The outcome names a run reports, each with its exit code. */
export const OUTCOME_EXIT = {
    done: 0,
    noop: 0,
    "rolled-back": 1,
    /** A check could not measure within its error budget; production was returned to live (not a rejection). */
    inconclusive: 1,
    failed: 1,
    interrupted: 130,
    invalid: 2,
    environment: 2,
    blocked: 3,
} as const satisfies Record<string, ExitCode>;

export type Outcome = keyof typeof OUTCOME_EXIT;

/** The outcome of an error thrown before or during a run: input, environment, blocked, interrupted, or failed (anything else). */
export function outcomeOf(e: unknown): Outcome {
    if (e instanceof InputError) return "invalid";
    if (e instanceof EnvironmentError) return "environment";
    if (e instanceof BlockedError) return "blocked";
    if (e instanceof InterruptedError) return "interrupted";
    return "failed";
}

/** The one mapping from an error to an exit code. */
export function exitCodeOf(e: unknown): ExitCode {
    return OUTCOME_EXIT[outcomeOf(e)];
}
