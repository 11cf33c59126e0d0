/**
 * A corrupt state file through the real CLI: every command that reads it refuses with exit 2, names
 * the file, what is wrong and how to recover, and changes nothing (same bytes, no lock, no daemon);
 * restoring the last good copy it points to brings the environment back.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { writeRecord } from "../release-engine/src/backends/local/store";
import { main } from "../release-engine/src/cli/main";
import { ensureAppBuilt } from "../release-engine/src/demo/app-build";
import type { EngineRecord } from "../release-engine/src/planner/types";
import { CORRUPT } from "./support/store-fixtures";

const REPO = path.join(__dirname, "..");
const GOOD: EngineRecord = { state: { slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } } };
const LATEST: EngineRecord = {
    state: { slots: { blue: { role: "standby", version: "1.0.0", replicas: 2 }, green: { role: "live", version: "1.1.0", replicas: 2 } } },
};
const COMMANDS = [["status"], ["plan", "1.2.0"], ["release", "1.2.0"], ["abort"], ["rollback"], ["status", "--json"]];

/** Every file under `dir` with its bytes (base64), so any change shows. */
function snapshot(dir: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
        const p = path.join(e.parentPath, e.name);
        out[path.relative(dir, p)] = e.isFile() ? fs.readFileSync(p).toString("base64") : "(dir)";
    }
    return out;
}

describe("engine CLI: a corrupt state file", function () {
    this.timeout(30000);
    let home: string;
    let envDir: string;
    let out = "";
    let err = "";
    const run = (argv: string[]) =>
        main(
            argv,
            { PATH: process.env.PATH, PHOENIX_HOME: home },
            (s) => (out += s),
            (s) => (err += s),
        );

    before(() => ensureAppBuilt(() => undefined)); // else the CLI refuses for another reason
    beforeEach(() => {
        home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-state-"));
        envDir = path.join(home, "calculator", "dev");
        writeRecord(envDir, GOOD);
        writeRecord(envDir, LATEST); // state.json.prev now holds GOOD
        out = "";
        err = "";
    });
    afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

    for (const [variant, content] of Object.entries(CORRUPT)) {
        it(`${variant}: every command exits 2 naming the file and the last good copy; nothing changes`, async () => {
            const file = path.join(envDir, "state.json");
            fs.writeFileSync(file, content);
            const before = snapshot(home);
            for (const argv of COMMANDS) {
                out = "";
                err = "";
                const code = await run(argv);
                assert.equal(code, 2, `${argv.join(" ")}: exit ${code}\n${out}${err}`);
                assert.ok(err.includes(`error: the state file ${file} is unusable: it `), `${argv.join(" ")}: ${err}`);
                assert.ok(err.includes(`cp ${file}.prev ${file}`), err);
                assert.match(err, /blue live 1\.0\.0 ×2; green absent/);
                assert.deepEqual(snapshot(home), before, `${argv.join(" ")} changed nothing (no lock, no daemon, same bytes)`);
            }
            const json = JSON.parse(out) as { exitCode: number; outcome: string; message: string };
            assert.deepEqual([json.exitCode, json.outcome], [2, "invalid"]);
            assert.ok(!fs.existsSync(path.join(envDir, "cluster.json")), "no daemon was started");
            assert.ok(!fs.existsSync(path.join(envDir, "lock")), "no lock was taken");
        });
    }

    it("the advice works: restoring the last good copy makes the environment readable again", async () => {
        fs.writeFileSync(path.join(envDir, "state.json"), CORRUPT.garbage);
        assert.equal(await run(["status"]), 2);
        fs.copyFileSync(path.join(envDir, "state.json.prev"), path.join(envDir, "state.json"));
        out = "";
        assert.equal(await run(["plan", "1.2.0"]), 0, err);
        assert.match(out, /current: blue live 1\.0\.0 ×2; green absent/);
    });

    it("the issue's reproduction, as a process: echo 'garbage{{' > state.json; release -- status → exit 2", () => {
        fs.writeFileSync(path.join(envDir, "state.json"), "garbage{{\n");
        const r = spawnSync(
            process.execPath,
            ["-r", "ts-node/register/transpile-only", path.join(REPO, "release-engine", "src", "cli", "main.ts"), "status"],
            {
                cwd: REPO,
                env: { PATH: process.env.PATH, PHOENIX_HOME: home },
                encoding: "utf8",
            },
        );
        assert.equal(r.status, 2, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /^error: the state file .*state\.json is unusable: it is not valid JSON\nNothing was changed\. To recover:\n {2}- restore the last good copy/,
        );
        assert.doesNotMatch(r.stderr, /Unexpected token/);
    });
});
