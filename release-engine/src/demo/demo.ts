/**
 * `npm run demo`: Phoenix's main job on the embedded local backend, under continuous production load.
 *
 * From nothing: release 1.0.0 (goes live), release 1.1.0 (previewed, gated, promoted), release 1.2.0
 * with FAULT_ERROR_RATE=0.2 (the gate rejects it; its slot returns to standby 1.0.0), then rollback
 * (1.1.0 → 1.0.0, instant), then release 1.3.0, latently faulty: it passes the preview gate, reaches
 * its first weighted step, is judged worse than live on production traffic and rolled back
 * automatically. Prints a timeline, `latent fault: k of M …` for the fifth act and, last,
 * `failed production requests: F of N` for the four acts the preview gate judges; exits 1 if F is not
 * 0, a phase ends differently than expected, or the fifth act breaks its bounds.
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
import { DEFAULT_COMPARISON } from "../gates/compare";
import { trackExposure, type ExposureWindow } from "./exposure";
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
    /** The fifth act: the latent fault judged on production traffic. */
    latent?: LatentFaultResult;
}

/** API requests each process of the latently faulty 1.3.0 answers correctly before its faults begin (the preview gate sends ~56 per process). */
const LATENT_AFTER = 80;
/** The fifth act's production steps. */
const LATENT_STEPS = [5, 25, 50, 100];
/** The fifth act's bounds (issue 13): failed production requests during that release, and first exposure → weight 0. */
export const LATENT_BOUNDS = { maxFailedShare: 0.005, maxSecondsToWeightZero: 10 };

export interface LatentFaultResult {
    /** Failed production requests while the candidate had weight, and production requests then. */
    failedExposed: number;
    servedExposed: number;
    /** Failed and served production requests during the whole fifth release. */
    failedRelease: number;
    servedRelease: number;
    /** First exposure → weight back to 0, seconds (undefined: never exposed or never taken back). */
    secondsToWeightZero?: number;
    withinBound: boolean;
    line: string;
}

/** The fifth act's numbers from the load's answers and the exposure window the engine's applies marked. */
export function latentFault(
    answers: Array<{ t: number; ok: boolean }>,
    exposure: { from?: number; to?: number },
    start?: number,
    end?: number,
): LatentFaultResult {
    const within = (a: number, b: number) => answers.filter((x) => x.t >= a && x.t <= b);
    const exposed = exposure.from !== undefined ? within(exposure.from, exposure.to ?? end ?? Date.now()) : [];
    const release = start !== undefined ? within(start, end ?? Date.now()) : [];
    const failedExposed = exposed.filter((x) => !x.ok).length;
    const failedRelease = release.filter((x) => !x.ok).length;
    const seconds = exposure.from !== undefined && exposure.to !== undefined ? (exposure.to - exposure.from) / 1000 : undefined;
    const share = release.length ? failedRelease / release.length : 0;
    const withinBound = seconds !== undefined && seconds <= LATENT_BOUNDS.maxSecondsToWeightZero && share <= LATENT_BOUNDS.maxFailedShare;
    const pct = (n: number, d: number) => (d ? ((100 * n) / d).toFixed(2) : "0.00");
    const line =
        seconds === undefined
            ? `latent fault: the candidate was ${exposure.from === undefined ? "never exposed" : "never taken back to weight 0"} — FAILED`
            : `latent fault: ${failedExposed} of ${exposed.length} production requests failed while exposed (${pct(failedExposed, exposed.length)} %), weight back to 0 after ${seconds.toFixed(1)} s; ` +
              `${failedRelease} of ${release.length} during the release (${pct(failedRelease, release.length)} %, bound ${(LATENT_BOUNDS.maxFailedShare * 100).toFixed(1)} %)${withinBound ? "" : " — OUT OF BOUNDS"}`;
    return {
        failedExposed,
        servedExposed: exposed.length,
        failedRelease,
        servedRelease: release.length,
        ...(seconds !== undefined ? { secondsToWeightZero: seconds } : {}),
        withinBound,
        line,
    };
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
    const t0 = Date.now();
    const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s]`;
    const write = (s: string) =>
        o.write(
            s
                .split("\n")
                .map((l, i, a) => (l === "" && i === a.length - 1 ? l : `${stamp()} ${l}`))
                .join("\n"),
        );
    ensureAppBuilt((s) => write(`${s}\n`));
    const config: EngineConfig = loadConfig("dev", {
        overrides: {
            production: { requests: 10, timeoutMs: 10_000 },
            // The fifth act's steps are judged in seconds: a short bake, a small minimum sample.
            progressive: {
                steps: [100],
                pollMs: 100,
                analysis: { ...DEFAULT_COMPARISON, minBakeMs: 1000, minRequests: 30, maxDurationMs: 60_000 },
            },
            local: { drainMs: o.drainMs, readyTimeoutMs: 10_000, stopGraceMs: 2000, port: o.port },
            ...(o.router ? { router: o.router } : {}),
            ...((o.overrides as object) ?? {}),
        },
    });
    const cluster = new LocalCluster({
        appEntry: APP_ENTRY,
        appName: config.appName,
        host: config.host,
        headerName: config.headerName,
        router: config.router,
        defaultReplicas: config.replicas,
        ...config.local,
    });
    await cluster.start();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-demo-"));
    // 1.2.0 fails 20 % from the start (the preview gate rejects it); 1.3.0 is latently faulty: each process
    // answers its first LATENT_AFTER API requests correctly (enough to pass the preview gate), then fails 20 %.
    const versionEnv: Record<string, Record<string, string>> = {
        "1.2.0": { FAULT_ERROR_RATE: "0.2" },
        "1.3.0": { FAULT_ERROR_RATE: "0.2", FAULT_AFTER_REQUESTS: String(LATENT_AFTER) },
    };
    const backend = new LocalBackend({ env: "dev", root, cluster, versionEnv });
    const reporter = createReporter({ write, tfBuild: false });
    const timeline = new Timeline();
    // The fifth act's exposure: from the first record giving the candidate weight to the one taking it back.
    const exposure: ExposureWindow = { active: false };
    const deps: EngineDeps = { backend, config, reporter, observer: trackExposure(exposure, engineObserver(timeline)) };
    const answers: Array<{ t: number; ok: boolean }> = [];
    const phases: DemoPhase[] = [];
    let fourActs: { total: number; failed: number; failures: string[] } | undefined;
    let fifthStart: number | undefined;
    let fifthEnd: number | undefined;
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
        load = startLoad(cluster.url, {
            concurrency: o.loadConcurrency,
            timeoutMs: 5000,
            onAnswer: (slot, version, ok, t) => {
                timeline.response(slot, version, ok, t);
                answers.push({ t, ok });
            },
        });
        write(`production load started: ${o.loadConcurrency} concurrent clients\n`);
        await phase("release 1.1.0 (preview, gate, promote)", { kind: "release", version: "1.1.0" }, 0);
        await phase("release 1.2.0 with FAULT_ERROR_RATE=0.2 (must be rejected)", { kind: "release", version: "1.2.0" }, 1);
        await phase("rollback (1.1.0 → 1.0.0)", { kind: "rollback" }, 0);
        // The four acts the preview gate judges end here; the fifth is judged on production traffic.
        fourActs = { total: load.stats().total, failed: load.stats().failed, failures: [...load.stats().failures] };
        exposure.active = true;
        fifthStart = Date.now();
        await phase(
            `release 1.3.0, latently faulty after ${LATENT_AFTER} requests per process, in steps ${LATENT_STEPS.join("/")} % (must be rolled back at a step)`,
            { kind: "release", version: "1.3.0", steps: LATENT_STEPS },
            1,
        );
        fifthEnd = Date.now();
    } finally {
        const stats = load ? await load.stop() : { total: 0, failed: 0, answeredBy: {}, failures: [], switches: [] };
        const four = fourActs ?? { total: stats.total, failed: stats.failed, failures: stats.failures };
        await cluster.stop();
        fs.rmSync(root, { recursive: true, force: true });
        const latent = latentFault(answers, exposure, fifthStart, fifthEnd);
        const ok = four.failed === 0 && phases.length === 5 && phases.every((p) => p.exitCode === p.expectedExit) && latent.withinBound;
        write(
            `production answers by slot/version: ${Object.entries(stats.answeredBy)
                .map(([k, v]) => `${k}: ${v}`)
                .join(", ")}\n`,
        );
        // A weighted step alternates answerers request by request: show the first switches, then count.
        const shown = stats.switches.slice(0, 8).map((s) => `${(s.atMs / 1000).toFixed(1)} s → ${s.to}`);
        write(
            `production switches: ${shown.join("; ")}${stats.switches.length > 8 ? `; … ${stats.switches.length - 8} more (a weighted step mixes answerers)` : ""}\n`,
        );
        for (const f of four.failures) write(`failed: ${f}\n`);
        write(`demo ${ok ? "passed" : "FAILED"} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        const reportPath = writeReport(o.reportDir ?? path.join(process.cwd(), ".phoenix", "demo"), "demo", timeline.data(), {
            title: "Phoenix demo: production during five releases",
            env: "dev (demo)",
            what: phases.map((p) => p.name.split(" (")[0]).join(", "),
            outcome: ok ? "passed" : "FAILED",
            generatedAt: Date.now(),
            source: "the demo's production load (client side)",
        });
        o.write(`report: ${reportPath}\n`);
        o.write(`${latent.line}\n`);
        o.write(`failed production requests: ${four.failed} of ${four.total}\n`);
        lastResult = {
            ok,
            phases,
            load: { ...stats, total: four.total, failed: four.failed, failures: four.failures },
            latent,
            durationMs: Date.now() - t0,
            url: cluster.url,
            reportPath,
        };
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
