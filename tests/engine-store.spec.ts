/**
 * The local backend's store: the record file's format (every way it can be corrupt), the atomic write
 * and the previous copy beside it (including against a writer killed mid-write and a reader racing
 * the writer), and the lock's generations (stale, half-written and superseded lock files).
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import fsModule from "fs";
import * as os from "os";
import * as path from "path";
import { BlockedError, InputError } from "../release-engine/src/errors";
import { parseRecord } from "../release-engine/src/record-store/record-format";
import { readRecord, StateFileError, writeFileAtomic, writeRecord } from "../release-engine/src/backends/local/store";
import { acquireLock } from "../release-engine/src/backends/local/lock";
import { childEnv, compileForChild, removeChildModules } from "./support/child-module";
import { CORRUPT, recordText, SECRET, V1, V2 } from "./support/store-fixtures";

const text = recordText;

describe("local store: the record file format", () => {
    it("accepts what writeRecord writes, with and without an operation", () => {
        for (const r of [{ state: null }, V1, V2]) assert.deepEqual(parseRecord(text(r)), { ok: true, record: r });
    });

    const problems: Array<[string, string, RegExp]> = [
        ["empty", "", /^it is empty$/],
        ["blank", " \n\t\n", /^it is empty$/],
        ["garbage", "garbage{{", /^it is not valid JSON$/],
        ["a stray character", '{\n  "state": null x\n}', /^it is not valid JSON \(at line 2 column 17\)$/],
        ["truncated in a string", '{"state": {"slots": {"blue": {"role": "li', /truncated/],
        ["truncated after a key", '{"state": {"slots"', /truncated/],
        ["truncated after a value", text(V1).slice(0, -4), /truncated/],
        ["an array", "[]", /holds an array, not a record/],
        ["null", "null", /holds null, not a record/],
        ["a number", "42", /holds number, not a record/],
        ["no state", "{}", /"state" is missing/],
        ["an unknown key", '{"state": null, "status": 1}', /unknown key "status"/],
        ["a bad state", CORRUPT["wrong shape"], /state: slot blue: version must be semver[\s\S]*state: slot green is missing/],
        ["a bad operation kind", JSON.stringify({ ...V1, operation: { kind: "deploy" } }), /operation\.kind must be release or rollback/],
        [
            "an operation without before",
            JSON.stringify({ ...V1, operation: { kind: "release", version: "1.1.0", slot: "green" } }),
            /operation\.before is missing/,
        ],
        [
            "an operation with a bad before",
            JSON.stringify({ ...V1, operation: { ...V2.operation, before: { slots: {} } } }),
            /operation\.before: slot blue is missing/,
        ],
        [
            "a bad rollback",
            JSON.stringify({ ...V1, operation: { kind: "rollback", to: { slot: "red", version: "1.0.0" }, from: "green" } }),
            /operation\.to\.slot must be blue or green[\s\S]*operation\.from must be an object/,
        ],
        ["operation null", JSON.stringify({ ...V1, operation: null }), /"operation" must be an object, got null/],
    ];
    for (const [name, input, why] of problems) {
        it(`refuses ${name}`, () => {
            const r = parseRecord(input);
            assert.equal(r.ok, false);
            if (!r.ok) assert.match(r.problem, why);
        });
    }

    it("never echoes the text, which may hold the preview secret", () => {
        const withSecret = [
            CORRUPT.truncated,
            text(V2).replace('"green"', '"green" x'),
            JSON.stringify({ ...V2, extra: SECRET }),
            `garbage ${SECRET}`,
        ];
        for (const t of withSecret) {
            const r = parseRecord(t);
            assert.equal(r.ok, false, t);
            if (!r.ok) assert.ok(!r.problem.includes(SECRET), r.problem);
        }
        // The check can fail: JSON.parse's own message quotes the start of the text.
        assert.throws(() => JSON.parse("s3cret{{"), /"s3cret\{\{" is not valid JSON/);
    });
});

describe("local store: reading and writing the record", () => {
    let dir: string;
    beforeEach(() => (dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-store-")), "dev")));
    afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));
    const file = () => path.join(dir, "state.json");
    const prev = () => path.join(dir, "state.json.prev");

    it("no file is nothing recorded", () => {
        assert.deepEqual(readRecord(dir), { state: null });
    });

    it("keeps the previous record beside the current one, 0600, no temp files left", () => {
        writeRecord(dir, V1);
        assert.deepEqual(readRecord(dir), V1);
        assert.ok(!fs.existsSync(prev()), "no previous record after the first write");
        writeRecord(dir, V2);
        assert.deepEqual(readRecord(dir), V2);
        assert.equal(fs.readFileSync(prev(), "utf8"), text(V1));
        writeRecord(dir, V2); // unchanged: the previous copy still holds the one before
        assert.equal(fs.readFileSync(prev(), "utf8"), text(V1));
        writeRecord(dir, { state: V1.state });
        assert.equal(fs.readFileSync(prev(), "utf8"), text(V2));
        assert.deepEqual(fs.readdirSync(dir).sort(), ["state.json", "state.json.prev"]);
        if (process.platform !== "win32") for (const f of [file(), prev()]) assert.equal(fs.statSync(f).mode & 0o777, 0o600, f);
    });

    it("never replaces the last good copy with a corrupt file", () => {
        writeRecord(dir, V1);
        writeRecord(dir, V2);
        fs.writeFileSync(file(), "garbage{{");
        writeRecord(dir, V1);
        assert.equal(fs.readFileSync(prev(), "utf8"), text(V1), "state.json.prev is still the last good record");
    });

    it("a failed atomic write leaves the target and no temp file", () => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(file(), "old");
        fs.mkdirSync(path.join(dir, "target-is-a-dir"));
        assert.throws(() => writeFileAtomic(path.join(dir, "target-is-a-dir"), "new"));
        assert.equal(fs.readFileSync(file(), "utf8"), "old");
        assert.deepEqual(fs.readdirSync(dir).sort(), ["state.json", "target-is-a-dir"]);
    });

    for (const [name, content] of Object.entries(CORRUPT)) {
        it(`${name}: a StateFileError (exit 2) naming the file, the problem and the last good copy; nothing changes`, () => {
            writeRecord(dir, V1);
            writeRecord(dir, V2);
            fs.writeFileSync(file(), content);
            const before = fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]);
            assert.throws(
                () => readRecord(dir),
                (e: Error) => {
                    assert.ok(e instanceof StateFileError && e instanceof InputError, e.message);
                    assert.equal(e.file, file());
                    assert.ok(e.message.startsWith(`the state file ${file()} is unusable: ${e.problem}`), e.message);
                    assert.match(e.message, /Nothing was changed/);
                    assert.ok(e.message.includes(`cp ${prev()} ${file()}`), e.message);
                    assert.match(e.message, /blue live 1\.0\.0 ×2; green absent/);
                    assert.match(e.message, /local-down --env dev/);
                    assert.ok(!e.message.includes(SECRET));
                    return true;
                },
            );
            assert.deepEqual(
                fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")]),
                before,
            );
        });
    }

    it("a state file that cannot be read (here: a directory) is a StateFileError too", () => {
        fs.mkdirSync(file(), { recursive: true });
        assert.throws(
            () => readRecord(dir),
            (e: Error) => e instanceof StateFileError && /unusable: it cannot be read \(EISDIR\)/.test(e.message),
        );
    });

    it("says so when there is no usable previous copy, and suggests abort when one was pending", () => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(file(), "");
        assert.throws(
            () => readRecord(dir),
            /To recover \(there is no usable previous copy: .*state\.json\.prev does not exist\):\n {2}- re-create the environment/,
        );
        fs.writeFileSync(prev(), "[]");
        assert.throws(() => readRecord(dir), /state\.json\.prev is unusable too: it holds an array/);
        fs.writeFileSync(prev(), text(V2));
        assert.throws(() => readRecord(dir), /release pending\)[\s\S]*"npm run release -- abort --env dev" settles the pending release/);
    });
});

describe("local store: the record survives a writer killed mid-write and readers racing it", function () {
    this.timeout(20000);
    let storeJs: string;
    let dir: string;
    before(() => {
        storeJs = compileForChild(path.join(__dirname, "..", "release-engine", "src", "backends", "local", "store.ts"));
        dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-store-")), "dev");
    });
    after(() => {
        removeChildModules(storeJs);
        fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    });

    /** A child writing V1 and V2 in turn as fast as it can: with writeRecord, or (naive) straight into the file. */
    const WRITER = `
const { writeRecord } = require(process.argv[1]);
const fs = require("fs");
const [dir, how, a, b] = process.argv.slice(2);
const records = [JSON.parse(a), JSON.parse(b)];
process.stdout.write("ready\\n");
for (let i = 0; ; i++) {
    if (how === "naive") fs.writeFileSync(dir + "/state.json", JSON.stringify(records[i % 2], null, 2) + "\\n");
    else writeRecord(dir, records[i % 2]);
}
`;

    /** Reads the record while the writer runs for `ms`, then kills it (-9): counts reads that failed. */
    async function raceWriter(how: "atomic" | "naive", ms: number): Promise<{ reads: number; torn: string[] }> {
        fs.rmSync(dir, { recursive: true, force: true });
        writeRecord(dir, V1);
        const child = spawn(process.execPath, ["-e", WRITER, storeJs, dir, how, JSON.stringify(V1), JSON.stringify(V2)], {
            env: childEnv(),
            stdio: ["ignore", "pipe", "inherit"],
        });
        await new Promise<void>((r) => child.stdout.once("data", () => r()));
        const torn: string[] = [];
        let reads = 0;
        const end = Date.now() + ms;
        while (Date.now() < end && (how === "atomic" || torn.length === 0)) {
            reads++;
            try {
                const r = readRecord(dir);
                assert.ok(r.state !== null);
            } catch (e) {
                torn.push((e as Error).message.split("\n")[0]);
            }
        }
        child.kill("SIGKILL");
        await new Promise((r) => child.once("exit", r));
        // Whenever it died, the file holds one whole record.
        try {
            readRecord(dir);
        } catch (e) {
            torn.push(`after the kill: ${(e as Error).message.split("\n")[0]}`);
        }
        return { reads, torn };
    }

    it("writeRecord: every read sees a whole record, before and after the kill", async () => {
        for (let kill = 0; kill < 2; kill++) {
            const { reads, torn } = await raceWriter("atomic", 300);
            assert.ok(reads > 50, `only ${reads} reads`);
            assert.deepEqual(torn, [], `${torn.length} of ${reads} reads failed`);
        }
    });

    it("the check can fail: a writer writing straight into the file is seen half-written", async () => {
        const { reads, torn } = await raceWriter("naive", 5000);
        assert.ok(torn.length > 0, `no torn read in ${reads} reads`);
    });
});

describe("local store: lock generations", () => {
    let dir: string;
    beforeEach(() => (dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-lock-")), "dev")));
    afterEach(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));
    const lockDir = () => path.join(dir, "lock");
    const entries = () => fs.readdirSync(lockDir()).sort();
    const content = (gen: number) => fs.readFileSync(path.join(lockDir(), String(gen)), "utf8");
    /** A PID that is certainly dead: a process that has exited. */
    const deadPid = async () => {
        const c = spawn(process.execPath, ["-e", ""]);
        await new Promise((r) => c.once("exit", r));
        return c.pid as number;
    };

    it("takes, blocks a second taker (even in this process), releases, takes the next generation", () => {
        const release = acquireLock(dir, "dev");
        assert.deepEqual(entries(), ["1"]);
        assert.match(content(1), new RegExp(`^${process.pid} `));
        assert.throws(
            () => acquireLock(dir, "dev"),
            (e: Error) => e instanceof BlockedError && e.message.includes(`pid ${process.pid}`),
        );
        release();
        assert.equal(content(1), "released");
        release(); // twice is harmless
        const again = acquireLock(dir, "dev");
        assert.deepEqual(entries(), ["2"], "older generations are removed by the holder");
        again();
    });

    it("takes over a lock naming a dead PID", async () => {
        fs.mkdirSync(lockDir(), { recursive: true });
        fs.writeFileSync(path.join(lockDir(), "7"), `${await deadPid()} 2020-01-01T00:00:00.000Z x`);
        fs.writeFileSync(path.join(lockDir(), `.tmp-${await deadPid()}-abc`), "left by a crash");
        const release = acquireLock(dir, "dev");
        assert.deepEqual(entries(), ["8"], "the dead holder's generation and temp file are cleaned up");
        release();
    });

    it("a half-written (empty) or unreadable lock file cannot belong to a live holder: taken over", () => {
        // Generations are created whole by link(2); only a crash of the machine can leave one empty.
        for (const junk of ["", "garbage", "-1 x"]) {
            fs.rmSync(lockDir(), { recursive: true, force: true });
            fs.mkdirSync(lockDir(), { recursive: true });
            fs.writeFileSync(path.join(lockDir(), "3"), junk);
            const release = acquireLock(dir, "dev");
            assert.deepEqual(entries(), ["4"], JSON.stringify(junk));
            release();
        }
    });

    it("a taker that recreated an old generation from a stale listing finds the newer one and withdraws", () => {
        fs.mkdirSync(lockDir(), { recursive: true });
        fs.writeFileSync(path.join(lockDir(), "7"), `${process.pid} now held`);
        // A listing read before generation 3 was removed and 7 created: the taker creates 4, then sees 7.
        // (The module object itself is patched: the store's namespace import reads through to it.)
        const mod = fsModule as unknown as { readdirSync: (p: fs.PathLike) => string[] };
        const real = mod.readdirSync;
        let calls = 0;
        mod.readdirSync = (p) => (calls++ === 0 ? ["3"] : real(p));
        try {
            assert.throws(
                () => acquireLock(dir, "dev"),
                (e: Error) => e instanceof BlockedError && e.message.includes(`pid ${process.pid}`),
            );
        } finally {
            mod.readdirSync = real;
        }
        assert.ok(calls >= 3, "listed again after creating");
        assert.deepEqual(entries(), ["7"], "generation 4 was withdrawn");
    });

    it("a lock file of the former format is reported, not overwritten", () => {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(lockDir(), "123 456");
        assert.throws(
            () => acquireLock(dir, "dev"),
            /lock is not a directory \(an older engine's lock file\?\); remove it if no release is running in dev/,
        );
        assert.equal(fs.readFileSync(lockDir(), "utf8"), "123 456");
    });
});
