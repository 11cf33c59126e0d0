/**
 * The CLI's client of the local environment's daemon (./daemon): finds the running daemon through its
 * `cluster.json`, or starts one, and drives it over its loopback control API. Kept apart from the
 * daemon itself so that a CLI command loads neither the cluster nor the router model's proxy, only this.
 */
import * as fs from "fs";
import * as path from "path";
import type { ReleaseState } from "@phoenix/release-model";
import { httpRequest, type HttpResult } from "../../util/http";
import type { ClusterStatus, LocalClusterOptions } from "./cluster";
import { INFO_FILE, readDaemonInfo, rememberedPort, type DaemonInfo } from "./daemon-files";
import type { ClusterHandle } from "./local-backend";
import type { TimelineData } from "../../observe/timeline";

/** The daemon's entry point beside this module (daemon.js when built, daemon.ts under ts-node). */
const DAEMON_ENTRY = path.join(__dirname, `daemon${path.extname(__filename)}`);

/** The CLI's handle on the daemon: starts it when it is not running. */
export class DaemonCluster implements ClusterHandle {
    private info?: DaemonInfo;

    constructor(
        private readonly dir: string,
        private readonly opts: LocalClusterOptions,
    ) {}

    private get infoFile(): string {
        return path.join(this.dir, INFO_FILE);
    }

    private async alive(info: DaemonInfo): Promise<boolean> {
        const r = await httpRequest(`${info.control}/status`, { timeoutMs: 2000 });
        return r.status === 200;
    }

    /** Where the router listens, or will listen when started (configured or remembered port). */
    routerUrl(): string | undefined {
        const port = this.opts.port || rememberedPort(this.dir);
        return port ? `http://127.0.0.1:${port}` : undefined;
    }

    async running(): Promise<boolean> {
        if (this.info) return true;
        const info = readDaemonInfo(this.dir);
        return info !== undefined && (await this.alive(info));
    }

    /** Returns the running daemon, starting one if needed. */
    async ensure(): Promise<DaemonInfo> {
        if (this.info) return this.info;
        const file = this.infoFile;
        const known = readDaemonInfo(this.dir);
        if (known) {
            if (await this.alive(known)) return (this.info = known);
            fs.rmSync(file, { force: true });
        }
        fs.mkdirSync(this.dir, { recursive: true });
        const log = fs.openSync(path.join(this.dir, "cluster.log"), "a");
        // Built JavaScript runs as is; the TypeScript source (tests, ts-node) through ts-node's transpiler.
        const loader = DAEMON_ENTRY.endsWith(".ts") ? ["-r", require.resolve("ts-node/register/transpile-only")] : [];
        // Loaded only here: a command on a running environment never starts a process.
        const { spawn } = await import("child_process");
        const child = spawn(process.execPath, [...loader, DAEMON_ENTRY, "--daemon", this.dir, JSON.stringify(this.opts)], {
            detached: true,
            stdio: ["ignore", log, log],
            env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        });
        let exited: number | null | undefined;
        child.on("exit", (code) => (exited = code));
        child.unref();
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
            await new Promise((r) => setTimeout(r, 50));
            if (exited !== undefined) break;
            const info = readDaemonInfo(this.dir);
            if (info && (await this.alive(info))) return (this.info = info);
        }
        const tail = fs.readFileSync(path.join(this.dir, "cluster.log"), "utf8").trim().split("\n").slice(-1)[0] ?? "";
        throw new Error(`the local environment did not start${tail ? ` (${tail})` : ""}; see ${path.join(this.dir, "cluster.log")}`);
    }

    /**
     * GET from the control API. The first request of a command goes straight to the daemon that
     * `cluster.json` names: its answer is also the sign that it is alive (one round trip where
     * asking "alive?" first took two). Anything else than a 200 there goes the long way: check, start if needed, ask.
     */
    private async get(pathname: string, timeoutMs: number): Promise<HttpResult> {
        if (!this.info) {
            const known = readDaemonInfo(this.dir);
            if (known) {
                const r = await httpRequest(`${known.control}${pathname}`, { timeoutMs: Math.min(timeoutMs, 2000) });
                if (r.status === 200) {
                    this.info = known;
                    return r;
                }
            }
        }
        const info = await this.ensure();
        return httpRequest(`${info.control}${pathname}`, { timeoutMs });
    }

    async status(): Promise<ClusterStatus> {
        const r = await this.get("/status", 5000);
        if (r.status !== 200) throw new Error(`local environment status failed: HTTP ${r.status}`);
        return JSON.parse(r.body) as ClusterStatus;
    }

    async apply(state: ReleaseState | null, versionEnv?: Record<string, Record<string, string>>): Promise<void> {
        const info = await this.ensure();
        const r = await httpRequest(`${info.control}/apply`, {
            method: "POST",
            body: JSON.stringify({ state, versionEnv }),
            timeoutMs: 120_000,
        });
        if (r.status !== 200) throw new Error((JSON.parse(r.body || "{}") as { error?: string }).error ?? `HTTP ${r.status}`);
    }

    /** The router's production answers since `since` (ms), for the release report. */
    async traffic(since: number): Promise<TimelineData> {
        const r = await this.get(`/traffic?since=${since}`, 5000);
        if (r.status !== 200) throw new Error(`local environment traffic failed: HTTP ${r.status}`);
        return JSON.parse(r.body) as TimelineData;
    }

    /** Stops the daemon if it runs. */
    async shutdown(): Promise<boolean> {
        const file = this.infoFile;
        const info = readDaemonInfo(this.dir);
        if (!info) return false;
        if (!(await this.alive(info))) {
            fs.rmSync(file, { force: true });
            return false;
        }
        await httpRequest(`${info.control}/shutdown`, { method: "POST", timeoutMs: 5000 });
        const deadline = Date.now() + 15_000;
        while (fs.existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        return true;
    }
}
