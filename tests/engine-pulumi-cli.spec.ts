/**
 * The Pulumi backend through the real `@pulumi/pulumi/automation` library, against a stand-in `pulumi`
 * executable on PATH (tests/support/fake-pulumi/pulumi) that records every command line. Proves: the
 * right stack, the policy pack on every `up`, no secret value in any argument (the library's own
 * setAllConfig would put `--secret key=value` in argv; secrets go on stdin), JSON engine events read,
 * history from `stack history --json`, and the engine's answer to the CLI's failures: a locked stack
 * or a conflicting update → exit 3; a missing plugin or a missing CLI → one line, exit 2.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { KEY_PREVIEW, KEY_STATE, PulumiBackend } from "../release-engine/src/backends/pulumi/pulumi-backend";
import { main } from "../release-engine/src/cli/main";
import { runIntent, type EngineDeps } from "../release-engine/src/engine/engine";
import { nextRecordDocument } from "../release-engine/src/record-store/record-document";
import { validateReleaseState } from "@phoenix/release-model";
import { createReporter } from "../release-engine/src/engine/reporter";
import { loadConfig } from "../release-engine/src/settings/config";
import { startAzurite, type Azurite } from "./support/azurite";
import { newTestStore, type TestStore } from "./support/blob-record-store";

const FAKE_BIN = path.join(__dirname, "support", "fake-pulumi");
const SECRET = "s3cr3t-preview-value-0123456789";
const CONNECTION = "InstrumentationKey=00000000-1111;IngestionEndpoint=https://x";
const blueLive = { slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } };

interface Call {
    argv: string[];
    stdinBytes?: number;
}

describe("engine (Pulumi backend): the real Automation API against a stand-in pulumi CLI", function () {
    this.timeout(60000);
    let dir: string;
    let work: string;
    let server: http.Server;
    let az: Azurite;
    let records: TestStore;
    const saved = { PATH: process.env.PATH, FAKE_PULUMI_DIR: process.env.FAKE_PULUMI_DIR, FAKE_PULUMI_PUBLIC_URL: process.env.FAKE_PULUMI_PUBLIC_URL };
    const calls = (): Call[] =>
        fs
            .readFileSync(path.join(dir, "calls.jsonl"), "utf8")
            .trim()
            .split("\n")
            .map((l) => JSON.parse(l) as Call);
    const stackConfig = () => (JSON.parse(fs.readFileSync(path.join(dir, "stacks.json"), "utf8")) as Record<string, { config: Record<string, { value: string; secret: boolean }> }>).dev.config;

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
    });
    beforeEach(async () => {
        records = await newTestStore(az);
        await records.store.write(nextRecordDocument(undefined, { state: validateReleaseState(blueLive) }, "earlier run", new Date()), await records.store.read());
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-"));
        work = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-work-"));
        fs.writeFileSync(path.join(work, "Pulumi.yaml"), "name: phoenix-release\nruntime: nodejs\n");
        fs.writeFileSync(path.join(dir, "stacks.json"), JSON.stringify({ dev: { config: { [KEY_STATE]: { value: JSON.stringify(blueLive), secret: false } }, outputs: {}, history: [] } }));
        process.env.FAKE_PULUMI_DIR = dir;
        process.env.PATH = `${FAKE_BIN}${path.delimiter}${saved.PATH}`;
    });
    afterEach(() => {
        process.env.PATH = saved.PATH;
        process.env.FAKE_PULUMI_DIR = saved.FAKE_PULUMI_DIR;
        for (const d of [dir, work]) fs.rmSync(d, { recursive: true, force: true });
    });
    after(async () => {
        process.env.FAKE_PULUMI_PUBLIC_URL = saved.FAKE_PULUMI_PUBLIC_URL;
        server.close();
        await az?.dispose();
    });

    const engine = (out: { text: string }) => {
        const backend = new PulumiBackend({
            env: "dev",
            workDir: work,
            stackName: "dev",
            policyPacks: ["/repo/policy"],
            policyPackConfigs: ["/repo/policy/config/dev.json"],
            secretConfig: { appInsightsConnectionString: CONNECTION },
            store: records.store,
            holder: "spec",
        });
        const config = loadConfig("dev", { overrides: { production: { requests: 3, timeoutMs: 5000 } } });
        const deps: EngineDeps = { backend, config, reporter: createReporter({ write: (s) => (out.text += s), tfBuild: false }), actor: "alice@host" };
        return { backend, deps };
    };

    it("deploy and abort: the right stack, the policy pack on every up, secrets only on stdin, events read, history back", async () => {
        const out = { text: "" };
        const { backend, deps } = engine(out);
        const d = await runIntent(deps, { kind: "deploy", version: "1.1.0", previewHeaderValue: SECRET });
        assert.equal(d.exitCode, 0, out.text);
        const a = await runIntent(deps, { kind: "abort" });
        assert.equal(a.exitCode, 0, out.text);
        const all = calls();
        assert.deepEqual(all[0].argv, ["version"]);
        assert.deepEqual(all[1].argv.slice(0, 4), ["stack", "select", "--stack", "dev"]);
        const ups = all.filter((c) => c.argv[0] === "up");
        assert.equal(ups.length, 2, all.map((c) => c.argv.join(" ")).join("\n") + out.text);
        for (const u of ups) {
            assert.deepEqual([u.argv.indexOf("--policy-pack") > 0, u.argv[u.argv.indexOf("--policy-pack") + 1]], [true, "/repo/policy"], u.argv.join(" "));
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
        assert.ok(secretSets.some((c) => c.argv.includes(KEY_PREVIEW) && c.stdinBytes === SECRET.length), "the preview value went in on stdin");
        assert.ok(secretSets.some((c) => c.argv.includes("phoenix-release:appInsightsConnectionString") && c.stdinBytes === CONNECTION.length));
        assert.ok(!all.some((c) => c.argv.includes("set-all") && c.argv.includes("--secret")), "no secret through set-all");
        assert.match(out.text, /\| warning: fake-policy: advisory note from the stand-in policy pack/, "the up's JSON engine events were read");
        assert.match(out.text, /slot-ready: helm release green-calculator reports 1\.1\.0 ×2/, "stack output --json read back");
        assert.ok(!out.text.includes(SECRET));
        const cfg = stackConfig();
        assert.equal(cfg[KEY_PREVIEW], undefined, "abort removed the preview value");
        assert.deepEqual(JSON.parse(cfg[KEY_STATE].value), blueLive);
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
        });
    }

    it("4. no pulumi CLI on PATH: one line saying what is missing and what to do, exit 2", async () => {
        process.env.PATH = path.join(dir, "empty-bin");
        let out = "";
        let err = "";
        const withStore = { openRecordStore: async () => records.store };
        const storeEnv = { PHOENIX_HOME: dir, PHOENIX_RECORD_STORE: "https://phxrecdev01.blob.core.windows.net/release-records" };
        const code = await main(["status", "--backend", "pulumi"], storeEnv, (s) => (out += s), (s) => (err += s), withStore);
        assert.equal(code, 2, err);
        assert.equal(err, "error: the pulumi CLI is not installed or not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) or use --backend local\n");
        assert.equal(out, "environment dev (pulumi, router gateway-api): blue live 1.0.0 ×2; green absent\n", "the record comes from the shared store; only the stack's outputs need the CLI");
        let json = "";
        assert.equal(await main(["status", "--backend", "pulumi", "--json"], storeEnv, (s) => (json += s), () => undefined, withStore), 2);
        assert.deepEqual((({ outcome, exitCode }) => ({ outcome, exitCode }))(JSON.parse(json) as { outcome: string; exitCode: number }), { outcome: "environment", exitCode: 2 });
    });
});
