/**
 * Issue 20's scenario, measured: a candidate that crashes while it is being gated, under production
 * load, on the local backend (real app processes behind the router model).
 *
 * Setup once: release 1.0.0, then 1.1.0 (Gateway API: green live 1.1.0, blue standby 1.0.0; nginx:
 * blue live 1.1.0). Each run: `release 1.2.8` with `FAULT_LATENCY_MS=150`; about `killAfterMs` (0.4 s)
 * after the candidate first answers a preview request, each of its processes is SIGKILLed (a simulated
 * OOM kill; the local cluster restarts them as a ReplicaSet would). `clients` loops of production
 * requests run for the whole release. Per run it reports the engine's verdict and the failed/total
 * production requests the load saw (and the router counted).
 *
 *   npm run bench:crash-after-gate -- --runs 20 --router gateway-api|nginx [--kill-after-ms 400] [--clients 6]
 *
 * Exits 1 when any production request failed or a run was not rejected as crashed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SLOT_NAMES, type RouterKind, type SlotName } from "@phoenix/release-model";
import { LocalCluster } from "../backends/local/cluster";
import { LocalBackend } from "../backends/local/local-backend";
import { runIntent, type EngineDeps } from "../engine/engine";
import { createReporter } from "../engine/reporter";
import { loadConfig } from "../settings/config";
import { APP_ENTRY, ensureAppBuilt } from "./app-build";
import { startLoad } from "./load";

export interface CrashAfterGateOptions {
    router: RouterKind;
    runs: number;
    /** Delay from `killFrom` to the SIGKILL of the candidate's processes. */
    killAfterMs: number;
    /**
     * What starts the kill's clock: the candidate's first preview answer (the wording), or the
     * preview gate's passing verdict (the candidate crashes between its gate and its promotion).
     */
    killFrom: "first-preview" | "gate-pass";
    /** Concurrent production clients. */
    clients: number;
    /** Progress lines (one per run, then the totals). */
    write: (s: string) => void;
    /** Config overrides (the specs use a smaller gate). */
    overrides?: unknown;
    /** The engine's own output (default: dropped). */
    engineOutput?: (s: string) => void;
}

export interface CrashRun {
    run: number;
    exitCode: number;
    outcome: string;
    message: string;
    /** True when the engine rejected the candidate because it restarted (not for another reason). */
    rejectedAsCrashed: boolean;
    /** Production requests the load sent during the release, and how many failed. */
    total: number;
    failed: number;
    /** The same as the router counted them (restores included). */
    routerRequests: number;
    routerFailed: number;
    /** Whether the kill happened before the release ended (false: the release finished first). */
    killed: boolean;
    failures: string[];
}

export interface CrashAfterGateResult {
    router: RouterKind;
    runs: CrashRun[];
    total: number;
    failed: number;
}

const CANDIDATE = "1.2.8";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until every slot runs exactly what the state asks for: the next run starts from rest. */
async function settled(cluster: LocalCluster, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const st = cluster.status();
        const ok = SLOT_NAMES.every(
            (s) =>
                st.slots[s].ready === st.slots[s].desired.replicas &&
                (st.slots[s].desired.replicas === 0 || st.slots[s].versions.join() === (st.slots[s].desired.version ?? "")),
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`the local cluster did not settle within ${timeoutMs} ms: ${JSON.stringify(st.slots)}`);
        await sleep(50);
    }
}

export async function runCrashAfterGate(o: CrashAfterGateOptions): Promise<CrashAfterGateResult> {
    ensureAppBuilt(() => undefined);
    const config = loadConfig("dev", {
        overrides: {
            router: o.router,
            replicas: 2,
            production: { requests: 10, timeoutMs: 10_000 },
            local: { drainMs: 200, readyTimeoutMs: 10_000, stopGraceMs: 2000, port: 0 },
            ...((o.overrides as object) ?? {}),
        },
    });
    const cluster = new LocalCluster({
        appEntry: APP_ENTRY,
        appName: config.appName,
        host: config.host,
        headerName: config.headerName,
        router: o.router,
        defaultReplicas: config.replicas,
        ...config.local,
    });
    await cluster.start();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-crash-after-gate-"));
    const backend = new LocalBackend({ env: "dev", root, cluster, versionEnv: { [CANDIDATE]: { FAULT_LATENCY_MS: "150" } } });
    const runs: CrashRun[] = [];
    try {
        let arm: (() => void) | undefined;
        const deps: EngineDeps = {
            backend,
            config,
            reporter: createReporter({ write: o.engineOutput ?? (() => undefined), tfBuild: false }),
            // Called after every preview answer the gate gets, and with every gate verdict: they start the kill's clock.
            progress: { update: () => (o.killFrom === "first-preview" ? arm?.() : undefined), done: () => undefined },
            observer: { applied: () => undefined, gate: (g) => (o.killFrom === "gate-pass" && g.verdict === "pass" ? arm?.() : undefined) },
        };
        for (const v of ["1.0.0", "1.1.0"]) {
            const r = await runIntent(deps, { kind: "release", version: v });
            if (r.exitCode !== 0) throw new Error(`setup release ${v} failed: ${r.message ?? r.outcome}`);
        }
        for (let run = 1; run <= o.runs; run++) {
            await settled(cluster, 30_000);
            let killed = false;
            let timer: NodeJS.Timeout | undefined;
            let armed = true;
            arm = () => {
                if (!armed) return;
                armed = false;
                timer = setTimeout(() => {
                    const slot = SLOT_NAMES.find((s: SlotName) => cluster.slotProcesses(s).some((p) => p.spec.version === CANDIDATE));
                    if (!slot) return;
                    for (const p of cluster.slotProcesses(slot)) if (p.spec.version === CANDIDATE) p.crash();
                    killed = true;
                }, o.killAfterMs);
            };
            const load = startLoad(cluster.url, { concurrency: o.clients, timeoutMs: 5000 });
            const r = await runIntent(deps, { kind: "release", version: CANDIDATE });
            arm = undefined;
            if (timer) clearTimeout(timer);
            const stats = await load.stop();
            const message = r.message ?? r.outcome;
            const row: CrashRun = {
                run,
                exitCode: r.exitCode,
                outcome: r.outcome,
                message,
                rejectedAsCrashed: r.outcome === "rolled-back" && /crashed/.test(message),
                total: stats.total,
                failed: stats.failed,
                routerRequests: r.production?.requests ?? 0,
                routerFailed: r.production?.failed ?? 0,
                killed,
                failures: stats.failures,
            };
            runs.push(row);
            o.write(
                `run ${String(run).padStart(2)}: ${row.failed} of ${row.total} production requests failed (router: ${row.routerFailed} of ${row.routerRequests}); ` +
                    `${row.outcome}, exit ${row.exitCode}${killed ? "" : " (not killed: the release ended first)"}: ${message.split("\n")[0]}\n`,
            );
            for (const f of row.failures.slice(0, 3)) o.write(`        failed: ${f.trim()}\n`);
            // The release stays rejected only until it is released again: every run releases the same version.
            if (r.outcome === "done") {
                const back = await runIntent(deps, { kind: "rollback" });
                if (back.exitCode !== 0) throw new Error(`rollback after promoted run ${run} failed: ${back.message ?? back.outcome}`);
            }
        }
    } finally {
        await cluster.stop();
        fs.rmSync(root, { recursive: true, force: true });
    }
    const total = runs.reduce((n, r) => n + r.total, 0);
    const failed = runs.reduce((n, r) => n + r.failed, 0);
    const clean = runs.filter((r) => r.failed === 0).length;
    const crashed = runs.filter((r) => r.rejectedAsCrashed).length;
    o.write(
        `${o.router}: ${failed} of ${total} production requests failed over ${runs.length} runs; ${clean} of ${runs.length} runs with 0 failed; ${crashed} of ${runs.length} rejected as crashed\n`,
    );
    return { router: o.router, runs, total, failed };
}

/** `--name value` from argv, or the default. */
function arg(argv: string[], name: string, dflt: string): string {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
}

function intArg(argv: string[], name: string, dflt: number, min: number, max: number): number {
    const raw = arg(argv, name, String(dflt));
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
        process.stderr.write(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"\n`);
        process.exit(2);
    }
    return n;
}

function killFrom(argv: string[]): CrashAfterGateOptions["killFrom"] {
    const raw = arg(argv, "kill-from", "first-preview");
    if (raw === "first-preview" || raw === "gate-pass") return raw;
    process.stderr.write(`--kill-from must be first-preview or gate-pass, got "${raw}"\n`);
    process.exit(2);
}

if (require.main === module) {
    const argv = process.argv.slice(2);
    const routerRaw = arg(argv, "router", "gateway-api");
    const router = routerRaw === "gateway" ? "gateway-api" : routerRaw;
    if (router !== "gateway-api" && router !== "nginx") {
        process.stderr.write(`--router must be gateway-api (or gateway) or nginx, got "${routerRaw}"\n`);
        process.exit(2);
    }
    runCrashAfterGate({
        router,
        runs: intArg(argv, "runs", 20, 1, 1000),
        killAfterMs: intArg(argv, "kill-after-ms", 400, 0, 60_000),
        killFrom: killFrom(argv),
        clients: intArg(argv, "clients", 6, 1, 256),
        write: (s) => process.stdout.write(s),
        ...(process.env.PHOENIX_BENCH_VERBOSE === "1" ? { engineOutput: (s: string) => process.stdout.write(`    ${s}`) } : {}),
    }).then(
        (r) => process.exit(r.failed === 0 && r.runs.every((x) => x.rejectedAsCrashed) ? 0 : 1),
        (e: unknown) => {
            process.stderr.write(`crash-after-gate failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(1);
        },
    );
}
