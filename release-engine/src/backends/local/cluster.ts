/**
 * The local "cluster": slots are real app processes, the router is an HTTP proxy that asks the
 * routing model (routing.ts) where each request goes, given the same two Ingress objects the
 * release stack registers (planner/ingress.ts) and the slots' ready endpoints.
 *
 * Converging to a state behaves like a Helm upgrade with `maxUnavailable: 0` and `atomic`: new
 * processes start and must become ready before they join the pool; only then the router changes
 * and surplus processes leave the pool and get SIGTERM (the app drains in-flight requests). If a
 * new process never becomes ready, nothing changes and the apply fails.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import type { ReleaseState, SlotName } from "../../model/release-state";
import { routeRequest, type IngressRule, type ReadyEndpoints } from "../../model/routing";
import { ingressRulesFor, slotServiceKey, type RouterSettings } from "../../planner/ingress";
import { SlotProcess } from "./slot-process";
import { serveTraffic, trafficRecorder } from "../../observe/router-traffic";
import { Timeline } from "../../observe/timeline";

export interface LocalClusterOptions extends RouterSettings {
    /** Path of app/dist/main.js. */
    appEntry: string;
    /** SHUTDOWN_DRAIN_MS for slot processes. */
    drainMs: number;
    readyTimeoutMs: number;
    /** Extra time after the drain before SIGKILL. */
    stopGraceMs: number;
    /** Proxy port (0: any free port). */
    port: number;
}

export interface SlotStatus {
    ready: number;
    versions: string[];
    ports: number[];
}

export interface ClusterStatus {
    url: string;
    state: ReleaseState | null;
    slots: Record<SlotName, SlotStatus>;
}

const SLOTS: SlotName[] = ["blue", "green"];
/** One connection per proxied request: a draining process never receives a request on a reused socket. */
const upstreamAgent = new http.Agent({ keepAlive: false });

function desired(state: ReleaseState | null, slot: SlotName): { version?: string; replicas: number } {
    const s = state?.slots[slot];
    if (!s || s.role === "absent") return { replicas: 0 };
    return { version: s.version, replicas: s.replicas ?? 1 };
}

function parseCookies(h: string | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    for (const part of (h ?? "").split(";")) {
        const i = part.indexOf("=");
        if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
    }
    return out;
}

export class LocalCluster {
    private pools: Record<SlotName, SlotProcess[]> = { blue: [], green: [] };
    private state: ReleaseState | null = null;
    private rules: IngressRule[] = [];
    private server?: http.Server;
    private rr = 0;
    private stopping = new Set<Promise<void>>();
    private versionEnv = new Map<string, Record<string, string>>();
    /** Production answers the router served (the live page's split, local release reports). */
    readonly traffic = new Timeline(900);

    constructor(readonly opts: LocalClusterOptions) {}

    get url(): string {
        const a = this.server?.address() as AddressInfo | null | undefined;
        return a ? `http://127.0.0.1:${a.port}` : "";
    }

    /** Extra environment for processes of one version (FAULT_* in demos and tests). */
    setVersionEnv(version: string, env: Record<string, string>): void {
        this.versionEnv.set(version, { ...env });
    }

    async start(): Promise<void> {
        const server = http.createServer((req, res) => this.handle(req, res));
        // Slot processes answer quickly; keep client connections short so nothing lingers at shutdown.
        server.keepAliveTimeout = 1000;
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(this.opts.port, "127.0.0.1", () => resolve());
        });
        this.server = server;
    }

    private endpoints(): ReadyEndpoints {
        const e: ReadyEndpoints = {};
        for (const slot of SLOTS) e[slotServiceKey(slot, this.opts.appName)] = this.pools[slot].filter((p) => p.alive).length;
        return e;
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        if (serveTraffic(req, res, this.traffic)) return;
        const answeredBy = trafficRecorder(req, res, this.opts.headerName, this.traffic);
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const outcome = routeRequest(this.rules, this.endpoints(), {
            host: this.opts.host,
            path: req.url ?? "/",
            headers,
            cookies: parseCookies(req.headers.cookie),
            random: Math.random(),
        });
        if (outcome.kind === "error") {
            req.resume();
            res.writeHead(outcome.status, { "content-type": "text/plain", "x-phoenix-router": outcome.reason.slice(0, 200) });
            res.end(`${outcome.status} ${outcome.reason}\n`);
            return;
        }
        const slot: SlotName = `${outcome.service.namespace}/${outcome.service.name}` === slotServiceKey("blue", this.opts.appName) ? "blue" : "green";
        const pool = this.pools[slot].filter((p) => p.alive);
        const target = pool[this.rr++ % pool.length];
        const upstream = http.request(
            { agent: upstreamAgent, host: "127.0.0.1", port: target.port, method: req.method, path: req.url, headers: { ...req.headers, connection: "close", "x-forwarded-for": req.socket.remoteAddress ?? "" } },
            (up) => {
                answeredBy(up.headers);
                res.writeHead(up.statusCode ?? 502, up.headers);
                up.pipe(res);
            },
        );
        upstream.on("error", (e) => {
            if (!res.headersSent) {
                res.writeHead(502, { "content-type": "text/plain" });
                res.end(`502 upstream ${target.id}: ${e.message}\n`);
            } else res.destroy();
        });
        req.pipe(upstream);
    }

    /** Converges to `state` (see the module comment). Throws, changing nothing, when new processes fail. */
    async apply(state: ReleaseState | null, versionEnv?: Record<string, Record<string, string>>): Promise<void> {
        for (const [v, env] of Object.entries(versionEnv ?? {})) this.setVersionEnv(v, env);
        const started: Record<SlotName, SlotProcess[]> = { blue: [], green: [] };
        const keep: Record<SlotName, SlotProcess[]> = { blue: [], green: [] };
        const all: SlotProcess[] = [];
        const starts: Promise<void>[] = [];
        for (const slot of SLOTS) {
            const d = desired(state, slot);
            keep[slot] = this.pools[slot].filter((p) => p.alive && p.spec.version === d.version).slice(0, d.replicas);
            for (let i = keep[slot].length; i < d.replicas; i++) {
                const p = new SlotProcess({
                    entry: this.opts.appEntry,
                    slot,
                    version: d.version as string,
                    appName: this.opts.appName,
                    drainMs: this.opts.drainMs,
                    readyTimeoutMs: this.opts.readyTimeoutMs,
                    env: this.versionEnv.get(d.version as string),
                });
                started[slot].push(p);
                all.push(p);
                starts.push(p.start());
            }
        }
        const results = await Promise.allSettled(starts);
        const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
        if (failure) {
            await Promise.all(all.map((p) => p.kill()));
            throw failure.reason instanceof Error ? failure.reason : new Error(String(failure.reason));
        }
        // 1. new endpoints join; 2. the router changes; 3. surplus endpoints leave, then drain.
        for (const slot of SLOTS) this.pools[slot] = [...this.pools[slot], ...started[slot]];
        this.state = state ? (JSON.parse(JSON.stringify(state)) as ReleaseState) : null;
        this.rules = ingressRulesFor(this.state, this.opts);
        for (const slot of SLOTS) {
            const next = [...keep[slot], ...started[slot]];
            const surplus = this.pools[slot].filter((p) => !next.includes(p));
            this.pools[slot] = next;
            for (const p of surplus) this.track(p.stop(this.opts.drainMs + this.opts.stopGraceMs));
        }
    }

    private track(p: Promise<void>): void {
        this.stopping.add(p);
        void p.finally(() => this.stopping.delete(p));
    }

    status(): ClusterStatus {
        const slots = {} as Record<SlotName, SlotStatus>;
        for (const slot of SLOTS) {
            const pool = this.pools[slot].filter((p) => p.alive);
            slots[slot] = { ready: pool.length, versions: [...new Set(pool.map((p) => p.spec.version))], ports: pool.map((p) => p.port) };
        }
        return { url: this.url, state: this.state, slots };
    }

    /** URLs of the slot's ready processes (for the slot-ready check). */
    slotUrls(slot: SlotName): string[] {
        return this.pools[slot].filter((p) => p.alive).map((p) => p.url);
    }

    /** Stops everything: processes get SIGTERM and drain; the proxy closes after them. */
    async stop(): Promise<void> {
        for (const slot of SLOTS) {
            for (const p of this.pools[slot]) this.track(p.stop(this.opts.drainMs + this.opts.stopGraceMs));
            this.pools[slot] = [];
        }
        await Promise.all([...this.stopping]);
        this.rules = [];
        const server = this.server;
        this.server = undefined;
        if (server) {
            server.closeAllConnections();
            await new Promise<void>((r) => server.close(() => r()));
        }
    }
}
