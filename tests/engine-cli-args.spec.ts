/**
 * The CLI's command line (issue 14 items 7 and 8): every command takes --help; every bad argument
 * prints the usage (general or the command's); with --json every outcome, errors included, is one JSON
 * object on stdout; the README's command reference is the usage text itself.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { COMMANDS, commandUsage, parseCommandLine, USAGE, UsageError } from "../release-engine/src/cli/args";
import { main } from "../release-engine/src/cli/main";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

describe("CLI arguments: help, usage, validation, --json", () => {
    let home: string;
    before(() => (home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-args-"))));
    // rollback (exit 3) may start the environment's daemon; stop it before its folder goes.
    after(async () => {
        await run(["local-down"]);
        fs.rmSync(home, { recursive: true, force: true });
    });
    const run = async (argv: string[]) => {
        let out = "";
        let err = "";
        const code = await main(
            argv,
            { PHOENIX_HOME: home },
            (s) => (out += s),
            (s) => (err += s),
        );
        return { code, out, err };
    };

    it("every command takes --help (and -h): its own usage on stdout, exit 0", async () => {
        for (const c of COMMANDS) {
            for (const flag of ["--help", "-h"]) {
                const r = await run([c, flag]);
                assert.equal(r.code, 0, `${c} ${flag}: ${r.err}`);
                assert.equal(r.out, `${commandUsage(c)}\n`);
                assert.match(r.out, new RegExp(`^usage: phoenix-release ${c}\\b`));
            }
        }
        assert.match(commandUsage("status"), /--show-secrets/);
        assert.doesNotMatch(commandUsage("release"), /--show-secrets/, "options belong to the commands that take them");
    });

    it("every bad argument prints the usage (the command's when known) on stderr and exits 2", async () => {
        const cases: Array<[string[], RegExp, string]> = [
            [["status", "--env", "nosuch"], /--env must be one of dev, prod, got "nosuch"/, "status"],
            [["status", "--what"], /Unknown option '--what'/, "status"],
            [["release", "--show-secrets", "1.0.0"], /release takes no --show-secrets/, "release"],
            [["release"], /release needs a version/, "release"],
            [["release", "1.0"], /"1\.0" is not a semantic version/, "release"],
            [["promote", "1.0.0"], /promote takes no version/, "promote"],
            [["deploy", "1.0.0", "extra"], /unexpected argument "extra"/, "deploy"],
            [["status", "--backend", "helm"], /--backend must be local or pulumi/, "status"],
            [["status", "--env"], /argument missing/, "status"],
            [["ship"], /unknown command "ship"/, ""],
            [[], /no command given/, ""],
        ];
        for (const [argv, message, command] of cases) {
            const r = await run(argv);
            assert.equal(r.code, 2, argv.join(" "));
            assert.match(r.err, message, argv.join(" "));
            assert.ok(
                r.err.includes(command ? commandUsage(command as (typeof COMMANDS)[number]) : USAGE),
                `${argv.join(" ")} prints the usage:\n${r.err}`,
            );
            assert.equal(r.out, "");
        }
        assert.deepEqual(fs.readdirSync(home), [], "bad input creates nothing");
    });

    it("with --json a bad argument is still one JSON object on stdout with the exit code", async () => {
        const r = await run(["status", "--env", "nosuch", "--json"]);
        assert.equal(r.code, 2);
        const o = JSON.parse(r.out) as { outcome: string; exitCode: number; message: string; command: string };
        assert.deepEqual([o.command, o.outcome, o.exitCode], ["status", "invalid", 2]);
        assert.match(o.message, /nosuch/);
    });

    it("with --json a blocked command is one JSON object with exit code 3", async () => {
        const r = await run(["rollback", "--json"]);
        assert.equal(r.code, 3, r.err);
        const o = JSON.parse(r.out) as { outcome: string; exitCode: number; message: string };
        assert.deepEqual([o.outcome, o.exitCode], ["blocked", 3]);
        assert.match(o.message, /nothing to roll back/);
    });

    it("parseCommandLine: one definition gives defaults, options and errors", () => {
        const p = parseCommandLine(["status", "--show-secrets", "--env=prod"], {});
        assert.equal(p.kind, "run");
        if (p.kind === "run") assert.deepEqual([p.env, p.showSecrets, p.backend], ["prod", true, "local"]);
        assert.deepEqual(parseCommandLine(["help", "status"], {}), { kind: "help", command: "status" });
        assert.throws(
            () => parseCommandLine(["status", "--env", "nosuch"], {}),
            (e: unknown) => e instanceof UsageError && e.command === "status",
        );
    });

    it("--service: a lower-case DNS label, 1-63, on every command; absent, no service is set (the settings' appName decides)", async () => {
        for (const ok of ["calculator", "inventory-2", "a", "7up", "x".repeat(63)]) {
            const p = parseCommandLine(["status", "--service", ok], {});
            assert.ok(p.kind === "run" && p.service === ok, ok);
        }
        const none = parseCommandLine(["status"], {});
        assert.ok(none.kind === "run" && !("service" in none), "no --service: nothing set");
        const load = parseCommandLine(["load", "--service", "inventory"], {});
        assert.ok(load.kind === "run" && load.service === "inventory", "load takes --service too");
        for (const bad of ["Inventory", "-inv", "inv-", "in_v", "", "x".repeat(64), "a.b"]) {
            assert.throws(
                () => parseCommandLine(["release", "1.0.0", `--service=${bad}`], {}),
                (e: unknown) =>
                    e instanceof UsageError && e.command === "release" && e.message.includes(`"${bad}"`) && /DNS label/.test(e.message),
                `"${bad}" is refused, naming it`,
            );
        }
    });

    it("--service other than the settings' appName is an input error naming both; the same name is accepted", async () => {
        const other = await run(["status", "--service", "inventory"]);
        assert.equal(other.code, 2, other.err);
        assert.match(other.err, /--service "inventory"/);
        assert.match(other.err, /appName "calculator"/);
        const same = await run(["status", "--service", "calculator"]);
        assert.equal(same.code, 0, same.err);
    });

    it("plan takes --steps (it changes the plan): the weighted steps, validated by the same rule as release", async () => {
        fs.mkdirSync(path.join(home, "calculator", "prod"), { recursive: true });
        fs.writeFileSync(
            path.join(home, "calculator", "prod", "state.json"),
            JSON.stringify({ state: { slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } } }),
        );
        const r = await run(["plan", "1.1.0", "--env", "prod", "--steps", "20,100"]);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, /shift: .*20 %/, r.out);
        const direct = await run(["plan", "1.1.0", "--env", "prod", "--steps", "100"]);
        assert.doesNotMatch(direct.out, /shift:/, "100 switches at once");
        const p = parseCommandLine(["plan", "1.1.0", "--steps", "20,100"], {});
        assert.ok(p.kind === "run" && JSON.stringify(p.steps) === "[20,100]");
        const bad = await run(["plan", "1.1.0", "--steps", "20,50"]);
        assert.equal(bad.code, 2);
        assert.match(bad.err, /--steps must be rising whole percents ending with 100 .*got "20,50"/);
        assert.equal((await run(["import-record", "--env", "dev"])).code, 2, "import-record is the Pulumi backend's");
        assert.match(
            (await run(["import-record"])).err,
            /import-record applies to the Pulumi backend's shared record \(add --backend pulumi\)/,
        );
        assert.match(
            (await run(["import-record", "--backend", "pulumi", "--replace", "--steps", "100"])).err,
            /import-record takes no --steps/,
        );
    });

    it("the README's command reference is exactly the usage text", () => {
        const section = README.split("## Release CLI reference")[1];
        assert.ok(section, "README has a Release CLI reference section");
        const block = /```text\n([\s\S]*?)\n```/.exec(section)?.[1];
        assert.equal(block, USAGE, "README.md's command reference differs from `phoenix-release --help`; paste the new usage");
        // Deliberately broken copy: one command missing from the README is caught.
        const broken = USAGE.replace(/^ {2}history .*\n/m, "");
        assert.notEqual(broken, USAGE);
        for (const c of COMMANDS) assert.ok(block.includes(`  ${c}`), `README lists ${c}`);
    });
});
