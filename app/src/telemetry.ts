/**
 * Telemetry with the Azure Monitor OpenTelemetry distro, on only when a connection string is set.
 *
 * Names Application Insights sees (documented in docs/app.md; gates filter on them):
 *  - cloud role name (`AppRoleName`)      = APP_NAME          (resource `service.name`)
 *  - cloud role instance (`AppRoleInstance`) = host name      (resource `service.instance.id`)
 *  - application version (`AppVersion`)   = APP_VERSION       (resource `service.version`)
 *  - every span, so every request (`AppRequests.Properties`):
 *      `app.slot` = APP_SLOT, `app.version` = APP_VERSION.
 *
 * The distro is imported lazily: without a connection string it is never loaded, so nothing is
 * sent and nothing can fail. The option-building functions are pure and tested without a network.
 */
import type { AzureMonitorOpenTelemetryOptions } from "@azure/monitor-opentelemetry";
import type { AppConfig } from "./config";
import type { Logger } from "./log";

/** Span attribute keys; they land in AppRequests/AppDependencies `Properties`. */
export const SPAN_ATTRIBUTE_SLOT = "app.slot";
export const SPAN_ATTRIBUTE_VERSION = "app.version";

export interface TelemetrySettings {
    /** Resource attributes (role name, instance, version, slot). */
    resourceAttributes: Record<string, string>;
    /** Attributes stamped on every span. */
    spanAttributes: Record<string, string>;
    /**
     * Environment the distro's resource detector reads (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`).
     * The distro builds its Resource from these; passing our own Resource object would need a second
     * copy of `@opentelemetry/resources` that may not match the distro's.
     */
    env: { OTEL_SERVICE_NAME: string; OTEL_RESOURCE_ATTRIBUTES: string };
    /** Options for `useAzureMonitor`, except the span processor (added by {@link startTelemetry}). */
    options: AzureMonitorOpenTelemetryOptions;
}

function encodeResourceAttributes(attrs: Record<string, string>): string {
    return Object.entries(attrs)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join(",");
}

/**
 * Pure: everything telemetry needs, from the config and the host name.
 * @param existingResourceAttributes an OTEL_RESOURCE_ATTRIBUTES already in the environment (kept; ours win)
 */
export function buildTelemetrySettings(config: AppConfig, host: string, existingResourceAttributes?: string): TelemetrySettings {
    if (config.connectionString === undefined) throw new Error("buildTelemetrySettings: telemetry is off (no connection string)");
    const resourceAttributes = {
        "service.name": config.appName,
        "service.instance.id": host,
        "service.version": config.version,
        [SPAN_ATTRIBUTE_SLOT]: config.slot,
    };
    const encoded = encodeResourceAttributes(resourceAttributes);
    return {
        resourceAttributes,
        spanAttributes: { [SPAN_ATTRIBUTE_SLOT]: config.slot, [SPAN_ATTRIBUTE_VERSION]: config.version },
        env: {
            OTEL_SERVICE_NAME: config.appName,
            OTEL_RESOURCE_ATTRIBUTES: existingResourceAttributes ? `${existingResourceAttributes},${encoded}` : encoded,
        },
        options: {
            azureMonitorExporterOptions: { connectionString: config.connectionString },
            // Gates count requests per slot: keep every request rather than the distro's 5 traces/s default.
            samplingRatio: 1,
            tracesPerSecond: 0,
            enableLiveMetrics: false,
        },
    };
}

/** The slice of an OpenTelemetry span this processor touches. */
interface AttributableSpan {
    setAttribute(key: string, value: string): unknown;
}

/** A span processor that stamps the slot and version on every span when it starts. */
export function createSlotSpanProcessor(spanAttributes: Record<string, string>) {
    return {
        onStart(span: AttributableSpan): void {
            for (const [k, v] of Object.entries(spanAttributes)) span.setAttribute(k, v);
        },
        onEnd(): void {},
        forceFlush: (): Promise<void> => Promise.resolve(),
        shutdown: (): Promise<void> => Promise.resolve(),
    };
}

export interface Telemetry {
    enabled: boolean;
    /** Flushes and stops the SDK (a no-op when off). */
    shutdown(): Promise<void>;
}

type Distro = Pick<typeof import("@azure/monitor-opentelemetry"), "useAzureMonitor" | "shutdownAzureMonitor">;

/**
 * Starts telemetry when the config has a connection string; otherwise does nothing and loads nothing.
 * Call before the HTTP server module is loaded so the http instrumentation sees every request.
 */
export async function startTelemetry(
    config: AppConfig,
    host: string,
    log: Logger,
    deps: { load?: () => Promise<Distro>; env?: NodeJS.ProcessEnv } = {},
): Promise<Telemetry> {
    if (config.connectionString === undefined) {
        log("telemetry", { enabled: false, reason: "APPLICATIONINSIGHTS_CONNECTION_STRING is not set" });
        return { enabled: false, shutdown: () => Promise.resolve() };
    }
    const env = deps.env ?? process.env;
    const settings = buildTelemetrySettings(config, host, env.OTEL_RESOURCE_ATTRIBUTES);
    Object.assign(env, settings.env);
    const distro = await (deps.load ?? (() => import("@azure/monitor-opentelemetry")))();
    distro.useAzureMonitor({ ...settings.options, spanProcessors: [createSlotSpanProcessor(settings.spanAttributes)] });
    log("telemetry", { enabled: true, roleName: config.appName, roleInstance: host, slot: config.slot, version: config.version });
    return { enabled: true, shutdown: () => distro.shutdownAzureMonitor() };
}
