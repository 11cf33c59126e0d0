/**
 * The stand-in `pulumi` CLI (tests/support/fake-pulumi) keeps things where the real CLI keeps them, so
 * the specs that run the engine through it see what a real run would: config in the working directory's
 * settings file `Pulumi.<stack>.yaml` (secrets encrypted, the passphrase provider's salt beside them),
 * and in the file:// backend only the checkpoint, the history with the config each update used, and the
 * update lock (the real CLI's "the stack is currently locked" while another update runs).
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

const FAKE = path.join(__dirname, "support", "fake-pulumi", "pulumi");
const RELEASE_PROJECT_FILE = path.join(__dirname, "..", "stacks", "release", "Pulumi.yaml");
const STATE = JSON.stringify({ slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } });
const SECRET = "preview-Secret-0123456789abcdef";

interface Result {
    code: number | null;
    stdout: string;
    stderr: string;
}

describe("the stand-in pulumi CLI keeps config in the working directory and the rest in its backend, as the real CLI does", function () {
    this.timeout(30000);
    let backend: string;
    let workA: string;
    let workB: string;
    const env = (extra: Record<string, string> = {}) => ({
        ...process.env,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: "spec-passphrase",
        ...extra,
    });
    const pulumi = (cwd: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Result => {
        const r = spawnSync(FAKE, args, { cwd, env: env(opts.env), input: opts.input ?? "", encoding: "utf8" });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const ok = (r: Result): Result => {
        assert.equal(r.code, 0, r.stderr);
        return r;
    };
    /** A working copy of the release project: Pulumi.yaml and the committed-style settings file. */
    const project = () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-project-"));
        fs.copyFileSync(RELEASE_PROJECT_FILE, path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.dev.yaml"),
            YAML.stringify({
                config: { "phoenix-release:platformStack": "organization/phoenix-platform/dev", "phoenix-release:state": STATE },
            }),
        );
        return dir;
    };
    const settings = (dir: string) => fs.readFileSync(path.join(dir, "Pulumi.dev.yaml"), "utf8");
    const configJson = (dir: string, showSecrets: boolean) =>
        JSON.parse(ok(pulumi(dir, ["config", ...(showSecrets ? ["--show-secrets"] : []), "--json", "--stack", "dev"])).stdout) as Record<
            string,
            { value?: string; secret: boolean }
        >;
    const historyDir = () => path.join(backend, ".pulumi", "history", "phoenix-release", "dev");

    beforeEach(() => {
        backend = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-backend-"));
        workA = project();
        workB = project();
        ok(pulumi(workA, ["stack", "init", "dev"]));
    });
    afterEach(() => {
        for (const d of [backend, workA, workB]) fs.rmSync(d, { recursive: true, force: true });
    });

    it("config set writes the working directory's Pulumi.dev.yaml; a secret is a secure value, readable only with the passphrase", () => {
        ok(
            pulumi(workA, ["config", "set", "--secret", "phoenix-release:previewHeaderValue", "--stack", "dev", "--non-interactive"], {
                input: SECRET,
            }),
        );
        ok(pulumi(workA, ["config", "set-all", "--stack", "dev", "--plaintext", 'phoenix-release:releaseLock={"holder":"a"}']));
        const file = YAML.parse(settings(workA)) as { config: Record<string, unknown>; encryptionsalt?: string };
        assert.match(
            String((file.config["phoenix-release:previewHeaderValue"] as { secure: string }).secure),
            /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/,
        );
        assert.ok(!settings(workA).includes(SECRET), "the secret is not in the file in plain text");
        assert.match(String(file.encryptionsalt), /^v1:/, "the passphrase provider's salt is in the settings file");
        assert.equal(file.config["phoenix-release:releaseLock"], '{"holder":"a"}');
        assert.deepEqual(configJson(workA, true)["phoenix-release:previewHeaderValue"], { value: SECRET, secret: true });
        assert.deepEqual(
            configJson(workA, false)["phoenix-release:previewHeaderValue"],
            { secret: true },
            "without --show-secrets the value is left out",
        );
        assert.deepEqual(
            configJson(workA, false)["phoenix-release:appName"],
            { value: "calculator", secret: false },
            "Pulumi.yaml's defaults are listed",
        );
        const wrong = pulumi(workA, ["config", "--show-secrets", "--json", "--stack", "dev"], {
            env: { PULUMI_CONFIG_PASSPHRASE: "not-it" },
        });
        assert.deepEqual([wrong.code, wrong.stderr], [255, "error: incorrect passphrase\n"]);
        ok(pulumi(workA, ["config", "rm", "phoenix-release:releaseLock", "--stack", "dev"]));
        assert.equal(configJson(workA, false)["phoenix-release:releaseLock"], undefined);
        // Another working copy of the same stack has only its own file.
        assert.equal(
            configJson(workB, true)["phoenix-release:previewHeaderValue"]?.value,
            "",
            "another copy sees its own file (the declared default), not the first copy's secret",
        );
        assert.ok(
            !fs.readdirSync(backend, { recursive: true }).some((f) => /Pulumi\..*\.yaml$/.test(String(f))),
            "no settings file in the backend",
        );
    });

    it("up deploys the working directory's config and records it in the backend's history; config refresh brings it into another copy", () => {
        ok(
            pulumi(workA, ["config", "set", "--secret", "phoenix-release:previewHeaderValue", "--stack", "dev", "--non-interactive"], {
                input: SECRET,
            }),
        );
        const candidate = JSON.stringify({
            slots: { blue: { role: "live", version: "1.0.0" }, green: { role: "candidate", version: "1.1.0" } },
        });
        ok(pulumi(workA, ["config", "set-all", "--stack", "dev", "--plaintext", `phoenix-release:state=${candidate}`]));
        ok(pulumi(workA, ["up", "--yes", "--skip-preview", "--stack", "dev", "--message", "deploy 1.1.0"]));
        const outputs = JSON.parse(ok(pulumi(workB, ["stack", "output", "--json", "--stack", "dev"])).stdout) as {
            candidateSlot: string;
            candidateVersion: string;
            slots: Record<string, { role: string }>;
        };
        assert.deepEqual(
            [outputs.candidateSlot, outputs.candidateVersion, outputs.slots.green.role],
            ["green", "1.1.0", "candidate"],
            "the outputs are the checkpoint's, the same from any copy",
        );
        const files = fs.readdirSync(historyDir());
        assert.equal(files.filter((f) => f.endsWith(".history.json")).length, 1);
        assert.equal(files.filter((f) => f.endsWith(".checkpoint.json")).length, 1);
        const stored = JSON.parse(
            fs.readFileSync(path.join(historyDir(), files.find((f) => f.endsWith(".history.json")) as string), "utf8"),
        ) as { config: Record<string, unknown>; message: string };
        assert.equal(stored.config["phoenix-release:state"], candidate);
        assert.match(
            String((stored.config["phoenix-release:previewHeaderValue"] as { secure: string }).secure),
            /^v1:/,
            "the history keeps secure values encrypted",
        );
        const history = JSON.parse(ok(pulumi(workA, ["stack", "history", "--json", "--show-secrets", "--stack", "dev"])).stdout) as {
            kind: string;
            message: string;
            config: Record<string, { value?: string; secret: boolean }>;
        }[];
        assert.deepEqual(
            [history[0].kind, history[0].message, history[0].config["phoenix-release:previewHeaderValue"]],
            ["update", "deploy 1.1.0", { value: SECRET, secret: true }],
        );
        const blinded = JSON.parse(ok(pulumi(workA, ["stack", "history", "--json", "--stack", "dev"])).stdout) as {
            config: Record<string, unknown>;
        }[];
        assert.deepEqual(blinded[0].config["phoenix-release:previewHeaderValue"], { secret: true });
        // A fresh copy starts from its own (committed) file: the candidate is not in its config ...
        assert.equal(configJson(workB, false)["phoenix-release:state"].value, STATE);
        // ... until `config refresh` takes the last update's config (and the salt its secrets were sealed with).
        ok(pulumi(workB, ["config", "refresh", "--force", "--stack", "dev"]));
        assert.equal(configJson(workB, false)["phoenix-release:state"].value, candidate);
        assert.equal(configJson(workB, true)["phoenix-release:previewHeaderValue"].value, SECRET);
    });

    it("a second update while one runs fails with the CLI's locked-stack error; the lock is gone after", async () => {
        const lockDir = path.join(backend, ".pulumi", "locks", "organization", "phoenix-release", "dev");
        const first = spawn(FAKE, ["up", "--yes", "--stack", "dev"], {
            cwd: workA,
            env: env({ FAKE_PULUMI_UP_DELAY_MS: "2500" }),
            stdio: "ignore",
        });
        const firstDone = new Promise<number | null>((r) => first.on("exit", r));
        for (let i = 0; i < 100 && !(fs.existsSync(lockDir) && fs.readdirSync(lockDir).length); i++)
            await new Promise((r) => setTimeout(r, 50));
        const [lockFile] = fs.readdirSync(lockDir);
        assert.match(lockFile, /^[0-9a-f-]{36}\.json$/);
        const lock = JSON.parse(fs.readFileSync(path.join(lockDir, lockFile), "utf8")) as { pid: number };
        assert.equal(lock.pid, first.pid);
        const second = pulumi(workB, ["up", "--yes", "--stack", "dev"]);
        assert.equal(second.code, 255);
        assert.equal(
            second.stderr.split("\n")[0],
            "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.",
        );
        assert.match(
            second.stderr.split("\n")[1],
            new RegExp(
                `^  file://${backend.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/\\.pulumi/locks/organization/phoenix-release/dev/${lockFile.replace(".", "\\.")}: created by \\S+@\\S+ \\(pid ${first.pid}\\) at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ$`,
            ),
        );
        assert.equal(await firstDone, 0);
        assert.deepEqual(fs.readdirSync(lockDir), []);
        assert.equal(fs.readdirSync(historyDir()).filter((f) => f.endsWith(".history.json")).length, 1, "only the first update happened");
        ok(pulumi(workB, ["up", "--yes", "--stack", "dev"]));
    });

    it("refuses as the CLI does: an unknown stack, an existing stack, required config missing, no backend, no passphrase", () => {
        assert.deepEqual([pulumi(workA, ["stack", "select", "--stack", "prod"]).stderr], ["error: no stack named 'prod' found\n"]);
        assert.equal(pulumi(workA, ["stack", "init", "dev"]).stderr, "error: stack 'organization/phoenix-release/dev' already exists\n");
        fs.writeFileSync(path.join(workB, "Pulumi.dev.yaml"), YAML.stringify({ config: { "phoenix-release:state": STATE } }));
        assert.equal(
            pulumi(workB, ["up", "--yes", "--stack", "dev"]).stderr,
            "error: Stack 'dev' is missing configuration value 'platformStack'\n",
        );
        assert.equal(
            spawnSync(FAKE, ["config", "--json", "--stack", "dev"], {
                cwd: workA,
                env: { ...process.env, PULUMI_BACKEND_URL: "" },
                encoding: "utf8",
            }).stderr,
            "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
        );
        const noPhrase = { ...env() } as Record<string, string | undefined>;
        delete noPhrase.PULUMI_CONFIG_PASSPHRASE;
        delete noPhrase.PULUMI_CONFIG_PASSPHRASE_FILE;
        const r = spawnSync(FAKE, ["up", "--yes", "--stack", "dev"], { cwd: workA, env: noPhrase, encoding: "utf8" });
        assert.equal(
            r.stderr,
            "error: passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables\n",
        );
    });
});
