/**
 * The local environment's daemon: keeps a {@link LocalCluster} (slot processes + router proxy)
 * running between CLI commands, as a cluster would, and takes desired states over a loopback
 * control API. Started on demand by the CLI's client (./daemon-client); `npm run release -- local-down` stops it.
 *
 *   GET  /status             → ClusterStatus
 *   POST /apply {state, versionEnv} → 204, or 500 {error}
 *   POST /shutdown           → stops every process, then exits
 *
 * The router keeps one port per environment across restarts: `local.port` from the config when set,
 * else the port it got the first time, remembered in `<dir>/router-port` (a free port again, with a
 * note in cluster.log, if another program took it meanwhile).
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import type { ReleaseState } from "@phoenix/release-model";
import { LocalCluster, type LocalClusterOptions } from "./cluster";
import { INFO_FILE, PORT_FILE, rememberedPort, type DaemonInfo } from "./daemon-files";

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        req.on("error", reject);
    });
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

async function runDaemon(dir: string, opts: LocalClusterOptions): Promise<void> {
    const cluster = await startCluster(dir, opts);
    let queue = Promise.resolve();
    const shutdown = async () => {
        await cluster.stop();
        fs.rmSync(path.join(dir, INFO_FILE), { force: true });
        process.exit(0);
    };
    const server = http.createServer((req, res) => {
        const send = (status: number, body?: unknown) => {
            res.writeHead(status, { "content-type": "application/json" });
            res.end(body === undefined ? "" : JSON.stringify(body));
        };
        if (req.method === "GET" && req.url === "/status") return send(200, cluster.status());
        if (req.method === "GET" && req.url?.startsWith("/traffic"))
            return send(200, cluster.traffic.data(Number(new URL(req.url, "http://d").searchParams.get("since") ?? 0) || 0));
        if (req.method === "POST" && req.url === "/apply") {
            // One apply at a time, in arrival order.
            queue = queue.then(async () => {
                try {
                    const body = JSON.parse(await readBody(req)) as {
                        state: ReleaseState | null;
                        versionEnv?: Record<string, Record<string, string>>;
                    };
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
    fs.writeFileSync(path.join(dir, INFO_FILE), JSON.stringify(info));
    process.on("SIGTERM", () => void shutdown());
    process.on("SIGINT", () => void shutdown());
}

if (require.main === module && process.argv[2] === "--daemon") {
    runDaemon(process.argv[3], JSON.parse(process.argv[4]) as LocalClusterOptions).catch((e: unknown) => {
        process.stderr.write(`local environment failed: ${(e as Error).message}\n`);
        process.exit(1);
    });
}
