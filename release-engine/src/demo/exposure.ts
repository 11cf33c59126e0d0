/**
 * When a progressive release exposed its candidate to production: from the first applied record
 * giving the candidate weight to the first one taking it back to 0. Read off the engine's observer
 * (the demo's fifth act, scripts/progressive-rates.ts).
 */
import type { EngineObserver } from "../observe/timeline";

export interface ExposureWindow {
    /** Only applies seen while active count (the demo tracks its fifth act alone). */
    active: boolean;
    from?: number;
    to?: number;
}

/** An observer that marks `window` and passes every event on to `base`. */
export function trackExposure(window: ExposureWindow, base?: EngineObserver): EngineObserver {
    return {
        applied(before, after, t) {
            base?.applied(before, after, t);
            if (!window.active) return;
            const w = after.state?.candidateWeight ?? 0;
            if (w > 0 && window.from === undefined) window.from = t;
            if (w === 0 && window.from !== undefined && window.to === undefined) window.to = t;
        },
        gate(report, t) {
            base?.gate(report, t);
        },
    };
}
