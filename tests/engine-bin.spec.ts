/**
 * The shipped CLI runs built JavaScript (issue 14: every invocation used to transpile TypeScript at
 * run time, ~1 s before any command ran): `bin/phoenix-release.js` runs release-engine/dist, built by
 * the root `prepare` script or, when missing or older than the sources, on first use.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commandUsage } from "../release-engine/src/cli/args";

const ROOT = path.join(__dirname, "..");
const BIN = path.join(ROOT, "release-engine", "bin", "phoenix-release.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the build helper is plain JavaScript shipped with the bin.
const build = require("../release-engine/bin/build.js") as { ensureBuilt(): void; isFresh(): boolean };

describe("the compiled CLI (bin)", function () {
    this.timeout(120000);
    it("package.json's bin, release script and prepare point at the compiled CLI", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
            bin: Record<string, string>;
            scripts: Record<string, string>;
        };
        assert.equal(pkg.bin["phoenix-release"], "release-engine/bin/phoenix-release.js");
        assert.equal(pkg.scripts.release, "node release-engine/bin/phoenix-release.js");
        assert.match(pkg.scripts.prepare, /release-engine\/bin\/build\.js --force/);
        assert.doesNotMatch(fs.readFileSync(BIN, "utf8"), /ts-node/);
    });

    it("runs dist/ without loading ts-node or TypeScript", () => {
        build.ensureBuilt();
        assert.ok(build.isFresh());
        const guard = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-bin-")), "guard.js");
        fs.writeFileSync(
            guard,
            `const M = require("module"); const load = M._load; M._load = function (r, ...a) { if (/^(ts-node|typescript)(\\/|$)/.test(r)) process.stderr.write("LOADED " + r + "\\n"); return load.call(this, r, ...a); };\n`,
        );
        const r = spawnSync(process.execPath, ["--require", guard, BIN, "status", "--help"], { encoding: "utf8" });
        fs.rmSync(path.dirname(guard), { recursive: true, force: true });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `${commandUsage("status")}\n`);
        assert.doesNotMatch(r.stderr, /LOADED/, "the bin must not transpile at run time");
        assert.ok(fs.existsSync(path.join(ROOT, "release-engine", "dist", "cli", "main.js")));
    });

    it("a local command starts without what only other commands need (issue 20: rollback's start)", () => {
        build.ensureBuilt();
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-bin-"));
        const guard = path.join(tmp, "guard.js");
        fs.writeFileSync(
            guard,
            `process.on("exit", () => process.stderr.write("LOADED " + JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13)) }) + "\\n"));\n`,
        );
        // status of an environment never released: the local backend's wiring, the record read, nothing started.
        const r = spawnSync(process.execPath, ["--require", guard, BIN, "status"], {
            encoding: "utf8",
            env: { PATH: process.env.PATH, PHOENIX_HOME: path.join(tmp, "home") },
        });
        fs.rmSync(tmp, { recursive: true, force: true });
        assert.equal(r.status, 0, r.stderr);
        const loaded = JSON.parse(/^LOADED (.*)$/m.exec(r.stderr)?.[1] ?? "null") as { files: string[]; builtins: string[] };
        const dist = path.join(ROOT, "release-engine", "dist");
        assert.ok(loaded.files.includes(path.join(dist, "backends", "local", "local-backend.js")), "the local backend was loaded");
        for (const m of [
            "backends/pulumi/pulumi-backend",
            "record-store/open-store",
            "record-store/blob-store",
            "backends/local/cluster",
            "backends/local/daemon",
            "cli/load-command",
            "demo/load",
            "observe/local-report",
            "observe/timeline",
        ]) {
            assert.ok(!loaded.files.includes(path.join(dist, ...m.split("/")) + ".js"), `${m} is loaded only by the commands that need it`);
        }
        assert.deepEqual(
            loaded.files.filter((f) => f.includes(`${path.sep}node_modules${path.sep}`)),
            [],
            "no installed package (Azure SDK, Pulumi, ...)",
        );
        for (const b of ["child_process", "crypto"])
            assert.ok(!loaded.builtins.includes(b), `${b} is loaded only to start a daemon, build, or make a preview secret`);
    });
});
