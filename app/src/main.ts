/**
 * Entry point: `node dist/main.js`. Validates the environment (refusing to start on any problem),
 * starts telemetry if configured, then the server, and wires graceful shutdown.
 * Logs `{"event":"listening","port":N,...}` once listening (the release engine's local backend reads it).
 */
import * as os from "os";
import { ConfigError, parseConfig, type AppConfig } from "./config";
import { createLogger } from "./log";

async function main(): Promise<void> {
    const log = createLogger();
    let config: AppConfig;
    try {
        config = parseConfig(process.env);
    } catch (e) {
        if (e instanceof ConfigError) {
            log("config-invalid", { error: e.message, variables: e.problems.map((p) => p.variable) }, "error");
            process.stderr.write(`${e.message}\n`);
            process.exitCode = 2;
            return;
        }
        throw e;
    }
    const host = os.hostname();

    // Telemetry first, so its http instrumentation is in place before the server module loads.
    const { startTelemetry } = await import("./telemetry");
    const telemetry = await startTelemetry(config, host, log);

    const { buildServer } = await import("./server");
    const { createShutdown, installSignalHandlers } = await import("./shutdown");
    const lifecycle = { draining: false };
    const app = buildServer(config, { lifecycle, log, host });
    installSignalHandlers(
        createShutdown({ lifecycle, drainMs: config.shutdownDrainMs, close: () => app.close(), flush: telemetry.shutdown, log }),
    );

    if (config.faultErrorRate > 0 || config.faultLatencyMs > 0) {
        log(
            "fault-injection",
            { errorRate: config.faultErrorRate, latencyMs: config.faultLatencyMs, afterRequests: config.faultAfterRequests },
            "warn",
        );
    }
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === "object" && address !== null ? address.port : config.port;
    log("listening", {
        port,
        host: config.host,
        version: config.version,
        slot: config.slot,
        appName: config.appName,
        telemetry: telemetry.enabled,
    });
}

main().catch((e: unknown) => {
    process.stderr.write(
        `${JSON.stringify({ event: "fatal", error: e instanceof Error ? e.message : String(e), level: "error", time: new Date().toISOString() })}\n`,
    );
    process.exit(1);
});
