/**
 * `npm run bench -w app`: the worst cases, measured.
 *  1. factorize() on hard inputs (the largest primes below 2^53, semiprimes of two primes near 2^26.5,
 *     squares, three-prime products) — per-input worst time against the 5 ms target;
 *  2. the built service (`node dist/main.js` on 127.0.0.1, a separate process) driven by autocannon
 *     with POST /api/calculation on those inputs — requests/s and p50/p99 latency.
 * Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (default 32).
 */
import { spawn } from "child_process";
import * as path from "path";
import autocannon from "autocannon";
import { factorize, isPrime } from "../src/factorize";

const TARGET_MS = 5;

function primesBelow(bound: number, count: number): number[] {
    const out: number[] = [];
    for (let x = Math.floor(bound) - 1; out.length < count; x--) if (isPrime(x)) out.push(x);
    return out;
}

export function hardInputs(): number[] {
    const nearSqrt = primesBelow(Math.sqrt(Number.MAX_SAFE_INTEGER), 24);
    const semiprimes: number[] = [];
    for (let i = 0; i < nearSqrt.length; i++) for (let j = i; j < nearSqrt.length; j++) semiprimes.push(nearSqrt[i] * nearSqrt[j]);
    const nearCbrt = primesBelow(Math.cbrt(Number.MAX_SAFE_INTEGER), 6);
    const triples = [nearCbrt[0] * nearCbrt[1] * nearCbrt[2], nearCbrt[3] * nearCbrt[4] * nearCbrt[5]];
    // Unbalanced semiprimes: a factor just above trial division times a large prime.
    const unbalanced = primesBelow(Number.MAX_SAFE_INTEGER / 4099, 4).map((p) => p * 4099);
    return [...primesBelow(Number.MAX_SAFE_INTEGER, 30), ...semiprimes, ...triples, ...unbalanced];
}

function percentile(sorted: number[], p: number): number {
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface MicroResult {
    /** Worst over inputs of each input's best-of-5 time: the algorithm's worst case. */
    worstMs: number;
    worstInput: number;
    /** Worst single run including machine noise (GC, other processes). */
    worstRawMs: number;
    p50Ms: number;
    p99Ms: number;
    meanMs: number;
}

function microBenchmark(inputs: number[]): MicroResult {
    for (const n of inputs) factorize(n); // warm-up (JIT)
    const perInput: Array<[number, number]> = [];
    let worstRawMs = 0;
    for (const n of inputs) {
        let best = Infinity;
        for (let r = 0; r < 5; r++) {
            const t = process.hrtime.bigint();
            const f = factorize(n);
            const ms = Number(process.hrtime.bigint() - t) / 1e6;
            if (f.reduce((a, b) => a * b, 1) !== n) throw new Error(`wrong factors for ${n}: ${f.join(" ")}`);
            best = Math.min(best, ms);
            worstRawMs = Math.max(worstRawMs, ms);
        }
        perInput.push([n, best]);
    }
    const times = perInput.map(([, ms]) => ms).sort((a, b) => a - b);
    const [worstInput, worstMs] = perInput.reduce((a, b) => (b[1] > a[1] ? b : a));
    return {
        worstMs,
        worstInput,
        worstRawMs,
        p50Ms: percentile(times, 50),
        p99Ms: percentile(times, 99),
        meanMs: times.reduce((a, b) => a + b, 0) / times.length,
    };
}

async function startService(): Promise<{ port: number; stop: () => Promise<void> }> {
    const child = spawn(process.execPath, [path.join(__dirname, "..", "dist", "main.js")], {
        env: {
            PATH: process.env.PATH ?? "",
            PORT: "0",
            HOST: "127.0.0.1",
            APP_VERSION: "0.0.0-bench",
            APP_SLOT: "local",
            SHUTDOWN_DRAIN_MS: "0",
        },
        stdio: ["ignore", "pipe", "inherit"],
    });
    const port = await new Promise<number>((resolve, reject) => {
        let buf = "";
        child.stdout.on("data", (d: Buffer) => {
            buf += d.toString();
            const m = /"event":"listening","port":(\d+)/.exec(buf);
            if (m) resolve(Number(m[1]));
        });
        child.on("exit", (code) => reject(new Error(`service exited with ${code} before listening`)));
    });
    const stop = () =>
        new Promise<void>((resolve) => {
            child.removeAllListeners("exit");
            child.on("exit", () => resolve());
            child.kill("SIGTERM");
        });
    return { port, stop };
}

async function main(): Promise<void> {
    const inputs = hardInputs();
    const micro = microBenchmark(inputs);
    console.log(`factorize: ${inputs.length} hard inputs (primes < 2^53, semiprimes of primes near 2^26.5, 3-prime products)`);
    console.log(
        `  worst ${micro.worstMs.toFixed(3)} ms (n=${micro.worstInput}, best of 5), p99 ${micro.p99Ms.toFixed(3)} ms, p50 ${micro.p50Ms.toFixed(3)} ms, mean ${micro.meanMs.toFixed(3)} ms; worst single run ${micro.worstRawMs.toFixed(3)} ms; target < ${TARGET_MS} ms: ${micro.worstMs < TARGET_MS ? "met" : "MISSED"}`,
    );

    const duration = Number(process.env.BENCH_DURATION ?? 10);
    const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
    const { port, stop } = await startService();
    try {
        const result = await autocannon({
            url: `http://127.0.0.1:${port}`,
            connections,
            duration,
            requests: inputs.map((n) => ({
                method: "POST" as const,
                path: "/api/calculation",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ number: n }),
            })),
        });
        console.log(
            `HTTP POST /api/calculation on the hard inputs: autocannon ${connections} connections, ${duration} s, 127.0.0.1, service in its own process`,
        );
        console.log(
            `  ${result.requests.average.toFixed(0)} req/s (total ${result.requests.total}), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms; non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
        );
        if (result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
    } finally {
        await stop();
    }
    if (micro.worstMs >= TARGET_MS) process.exitCode = 1;
}

if (require.main === module) {
    main().catch((e: unknown) => {
        console.error(e);
        process.exit(1);
    });
}
