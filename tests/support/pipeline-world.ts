/**
 * What an Azure DevOps release job's hooks share, for specs that run the engine as the pipeline does
 * (.azuredevops/templates/stages/environment.yaml, docs/azure-devops.md): every hook is its own OS process
 * (`node release-engine/bin/phoenix-release.js <command> … --env dev --backend pulumi`, as `npm run
 * release --` runs it) in its own fresh copy of the project (tests/support/project-copy.ts), each starting
 * from the committed stacks/release/Pulumi.dev.yaml. They share:
 * - one Pulumi backend (the stand-in CLI's file:// backend, tests/support/fake-pulumi);
 * - one release record store: Azurite over HTTPS in its OAuth mode, reached as the pipeline reaches Azure
 *   Storage (DefaultAzureCredential with the agent's managed identity, tests/support/fake-managed-identity.ts,
 *   the emulator's throwaway certificate trusted through NODE_EXTRA_CA_CERTS);
 * - one cluster endpoint (tests/support/release-endpoint.ts, answering as the backend's last update routes);
 * - one Kubernetes API (tests/support/kube-api-fake.ts) whose pods are the last update's Helm releases, all
 *   ready, reached with the kubeconfig the release stack outputs as a secret (the engine's slot health).
 *
 * Without Azure: no `--vault` (the pipeline passes its Key Vault; without one the engine reads no
 * settings from it and configures no App Insights gate, which dev's release-engine/config/dev.json does
 * not either), so the HTTP gate alone judges the candidate; the store's URL comes from PHOENIX_RECORD_STORE.
 */
import { strict as assert } from "assert";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { adminContainer, startAzurite, type Azurite } from "./azurite";
import { startFakeManagedIdentity, type FakeManagedIdentity } from "./fake-managed-identity";
import { kubeconfigFor, readyPodsFor, startKubeApiFake, type KubeApiFake } from "./kube-api-fake";
import { copyProject, ensureEngineBuilt, REPO_ROOT } from "./project-copy";
import { checkpointOutputs, startReleaseEndpoint, type ReleaseEndpoint } from "./release-endpoint";
import { throwawayCertificate } from "./throwaway-tls";

export const FAKE_BIN = path.join(__dirname, "fake-pulumi");
export const PROJECT = "phoenix-release";
export const STACK = "dev";
/** The committed stacks/release/Pulumi.dev.yaml: blue live 1.0.0. */
export const COMMITTED_LIVE = "1.0.0";

export interface SlotState {
    role: string;
    version?: string;
}

export interface HookRun {
    hook: string;
    command: string;
    exitCode: number | null;
    /** The signal that ended it (SIGKILL for a killed holder), else null. */
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    copyMs: number;
}

/** A hook still running: its process (in a process group of its own) and its outcome once it ends. */
export interface RunningHook {
    child: ChildProcess;
    /** Everything it printed so far. */
    output(): string;
    done: Promise<HookRun>;
    /** `kill -9` of the hook's whole process group (the engine and any pulumi it started), as an agent dying does. */
    kill9(): void;
}

export interface HookOptions {
    /** Variables on top of the pipeline's (a second pipeline's build, a stand-in's delay). */
    env?: NodeJS.ProcessEnv;
}

/** Where the hooks find the shared record store and how they sign in to it. */
interface RecordStoreAccess {
    url: string;
    caFile: string;
    identity: FakeManagedIdentity["env"];
}

/**
 * The environment of every hook's process: what the pipeline's engine step (templates/steps/engine.yaml)
 * gives the CLI, with the stand-ins for what an agent has.
 */
function hookEnv(opts: {
    backendDir: string;
    endpointUrl: string;
    kubeconfig: string;
    agentTemp: string;
    store: RecordStoreAccess;
}): NodeJS.ProcessEnv {
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
        PHOENIX_ENV: STACK,
        // The stand-in's cluster: the platform's public URL the release stack outputs.
        FAKE_PULUMI_PUBLIC_URL: opts.endpointUrl,
        // The platform's kubeconfig, which the release stack re-exports (secret output kubeconfig).
        FAKE_PULUMI_KUBECONFIG: opts.kubeconfig,
        // The shared release record (in Azure: the platform's storage account, named in Key Vault; here the
        // URL the pipeline may also set) and the agent's identity; the emulator's throwaway certificate trusted.
        PHOENIX_RECORD_STORE: opts.store.url,
        NODE_EXTRA_CA_CERTS: opts.store.caFile,
        ...opts.store.identity,
    };
}

export const describeSlots = (slots: Record<string, SlotState>): string =>
    Object.entries(slots)
        .map(([s, v]) => `${s} ${v.role}${v.version ? ` ${v.version}` : ""}`)
        .join(", ");
export const liveOf = (slots: Record<string, SlotState>): string | undefined =>
    Object.values(slots).find((s) => s.role === "live")?.version;
export const candidatesOf = (slots: Record<string, SlotState>): (string | undefined)[] =>
    Object.values(slots)
        .filter((s) => s.role === "candidate")
        .map((s) => s.version);
export const report = (runs: HookRun[]): string => runs.map((r) => `${r.hook} (${r.command}): exit ${r.exitCode}`).join("; ");
export const transcript = (runs: HookRun[]): string =>
    runs.map((r) => `--- ${r.hook}: ${r.command} (exit ${r.exitCode ?? r.signal})\n${r.stdout}${r.stderr}`).join("\n");

export interface PipelineWorld {
    endpoint: ReleaseEndpoint;
    azurite: Azurite;
    identity: FakeManagedIdentity;
    /** The Pulumi backend's folder of the current environment. */
    backendDir(): string;
    /**
     * A new environment as the previous run left it: a new backend with the committed state (blue live
     * 1.0.0) deployed by `pulumi up` of the release stack from a copy of its own, a new empty record
     * container, and the record imported into it once by an `import-record` job (docs/release-engine.md).
     */
    newEnvironment(): Promise<void>;
    /** Removes the current environment's backend. */
    dropEnvironment(): void;
    /** Starts one engine command as a hook does: a fresh copy, the CLI, then the copy is gone. */
    startHook(name: string, command: string, args?: string[], opts?: HookOptions): RunningHook;
    hook(name: string, command: string, args?: string[], opts?: HookOptions): Promise<HookRun>;
    /** The release state the backend's last update deployed (the config it recorded), and its message. */
    lastUpdate(): { message: string; slots: Record<string, SlotState> };
    /** The shared record's history, read behind the engine's back: `<action> [version] <outcome> by <who>` per run. */
    storeHistory(): Promise<string[]>;
    /** A client for the current record container, signed with the emulator's key (to read or corrupt blobs). */
    admin(): import("@azure/storage-blob").ContainerClient;
    /** The blob name of the current environment's `name` (record.json, lock, …). */
    blobName(name: string): Promise<string>;
    copyTimes: number[];
    close(): Promise<void>;
}

export async function startPipelineWorld(): Promise<PipelineWorld> {
    ensureEngineBuilt(REPO_ROOT);
    let backendDir = "";
    let store: RecordStoreAccess | undefined;
    let container = "";
    let containers = 0;
    const copyTimes: number[] = [];
    const endpoint = await startReleaseEndpoint(() => (backendDir ? checkpointOutputs(backendDir, PROJECT, STACK) : {}));
    const kubeToken = "pipeline-kube-token-5ca1ab1e";
    const kube: KubeApiFake = await startKubeApiFake(kubeToken);
    kube.source = () => readyPodsFor(backendDir ? checkpointOutputs(backendDir, PROJECT, STACK).slots : undefined);
    const kubeconfig = kubeconfigFor(kube.url, kube.ca, kubeToken);
    const tls = throwawayCertificate();
    const azurite = await startAzurite({ tls });
    const caFile = path.join(azurite.location, "ca.pem");
    fs.writeFileSync(caFile, tls.cert);
    const identity = await startFakeManagedIdentity();
    const admin = () => adminContainer(azurite, container, tls.cert);

    function startHook(name: string, command: string, args: string[] = [], opts: HookOptions = {}): RunningHook {
        if (!store) throw new Error("newEnvironment() first");
        const copy = copyProject();
        copyTimes.push(copy.copyMs);
        const agentTemp = path.join(copy.dir, ".agent-temp");
        fs.mkdirSync(agentTemp);
        const child = spawn(
            process.execPath,
            [path.join("release-engine", "bin", "phoenix-release.js"), command, ...args, "--env", STACK, "--backend", "pulumi"],
            {
                cwd: copy.dir,
                env: { ...hookEnv({ backendDir, endpointUrl: endpoint.url, kubeconfig, agentTemp, store }), ...opts.env },
                stdio: ["ignore", "pipe", "pipe"],
                detached: true,
            },
        );
        let stdout = "";
        let stderr = "";
        child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
        child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
        const done = new Promise<HookRun>((resolve, reject) => {
            child.on("error", reject);
            child.on("close", (code, signal) => {
                copy.remove();
                resolve({ hook: name, command: [command, ...args].join(" "), exitCode: code, signal, stdout, stderr, copyMs: copy.copyMs });
            });
        });
        return {
            child,
            output: () => stdout + stderr,
            done,
            kill9: () => {
                if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
            },
        };
    }

    async function blobName(name: string): Promise<string> {
        for await (const blob of admin().listBlobsFlat()) if (blob.name.endsWith(`/${name}`)) return blob.name;
        throw new Error(`no blob named */${name} in ${container}`);
    }

    const world: PipelineWorld = {
        endpoint,
        azurite,
        identity,
        backendDir: () => backendDir,
        async newEnvironment() {
            backendDir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-backend-"));
            endpoint.broken.clear();
            endpoint.slow.clear();
            container = `records-${++containers}`;
            await admin().create();
            store = { url: `${azurite.accountUrl}/${container}`, caFile, identity: identity.env };
            const copy = copyProject();
            try {
                const env = hookEnv({ backendDir, endpointUrl: endpoint.url, kubeconfig, agentTemp: copy.dir, store });
                for (const args of [
                    ["stack", "init", STACK],
                    [
                        "up",
                        "--yes",
                        "--skip-preview",
                        "--stack",
                        STACK,
                        "--message",
                        `phoenix release ${COMMITTED_LIVE}: switch (by the previous run)`,
                    ],
                ]) {
                    const code = await new Promise<number | null>((resolve) =>
                        spawn(path.join(FAKE_BIN, "pulumi"), args, {
                            cwd: path.join(copy.dir, "stacks", "release"),
                            env,
                            stdio: "ignore",
                        }).on("close", resolve),
                    );
                    assert.equal(code, 0, `seeding the backend: pulumi ${args.join(" ")}`);
                }
            } finally {
                copy.remove();
            }
            assert.equal(liveOf(world.lastUpdate().slots), COMMITTED_LIVE);
            const imported = await world.hook("import", "import-record");
            assert.equal(imported.exitCode, 0, transcript([imported]));
        },
        dropEnvironment() {
            if (backendDir) fs.rmSync(backendDir, { recursive: true, force: true });
            backendDir = "";
        },
        startHook,
        hook: (name, command, args, opts) => startHook(name, command, args, opts).done,
        lastUpdate() {
            const dir = path.join(backendDir, ".pulumi", "history", PROJECT, STACK);
            const files = fs
                .readdirSync(dir)
                .filter((f) => f.endsWith(".history.json"))
                .sort();
            const u = JSON.parse(fs.readFileSync(path.join(dir, files[files.length - 1]), "utf8")) as {
                message: string;
                config: Record<string, unknown>;
            };
            const state = JSON.parse(String(u.config[`${PROJECT}:state`])) as { slots: Record<string, SlotState> };
            return { message: u.message, slots: state.slots };
        },
        async storeHistory() {
            let name: string;
            try {
                name = await blobName("history.jsonl");
            } catch {
                return [];
            }
            const text = (await admin().getBlobClient(name).downloadToBuffer()).toString("utf8");
            return text
                .split("\n")
                .filter((l) => l.trim() !== "")
                .map((l) => JSON.parse(l) as { action: string; version?: string; outcome: string; by?: string })
                .map((e) => `${e.action}${e.version ? ` ${e.version}` : ""} ${e.outcome} by ${e.by ?? "?"}`);
        },
        admin,
        blobName,
        copyTimes,
        async close() {
            world.dropEnvironment();
            await endpoint.close();
            await kube.close();
            await azurite.dispose();
            await identity.close();
        },
    };
    return world;
}
