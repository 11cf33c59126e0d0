/**
 * The local "cluster": slots are real app processes, the router is an HTTP proxy that asks the
 * environment's router model (`@phoenix/release-model`: Gateway API or ingress-nginx) where each
 * request goes, given the same objects the release stack registers and the slots' ready endpoints.
 *
 * Converging to a state behaves like a Helm upgrade with `maxUnavailable: 0` and `atomic`: new
 * processes start and must become ready before they join the pool; only then the router changes
 * and surplus processes leave the pool and get SIGTERM (the app drains in-flight requests). If a
 * new process never becomes ready, nothing changes and the apply fails.
 *
 * Between applies the cluster supervises its processes as a ReplicaSet would: a process that exits
 * on its own is replaced (after a back-off that doubles per crash, as the kubelet's CrashLoopBackOff
 * does) and counted, so `status` shows each slot's actual ready endpoints, restarts and desired state.
 * The proxy counts every production response per slot and version (as a real proxy's per-backend
 * metrics do); the engine reads those counters.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import {
    SLOT_NAMES,
    headerValue,
    replicasOf,
    routerModel,
    slotOfService,
    slotServiceKey,
    versionOf,
    type KubeObject,
    type ReadyEndpoints,
    type ReleaseState,
    type RouterKind,
    type RouterModel,
    type RouterSettings,
    type SlotHealth,
    type SlotName,
    type SlotTrafficCount,
} from "@phoenix/release-model";
import { LATENCY_BUCKETS_MS, bucketIndex, emptyHistogram } from "../../gates/compare";
import { SlotProcess } from "./slot-process";
import { serveTraffic, trafficRecorder } from "../../observe/router-traffic";
import { Timeline } from "../../observe/timeline";

/** The Gateway the local router stands in for (Gateway API objects name their parent). */
const LOCAL_GATEWAY = { name: "phoenix-local", namespace: "phoenix-gateway" } as const;

export interface LocalClusterOptions {
    appName: string;
    /** The host the router's objects match (any fixed name locally). */
    host: string;
    /** Preview header name. */
    headerName: string;
    /** Which router model the proxy applies (default `gateway-api`). */
    router?: RouterKind;
    /** Pods of a slot whose state gives no replica count. */
    defaultReplicas?: number;
    /** Path of app/dist/main.js. */
    appEntry: string;
    /** SHUTDOWN_DRAIN_MS for slot processes. */
    drainMs: number;
    readyTimeoutMs: number;
    /** Extra time after the drain before SIGKILL. */
    stopGraceMs: number;
    /** Proxy port (0: any free port). */
    port: number;
    /** First restart delay after a crash; doubles per consecutive crash up to 10 s (default 200 ms). */
    restartBackoffMs?: number;
}

/** A slot's health (ready processes, their versions, restarts since the cluster started) with its ports and what the state asks for. */
export interface SlotStatus extends Omit<SlotHealth, "desired"> {
    ports: number[];
    /** What the state asks for (the local backend reports `replicas` as the health's `desired`). */
    desired: { version?: string; replicas: number };
}

export interface ClusterStatus {
    url: string;
    router: RouterKind;
    state: ReleaseState | null;
    slots: Record<SlotName, SlotStatus>;
    /** Production responses per slot/version since the cluster started (router errors under slot `none`). */
    production: SlotTrafficCount[];
}

/** One connection per proxied request: a draining process never receives a request on a reused socket. */
const upstreamAgent = new http.Agent({ keepAlive: false });
const MAX_BACKOFF_MS = 10_000;

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
    private objects: KubeObject[] = [];
    private server?: http.Server;
    private rr = 0;
    private stopping = new Set<Promise<void>>();
    private versionEnv = new Map<string, Record<string, string>>();
    private readonly router: RouterModel;
    private readonly settings: RouterSettings;
    private restarts: Record<SlotName, number> = { blue: 0, green: 0 };
    private crashStreak: Record<SlotName, number> = { blue: 0, green: 0 };
    private restartTimers = new Set<NodeJS.Timeout>();
    /** Production responses per slot/version since start (what the engine reads). */
    private counts = new Map<string, SlotTrafficCount>();
    private closed = false;
    /** Production answers the router served (the live page's split, local release reports). */
    readonly traffic = new Timeline(900);

    constructor(readonly opts: LocalClusterOptions) {
        this.router = routerModel(opts.router ?? "gateway-api");
        this.settings = { appName: opts.appName, host: opts.host, headerName: opts.headerName, gateway: { ...LOCAL_GATEWAY } };
    }

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
        for (const slot of SLOT_NAMES) {
            // A slot's Service exists while the state has the slot (the chart creates it).
            if (this.state && this.state.slots[slot].role !== "absent")
                e[slotServiceKey(slot, this.opts.appName)] = this.pools[slot].filter((p) => p.alive).length;
        }
        return e;
    }

    private count(slot: SlotName | "none", version: string, failed: boolean, ms: number): void {
        const key = `${slot}\u0000${version}`;
        const c = this.counts.get(key) ?? {
            slot,
            version,
            requests: 0,
            failed: 0,
            totalMs: 0,
            latency: emptyHistogram(LATENCY_BUCKETS_MS),
        };
        c.requests++;
        if (failed) c.failed++;
        c.totalMs += ms;
        c.latency[bucketIndex(ms, LATENCY_BUCKETS_MS)]++;
        this.counts.set(key, c);
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        if (serveTraffic(req, res, this.traffic)) return;
        const answeredBy = trafficRecorder(req, res, this.opts.headerName, this.traffic);
        const t0 = Date.now();
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
        const production = headerValue(headers, this.opts.headerName) === undefined;
        const outcome = this.router.route(this.objects, this.endpoints(), {
            host: this.opts.host,
            path: req.url ?? "/",
            method: req.method,
            headers,
            cookies: parseCookies(req.headers.cookie),
            random: Math.random(),
        });
        if (outcome.kind === "error") {
            if (production) this.count("none", "", true, Date.now() - t0);
            req.resume();
            res.writeHead(outcome.status, { "content-type": "text/plain", "x-phoenix-router": outcome.reason.slice(0, 200) });
            res.end(`${outcome.status} ${outcome.reason}\n`);
            return;
        }
        const slot = slotOfService(outcome.service, this.opts.appName) as SlotName;
        const pool = this.pools[slot].filter((p) => p.alive);
        const target = pool[this.rr++ % pool.length];
        const version = target.spec.version;
        let counted = false;
        const done = (failed: boolean) => {
            if (!production || counted) return;
            counted = true;
            this.count(slot, version, failed, Date.now() - t0);
        };
        const upstream = http.request(
            {
                agent: upstreamAgent,
                host: "127.0.0.1",
                port: target.port,
                method: req.method,
                path: req.url,
                headers: { ...req.headers, connection: "close", "x-forwarded-for": req.socket.remoteAddress ?? "" },
            },
            (up) => {
                answeredBy(up.headers);
                res.writeHead(up.statusCode ?? 502, up.headers);
                up.pipe(res);
                up.on("end", () => done((up.statusCode ?? 502) >= 500));
                up.on("error", () => done(true));
            },
        );
        upstream.on("error", (e) => {
            done(true);
            if (!res.headersSent) {
                res.writeHead(502, { "content-type": "text/plain" });
                res.end(`502 upstream ${target.id}: ${e.message}\n`);
            } else res.destroy();
        });
        req.pipe(upstream);
    }

    private desired(state: ReleaseState | null, slot: SlotName): { version?: string; replicas: number } {
        const s = state?.slots[slot];
        return { version: versionOf(s), replicas: replicasOf(s, this.opts.defaultReplicas ?? 1) };
    }

    private newProcess(slot: SlotName, version: string): SlotProcess {
        const p = new SlotProcess({
            entry: this.opts.appEntry,
            slot,
            version,
            appName: this.opts.appName,
            drainMs: this.opts.drainMs,
            readyTimeoutMs: this.opts.readyTimeoutMs,
            env: this.versionEnv.get(version),
        });
        // The supervisor: a pool member that exits on its own is replaced, as a ReplicaSet would.
        void p.exitedOnItsOwn.then((crashed) => {
            if (crashed) this.onCrash(slot, p);
        });
        return p;
    }

    private onCrash(slot: SlotName, p: SlotProcess): void {
        if (this.closed || !this.pools[slot].includes(p)) return;
        this.restarts[slot]++;
        const streak = this.crashStreak[slot]++;
        const delay = Math.min((this.opts.restartBackoffMs ?? 200) * 2 ** streak, MAX_BACKOFF_MS);
        const timer = setTimeout(() => {
            this.restartTimers.delete(timer);
            void this.replace(slot, p);
        }, delay);
        this.restartTimers.add(timer);
    }

    private async replace(slot: SlotName, dead: SlotProcess): Promise<void> {
        if (this.closed || !this.pools[slot].includes(dead)) return;
        const fresh = this.newProcess(slot, dead.spec.version);
        try {
            await fresh.start();
        } catch {
            // Not ready either: counts as another crash, backed off further.
            if (this.pools[slot].includes(dead)) this.onCrash(slot, dead);
            return;
        }
        const i = this.pools[slot].indexOf(dead);
        if (this.closed || i < 0) {
            this.track(fresh.stop(this.opts.drainMs + this.opts.stopGraceMs));
            return;
        }
        this.pools[slot][i] = fresh;
        this.crashStreak[slot] = 0;
    }

    /** Converges to `state` (see the module comment). Throws, changing nothing, when new processes fail. */
    async apply(state: ReleaseState | null, versionEnv?: Record<string, Record<string, string>>): Promise<void> {
        for (const [v, env] of Object.entries(versionEnv ?? {})) this.setVersionEnv(v, env);
        const started: Record<SlotName, SlotProcess[]> = { blue: [], green: [] };
        const keep: Record<SlotName, SlotProcess[]> = { blue: [], green: [] };
        const all: SlotProcess[] = [];
        const starts: Promise<void>[] = [];
        for (const slot of SLOT_NAMES) {
            const d = this.desired(state, slot);
            keep[slot] = this.pools[slot].filter((p) => p.alive && p.spec.version === d.version).slice(0, d.replicas);
            for (let i = keep[slot].length; i < d.replicas; i++) {
                const p = this.newProcess(slot, d.version as string);
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
        for (const slot of SLOT_NAMES) this.pools[slot] = [...this.pools[slot], ...started[slot]];
        this.state = state ? (JSON.parse(JSON.stringify(state)) as ReleaseState) : null;
        this.objects = this.state ? this.router.objects(this.router.intent(this.state, this.opts.headerName), this.settings) : [];
        for (const slot of SLOT_NAMES) {
            const next = [...keep[slot], ...started[slot]];
            const surplus = this.pools[slot].filter((p) => !next.includes(p));
            this.pools[slot] = next;
            if (started[slot].length > 0) this.crashStreak[slot] = 0;
            for (const p of surplus) this.track(p.stop(this.opts.drainMs + this.opts.stopGraceMs));
        }
    }

    private track(p: Promise<void>): void {
        this.stopping.add(p);
        void p.finally(() => this.stopping.delete(p));
    }

    status(): ClusterStatus {
        const slots = {} as Record<SlotName, SlotStatus>;
        for (const slot of SLOT_NAMES) {
            const pool = this.pools[slot].filter((p) => p.alive);
            slots[slot] = {
                ready: pool.length,
                versions: [...new Set(pool.map((p) => p.spec.version))],
                ports: pool.map((p) => p.port),
                desired: this.desired(this.state, slot),
                restarts: this.restarts[slot],
            };
        }
        return {
            url: this.url,
            router: this.router.kind,
            state: this.state,
            slots,
            production: [...this.counts.values()].map((c) => ({ ...c, latency: [...c.latency] })),
        };
    }

    /** The processes of a slot that are in its pool and alive (tests kill them to simulate a crash). */
    slotProcesses(slot: SlotName): SlotProcess[] {
        return this.pools[slot].filter((p) => p.alive);
    }

    /** URLs of the slot's ready processes (for the slot-ready check). */
    slotUrls(slot: SlotName): string[] {
        return this.slotProcesses(slot).map((p) => p.url);
    }

    /** Stops everything: processes get SIGTERM and drain; the proxy closes after them. */
    async stop(): Promise<void> {
        this.closed = true;
        for (const t of this.restartTimers) clearTimeout(t);
        this.restartTimers.clear();
        for (const slot of SLOT_NAMES) {
            for (const p of this.pools[slot]) this.track(p.stop(this.opts.drainMs + this.opts.stopGraceMs));
            this.pools[slot] = [];
        }
        await Promise.all([...this.stopping]);
        this.objects = [];
        const server = this.server;
        this.server = undefined;
        if (server) {
            server.closeAllConnections();
            await new Promise<void>((r) => server.close(() => r()));
        }
    }
}
