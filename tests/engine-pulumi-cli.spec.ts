/**
 * The Pulumi backend through the real `@pulumi/pulumi/automation` library, against a stand-in `pulumi`
 * executable on PATH (tests/support/fake-pulumi/pulumi) that records every command line and keeps the
 * stack's config where the real CLI does (the release stack folder's Pulumi.dev.yaml) and the rest in a
 * file:// backend. Proves: the right stack, the policy pack on every `up`, no secret value in any
 * argument (the library's own setAllConfig would put `--secret key=value` in argv; secrets go on stdin)
 * nor in plain text in the settings file or the backend, JSON engine events read, history from
 * `stack history --json`, and the engine's answer to the CLI's failures: a stack locked by a running
 * update or a conflicting update → exit 3; a missing plugin or a missing CLI → one line, exit 2.
 * The slots' pods come from a loopback Kubernetes API stand-in through the stack's secret kubeconfig
 * output (tests/support/kube-api-fake.ts), as the last update's Helm releases left them.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { PulumiBackend } from "../release-engine/src/backends/pulumi/pulumi-backend";
import { createAutomationStack } from "../release-engine/src/backends/pulumi/pulumi-automation";
import { main } from "../release-engine/src/cli/main";
import { runIntent, type EngineDeps } from "../release-engine/src/engine/engine";
import { describeSlots, nextRecordDocument } from "../release-engine/src/record-store/record-document";
import { KEY_PREVIEW, KEY_STATE, validateReleaseState } from "@phoenix/release-model";
import { createReporter } from "../release-engine/src/engine/reporter";
import { loadConfig } from "../release-engine/src/settings/config";
import { startAzurite, type Azurite } from "./support/azurite";
import { newTestStore, type TestStore } from "./support/blob-record-store";
import { kubeconfigFor, readyPodsFor, startKubeApiFake, type KubeApiFake } from "./support/kube-api-fake";
import { checkpointOutputs } from "./support/release-endpoint";

const FAKE_BIN = path.join(__dirname, "support", "fake-pulumi");
const RELEASE_PROJECT_FILE = path.join(__dirname, "..", "stacks", "release", "Pulumi.yaml");
const SECRET = "s3cr3t-preview-value-0123456789";
const KUBE_TOKEN = "kube-token-0ddba11";
const CONNECTION = "InstrumentationKey=00000000-1111;IngestionEndpoint=https://x";
const blueLive = { slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } };

interface Call {
    argv: string[];
    stdinBytes?: number;
}

describe("engine (Pulumi backend): the real Automation API against a stand-in pulumi CLI", function () {
    this.timeout(60000);
    /** The file:// backend (the stand-in's calls.jsonl and fail-up beside its .pulumi/). */
    let dir: string;
    /** The release stack's folder: Pulumi.yaml and the stack's settings file Pulumi.dev.yaml. */
    let work: string;
    let server: http.Server;
    let az: Azurite;
    let records: TestStore;
    let kube: KubeApiFake;
    const ENV_KEYS = [
        "PATH",
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
        "FAKE_PULUMI_PUBLIC_URL",
        "FAKE_PULUMI_KUBECONFIG",
    ] as const;
    const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
    const restore = (k: (typeof ENV_KEYS)[number]) => {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
    };
    const calls = (): Call[] =>
        fs
            .readFileSync(path.join(dir, "calls.jsonl"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Call);
    const settingsText = () => fs.readFileSync(path.join(work, "Pulumi.dev.yaml"), "utf8");
    /** The stack's config as the settings file holds it: plain values, secrets as `{ secure }`. */
    const stackConfig = () => (YAML.parse(settingsText()) as { config?: Record<string, unknown> }).config ?? {};
    /** Every file of the backend, concatenated (to prove no secret reached it in plain text). */
    const backendText = (): string => {
        const walk = (d: string): string[] =>
            fs
                .readdirSync(d, { withFileTypes: true })
                .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
        return walk(dir)
            .map((f) => fs.readFileSync(f, "utf8"))
            .join("\n");
    };

    before(async () => {
        // Production answers as blue 1.0.0 (the engine's production check after an abort).
        server = http.createServer((req, res) => {
            req.resume();
            res.writeHead(200, { "x-app-slot": "blue", "x-app-version": "1.0.0", "content-type": "application/json" });
            res.end("{}");
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        process.env.FAKE_PULUMI_PUBLIC_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        az = await startAzurite();
        // The cluster's pods as the stand-in's last update deployed them, reached with the kubeconfig the stack outputs.
        kube = await startKubeApiFake(KUBE_TOKEN);
        kube.source = () => readyPodsFor(checkpointOutputs(dir, "phoenix-release", "dev").slots);
        process.env.FAKE_PULUMI_KUBECONFIG = kubeconfigFor(kube.url, kube.ca, KUBE_TOKEN);
    });
    beforeEach(async () => {
        records = await newTestStore(az);
        await records.store.write(
            nextRecordDocument(undefined, { state: validateReleaseState(blueLive) }, "earlier run", new Date()),
            await records.store.read(),
        );
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        work = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-work-"));
        // The release project as committed, and a settings file with the state (the stack is created by the library).
        fs.copyFileSync(RELEASE_PROJECT_FILE, path.join(work, "Pulumi.yaml"));
        fs.writeFileSync(
            path.join(work, "Pulumi.dev.yaml"),
            YAML.stringify({
                config: { "phoenix-release:platformStack": "organization/phoenix-platform/dev", [KEY_STATE]: JSON.stringify(blueLive) },
            }),
        );
        process.env.PULUMI_BACKEND_URL = `file://${dir}`;
        process.env.PULUMI_CONFIG_PASSPHRASE = "spec-passphrase";
        process.env.PATH = `${FAKE_BIN}${path.delimiter}${saved.PATH}`;
    });
    afterEach(() => {
        for (const k of ["PATH", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"] as const) restore(k);
        for (const d of [dir, work]) fs.rmSync(d, { recursive: true, force: true });
    });
    after(async () => {
        restore("FAKE_PULUMI_PUBLIC_URL");
        restore("FAKE_PULUMI_KUBECONFIG");
        await kube?.close();
        server.close();
        await az?.dispose();
    });

    const engine = (out: { text: string }) => {
        const backend = new PulumiBackend({
            env: "dev",
            workDir: work,
            stackName: "dev",
            factory: createAutomationStack,
            policyPacks: ["/repo/policy"],
            policyPackConfigs: ["/repo/policy/config/dev.json"],
            secretConfig: { appInsightsConnectionString: CONNECTION },
            store: records.store,
            holder: "spec",
        });
        const config = loadConfig("dev", { overrides: { production: { requests: 3, timeoutMs: 5000 } } });
        const deps: EngineDeps = {
            backend,
            config,
            reporter: createReporter({ write: (s) => (out.text += s), tfBuild: false }),
            actor: "alice@host",
        };
        return { backend, deps };
    };

    it("deploy and abort: the right stack, the policy pack on every up, secrets only on stdin, events read, history back", async () => {
        const out = { text: "" };
        const { backend, deps } = engine(out);
        kube.requests = [];
        const d = await runIntent(deps, { kind: "deploy", version: "1.1.0", previewHeaderValue: SECRET });
        assert.equal(d.exitCode, 0, out.text);
        assert.match(out.text, /restart baseline of candidate 1\.1\.0 in green: 0/);
        assert.ok(
            kube.requests.some((r) => r.url.startsWith("/api/v1/namespaces/green-calculator/pods?")),
            "the candidate's pods were read through the stack's kubeconfig output",
        );
        // The candidate's config is in the working directory's settings file, the secrets encrypted.
        const deployed = stackConfig();
        assert.equal((JSON.parse(String(deployed[KEY_STATE])) as { slots: { green: { version?: string } } }).slots.green.version, "1.1.0");
        assert.match(String((deployed[KEY_PREVIEW] as { secure?: string }).secure), /^v1:/, "the preview value is a secure value");
        assert.ok(
            !settingsText().includes(SECRET) && !settingsText().includes("InstrumentationKey"),
            "a secret in plain text in Pulumi.dev.yaml",
        );
        const a = await runIntent(deps, { kind: "abort" });
        assert.equal(a.exitCode, 0, out.text);
        const all = calls();
        assert.deepEqual(all[0].argv, ["version"]);
        assert.deepEqual(all[1].argv.slice(0, 4), ["stack", "select", "--stack", "dev"]);
        const ups = all.filter((c) => c.argv[0] === "up");
        assert.equal(ups.length, 2, all.map((c) => c.argv.join(" ")).join("\n") + out.text);
        for (const u of ups) {
            assert.deepEqual(
                [u.argv.indexOf("--policy-pack") > 0, u.argv[u.argv.indexOf("--policy-pack") + 1]],
                [true, "/repo/policy"],
                u.argv.join(" "),
            );
            assert.equal(u.argv[u.argv.indexOf("--policy-pack-config") + 1], "/repo/policy/config/dev.json");
            assert.equal(u.argv[u.argv.indexOf("--stack") + 1], "dev");
            assert.ok(u.argv.includes("--event-log"), "JSON engine events are requested");
        }
        assert.match(ups[0].argv[ups[0].argv.indexOf("--message") + 1], /^phoenix deploy 1\.1\.0: deploy-candidate \(by alice@host\)$/);
        for (const c of all) {
            const line = c.argv.join(" ");
            assert.ok(!line.includes(SECRET) && !line.includes("InstrumentationKey"), `a secret value reached argv: pulumi ${line}`);
        }
        const secretSets = all.filter((c) => c.argv[0] === "config" && c.argv[1] === "set" && c.argv.includes("--secret"));
        assert.ok(
            secretSets.some((c) => c.argv.includes(KEY_PREVIEW) && c.stdinBytes === SECRET.length),
            "the preview value went in on stdin",
        );
        assert.ok(
            secretSets.some((c) => c.argv.includes("phoenix-release:appInsightsConnectionString") && c.stdinBytes === CONNECTION.length),
        );
        assert.ok(!all.some((c) => c.argv.includes("set-all") && c.argv.includes("--secret")), "no secret through set-all");
        assert.match(
            out.text,
            /\| warning: fake-policy: advisory note from the stand-in policy pack/,
            "the up's JSON engine events were read",
        );
        assert.match(out.text, /slot-ready: helm release green-calculator reports 1\.1\.0 ×2/, "stack output --json read back");
        assert.ok(!out.text.includes(SECRET));
        const cfg = stackConfig();
        assert.equal(cfg[KEY_PREVIEW], undefined, "abort removed the preview value");
        assert.deepEqual(JSON.parse(String(cfg[KEY_STATE])), blueLive);
        assert.ok(
            !backendText().includes(SECRET) && !backendText().includes("InstrumentationKey") && !backendText().includes(KUBE_TOKEN),
            "a secret in plain text in the backend",
        );
        assert.ok(!out.text.includes(KUBE_TOKEN), "the kubeconfig's token is never printed");
        const history = await backend.history();
        assert.deepEqual(
            history.map((h) => `${h.action} ${h.version ?? ""} ${h.outcome} ${h.liveAfter} by ${h.by}`),
            ["deploy 1.1.0 done blue 1.0.0 by alice@host", "abort 1.1.0 done blue 1.0.0 by alice@host"],
            "the runs, appended to the shared record's history",
        );
    });

    for (const [failure, exit, message] of [
        ["locked", 3, /another release is running in dev \(the stack is locked by another update/],
        ["conflict", 3, /another release is running in dev \(the stack is locked by another update/],
        ["plugin", 2, /^a Pulumi plugin is missing \(azure-native\): pulumi plugin install resource azure-native v3\.28\.0/],
    ] as const) {
        it(`the CLI's "${failure}" failure on up → exit ${exit}`, async () => {
            fs.writeFileSync(path.join(dir, "fail-up"), failure);
            const out = { text: "" };
            const { deps } = engine(out);
            const r = await runIntent(deps, { kind: "deploy", version: "1.1.0", previewHeaderValue: SECRET });
            assert.equal(r.exitCode, exit, out.text);
            assert.match(r.message ?? "", message);
            assert.equal(calls().filter((c) => c.argv[0] === "up").length, 1, "no recovery up after a failure that applied nothing");
            const stored = await records.store.read();
            assert.ok(stored.exists);
            assert.equal(
                describeSlots(stored.document.record.state),
                "blue live 1.0.0, green absent",
                "the record is back to what the stack applied",
            );
        });
    }

    it("an update already running on the stack (its lock in the backend) → exit 3, nothing applied", async () => {
        const fake = path.join(FAKE_BIN, "pulumi");
        await new Promise<void>((resolve, reject) =>
            spawn(fake, ["stack", "init", "dev"], { cwd: work, stdio: "ignore" }).on("exit", (c) =>
                c === 0 ? resolve() : reject(new Error(`stack init exit ${c}`)),
            ),
        );
        // Another process's `up`, kept running (while the hold file exists) so its lock stays in .pulumi/locks.
        const holdFile = path.join(dir, "hold-other-up");
        fs.writeFileSync(holdFile, "");
        const other = spawn(fake, ["up", "--yes", "--stack", "dev"], {
            cwd: work,
            env: { ...process.env, FAKE_PULUMI_UP_HOLD_FILE: holdFile },
            stdio: "ignore",
        });
        const otherDone = new Promise<number | null>((r) => other.on("exit", r));
        const lockDir = path.join(dir, ".pulumi", "locks", "organization", "phoenix-release", "dev");
        for (let i = 0; i < 100 && !(fs.existsSync(lockDir) && fs.readdirSync(lockDir).length > 0); i++)
            await new Promise((r) => setTimeout(r, 50));
        assert.equal(fs.readdirSync(lockDir).length, 1, "the other update holds the stack's lock");
        const out = { text: "" };
        const { deps } = engine(out);
        const r = await runIntent(deps, { kind: "deploy", version: "1.1.0", previewHeaderValue: SECRET }).finally(() =>
            fs.rmSync(holdFile),
        );
        assert.equal(r.exitCode, 3, out.text);
        assert.match(r.message ?? "", /another release is running in dev \(the stack is locked by another update/);
        assert.equal(await otherDone, 0);
        assert.deepEqual(fs.readdirSync(lockDir), [], "the other update released its lock");
        const history = await new PulumiBackend({
            env: "dev",
            workDir: work,
            stackName: "dev",
            factory: createAutomationStack,
            store: records.store,
        }).history();
        assert.deepEqual(history, [], "nothing was applied, so nothing was appended to the shared history");
        const stored = await records.store.read();
        assert.ok(stored.exists);
        assert.equal(
            describeSlots(stored.document.record.state),
            "blue live 1.0.0, green absent",
            "the shared record still says what is live",
        );
    });

    it("4. no pulumi CLI on PATH: one line saying what is missing and what to do, exit 2", async () => {
        process.env.PATH = path.join(dir, "empty-bin");
        let out = "";
        let err = "";
        const withStore = { openRecordStore: async () => records.store };
        const storeEnv = { PHOENIX_HOME: dir, PHOENIX_RECORD_STORE: "https://phxrecdev01.blob.core.windows.net/release-records" };
        const code = await main(
            ["status", "--backend", "pulumi"],
            storeEnv,
            (s) => (out += s),
            (s) => (err += s),
            withStore,
        );
        assert.equal(code, 2, err);
        assert.equal(
            err,
            "error: the pulumi CLI is not installed or not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) or use --backend local\n",
        );
        assert.equal(
            out,
            "environment dev (pulumi, router gateway-api): blue live 1.0.0 ×2; green absent\n",
            "the record comes from the shared store; only the stack's outputs need the CLI",
        );
        let json = "";
        assert.equal(
            await main(
                ["status", "--backend", "pulumi", "--json"],
                storeEnv,
                (s) => (json += s),
                () => undefined,
                withStore,
            ),
            2,
        );
        assert.deepEqual((({ outcome, exitCode }) => ({ outcome, exitCode }))(JSON.parse(json) as { outcome: string; exitCode: number }), {
            outcome: "environment",
            exitCode: 2,
        });
    });
});
