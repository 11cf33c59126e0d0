/**
 * `phoenix-release load` (`npm run load -- --env dev --rps 50`): production traffic at a fixed rate
 * against a running local environment, a line every 5 s (requests, failures, who answered), until
 * `--duration` or Ctrl-C. Never starts the environment (exit 2 when it is not running).
 */
import type { Backend } from "../engine/backend";
import { InputError } from "../errors";
import { startRateLoad, type LoadStats } from "../demo/load";

export interface LoadCommandOptions {
    rps: number;
    /** Seconds; undefined: until stopped. */
    durationS?: number;
    write: (s: string) => void;
    /** Resolves when the user interrupts (Ctrl-C). */
    interrupted: Promise<unknown>;
    lineEveryMs?: number;
}

function answered(s: LoadStats): string {
    const who = Object.entries(s.answeredBy)
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");
    return who || "nobody yet";
}

export async function runLoadCommand(backend: Backend, env: string, o: LoadCommandOptions): Promise<LoadStats & { seconds: number }> {
    const seen = await backend.observe();
    if (!seen.running || !seen.endpoint)
        throw new InputError(
            `the local environment ${env} is not running${seen.detail ? ` (${seen.detail})` : ""}: release a version first (npm run release -- release <version>${env === "dev" ? "" : ` --env ${env}`})`,
        );
    const url = seen.endpoint.url;
    o.write(`load: ${o.rps} production requests/s at ${url}${o.durationS ? ` for ${o.durationS} s` : " until Ctrl-C"}\n`);
    const t0 = Date.now();
    const gen = startRateLoad(url, {
        rps: o.rps,
        timeoutMs: 5000,
        ...(seen.endpoint.hostHeader ? { hostHeader: seen.endpoint.hostHeader } : {}),
    });
    let prev = 0;
    const tick = setInterval(() => {
        const s = gen.stats();
        const secs = (Date.now() - t0) / 1000;
        o.write(
            `load: ${s.total} requests in ${secs.toFixed(0)} s (${((s.total - prev) / ((o.lineEveryMs ?? 5000) / 1000)).toFixed(0)}/s now), ${s.failed} failed; answered by ${answered(s)}\n`,
        );
        prev = s.total;
    }, o.lineEveryMs ?? 5000);
    await Promise.race([o.interrupted, ...(o.durationS ? [new Promise((r) => setTimeout(r, o.durationS! * 1000))] : [])]);
    clearInterval(tick);
    const s = await gen.stop();
    const seconds = (Date.now() - t0) / 1000;
    o.write(`load: done, ${s.total} requests in ${seconds.toFixed(1)} s, ${s.failed} failed; answered by ${answered(s)}\n`);
    for (const f of s.failures.slice(0, 3)) o.write(`  failed: ${f}\n`);
    return { ...s, seconds };
}
