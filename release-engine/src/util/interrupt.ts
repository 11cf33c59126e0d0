/**
 * Waits an interrupt can cut short. The CLI aborts a run's AbortSignal on SIGINT/SIGTERM (cli/interrupts.ts);
 * a wait given that signal ends at once and throws {@link InterruptedError}, so the engine stops without
 * judging the step (no verdict, no rollback) and releases its lock.
 */
import type { EngineRecord } from "@phoenix/release-model";
import { InterruptedError } from "../errors";

/** Throws {@link InterruptedError} ("interrupted by SIGINT": the abort's reason names the signal) when `signal` was aborted. */
export function throwIfInterrupted(signal: AbortSignal | undefined, record?: EngineRecord): void {
    if (!signal?.aborted) return;
    const reason: unknown = signal.reason;
    throw new InterruptedError(`interrupted by ${typeof reason === "string" ? reason : "an abort"}`, record);
}

/** Resolves after `ms`, or at once when `signal` is aborted (then or later); never rejects. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener("abort", done);
            resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener("abort", done, { once: true });
    });
}

/** A sleep for a polling loop: waits `ms` unless `signal` is aborted, then throws {@link InterruptedError}. */
export function interruptibleSleep(signal: AbortSignal | undefined): (ms: number) => Promise<void> {
    return async (ms) => {
        await pause(ms, signal);
        throwIfInterrupted(signal);
    };
}
