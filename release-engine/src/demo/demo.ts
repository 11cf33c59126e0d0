/**
 * `npm run demo`: Phoenix's main job on the embedded local backend, under continuous production load.
 *
 * From nothing: release 1.0.0 (goes live), release 1.1.0 (previewed, gated, promoted), release 1.2.0
 * with FAULT_ERROR_RATE=0.2 (the gate rejects it; its slot returns to standby 1.0.0), then rollback
 * (1.1.0 → 1.0.0, instant). Prints a timeline and `failed production requests: F of N`; exits 1 if
 * F is not 0 or a phase ends differently than expected.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalCluster } from "../backends/local/cluster";
import { LocalBackend } from "../backends/local/local-backend";
import { runIntent, type EngineDeps, type RunResult } from "../engine/engine";
import { createReporter } from "../engine/reporter";
import type { Intent } from "../planner/types";
import { describeState } from "../planner/plan";
import { loadConfig, type EngineConfig } from "../settings/config";
import { APP_ENTRY, ensureAppBuilt } from "./app-build";
import { startLoad, type LoadStats } from "./load";
import { engineObserver, Timeline } from "../observe/timeline";
import { writeReport } from "../observe/report-file";

export interface DemoOptions {
    write: (s: string) => void;
    /** Pause between phases so a person can watch the page (ms). */
    pauseMs: number;
    /** Proxy port (0: any free port). */
    port: number;
    drainMs: number;
    loadConcurrency: number;
    /** Config overrides (tests use a smaller gate). */
    overrides?: unknown;
    /** The router model the local proxy applies (default: the config's, gateway-api). */
    router?: "gateway-api" | "nginx";
    /** The demo's state folder; its report goes to `<reportDir>/reports/` (default `.phoenix/demo`). */
    reportDir?: string;
}

export interface DemoPhase {
    name: string;
    expectedExit: number;
    exitCode: number;
    outcome: string;
    durationMs: number;
    state: string;
}

export interface DemoResult {
    ok: boolean;
    phases: DemoPhase[];
    load: LoadStats;
    durationMs: number;
    url: string;
    /** The HTML report of the run. */
    reportPath?: string;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
    const t0 = Date.now();
    const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s]`;
    const write = (s: string) => o.write(s.split("\n").map((l, i, a) => (l === "" && i === a.length - 1 ? l : `${stamp()} ${l}`)).join("\n"));
    ensureAppBuilt((s) => write(`${s}\n`));
    const config: EngineConfig = loadConfig("dev", {
        overrides: {
            production: { requests: 10, timeoutMs: 10_000 },
            local: { drainMs: o.drainMs, readyTimeoutMs: 10_000, stopGraceMs: 2000, port: o.port },
            ...(o.router ? { router: o.router } : {}),
            ...((o.overrides as object) ?? {}),
        },
    });
    const cluster = new LocalCluster({ appEntry: APP_ENTRY, appName: config.appName, host: config.host, headerName: config.headerName, router: config.router, defaultReplicas: config.replicas, ...config.local });
    await cluster.start();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-demo-"));
    const versionEnv: Record<string, Record<string, string>> = { "1.2.0": { FAULT_ERROR_RATE: "0.2" } };
    const backend = new LocalBackend({ env: "dev", root, cluster, versionEnv });
    const reporter = createReporter({ write, tfBuild: false });
    const timeline = new Timeline();
    const deps: EngineDeps = { backend, config, reporter, observer: engineObserver(timeline) };
    const phases: DemoPhase[] = [];
    let load: ReturnType<typeof startLoad> | undefined;
    const pause = () => new Promise((r) => setTimeout(r, o.pauseMs));
    try {
        const previews = config.secretPreview
            ? `the candidate is reached by header "${config.headerName}" with its release's secret value (npm run release -- status --show-secrets prints it and a ready curl line on a long-lived environment)`
            : `the candidate is reached by header "${config.headerName}: always"`;
        write(`live page: ${cluster.url}/  (production: ${cluster.url}/api/calculation; router: ${config.router}; ${previews})\n`);
        const phase = async (name: string, intent: Intent, expectedExit: number) => {
            write(`── ${name}\n`);
            const r: RunResult = await runIntent(deps, intent);
            const state = describeState(r.record?.state ?? null);
            phases.push({ name, expectedExit, exitCode: r.exitCode, outcome: r.outcome, durationMs: r.durationMs, state });
            write(`   ${r.outcome} (exit ${r.exitCode}, expected ${expectedExit}) in ${(r.durationMs / 1000).toFixed(2)} s → ${state}\n`);
            await pause();
        };
        await phase("release 1.0.0 (first release: goes live)", { kind: "release", version: "1.0.0" }, 0);
        load = startLoad(cluster.url, { concurrency: o.loadConcurrency, timeoutMs: 5000, onAnswer: (slot, version, ok, t) => timeline.response(slot, version, ok, t) });
        write(`production load started: ${o.loadConcurrency} concurrent clients\n`);
        await phase("release 1.1.0 (preview, gate, promote)", { kind: "release", version: "1.1.0" }, 0);
        await phase("release 1.2.0 with FAULT_ERROR_RATE=0.2 (must be rejected)", { kind: "release", version: "1.2.0" }, 1);
        await phase("rollback (1.1.0 → 1.0.0)", { kind: "rollback" }, 0);
    } finally {
        const stats = load ? await load.stop() : { total: 0, failed: 0, answeredBy: {}, failures: [], switches: [] };
        await cluster.stop();
        fs.rmSync(root, { recursive: true, force: true });
        const ok = stats.failed === 0 && phases.length === 4 && phases.every((p) => p.exitCode === p.expectedExit);
        write(`production answers by slot/version: ${Object.entries(stats.answeredBy).map(([k, v]) => `${k}: ${v}`).join(", ")}\n`);
        write(`production switches: ${stats.switches.map((s) => `${(s.atMs / 1000).toFixed(1)} s → ${s.to}`).join("; ")}\n`);
        for (const f of stats.failures) write(`failed: ${f}\n`);
        write(`demo ${ok ? "passed" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        const reportPath = writeReport(o.reportDir ?? path.join(process.cwd(), ".phoenix", "demo"), "demo", timeline.data(), {
            title: "Phoenix demo: production during four releases",
            env: "dev (demo)",
            what: phases.map((p) => p.name.split(" (")[0]).join(", "),
            outcome: ok ? "passed" : "FAILED",
            generatedAt: Date.now(),
            source: "the demo's production load (client side)",
        });
        o.write(`report: ${reportPath}\n`);
        o.write(`failed production requests: ${stats.failed} of ${stats.total}\n`);
        lastResult = { ok, phases, load: stats, durationMs: Date.now() - t0, url: cluster.url, reportPath };
    }
    return lastResult;
}

let lastResult: DemoResult;

/** A whole number from `min` to `max` from the environment, or the default; anything else stops the demo (exit 2). */
function envInt(name: string, dflt: number, min: number, max: number): number {
    const raw = process.env[name];
    if (raw === undefined || raw === "") return dflt;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
        process.stderr.write(`${name} must be a whole number from ${min} to ${max}, got "${raw}"\n`);
        process.exit(2);
    }
    return n;
}

/** PHOENIX_DEMO_ROUTER: the router model the demo's proxy applies; anything else stops the demo (exit 2). */
function envRouter(): "gateway-api" | "nginx" | undefined {
    const raw = process.env.PHOENIX_DEMO_ROUTER;
    if (raw === undefined || raw === "") return undefined;
    if (raw === "gateway-api" || raw === "nginx") return raw;
    process.stderr.write(`PHOENIX_DEMO_ROUTER must be gateway-api or nginx, got "${raw}"\n`);
    process.exit(2);
}

if (require.main === module) {
    const interactive = process.stdout.isTTY === true;
    runDemo({
        router: envRouter(),
        write: (s) => process.stdout.write(s),
        pauseMs: envInt("PHOENIX_DEMO_PAUSE_MS", interactive ? 2000 : 0, 0, 600_000),
        port: envInt("PHOENIX_DEMO_PORT", 0, 0, 65535),
        drainMs: 500,
        loadConcurrency: envInt("PHOENIX_DEMO_CLIENTS", 4, 1, 256),
    }).then(
        (r) => process.exit(r.ok ? 0 : 1),
        (e: unknown) => {
            process.stderr.write(`demo failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
            process.exit(1);
        },
    );
}
