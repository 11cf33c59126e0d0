/**
 * The local backend's environment lock under real concurrency: many node processes started together
 * on a lock left by a dead process must produce exactly one holder at any time, and a lock held by a
 * live process must stop them all. Each contender is a separate process running the compiled lock
 * module, released at the same instant; a holder proves its exclusivity with a witness directory
 * (mkdir fails if another holder is inside) and by its holding interval.
 */
import { strict as assert } from "assert";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { childEnv, compileForChild, removeChildModules } from "./support/child-module";

const STORE = path.join(__dirname, "..", "release-engine", "src", "backends", "local", "lock.ts");
const CONTENDERS = 8;
const TRIALS = 10;
const HOLD_MS = 100;

/**
 * A long-lived child running the compiled store module, driven by lines on stdin (argv: storeJs):
 *   die DIR          take the lock and exit without releasing it (the lock then names a dead PID)
 *   hold DIR         take the lock and keep it until killed
 *   go DIR AT        spin until the wall-clock instant AT (ms), try the lock; a holder holds it
 *                    HOLD_MS, inside a witness directory (DIR/../witness) only one holder can create
 */
const CHILD = `
const fs = require("fs");
const path = require("path");
const { acquireLock } = require(process.argv[1]);
const holdMs = ${HOLD_MS};
const now = () => performance.timeOrigin + performance.now();
const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
let buf = "";
process.stdin.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\\n")) >= 0) {
        const [cmd, dir, at] = buf.slice(0, i).split(" ");
        buf = buf.slice(i + 1);
        run(cmd, dir, Number(at));
    }
});
function run(cmd, dir, at) {
    if (cmd === "die") {
        acquireLock(dir, "dev");
        process.exit(0);
    }
    if (cmd === "hold") {
        acquireLock(dir, "dev");
        return say({ held: true });
    }
    while (now() < at) { /* spin: every contender starts at the same instant */ }
    let release;
    try {
        release = acquireLock(dir, "dev");
    } catch (e) {
        return say({ got: false, error: e.name + ": " + e.message });
    }
    const t0 = now();
    const witness = path.join(dir, "..", "witness");
    let overlap = false;
    try { fs.mkdirSync(witness); } catch { overlap = true; }
    setTimeout(() => {
        const t1 = now();
        if (!overlap) fs.rmdirSync(witness);
        release();
        say({ got: true, t0, t1, overlap });
    }, holdMs);
}
say({ ready: true });
`;

interface Outcome {
    got: boolean;
    error?: string;
    t0?: number;
    t1?: number;
    overlap?: boolean;
}

interface Child {
    proc: ChildProcess;
    next(): Promise<Record<string, unknown>>;
    send(line: string): void;
}

function startChild(storeJs: string): Child {
    const proc = spawn(process.execPath, ["-e", CHILD, storeJs], { env: childEnv(), stdio: ["pipe", "pipe", "inherit"] });
    const queue: Array<Record<string, unknown>> = [];
    const waiting: Array<(v: Record<string, unknown>) => void> = [];
    let buf = "";
    proc.stdout?.on("data", (chunk: Buffer) => {
        buf += chunk.toString("utf8");
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
            const msg = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
            buf = buf.slice(i + 1);
            const w = waiting.shift();
            if (w) w(msg);
            else queue.push(msg);
        }
    });
    return {
        proc,
        next: () => (queue.length ? Promise.resolve(queue.shift() as Record<string, unknown>) : new Promise((r) => waiting.push(r))),
        send: (line) => proc.stdin?.write(`${line}\n`),
    };
}

const exited = (c: ChildProcess) =>
    new Promise<number | null>((r) => (c.exitCode !== null ? r(c.exitCode) : c.once("exit", (code) => r(code))));

/** The most holders at any one instant, from the holding intervals. */
function maxSimultaneous(outcomes: Outcome[]): number {
    const events = outcomes.filter((o) => o.got).flatMap((o) => [[o.t0 as number, 1] as const, [o.t1 as number, -1] as const]);
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let cur = 0;
    let max = 0;
    for (const [, d] of events) max = Math.max(max, (cur += d));
    return max;
}

/** Releases the contenders on `dir` at one instant; returns what each saw. */
async function race(contenders: Child[], dir: string): Promise<Outcome[]> {
    const at = performance.timeOrigin + performance.now() + 40;
    for (const c of contenders) c.send(`go ${dir} ${at}`);
    return (await Promise.all(contenders.map((c) => c.next()))) as unknown as Outcome[];
}

describe("local store: the environment lock under many processes", function () {
    this.timeout(30000);
    let storeJs: string;
    let root: string;
    let contenders: Child[] = [];
    let holder: Child;
    let template: string;

    before(async () => {
        storeJs = compileForChild(STORE);
        root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-lock-"));
        // Started once, together: the contenders race in every trial, on a copy of one stale lock.
        const maker = startChild(storeJs);
        holder = startChild(storeJs);
        contenders = Array.from({ length: CONTENDERS }, () => startChild(storeJs));
        for (const c of [maker, holder, ...contenders]) assert.deepEqual(await c.next(), { ready: true });
        template = path.join(root, "template", "dev");
        maker.send(`die ${template}`);
        assert.equal(await exited(maker.proc), 0, "the stale-lock maker took the lock and exited");
        assert.equal(fs.readdirSync(template).length, 1, "the maker left its lock");
    });
    after(async () => {
        for (const c of [holder, ...contenders]) {
            c.proc.kill("SIGKILL");
            await exited(c.proc);
        }
        removeChildModules(storeJs);
        fs.rmSync(root, { recursive: true, force: true });
    });

    it("maxSimultaneous counts overlapping intervals (the check can fail)", () => {
        assert.equal(maxSimultaneous([{ got: true, t0: 0, t1: 10 }, { got: true, t0: 10, t1: 20 }, { got: false }]), 1);
        assert.equal(
            maxSimultaneous([
                { got: true, t0: 0, t1: 10 },
                { got: true, t0: 5, t1: 20 },
                { got: true, t0: 6, t1: 7 },
            ]),
            3,
        );
    });

    it(`${CONTENDERS} processes on a lock naming a dead PID: exactly one holder at any time, ${TRIALS} trials`, async () => {
        const report: string[] = [];
        const bad: string[] = [];
        for (let t = 1; t <= TRIALS; t++) {
            const dir = path.join(root, `dead-${t}`, "dev");
            fs.cpSync(template, dir, { recursive: true }); // a lock naming the dead maker's PID
            const outcomes = await race(contenders, dir);
            const holders = outcomes.filter((o) => o.got);
            const max = maxSimultaneous(outcomes);
            const strange = outcomes.filter((o) => !o.got && !/^BlockedError: another release is running in dev/.test(o.error ?? ""));
            report.push(
                `trial ${t}: ${holders.length} took the lock, at most ${max} at once${holders.some((o) => o.overlap) ? ", witness saw an overlap" : ""}`,
            );
            if (holders.length === 0 || max !== 1 || holders.some((o) => o.overlap) || strange.length > 0) {
                bad.push(
                    `trial ${t}: ${holders.length} holders, ${max} at once; other failures: ${strange.map((o) => o.error).join(" | ") || "none"}`,
                );
            }
        }
        assert.deepEqual(bad, [], report.join("\n"));
    });

    it(`${CONTENDERS} processes on a lock held by a live process: all blocked, naming its PID`, async () => {
        const dir = path.join(root, "live", "dev");
        holder.send(`hold ${dir}`);
        assert.deepEqual(await holder.next(), { held: true });
        for (const o of await race(contenders, dir)) {
            assert.equal(o.got, false, "nobody takes a live holder's lock");
            assert.match(o.error ?? "", new RegExp(`^BlockedError: another release is running in dev \\(pid ${holder.proc.pid}`));
        }
    });
});
