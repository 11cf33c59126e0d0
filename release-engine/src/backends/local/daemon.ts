/**
 * The local environment's daemon: keeps a {@link LocalCluster} (slot processes + router proxy)
 * running between CLI commands, as a cluster would, and takes desired states over a loopback
 * control API. Started on demand by {@link DaemonCluster}; `npm run release -- local-down` stops it.
 *
 *   GET  /status             → ClusterStatus
 *   POST /apply {state, versionEnv} → 204, or 500 {error}
 *   POST /shutdown           → stops every process, then exits
 *
 * The router keeps one port per environment across restarts: `local.port` from the config when set,
 * else the port it got the first time, remembered in `<dir>/router-port` (a free port again, with a
 * note in cluster.log, if another program took it meanwhile).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import type { ReleaseState } from "@phoenix/release-model";
import { httpRequest } from "../../util/http";
import { LocalCluster, type ClusterStatus, type LocalClusterOptions } from "./cluster";
import type { ClusterHandle } from "./local-backend";
import type { TimelineData } from "../../observe/timeline";

interface DaemonInfo {
    pid: number;
    control: string;
    url: string;
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
}

const PORT_FILE = "router-port";

/** The port the router last listened on, if remembered. */
export function rememberedPort(dir: string): number | undefined {
    try {
        const n = Number.parseInt(fs.readFileSync(path.join(dir, PORT_FILE), "utf8"), 10);
        return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
    } catch {
        return undefined;
    }
}

async function startCluster(dir: string, opts: LocalClusterOptions): Promise<LocalCluster> {
    const remembered = opts.port === 0 ? rememberedPort(dir) : undefined;
    let cluster = new LocalCluster({ ...opts, port: opts.port || remembered || 0 });
    try {
        await cluster.start();
    } catch (e) {
        if (remembered === undefined || (e as NodeJS.ErrnoException).code !== "EADDRINUSE") throw e;
        process.stderr.write(`router port ${remembered} is taken by another program; listening on a new port\n`);
        cluster = new LocalCluster({ ...opts, port: 0 });
        await cluster.start();
    }
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, PORT_FILE), String(new URL(cluster.url).port));
    return cluster;
}

export async function runDaemon(dir: string, opts: LocalClusterOptions): Promise<void> {
    const cluster = await startCluster(dir, opts);
    let queue = Promise.resolve();
    const shutdown = async () => {
        await cluster.stop();
        fs.rmSync(path.join(dir, "cluster.json"), { force: true });
        process.exit(0);
    };
    const server = http.createServer((req, res) => {
        const send = (status: number, body?: unknown) => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(body === undefined ? "" : JSON.stringify(body));
        };
        if (req.method === "GET" && req.url === "/status") return send(200, cluster.status());
        if (req.method === "GET" && req.url?.startsWith("/traffic")) return send(200, cluster.traffic.data(Number(new URL(req.url, "http://d").searchParams.get("since") ?? 0) || 0));
        if (req.method === "POST" && req.url === "/apply") {
            // One apply at a time, in arrival order.
            queue = queue.then(async () => {
                try {
                    const body = JSON.parse(await readBody(req)) as { state: ReleaseState | null; versionEnv?: Record<string, Record<string, string>> };
                    await cluster.apply(body.state, body.versionEnv);
                    send(200, { ok: true });
                } catch (e) {
                    send(500, { error: (e as Error).message });
                }
            });
            return;
        }
        if (req.method === "POST" && req.url === "/shutdown") {
            send(200, { ok: true });
            void shutdown();
            return;
        }
        send(404, { error: "not found" });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const info: DaemonInfo = { pid: process.pid, control: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, url: cluster.url };
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "cluster.json"), JSON.stringify(info));
    process.on("SIGTERM", () => void shutdown());
    process.on("SIGINT", () => void shutdown());
}

/** The CLI's handle on the daemon: starts it when it is not running. */
export class DaemonCluster implements ClusterHandle {
    private info?: DaemonInfo;

    constructor(
        private readonly dir: string,
        private readonly opts: LocalClusterOptions,
    ) {}

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
        const file = path.join(this.dir, "cluster.json");
        if (this.info) return true;
        return fs.existsSync(file) && (await this.alive(JSON.parse(fs.readFileSync(file, "utf8")) as DaemonInfo));
    }

    /** Returns the running daemon, starting one if needed. */
    async ensure(): Promise<DaemonInfo> {
        if (this.info) return this.info;
        const file = path.join(this.dir, "cluster.json");
        if (fs.existsSync(file)) {
            const info = JSON.parse(fs.readFileSync(file, "utf8")) as DaemonInfo;
            if (await this.alive(info)) return (this.info = info);
            fs.rmSync(file, { force: true });
        }
        fs.mkdirSync(this.dir, { recursive: true });
        const log = fs.openSync(path.join(this.dir, "cluster.log"), "a");
        // Built JavaScript runs as is; the TypeScript source (tests, ts-node) through ts-node's transpiler.
        const loader = __filename.endsWith(".ts") ? ["-r", require.resolve("ts-node/register/transpile-only")] : [];
        const child = spawn(process.execPath, [...loader, __filename, "--daemon", this.dir, JSON.stringify(this.opts)], {
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
            if (fs.existsSync(file)) {
                const info = JSON.parse(fs.readFileSync(file, "utf8")) as DaemonInfo;
                if (await this.alive(info)) return (this.info = info);
            }
        }
        const tail = fs.readFileSync(path.join(this.dir, "cluster.log"), "utf8").trim().split("\n").slice(-1)[0] ?? "";
        throw new Error(`the local environment did not start${tail ? ` (${tail})` : ""}; see ${path.join(this.dir, "cluster.log")}`);
    }

    async status(): Promise<ClusterStatus> {
        const info = await this.ensure();
        const r = await httpRequest(`${info.control}/status`, { timeoutMs: 5000 });
        if (r.status !== 200) throw new Error(`local environment status failed: HTTP ${r.status}`);
        return JSON.parse(r.body) as ClusterStatus;
    }

    async apply(state: ReleaseState | null, versionEnv?: Record<string, Record<string, string>>): Promise<void> {
        const info = await this.ensure();
        const r = await httpRequest(`${info.control}/apply`, { method: "POST", body: JSON.stringify({ state, versionEnv }), timeoutMs: 120_000 });
        if (r.status !== 200) throw new Error((JSON.parse(r.body || "{}") as { error?: string }).error ?? `HTTP ${r.status}`);
    }

    /** The router's production answers since `since` (ms), for the release report. */
    async traffic(since: number): Promise<TimelineData> {
        const info = await this.ensure();
        const r = await httpRequest(`${info.control}/traffic?since=${since}`, { timeoutMs: 5000 });
        if (r.status !== 200) throw new Error(`local environment traffic failed: HTTP ${r.status}`);
        return JSON.parse(r.body) as TimelineData;
    }

    /** Stops the daemon if it runs. */
    async shutdown(): Promise<boolean> {
        const file = path.join(this.dir, "cluster.json");
        if (!fs.existsSync(file)) return false;
        const info = JSON.parse(fs.readFileSync(file, "utf8")) as DaemonInfo;
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

if (require.main === module && process.argv[2] === "--daemon") {
    runDaemon(process.argv[3], JSON.parse(process.argv[4]) as LocalClusterOptions).catch((e: unknown) => {
        process.stderr.write(`local environment failed: ${(e as Error).message}\n`);
        process.exit(1);
    });
}
