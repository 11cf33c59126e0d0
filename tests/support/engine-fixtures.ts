/** Shared fixtures for the release-engine specs: a local cluster of real app processes on loopback. */
import { LocalCluster, type LocalClusterOptions } from "../../release-engine/src/backends/local/cluster";
import { APP_ENTRY, ensureAppBuilt } from "../../release-engine/src/demo/app-build";
import { DEFAULT_HTTP_GATE, type HttpGateConfig } from "../../release-engine/src/gates/http-gate";

/** A gate sized for tests: same statistics as dev, smaller cap. */
export const TEST_GATE: HttpGateConfig = { ...DEFAULT_HTTP_GATE, maxRequests: 200, minRequests: 20, concurrency: 4, timeoutMs: 2000, maxP95Ms: 250 };

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
