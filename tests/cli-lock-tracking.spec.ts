/**
 * The CLI's lock tracking (cli/lock-tracking.ts): only `lock` is decorated, every other member of the
 * backend — the core's methods and its capabilities — is the backend's own, and an interrupt releases
 * exactly the locks still held.
 */
import { strict as assert } from "assert";
import type { Backend, BackendCapabilities } from "../release-engine/src/engine/backend";
import { trackLocks } from "../release-engine/src/cli/lock-tracking";
import type { EngineRecord } from "../release-engine/src/planner/types";

/** A backend whose methods read and write its own fields (as the Pulumi backend's do), counting lock releases. */
class CountingBackend {
    readonly kind = "local" as const;
    readonly env = "dev";
    readonly capabilities: BackendCapabilities = { lockHolder: { holder: async () => ({ holder: "pid 1" }) } };
    released: string[] = [];
    private taken = 0;
    private lastRead?: EngineRecord;
    async lock(): Promise<() => Promise<void>> {
        const name = `lock ${++this.taken}`;
        return async () => {
            this.released.push(name);
        };
    }
    async read(): Promise<EngineRecord> {
        this.lastRead = { state: null };
        return this.lastRead;
    }
    async apply(record: EngineRecord): Promise<void> {
        if (!this.lastRead) throw new Error("read first");
        this.lastRead = record;
    }
    async endpoint() {
        return { url: "http://127.0.0.1:1" };
    }
    async slotHealth() {
        const none = { ready: 0, desired: 0, versions: [], restarts: 0 };
        return { blue: none, green: none };
    }
    async observe() {
        return { running: false };
    }
    async history() {
        return [];
    }
    async recordHistory(): Promise<void> {}
    async slotReady() {
        return { ok: true, detail: "" };
    }
    async close(): Promise<void> {}
}

describe("cli: lock tracking", () => {
    it("forwards every member but lock: the capabilities object itself, and methods that run on the backend's own state", async () => {
        const inner = new CountingBackend();
        const tracked = trackLocks(inner satisfies Backend);
        assert.equal(tracked.kind, "local");
        assert.equal(tracked.env, "dev");
        assert.equal(tracked.capabilities, inner.capabilities, "capabilities pass through as they are");
        assert.deepEqual(await tracked.capabilities.lockHolder?.holder(), { holder: "pid 1" });
        await assert.rejects(
            tracked.apply({ state: null }, () => undefined),
            /read first/,
        );
        await tracked.read();
        await tracked.apply({ state: null }, () => undefined);
        assert.deepEqual(await tracked.slotHealth(), await inner.slotHealth());
    });

    it("releaseAll releases exactly the locks still held, once; a released lock is not released again", async () => {
        const inner = new CountingBackend();
        const tracked = trackLocks(inner);
        const first = await tracked.lock();
        await tracked.lock();
        await first();
        assert.deepEqual(inner.released, ["lock 1"]);
        assert.equal(await tracked.releaseAll(), true);
        assert.deepEqual(inner.released, ["lock 1", "lock 2"]);
        assert.equal(await tracked.releaseAll(), false, "nothing left to release");
        assert.deepEqual(inner.released, ["lock 1", "lock 2"]);
    });

    it("a release that fails during releaseAll does not stop the others", async () => {
        const inner = new CountingBackend();
        let calls = 0;
        inner.lock = async () => {
            const n = ++calls;
            return async () => {
                if (n === 1) throw new Error("lease already gone");
                inner.released.push(`lock ${n}`);
            };
        };
        const tracked = trackLocks(inner);
        await tracked.lock();
        await tracked.lock();
        assert.equal(await tracked.releaseAll(), true);
        assert.deepEqual(inner.released, ["lock 2"]);
    });
});
