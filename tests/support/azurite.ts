/**
 * Azurite (Microsoft's Azure Storage emulator, npm `azurite`) started by a spec on loopback: the blob
 * service only, with a data folder (so a restart keeps every blob), telemetry off. With `https`, it
 * serves a throwaway certificate and checks Azure AD tokens (`--oauth basic`: the token's issuer,
 * audience and times, not its signature — the engine's real token path runs). Without, it serves plain
 * HTTP for clients that sign with the emulator's well-known shared key (in-process specs).
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { freePort } from "./free-port";

const BIN = path.join(__dirname, "..", "..", "node_modules", ".bin", "azurite-blob");

/** The emulator's one account and its well-known key (published in Azurite's README). */
export const AZURITE_ACCOUNT = "devstoreaccount1";
export const AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export interface Azurite {
    /** `http(s)://127.0.0.1:<port>/devstoreaccount1` */
    accountUrl: string;
    port: number;
    /** The data folder. */
    location: string;
    start(): Promise<void>;
    /** Stops the emulator (SIGTERM) and waits for it to exit; its data stays. */
    stop(): Promise<void>;
    /** Stops it and removes its data. */
    dispose(): Promise<void>;
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
            const c = net.connect(port, "127.0.0.1", () => {
                c.end();
                resolve(true);
            });
            c.on("error", () => resolve(false));
        });
        if (ok) return;
        if (Date.now() > until) throw new Error(`azurite did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

export async function startAzurite(opts: { tls?: { cert: string; key: string } } = {}): Promise<Azurite> {
    const location = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-azurite-"));
    const port = await freePort();
    const args = [
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        String(port),
        "--location",
        location,
        "--disableTelemetry",
        "--silent",
        "--loose",
        "--skipApiVersionCheck",
    ];
    if (opts.tls) {
        fs.writeFileSync(path.join(location, "cert.pem"), opts.tls.cert);
        fs.writeFileSync(path.join(location, "key.pem"), opts.tls.key);
        args.push("--cert", path.join(location, "cert.pem"), "--key", path.join(location, "key.pem"), "--oauth", "basic");
    }
    let child: ChildProcess | undefined;
    const az: Azurite = {
        accountUrl: `${opts.tls ? "https" : "http"}://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
        port,
        location,
        async start() {
            child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
            let stderr = "";
            child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
            const exited = new Promise<never>((_, reject) =>
                child!.once("exit", (code) => reject(new Error(`azurite exited (${code}): ${stderr.trim()}`))),
            );
            await Promise.race([waitForPort(port, 20000), exited]);
            exited.catch(() => undefined);
        },
        async stop() {
            const c = child;
            child = undefined;
            if (!c || c.exitCode !== null) return;
            await new Promise<void>((resolve) => {
                c.once("exit", () => resolve());
                c.kill("SIGTERM");
            });
        },
        async dispose() {
            await az.stop();
            fs.rmSync(location, { recursive: true, force: true });
        },
    };
    await az.start();
    return az;
}

/**
 * A container client for the spec itself on an HTTPS emulator (create the container, read or corrupt a
 * blob behind the engine's back), signed with the emulator's key. The storage SDK offers no per-client
 * CA option; without keep-alive it connects through `https.globalAgent`, which is told to trust the
 * throwaway certificate as well as the usual roots (the spec process only; the engine runs in its own
 * processes with NODE_EXTRA_CA_CERTS).
 */
export function adminContainer(az: Azurite, name: string, cert: string): import("@azure/storage-blob").ContainerClient {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand: only the HTTPS specs need it.
    const { ContainerClient, StorageSharedKeyCredential } = require("@azure/storage-blob") as typeof import("@azure/storage-blob");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- node built-ins, on demand.
    const https = require("https") as typeof import("https");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const tls = require("tls") as typeof import("tls");
    const agentOptions = https.globalAgent.options as { ca?: string[] };
    if (!agentOptions.ca?.includes(cert)) agentOptions.ca = [...(agentOptions.ca ?? tls.rootCertificates), cert];
    return new ContainerClient(`${az.accountUrl}/${name}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), {
        keepAliveOptions: { enable: false },
        retryOptions: { maxTries: 3, retryDelayInMs: 200 },
    });
}
