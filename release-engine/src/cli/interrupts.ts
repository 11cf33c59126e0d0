/**
 * SIGINT and SIGTERM for one command. The first signal aborts the command's AbortController (its reason
 * is the signal's name): the engine sees it at its next step boundary, or in a wait it can cut short,
 * stops there, releases its lock and writes the history — and only then does the CLI say what was left.
 * After that first signal the handler is gone, so a second SIGINT/SIGTERM ends the process at once
 * (Node's default), for an operator who cannot wait for the step in flight.
 */

/** Subscribes a handler to SIGINT/SIGTERM; returns the unsubscribe function. */
export type SignalSubscription = (handler: (signal: NodeJS.Signals) => void) => () => void;

/** This process's SIGINT and SIGTERM. */
export const processSignals: SignalSubscription = (handler) => {
    process.on("SIGINT", handler);
    process.on("SIGTERM", handler);
    return () => {
        process.off("SIGINT", handler);
        process.off("SIGTERM", handler);
    };
};

/** A command's interrupt: the signal the engine watches, and which signal (if any) arrived. */
export interface Interrupts {
    /** Aborted by the first SIGINT/SIGTERM, with the signal's name as its reason. */
    readonly signal: AbortSignal;
    /** The signal that arrived, if one did. */
    received(): NodeJS.Signals | undefined;
    /** Stops listening (idempotent). */
    dispose(): void;
}

/** Listens for the first SIGINT/SIGTERM through `subscribe`; `onInterrupt` is told of it at once (before the engine has stopped). */
export function watchInterrupts(subscribe: SignalSubscription, onInterrupt?: (signal: NodeJS.Signals) => void): Interrupts {
    const controller = new AbortController();
    let arrived: NodeJS.Signals | undefined;
    let unsubscribe: (() => void) | undefined;
    const dispose = () => {
        unsubscribe?.();
        unsubscribe = undefined;
    };
    unsubscribe = subscribe((signal) => {
        dispose();
        arrived = signal;
        onInterrupt?.(signal);
        controller.abort(signal);
    });
    return { signal: controller.signal, received: () => arrived, dispose };
}

/** Resolves with the first SIGINT/SIGTERM through `subscribe` (a command that simply stops, such as `load`); `dispose` stops listening. */
export function nextSignal(subscribe: SignalSubscription): { arrived: Promise<NodeJS.Signals>; dispose(): void } {
    let unsubscribe: (() => void) | undefined;
    const arrived = new Promise<NodeJS.Signals>((resolve) => {
        unsubscribe = subscribe((signal) => {
            unsubscribe?.();
            resolve(signal);
        });
    });
    return { arrived, dispose: () => unsubscribe?.() };
}
