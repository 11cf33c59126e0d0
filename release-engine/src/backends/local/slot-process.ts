/**
 * One pod of the local backend: a real process of the app (`node app/dist/main.js`) on a free
 * loopback port. Ready when it has logged `{"event":"listening","port":N}` and `/readyz` answers 200.
 */
import { spawn, type ChildProcess } from "child_process";
import * as readline from "readline";
import { httpRequest } from "../../util/http";

export interface SlotProcessSpec {
    /** Path to the app's compiled entry (app/dist/main.js). */
    entry: string;
    slot: "blue" | "green";
    version: string;
    appName: string;
    drainMs: number;
    /** Extra environment (FAULT_* for demos and tests). */
    env?: Record<string, string>;
    /** How long to wait for readiness. */
    readyTimeoutMs: number;
}

let nextId = 1;

export class SlotProcess {
    readonly id: string;
    port = 0;
    private child?: ChildProcess;
    private exited: Promise<number | null>;
    private resolveExit!: (code: number | null) => void;
    private exitCode: number | null | undefined;
    private lastLines: string[] = [];
    private ready = false;
    private stopRequested = false;
    /**
     * Resolves when the process exits: true when it had become ready and exited without being told to
     * (a crash, an OOM kill, `kill -9`), false when it was stopped or never became ready.
     */
    readonly exitedOnItsOwn: Promise<boolean>;

    constructor(readonly spec: SlotProcessSpec) {
        this.id = `${spec.slot}-${spec.version}-${nextId++}`;
        this.exited = new Promise((r) => (this.resolveExit = r));
        this.exitedOnItsOwn = this.exited.then(() => this.ready && !this.stopRequested);
    }

    get alive(): boolean {
        return this.child !== undefined && this.exitCode === undefined;
    }

    get url(): string {
        return `http://127.0.0.1:${this.port}`;
    }

    /** Starts the process and resolves once it is ready; rejects (after killing it) if it exits or times out. */
    async start(): Promise<void> {
        const env: Record<string, string> = {
            PATH: process.env.PATH ?? "",
            NODE_ENV: "production",
            PORT: "0",
            HOST: "127.0.0.1",
            APP_VERSION: this.spec.version,
            APP_SLOT: this.spec.slot,
            APP_NAME: this.spec.appName,
            SHUTDOWN_DRAIN_MS: String(this.spec.drainMs),
            ...(this.spec.env ?? {}),
        };
        const child = spawn(process.execPath, [this.spec.entry], { env, stdio: ["ignore", "pipe", "pipe"] });
        this.child = child;
        const keep = (line: string) => {
            this.lastLines.push(line);
            if (this.lastLines.length > 5) this.lastLines.shift();
        };
        child.on("exit", (code) => {
            this.exitCode = code;
            this.resolveExit(code);
        });
        child.on("error", (e) => {
            keep(e.message);
            this.exitCode = -1;
            this.resolveExit(-1);
        });
        readline.createInterface({ input: child.stderr! }).on("line", keep);
        const listening = new Promise<number>((resolve) => {
            readline.createInterface({ input: child.stdout! }).on("line", (line) => {
                keep(line);
                try {
                    const ev = JSON.parse(line) as { event?: string; port?: number };
                    if (ev.event === "listening" && typeof ev.port === "number") resolve(ev.port);
                } catch {
                    /* not JSON: ignore */
                }
            });
        });
        const deadline = Date.now() + this.spec.readyTimeoutMs;
        const failed = (why: string) =>
            new Error(
                `${this.id} did not become ready: ${why}${this.lastLines.length ? ` (last output: ${this.lastLines[this.lastLines.length - 1]})` : ""}`,
            );
        const exitedEarly = this.exited.then((code) => {
            throw failed(`process exited with code ${code}`);
        });
        const timeout = (ms: number) =>
            new Promise<never>((_, rej) =>
                setTimeout(() => rej(failed(`timed out after ${this.spec.readyTimeoutMs} ms`)), Math.max(0, ms)).unref(),
            );
        try {
            this.port = await Promise.race([listening, exitedEarly, timeout(deadline - Date.now())]);
            for (;;) {
                const r = await Promise.race([
                    httpRequest(`${this.url}/readyz`, { timeoutMs: 1000 }),
                    exitedEarly,
                    timeout(deadline - Date.now()),
                ]);
                if (r.status === 200) {
                    this.ready = true;
                    return;
                }
                await new Promise((res) => setTimeout(res, 20));
            }
        } catch (e) {
            await this.kill();
            throw e;
        } finally {
            exitedEarly.catch(() => undefined);
        }
    }

    /** SIGTERM: the app fails readiness, drains for SHUTDOWN_DRAIN_MS, then exits. Resolves on exit. */
    async stop(graceMs: number): Promise<void> {
        this.stopRequested = true;
        if (!this.alive) return;
        this.child!.kill("SIGTERM");
        const t = setTimeout(() => this.child?.kill("SIGKILL"), graceMs);
        await this.exited;
        clearTimeout(t);
    }

    async kill(): Promise<void> {
        this.stopRequested = true;
        if (!this.alive) return;
        this.child!.kill("SIGKILL");
        await this.exited;
    }

    /** Simulates a crash (SIGKILL without the stop bookkeeping): the supervisor sees it as one. */
    crash(): void {
        if (this.alive) this.child!.kill("SIGKILL");
    }

    /** For logs: the last lines the process printed. */
    get output(): string[] {
        return [...this.lastLines];
    }
}
