/**
 * Measures progressive delivery end to end on the local backend (real app processes behind the
 * router model, continuous production load), for issue 13's targets:
 * - latent 20 % fault, steps 5/25/50/100: rolled back at the first step? failed share of production
 *   during the release; first exposure → weight 0 (seconds);
 * - healthy candidate: promoted through every step? each step's verdict time;
 * - latency-only regression (+200 ms): rolled back at the first step?
 *
 *   node -r ts-node/register/transpile-only release-engine/scripts/progressive-rates.ts [runs] [router]
 *
 * Defaults: 20 runs per row, gateway-api. Analysis settings as the demo's (1 s bake, 30 requests).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalCluster } from "../src/backends/local/cluster";
import { LocalBackend } from "../src/backends/local/local-backend";
import { APP_ENTRY, ensureAppBuilt } from "../src/demo/app-build";
import { trackExposure, type ExposureWindow } from "../src/demo/exposure";
import { startLoad } from "../src/demo/load";
import { runIntent, type EngineDeps } from "../src/engine/engine";
import { createReporter } from "../src/engine/reporter";
import { DEFAULT_COMPARISON } from "../src/gates/compare";
import { loadConfig } from "../src/settings/config";

const STEPS = [5, 25, 50, 100];

function quantile(xs: number[], q: number): number {
    if (!xs.length) return Number.NaN;
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 20);
    const router = (process.argv[3] ?? "gateway-api") as "gateway-api" | "nginx";
    ensureAppBuilt(() => undefined);
    const config = loadConfig("dev", {
        overrides: {
            router,
            replicas: 2,
            production: { requests: 5, timeoutMs: 10_000 },
            progressive: {
                steps: STEPS,
                pollMs: 100,
                analysis: { ...DEFAULT_COMPARISON, minBakeMs: 1000, minRequests: 30, maxDurationMs: 60_000 },
            },
            local: { drainMs: 200, readyTimeoutMs: 10_000, stopGraceMs: 2000, port: 0 },
        },
    });
    const cluster = new LocalCluster({
        appEntry: APP_ENTRY,
        appName: config.appName,
        host: config.host,
        headerName: config.headerName,
        router,
        defaultReplicas: 2,
        ...config.local,
    });
    await cluster.start();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-progressive-rates-"));
    const versionEnv: Record<string, Record<string, string>> = {};
    const backend = new LocalBackend({ env: "dev", root, cluster, versionEnv });
    const exposure: ExposureWindow = { active: true };
    const deps: EngineDeps = {
        backend,
        config,
        reporter: createReporter({ write: () => undefined, tfBuild: false }),
        observer: trackExposure(exposure),
    };
    await runIntent(deps, { kind: "release", version: "1.0.0" });
    const answers: Array<{ t: number; ok: boolean }> = [];
    const load = startLoad(cluster.url, { concurrency: 4, timeoutMs: 5000, onAnswer: (_s, _v, ok, t) => answers.push({ t, ok }) });
    let n = 0;
    const row = async (name: string, env: Record<string, string>) => {
        const out = {
            firstStep: 0,
            laterStep: 0,
            promoted: 0,
            other: 0,
            shares: [] as number[],
            toZero: [] as number[],
            verdictMs: [] as number[][],
        };
        for (let i = 0; i < runs; i++) {
            const version = `2.${++n}.0`;
            versionEnv[version] = env;
            exposure.from = undefined;
            exposure.to = undefined;
            const t0 = Date.now();
            const r = await runIntent(deps, { kind: "release", version });
            const t1 = Date.now();
            const during = answers.filter((a) => a.t >= t0 && a.t <= t1);
            out.shares.push(during.filter((a) => !a.ok).length / Math.max(1, during.length));
            const shifts = r.steps.filter((s) => s.name === "shift");
            if (r.exitCode === 0) {
                out.promoted++;
                out.verdictMs.push(shifts.map((s) => s.durationMs));
            } else if (shifts.length === 1 && shifts[0].status === "failed") out.firstStep++;
            else if (shifts.some((s) => s.status === "failed")) out.laterStep++;
            else out.other++;
            if (exposure.from !== undefined && exposure.to !== undefined) out.toZero.push((exposure.to - exposure.from) / 1000);
            process.stderr.write(`${name} ${i + 1}/${runs}: exit ${r.exitCode}, shifts ${shifts.map((s) => s.status).join(",")}\n`);
        }
        return out;
    };
    const latent = await row("latent 20 %", { FAULT_ERROR_RATE: "0.2", FAULT_AFTER_REQUESTS: "80" });
    const healthy = await row("healthy", {});
    const slow = await row("latency +200 ms", { FAULT_LATENCY_MS: "200", FAULT_AFTER_REQUESTS: "80" });
    const stats = await load.stop();
    await cluster.stop();
    fs.rmSync(root, { recursive: true, force: true });
    const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
    const lines = [
        `router ${router}, steps ${STEPS.join("/")}, ${runs} runs per row, load 4 clients (${stats.total} production requests in all)`,
        "",
        "| row | rolled back at step 1 | at a later step | promoted | failed share of production during the release (median / max) | first exposure → weight 0, s (median / p95) |",
        "|---|---|---|---|---|---|",
        `| latent 20 % fault | ${latent.firstStep}/${runs} | ${latent.laterStep} | ${latent.promoted} | ${pct(quantile(latent.shares, 0.5))} / ${pct(Math.max(...latent.shares))} | ${quantile(latent.toZero, 0.5).toFixed(1)} / ${quantile(latent.toZero, 0.95).toFixed(1)} |`,
        `| latency +200 ms | ${slow.firstStep}/${runs} | ${slow.laterStep} | ${slow.promoted} | ${pct(quantile(slow.shares, 0.5))} / ${pct(Math.max(...slow.shares))} | ${quantile(slow.toZero, 0.5).toFixed(1)} / ${quantile(slow.toZero, 0.95).toFixed(1)} |`,
        `| healthy | ${healthy.firstStep} | ${healthy.laterStep} | ${healthy.promoted}/${runs} | ${pct(quantile(healthy.shares, 0.5))} / ${pct(Math.max(...healthy.shares))} | - |`,
        "",
        ...STEPS.filter((w) => w < 100).map((w, i) => {
            const ms = healthy.verdictMs.map((v) => v[i]).filter((x) => x !== undefined);
            return `healthy step ${w} %: verdict in ${(quantile(ms, 0.5) / 1000).toFixed(1)} s median, ${(quantile(ms, 0.95) / 1000).toFixed(1)} s p95`;
        }),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
});
