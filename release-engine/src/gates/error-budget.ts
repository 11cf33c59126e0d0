/**
 * The error budget of a measurement (Argo Rollouts' `consecutiveErrorLimit`): a measurement that
 * throws — a Log Analytics query that fails, router counters that cannot be read — says nothing about
 * the candidate, so it is retried instead of judged. `budget` failures in a row are retried, each after
 * `retryMs`; the next one makes the measurement inconclusive ("could not measure"). A success resets
 * the count (the budget is per run of failures, not per release). Errors that are not about measuring
 * (another run holds the lock, a missing tool) propagate unchanged.
 */
import { BlockedError, EnvironmentError, InterruptedError } from "../errors";

/** The default `errorBudget` setting: Argo Rollouts' default consecutiveErrorLimit. */
export const DEFAULT_ERROR_BUDGET = 4;
/** The largest budget the settings accept (at a poll interval of seconds, more only delays "could not measure"). */
export const MAX_ERROR_BUDGET = 100;

export type Measured<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface MeasureOptions {
    /** Failed measurements in a row that are retried (0: the first failure is final). */
    budget: number;
    /** Wait before a retry (ms). */
    retryMs: number;
    /** What is measured, for the reason: "the App Insights query", "the router's counters". */
    what: string;
    sleep?: (ms: number) => Promise<void>;
    /** Told of every failed attempt (1-based), e.g. to show it in the step's details. */
    onError?: (error: Error, attempt: number) => void;
}

function errorOf(e: unknown): Error {
    return e instanceof Error ? e : new Error(String(e));
}

/** Whether an error is about the environment or the run rather than a measurement (it is not retried): blocked, a missing tool, an interrupt. */
export function isRunError(e: unknown): boolean {
    return e instanceof BlockedError || e instanceof EnvironmentError || e instanceof InterruptedError;
}

/** "could not measure: the App Insights query failed 5 times in a row (error budget 4); last: …". */
export function couldNotMeasure(what: string, failures: number, budget: number, last: string): string {
    return `could not measure: ${what} failed ${failures === 1 ? "once" : `${failures} times in a row`} (error budget ${budget}); last: ${last}`;
}

/** Takes one measurement within the budget: its value, or why it could not be taken. */
export async function measureWithin<T>(measure: () => Promise<T>, opts: MeasureOptions): Promise<Measured<T>> {
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    for (let failures = 0; ;) {
        try {
            return { ok: true, value: await measure() };
        } catch (e) {
            if (isRunError(e)) throw e;
            failures++;
            const error = errorOf(e);
            opts.onError?.(error, failures);
            if (failures > opts.budget) return { ok: false, reason: couldNotMeasure(opts.what, failures, opts.budget, error.message) };
            await sleep(opts.retryMs);
        }
    }
}
