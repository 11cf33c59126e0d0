/** Shared fixtures for the release-engine specs: a local cluster of real app processes on loopback. */
import { LocalCluster, type LocalClusterOptions } from "../../release-engine/src/backends/local/cluster";
import { APP_ENTRY, ensureAppBuilt } from "../../release-engine/src/demo/app-build";
import { DEFAULT_HTTP_GATE, type HttpGateConfig } from "../../release-engine/src/gates/http-gate";

/**
 * A gate sized for tests: same error statistics as dev, smaller cap. The latency bound is far above
 * what a loaded CI machine adds: with 4 requests in flight, one stall (a cold process, a busy core)
 * makes them all "slow" at once and 3 slow answers reject, so a 250 ms bound failed healthy candidates
 * in about 1 of 20 runs on a loaded 2-core machine. Slow test candidates (SLOW_MS) stay well above it
 * and below the timeout, so they are still rejected on p95, never on errors.
 */
export const TEST_GATE: HttpGateConfig = {
    ...DEFAULT_HTTP_GATE,
    maxRequests: 200,
    minRequests: 20,
    concurrency: 4,
    timeoutMs: 5000,
    maxP95Ms: 1000,
};
/** FAULT_LATENCY_MS of the slow test candidates: above TEST_GATE.maxP95Ms, below its timeout. */
export const SLOW_MS = 1500;

export async function startCluster(over: Partial<LocalClusterOptions> = {}): Promise<LocalCluster> {
    ensureAppBuilt(() => undefined);
    const c = new LocalCluster({
        appEntry: APP_ENTRY,
        appName: "calculator",
        host: "phoenix.local",
        headerName: "canary",
        drainMs: 200,
        readyTimeoutMs: 10_000,
        stopGraceMs: 2000,
        port: 0,
        ...over,
    });
    await c.start();
    return c;
}
