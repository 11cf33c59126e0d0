/**
 * The Azure DevOps release deployment job as the pipeline runs it (.azuredevops/templates/stages/
 * environment.yaml, a `runOnce` strategy: `deploy` → `routeTraffic` → `on: success` or `on: failure`;
 * docs/azure-devops.md): every hook is its own job, possibly on another agent, on a fresh copy of the
 * `phoenix` artifact. So here every hook is a separate OS process (`node release-engine/bin/phoenix-release.js
 * <command> … --env dev --backend pulumi`, as `npm run release --` runs it) in its own fresh copy of the
 * project (tests/support/project-copy.ts), each starting from the committed stacks/release/Pulumi.dev.yaml;
 * all of them share one Pulumi backend (the stand-in CLI's file:// backend), one release record store
 * (Azurite over HTTPS in its OAuth mode, reached as the pipeline reaches Azure Storage: DefaultAzureCredential
 * with the agent's managed identity, here tests/support/fake-managed-identity.ts) and one cluster endpoint
 * (tests/support/release-endpoint.ts, answering as the backend's last update routes).
 *
 * Without Azure: no `--vault` (the pipeline passes its Key Vault; without one the engine reads no
 * settings from it and configures no App Insights gate, which dev's release-engine/config/dev.json
 * does not either), so the HTTP gate alone judges the candidate.
 *
 * The outcome asserted is the pipeline's: what the backend's last update deployed, and what `status`
 * reports in yet another fresh copy.
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { adminContainer, startAzurite, type Azurite } from "./support/azurite";
import { startFakeManagedIdentity, type FakeManagedIdentity } from "./support/fake-managed-identity";
import { copyProject, ensureEngineBuilt, REPO_ROOT } from "./support/project-copy";
import { checkpointOutputs, startReleaseEndpoint, type ReleaseEndpoint } from "./support/release-endpoint";
import { throwawayCertificate } from "./support/throwaway-tls";

const FAKE_BIN = path.join(__dirname, "support", "fake-pulumi");
const PROJECT = "phoenix-release";
const STACK = "dev";
const LIVE = "1.0.0"; // the committed stacks/release/Pulumi.dev.yaml: blue live 1.0.0
const RELEASE = "1.1.0";

interface SlotState {
    role: string;
    version?: string;
}
interface HookRun {
    hook: string;
    command: string;
    exitCode: number | null;
    stdout: string;
    stderr: string;
    copyMs: number;
}

/**
 * The environment of every hook's process: what the pipeline's engine step (templates/steps/engine.yaml)
 * gives the CLI, with the stand-ins for what an agent has. The one place to add settings every hook needs.
 */
function hookEnv(opts: { backendDir: string; endpointUrl: string; agentTemp: string; store: RecordStoreAccess }): NodeJS.ProcessEnv {
    return {
        PATH: `${FAKE_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
        HOME: os.homedir(),
        // templates/steps/engine.yaml: the Pulumi backend and its passphrase (the pipeline's variables).
        PULUMI_BACKEND_URL: `file://${opts.backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: "pipeline-passphrase",
        // An agent: the run's id (the engine's lock holder and history actor) and its temp folder (the summary).
        TF_BUILD: "True",
        BUILD_BUILDID: "4711",
        BUILD_BUILDNUMBER: "20261204.1",
        BUILD_DEFINITIONNAME: "calculator_build_deploy",
        AGENT_TEMPDIRECTORY: opts.agentTemp,
        RELEASE_VERSION: RELEASE,
        PHOENIX_ENV: STACK,
        // The stand-in's cluster: the platform's public URL the release stack outputs.
        FAKE_PULUMI_PUBLIC_URL: opts.endpointUrl,
        // The shared release record (in Azure: the platform's storage account, named in Key Vault; here the
        // URL the pipeline may also set) and the agent's identity; the emulator's throwaway certificate trusted.
        PHOENIX_RECORD_STORE: opts.store.url,
        NODE_EXTRA_CA_CERTS: opts.store.caFile,
        ...opts.store.identity,
    };
}

/** Where the hooks find the shared record store and how they sign in to it. */
interface RecordStoreAccess {
    url: string;
    caFile: string;
    identity: FakeManagedIdentity["env"];
}

/** The release state the backend's last update deployed (the config it recorded), and its outputs' slots. */
function lastUpdate(backendDir: string): { message: string; slots: Record<string, SlotState> } {
    const dir = path.join(backendDir, ".pulumi", "history", PROJECT, STACK);
    const files = fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".history.json"))
        .sort();
    const u = JSON.parse(fs.readFileSync(path.join(dir, files[files.length - 1]), "utf8")) as { message: string; config: Record<string, unknown> };
    const state = JSON.parse(String(u.config[`${PROJECT}:state`])) as { slots: Record<string, SlotState> };
    return { message: u.message, slots: state.slots };
}

const describe_ = (slots: Record<string, SlotState>) =>
    Object.entries(slots)
        .map(([s, v]) => `${s} ${v.role}${v.version ? ` ${v.version}` : ""}`)
        .join(", ");
const liveOf = (slots: Record<string, SlotState>) => Object.values(slots).find((s) => s.role === "live")?.version;
const candidatesOf = (slots: Record<string, SlotState>) => Object.values(slots).filter((s) => s.role === "candidate").map((s) => s.version);

describe("pipeline hooks: each Azure DevOps release hook a separate process in its own fresh copy of the project, one Pulumi backend", function () {
    this.timeout(300000);
    let backendDir: string;
    let endpoint: ReleaseEndpoint;
    let azurite: Azurite;
    let identity: FakeManagedIdentity;
    let tls: { cert: string; key: string };
    let caFile: string;
    let store: RecordStoreAccess;
    let container: string;
    let containers = 0;

    /** The shared record's history, read behind the engine's back: one line per run. */
    async function storeHistory(): Promise<string[]> {
        const client = adminContainer(azurite, container, tls.cert);
        for await (const blob of client.listBlobsFlat()) {
            if (!blob.name.endsWith("/history.jsonl")) continue;
            const text = (await client.getBlobClient(blob.name).downloadToBuffer()).toString("utf8");
            return text
                .split("\n")
                .filter((l) => l.trim() !== "")
                .map((l) => JSON.parse(l) as { action: string; version?: string; outcome: string; by?: string })
                .map((e) => `${e.action}${e.version ? ` ${e.version}` : ""} ${e.outcome} by ${e.by ?? "?"}`);
        }
        return [];
    }
    const copyTimes: number[] = [];
    let files = 0;

    /** Runs one engine command as a hook does: a fresh copy, `node release-engine/bin/phoenix-release.js …`, then the copy is gone. */
    async function hook(name: string, command: string, args: string[] = []): Promise<HookRun> {
        const copy = copyProject();
        copyTimes.push(copy.copyMs);
        files = copy.files;
        const agentTemp = path.join(copy.dir, ".agent-temp");
        fs.mkdirSync(agentTemp);
        try {
            const child = spawn(process.execPath, [path.join("release-engine", "bin", "phoenix-release.js"), command, ...args, "--env", STACK, "--backend", "pulumi"], {
                cwd: copy.dir,
                env: hookEnv({ backendDir, endpointUrl: endpoint.url, agentTemp, store }),
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stdout = "";
            let stderr = "";
            child.stdout.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
            child.stderr.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
            const exitCode = await new Promise<number | null>((resolve, reject) => {
                child.on("error", reject);
                child.on("close", (code) => resolve(code));
            });
            return { hook: name, command: [command, ...args].join(" "), exitCode, stdout, stderr, copyMs: copy.copyMs };
        } finally {
            copy.remove();
        }
    }

    /**
     * The deployment job's lifecycle (runOnce): `deploy`; `routeTraffic` only after it succeeded; then
     * `on: success` (promote) when both succeeded, else `on: failure` (rollback of this run's version).
     */
    async function deploymentJob(between: { afterDeploy?: () => void } = {}): Promise<HookRun[]> {
        const runs = [await hook("deploy", "deploy", [RELEASE])];
        between.afterDeploy?.();
        if (runs[0].exitCode === 0) runs.push(await hook("routeTraffic", "verify"));
        const ok = runs.every((r) => r.exitCode === 0);
        runs.push(ok ? await hook("on: success", "promote") : await hook("on: failure", "rollback", [RELEASE]));
        return runs;
    }

    const report = (runs: HookRun[]) => runs.map((r) => `${r.hook} (${r.command}): exit ${r.exitCode}`).join("; ");
    const transcript = (runs: HookRun[]) => runs.map((r) => `--- ${r.hook}: ${r.command} (exit ${r.exitCode})\n${r.stdout}${r.stderr}`).join("\n");

    before(async () => {
        ensureEngineBuilt(REPO_ROOT);
        endpoint = await startReleaseEndpoint(() => checkpointOutputs(backendDir, PROJECT, STACK));
        tls = throwawayCertificate();
        azurite = await startAzurite({ tls });
        caFile = path.join(azurite.location, "ca.pem");
        fs.writeFileSync(caFile, tls.cert);
        identity = await startFakeManagedIdentity();
    });
    after(async () => {
        await endpoint.close();
        await azurite?.dispose();
        await identity?.close();
        if (copyTimes.length) {
            const sorted = [...copyTimes].sort((a, b) => a - b);
            console.log(`      project copies: ${copyTimes.length} of ${files} tracked files; ms each: min ${sorted[0].toFixed(0)}, median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)}`);
        }
    });
    beforeEach(async () => {
        backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-backend-"));
        endpoint.broken.clear();
        // Each test its own container: a new, empty record store.
        container = `records-${++containers}`;
        await adminContainer(azurite, container, tls.cert).create();
        store = { url: `${azurite.accountUrl}/${container}`, caFile, identity: identity.env };
        // The environment as the previous run left it: the committed state (blue live 1.0.0) deployed,
        // by `pulumi up` of the release stack from a copy of its own (before the shared record existed).
        const copy = copyProject();
        try {
            const env = hookEnv({ backendDir, endpointUrl: endpoint.url, agentTemp: copy.dir, store });
            for (const args of [["stack", "init", STACK], ["up", "--yes", "--skip-preview", "--stack", STACK, "--message", `phoenix release ${LIVE}: switch (by the previous run)`]]) {
                const code = await new Promise<number | null>((resolve) => spawn(path.join(FAKE_BIN, "pulumi"), args, { cwd: path.join(copy.dir, "stacks", "release"), env, stdio: "ignore" }).on("close", resolve));
                assert.equal(code, 0, `seeding the backend: pulumi ${args.join(" ")}`);
            }
        } finally {
            copy.remove();
        }
        assert.equal(liveOf(lastUpdate(backendDir).slots), LIVE);
        // Moving the environment over (docs/release-engine.md): the record that lives in the committed
        // Pulumi.dev.yaml is imported into the shared store once, by a job of its own.
        const imported = await hook("import", "import-record");
        assert.equal(imported.exitCode, 0, transcript([imported]));
    });
    const checkoutSettings = path.join(REPO_ROOT, "stacks", "release", "Pulumi.dev.yaml");
    const committedSettings = fs.readFileSync(checkoutSettings, "utf8");
    afterEach(() => {
        fs.rmSync(backendDir, { recursive: true, force: true });
        assert.equal(fs.readFileSync(checkoutSettings, "utf8"), committedSettings, "a hook wrote into the checkout's stacks/release/Pulumi.dev.yaml instead of its copy's");
    });

    it(`deploy ${RELEASE} → verify → promote: ${RELEASE} is live in the backend's last update, and status in another fresh copy says so`, async () => {
        const runs = await deploymentJob();
        assert.deepEqual(
            runs.map((r) => `${r.hook}: ${r.command} → exit ${r.exitCode}`),
            [`deploy: deploy ${RELEASE} → exit 0`, "routeTraffic: verify → exit 0", "on: success: promote → exit 0"],
            `${report(runs)}\n${transcript(runs)}`,
        );
        const last = lastUpdate(backendDir);
        assert.equal(liveOf(last.slots), RELEASE, `the backend's last update deployed ${describe_(last.slots)} (${last.message})`);
        assert.deepEqual(candidatesOf(last.slots), [], `no candidate after promote: ${describe_(last.slots)}`);
        const status = await hook("status", "status", ["--json"]);
        assert.equal(status.exitCode, 0, transcript([status]));
        const shown = JSON.parse(status.stdout) as { record?: { state?: { slots: Record<string, SlotState> } | null; operation?: unknown } };
        const slots = shown.record?.state?.slots ?? {};
        assert.equal(liveOf(slots), RELEASE, `status in a fresh copy reports ${describe_(slots)}`);
        assert.equal(shown.record?.operation, undefined, "status: nothing pending");
        const by = "by Azure DevOps calculator_build_deploy run 20261204.1";
        assert.deepEqual(await storeHistory(), ["import done", `deploy ${RELEASE} done`, `verify ${RELEASE} done`, `promote ${RELEASE} done`].map((h) => `${h} ${by}`), "every hook's run in the shared history");
        assert.ok(identity.issued() >= runs.length + 2, `each hook's process signed in with the agent's identity (${identity.issued()} tokens for ${runs.length + 2} processes)`);
    });

    it(`deploy ${RELEASE} → a failing verify → rollback ${RELEASE}: ${LIVE} is live again and no candidate remains`, async () => {
        // The candidate is up after deploy and then fails every request of verify's gate.
        const runs = await deploymentJob({ afterDeploy: () => endpoint.broken.add(RELEASE) });
        assert.deepEqual(
            runs.map((r) => `${r.hook}: ${r.command} → exit ${r.exitCode}`),
            [`deploy: deploy ${RELEASE} → exit 0`, "routeTraffic: verify → exit 1", `on: failure: rollback ${RELEASE} → exit 0`],
            `${report(runs)}\n${transcript(runs)}`,
        );
        assert.match(runs[1].stdout + runs[1].stderr, new RegExp(`candidate ${RELEASE.replace(/\./g, "\\.")} rejected by the http gate`), "verify failed on the gate, not on a missing record");
        const last = lastUpdate(backendDir);
        assert.equal(liveOf(last.slots), LIVE, `the backend's last update deployed ${describe_(last.slots)} (${last.message})`);
        assert.deepEqual(candidatesOf(last.slots), [], `no candidate remains: ${describe_(last.slots)}`);
        const status = await hook("status", "status", ["--json"]);
        assert.equal(status.exitCode, 0, transcript([status]));
        const shown = JSON.parse(status.stdout) as { record?: { state?: { slots: Record<string, SlotState> } | null; operation?: unknown } };
        const slots = shown.record?.state?.slots ?? {};
        assert.equal(liveOf(slots), LIVE, `status in a fresh copy reports ${describe_(slots)}`);
        assert.deepEqual(candidatesOf(slots), [], `status: no candidate (${describe_(slots)})`);
    });
});
