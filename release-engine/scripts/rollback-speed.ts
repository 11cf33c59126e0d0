/**
 * How fast a rollback reaches production, as a user sees it (issue 20): on the local backend, with
 * 1.0.0 as standby behind 1.1.0 live and production load running, the real CLI (`phoenix-release
 * rollback`, a new process each time) is spawned `runs` times; each run measures from the spawn to the
 * first production answer served by 1.0.0 (the app names its version in `x-app-version`), then
 * re-releases 1.1.0 for the next run. Beside it: the CLI's own start (`--help`, spawn → exit) and a bare
 * `node -e 0`, and every failed production request (there must be none).
 *
 *   npm run bench:rollback -- [runs] [rps] [router]
 *
 * Defaults: 10 runs, 100 production requests/s, gateway-api. Everything listens on loopback; the
 * environment lives in a temporary PHOENIX_HOME and is stopped (local-down) at the end.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APP_ENTRY, REPO_ROOT, ensureAppBuilt } from "../src/demo/app-build";
import { startRateLoad } from "../src/demo/load";

const BIN = path.join(REPO_ROOT, "release-engine", "bin", "phoenix-release.js");
const OLD = "1.0.0";
const NEW = "1.1.0";

interface Spawned {
    code: number | null;
    /** stdout, then stderr. */
    out: string;
    stdout: string;
    /** Spawn → exit, ms. */
    ms: number;
}

/** Runs `node args` to its end; `started` is told the moment it was spawned. */
function run(args: string[], env: NodeJS.ProcessEnv, started?: (t: number) => void): Promise<Spawned> {
    return new Promise((resolve, reject) => {
        const t0 = Date.now();
        const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
        started?.(t0);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, out: `${stdout}${stderr}`, stdout, ms: Date.now() - t0 }));
    });
}

async function cli(args: string[], env: NodeJS.ProcessEnv, started?: (t: number) => void): Promise<Spawned> {
    return run([BIN, ...args], env, started);
}

async function mustSucceed(what: string, p: Promise<Spawned>): Promise<Spawned> {
    const r = await p;
    if (r.code !== 0) throw new Error(`${what} exited ${r.code}:\n${r.out}`);
    return r;
}

/** min / median / max of a sample (median of an even sample: the mean of the middle two). */
export function summary(xs: number[]): { min: number; median: number; max: number } {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    return { min: s[0], median: mid, max: s[s.length - 1] };
}

function fmt(xs: number[]): string {
    const s = summary(xs);
    return `${s.min.toFixed(0)} / ${s.median.toFixed(0)} / ${s.max.toFixed(0)} ms`;
}

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 10);
    const rps = Number(process.argv[3] ?? 100);
    const router = process.argv[4] ?? "gateway-api";
    if (!(Number.isInteger(runs) && runs >= 1 && runs <= 100))
        throw new Error(`runs must be an integer from 1 to 100, got ${process.argv[2]}`);
    if (!(rps > 0 && rps <= 1000)) throw new Error(`rps must be from 1 to 1000, got ${process.argv[3]}`);
    if (router !== "gateway-api" && router !== "nginx") throw new Error(`router must be gateway-api or nginx, got ${router}`);
    ensureAppBuilt((s) => process.stderr.write(`${s}\n`));
    if (!fs.existsSync(APP_ENTRY)) throw new Error(`the app is not built (${APP_ENTRY})`);
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-rollback-speed-"));
    const configDir = path.join(home, "config");
    fs.mkdirSync(configDir);
    // The dev environment's settings as they are, with the router chosen here.
    const devConfig = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "release-engine", "config", "dev.json"), "utf8")) as Record<
        string,
        unknown
    >;
    fs.writeFileSync(path.join(configDir, "dev.json"), JSON.stringify({ ...devConfig, router }));
    const env: NodeJS.ProcessEnv = { ...process.env, PHOENIX_HOME: home, PHOENIX_CONFIG_DIR: configDir };
    for (const k of Object.keys(env)) if (k.startsWith("FAULT_") || k === "TF_BUILD" || k === "BUILD_BUILDID") delete env[k];

    let load: ReturnType<typeof startRateLoad> | undefined;
    try {
        process.stderr.write(`bringing up dev: release ${OLD}, then ${NEW} (router ${router})\n`);
        await mustSucceed(`release ${OLD}`, cli(["release", OLD], env));
        await mustSucceed(`release ${NEW}`, cli(["release", NEW], env));
        const status = JSON.parse((await mustSucceed("status --json", cli(["status", "--json"], env))).stdout) as { url?: string };
        if (!status.url) throw new Error("status gave no url");

        // Watches production answers: the first one from OLD after a rollback's spawn.
        let watch: { since: number; first?: number } | undefined;
        const failures: number[] = [];
        load = startRateLoad(status.url, {
            rps,
            timeoutMs: 5000,
            onAnswer: (_slot, version, ok, t) => {
                if (!ok) failures.push(t);
                if (ok && watch && watch.first === undefined && version === OLD && t >= watch.since) watch.first = t;
            },
        });
        await new Promise((r) => setTimeout(r, 1000));
        await run(["-e", "0"], env); // warm the file cache for both baselines
        await cli(["--help"], env);

        const toOld: number[] = [];
        const rollbackExit: number[] = [];
        const help: number[] = [];
        const bare: number[] = [];
        let failedDuringRollbacks = 0;
        for (let i = 0; i < runs; i++) {
            bare.push((await run(["-e", "0"], env)).ms);
            help.push((await mustSucceed("--help", cli(["--help"], env))).ms);
            const w: { since: number; first?: number } = { since: Number.POSITIVE_INFINITY };
            watch = w;
            const failedBefore = failures.length;
            const rb = await mustSucceed(
                "rollback",
                cli(["rollback"], env, (t) => (w.since = t)),
            );
            // The first answer may still be on its way when the command exits (it never is in practice).
            for (let k = 0; k < 50 && w.first === undefined; k++) await new Promise((r) => setTimeout(r, 20));
            watch = undefined;
            if (w.first === undefined) throw new Error(`run ${i + 1}: no production answer from ${OLD} after the rollback:\n${rb.out}`);
            toOld.push(w.first - w.since);
            rollbackExit.push(rb.ms);
            failedDuringRollbacks += failures.length - failedBefore;
            process.stderr.write(
                `run ${i + 1}/${runs}: first ${OLD} answer ${w.first - w.since} ms after spawn; rollback exited after ${rb.ms} ms; --help ${help[i]} ms, node -e 0 ${bare[i]} ms\n`,
            );
            await mustSucceed(`re-release ${NEW}`, cli(["release", NEW], env));
        }
        const stats = await load.stop();
        load = undefined;
        const lines = [
            `rollback speed: ${runs} runs, router ${router}, ${rps} production requests/s (${stats.total} in all), ${os.cpus().length} cores`,
            "",
            "| measured | min / median / max |",
            "|---|---|",
            `| spawn of \`rollback\` → first production answer from ${OLD} | ${fmt(toOld)} |`,
            `| spawn of \`rollback\` → its exit (checks and record included) | ${fmt(rollbackExit)} |`,
            `| CLI start: \`--help\`, spawn → exit | ${fmt(help)} |`,
            `| bare \`node -e 0\`, spawn → exit | ${fmt(bare)} |`,
            "",
            `failed production requests: ${stats.failed} of ${stats.total} (${failedDuringRollbacks} during rollbacks)`,
            ...stats.failures.slice(0, 5).map((f) => `  ${f}`),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
        if (stats.failed > 0) process.exitCode = 1;
    } finally {
        await load?.stop();
        await cli(["local-down"], env).catch(() => undefined);
        fs.rmSync(home, { recursive: true, force: true });
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
});
