/**
 * An interrupt stops the engine at a step boundary before its lock is released: a backend whose apply is
 * slow is interrupted during step 1 of a rollback (rollback-switch, then complete). Step 1's apply
 * finishes (its check is cut short), step 2 is never applied, the lock is released only after the last
 * apply returned, the history after the lock, and the CLI's message ("interrupted by SIGINT during
 * rollback: …; the lock was released", exit 130) after both. The environment answers production from
 * its live slot on loopback, so the steps' checks run.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import type { SlotName } from "@phoenix/release-model";
import type { CliArgs } from "../release-engine/src/cli/args";
import type { BuiltBackend } from "../release-engine/src/cli/build-backend";
import { trackLocks } from "../release-engine/src/cli/lock-tracking";
import { dispatch, type CommandOutput } from "../release-engine/src/cli/dispatch";
import type { Backend } from "../release-engine/src/engine/backend";
import type { SlotHealth } from "@phoenix/release-model";
import { runIntent, type EngineDeps } from "../release-engine/src/engine/engine";
import type { HistoryEntry } from "../release-engine/src/engine/history";
import { createReporter } from "../release-engine/src/engine/reporter";
import type { EngineRecord } from "../release-engine/src/planner/types";
import { loadConfig } from "../release-engine/src/settings/config";

/** Green live 1.2.0, blue standby 1.0.0: `rollback` plans rollback-switch (production to blue) then complete. */
const START: EngineRecord = {
    state: {
        slots: {
            blue: { role: "standby", version: "1.0.0", replicas: 1 },
            green: { role: "live", version: "1.2.0", replicas: 1 },
        },
    },
};

const APPLY_MS = 300;

/** An in-memory environment whose apply takes APPLY_MS; every lock, apply, unlock and history write goes to `events`. */
class SlowBackend implements Backend {
    readonly kind = "local" as const;
    readonly capabilities = {};
    readonly env = "dev";
    readonly events: string[] = [];
    readonly applied: EngineRecord[] = [];
    readonly history: () => Promise<HistoryEntry[]>;
    readonly entries: HistoryEntry[] = [];
    /** Told when an apply starts (1 for the first). */
    onApplyStart: (count: number) => void = () => undefined;
    /** Told of each production request before it is answered (1 for the first). */
    onProductionRequest: (count: number) => void = () => undefined;
    private productionRequests = 0;
    private record: EngineRecord = START;
    private server?: http.Server;
    private url = "";

    constructor() {
        this.history = async () => this.entries;
    }

    /** Serves production from the live slot of the record applied last. */
    async start(): Promise<void> {
        this.server = http.createServer((request, response) => {
            request.resume();
            this.onProductionRequest(++this.productionRequests);
            const state = this.record.state;
            const live = (["blue", "green"] as SlotName[]).find((slot) => state?.slots[slot].role === "live") as SlotName;
            response.writeHead(200, {
                "content-type": "application/json",
                "x-app-slot": live,
                "x-app-version": state?.slots[live].version ?? "",
            });
            response.end('{"result":144}');
        });
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }
    async stop(): Promise<void> {
        await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    }

    async lock(): Promise<() => Promise<void>> {
        this.events.push("lock");
        return async () => {
            this.events.push("unlock");
        };
    }
    async read(): Promise<EngineRecord> {
        return this.record;
    }
    async apply(record: EngineRecord, _onOutput: (line: string) => void, context?: { message: string }): Promise<void> {
        const count = this.applied.length + 1;
        this.events.push(`apply ${count} start (${context?.message ?? ""})`);
        this.onApplyStart(count);
        await new Promise((resolve) => setTimeout(resolve, APPLY_MS));
        this.record = record;
        this.applied.push(record);
        this.events.push(`apply ${count} end`);
    }
    async endpoint() {
        return { url: this.url };
    }
    /** Slots reported with no ready endpoint (a readiness guard on them waits). */
    notReady = new Set<SlotName>();
    async slotHealth(): Promise<Record<SlotName, SlotHealth>> {
        const slots = this.record.state!.slots;
        const health = (slot: SlotName): SlotHealth => ({
            ready: this.notReady.has(slot) ? 0 : (slots[slot].replicas ?? 1),
            desired: slots[slot].replicas ?? 1,
            versions: slots[slot].version ? [slots[slot].version as string] : [],
            restarts: 0,
        });
        return { blue: health("blue"), green: health("green") };
    }
    async observe() {
        return { running: true, endpoint: { url: this.url } };
    }
    async recordHistory(entry: HistoryEntry): Promise<void> {
        this.events.push("history");
        this.entries.push(entry);
    }
    async slotReady() {
        return { ok: true, detail: "ready" };
    }
    async close(): Promise<void> {}
}

const config = { ...loadConfig("dev"), production: { requests: 3, timeoutMs: 5000 } };

function indexOf(events: string[], pattern: RegExp): number {
    const index = events.findIndex((event) => pattern.test(event));
    assert.ok(index >= 0, `no event ${pattern} in:\n${events.join("\n")}`);
    return index;
}

describe("an interrupt stops the engine at a step boundary, before the lock is released", function () {
    this.timeout(20_000);
    let backend: SlowBackend;
    beforeEach(async () => {
        backend = new SlowBackend();
        await backend.start();
    });
    afterEach(() => backend.stop());

    it("the engine: aborted during step 1's apply, it finishes that apply, never applies step 2, releases the lock, then writes the history (interrupted)", async () => {
        const controller = new AbortController();
        backend.onApplyStart = (count) => {
            if (count === 1) controller.abort("SIGINT");
        };
        let text = "";
        const deps: EngineDeps = {
            backend,
            config,
            reporter: createReporter({ write: (line) => (text += line), tfBuild: false }),
            actor: "alice@host",
            signal: controller.signal,
        };
        const result = await runIntent(deps, { kind: "rollback" });
        assert.equal(result.outcome, "interrupted", text);
        assert.equal(result.exitCode, 130);
        assert.equal(backend.applied.length, 1, backend.events.join("\n"));
        assert.match(backend.events[indexOf(backend.events, /^apply 1 start/)], /rollback-switch/);
        assert.doesNotMatch(backend.events.join("\n"), /apply 2/);
        const end = indexOf(backend.events, /^apply 1 end$/);
        const unlock = indexOf(backend.events, /^unlock$/);
        const history = indexOf(backend.events, /^history$/);
        assert.ok(end < unlock && unlock < history, backend.events.join("\n"));
        // The record says what was left: the rollback pending, production already on blue.
        assert.equal(result.record?.operation?.kind, "rollback");
        assert.equal(result.record?.state?.slots.blue.role, "live");
        assert.deepEqual(
            backend.entries.map((entry) => [entry.action, entry.outcome, entry.detail, entry.liveBefore, entry.liveAfter]),
            [["rollback", "interrupted", "interrupted by SIGINT", "green 1.2.0", "blue 1.0.0"]],
        );
        // Step 1's production check was cut short (nothing judged, nothing rolled back); step 2 never started.
        assert.doesNotMatch(text, /complete|rolling back|failed/, text);
    });

    it("aborted while step 1's last check answers (nothing left to cut short), the step boundary stops the run: step 2 never applied, then unlock, then history", async () => {
        const controller = new AbortController();
        // The production check's last answer: the check passes, so only the check between steps can stop the run.
        backend.onProductionRequest = (count) => {
            if (count === config.production.requests) controller.abort("SIGINT");
        };
        const result = await runIntent(
            { backend, config, reporter: createReporter({ write: () => undefined, tfBuild: false }), signal: controller.signal },
            { kind: "rollback" },
        );
        assert.equal(result.outcome, "interrupted");
        assert.equal(backend.applied.length, 1, backend.events.join("\n"));
        const unlock = indexOf(backend.events, /^unlock$/);
        assert.ok(
            indexOf(backend.events, /^apply 1 end$/) < unlock && unlock < indexOf(backend.events, /^history$/),
            backend.events.join("\n"),
        );
        assert.equal(result.record?.operation?.kind, "rollback", "the record says the rollback is pending");
    });

    it("without an abort the same rollback applies both steps (the fixture can reach step 2)", async () => {
        const result = await runIntent(
            { backend, config, reporter: createReporter({ write: () => undefined, tfBuild: false }) },
            { kind: "rollback" },
        );
        assert.equal(result.outcome, "done");
        assert.equal(backend.applied.length, 2, backend.events.join("\n"));
        assert.ok(indexOf(backend.events, /^apply 2 end$/) < indexOf(backend.events, /^unlock$/));
    });

    it("a wait is cut short: aborted while the readiness guard waits for blue, the run stops at once, applies nothing and rolls nothing back", async () => {
        backend.notReady.add("blue");
        const controller = new AbortController();
        let text = "";
        const deps: EngineDeps = {
            backend,
            config: { ...config, readiness: { ...config.readiness, waitMs: 15_000 } },
            reporter: createReporter({ write: (line) => (text += line), tfBuild: false }),
            signal: controller.signal,
        };
        const abortAfterMs = 300;
        setTimeout(() => controller.abort("SIGTERM"), abortAfterMs);
        const started = Date.now();
        const result = await runIntent(deps, { kind: "rollback" });
        const tookMs = Date.now() - started;
        assert.equal(result.outcome, "interrupted", text);
        assert.ok(tookMs < abortAfterMs + 2000, `the guard's wait ended with the abort, not after its ${15_000} ms (took ${tookMs} ms)`);
        assert.deepEqual(backend.applied, [], backend.events.join("\n"));
        assert.doesNotMatch(text, /rolling back|failed/, text);
        assert.ok(indexOf(backend.events, /^unlock$/) < indexOf(backend.events, /^history$/), backend.events.join("\n"));
        assert.equal(backend.entries[0]?.detail, "interrupted by SIGTERM");
        assert.deepEqual(result.record, START, "the record reached is the one it started from");
    });

    it("the CLI: SIGINT during step 1 reports what was left only after the engine stopped and released the lock; exit 130", async () => {
        let handler: ((signal: NodeJS.Signals) => void) | undefined;
        let unsubscribed = false;
        backend.onApplyStart = (count) => {
            if (count === 1) handler?.("SIGINT");
        };
        const events = backend.events;
        let out = "";
        let err = "";
        const output: CommandOutput = {
            out: (text) => (out += text),
            err: (text) => {
                err += text;
                events.push(`stderr: ${text.trim()}`);
            },
            progress: (text) => (out += text),
            reporter: createReporter({
                write: (text) => (out += text),
                writeError: (text) => {
                    err += text;
                    events.push(`stderr: ${text.trim()}`);
                },
                tfBuild: false,
            }),
        };
        const built: BuiltBackend = {
            config,
            credential: () => Promise.reject(new Error("no credential in this spec")),
            target: {
                kind: "local",
                backend: trackLocks(backend),
                daemon: {
                    shutdown: () => Promise.reject(new Error("not used")),
                    traffic: () => Promise.reject(new Error("not used")),
                },
                stateDir: "unused",
            },
        };
        const args: CliArgs = { command: "rollback", env: "dev", backend: "local", json: false, showSecrets: false };
        const code = await dispatch(args, built, {}, output, {
            tty: false,
            onSignal: (h) => {
                handler = h;
                return () => {
                    unsubscribed = true;
                };
            },
        });
        assert.equal(code, 130, out + err);
        assert.ok(unsubscribed, "the CLI stops listening once the command ends");
        assert.equal(backend.applied.length, 1, events.join("\n"));
        assert.doesNotMatch(events.join("\n"), /apply 2/);
        const stopping = indexOf(events, /^stderr: SIGINT: stopping rollback before its next step/);
        const end = indexOf(events, /^apply 1 end$/);
        const unlock = indexOf(events, /^unlock$/);
        const history = indexOf(events, /^history$/);
        const message = indexOf(events, /^stderr: error: interrupted by SIGINT during rollback/);
        assert.ok(stopping < end && end < unlock && unlock < history && history < message, events.join("\n"));
        assert.match(
            err,
            /error: interrupted by SIGINT during rollback: the environment is blue live 1\.0\.0 ×1; green standby 1\.2\.0 ×1; rollback 1\.2\.0 → 1\.0\.0 is pending\. Next: re-run "rollback" to finish it; the lock was released/,
        );
    });
});
