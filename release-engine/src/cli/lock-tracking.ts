/**
 * The backend as the CLI hands it to the engine: every lock it takes is remembered until released, so
 * an interrupt (SIGINT/SIGTERM) can release what a run still holds. Only `lock` is decorated; every
 * other member — the core's methods and `capabilities` — is the backend's own, so the wrapper follows
 * the Backend interface (engine/backend.ts) as it grows instead of mirroring each method.
 */
import type { Backend } from "../engine/backend";

export interface LockTrackedBackend extends Backend {
    /** Releases every lock still held (errors ignored: the run is ending); true when there was one. */
    releaseAll(): Promise<boolean>;
}

export function trackLocks(inner: Backend): LockTrackedBackend {
    const held = new Set<() => Promise<void>>();
    const lock = async (): Promise<() => Promise<void>> => {
        const release = await inner.lock();
        held.add(release);
        return async () => {
            held.delete(release);
            await release();
        };
    };
    const releaseAll = async (): Promise<boolean> => {
        const all = [...held];
        held.clear();
        for (const release of all) await release().catch(() => undefined);
        return all.length > 0;
    };
    const decorated: Record<PropertyKey, unknown> = { lock, releaseAll };
    // A Proxy rather than a class: members other than these two are read from the backend and its
    // methods bound to it, so they run with the backend's own state (never a copy on the wrapper).
    return new Proxy(inner, {
        get(target, property) {
            if (Object.prototype.hasOwnProperty.call(decorated, property)) return decorated[property];
            const value: unknown = Reflect.get(target, property, target);
            return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
    }) as LockTrackedBackend;
}
