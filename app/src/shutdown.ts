/**
 * Graceful shutdown: on SIGTERM readiness fails at once, the server keeps serving for the drain
 * period (so the load balancer stops sending new requests), then stops accepting connections,
 * waits for every request in flight and exits 0. No request in flight is dropped.
 */
import type { Logger } from "./log";
import type { Lifecycle } from "./server";

export interface ShutdownDeps {
    lifecycle: Lifecycle;
    drainMs: number;
    /** Stops accepting connections and resolves when every in-flight request is done. */
    close: () => Promise<void>;
    /** Flushes telemetry; bounded by {@link ShutdownDeps.flushTimeoutMs}. */
    flush?: () => Promise<void>;
    flushTimeoutMs?: number;
    log: Logger;
    sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Returns the shutdown procedure. Calling it again (a second signal) returns the same promise,
 * which resolves to the exit code: 0 when everything closed cleanly, 1 otherwise.
 */
export function createShutdown(deps: ShutdownDeps): (reason: string) => Promise<number> {
    const sleep = deps.sleep ?? defaultSleep;
    let running: Promise<number> | undefined;
    const run = async (reason: string): Promise<number> => {
        deps.lifecycle.draining = true;
        deps.log("shutdown-start", { reason, drainMs: deps.drainMs });
        await sleep(deps.drainMs);
        deps.log("drain-complete", { drainMs: deps.drainMs });
        let code = 0;
        try {
            await deps.close();
        } catch (e) {
            deps.log("close-failed", { error: e instanceof Error ? e.message : String(e) }, "error");
            code = 1;
        }
        if (deps.flush) {
            const timeout = deps.flushTimeoutMs ?? 2000;
            await Promise.race([deps.flush().catch(() => undefined), sleep(timeout)]);
        }
        deps.log("stopped", { exitCode: code });
        return code;
    };
    return (reason) => {
        if (running) {
            deps.log("shutdown-already-running", { reason });
            return running;
        }
        running = run(reason);
        return running;
    };
}

/** Wires SIGTERM and SIGINT to the shutdown procedure and exits with its code. */
export function installSignalHandlers(
    shutdown: (reason: string) => Promise<number>,
    proc: Pick<NodeJS.Process, "on" | "exit"> = process,
): void {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        proc.on(signal, () => {
            void shutdown(signal).then((code) => proc.exit(code));
        });
    }
}
