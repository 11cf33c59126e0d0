import { strict as assert } from "assert";
import * as path from "path";
import { parseConfig } from "../app/src/config";
import type { LogFields } from "../app/src/log";
import {
    buildTelemetrySettings,
    createSlotSpanProcessor,
    startTelemetry,
    SPAN_ATTRIBUTE_SLOT,
    SPAN_ATTRIBUTE_VERSION,
} from "../app/src/telemetry";

const CONN = "InstrumentationKey=11111111-2222-3333-4444-555555555555;IngestionEndpoint=https://example.invalid/";
const withTelemetry = parseConfig({
    APP_VERSION: "3.1.0",
    APP_SLOT: "green",
    APP_NAME: "calc",
    APPLICATIONINSIGHTS_CONNECTION_STRING: CONN,
});
const withoutTelemetry = parseConfig({ APP_VERSION: "3.1.0", APP_SLOT: "green" });

function recorder() {
    const lines: Array<{ event: string; fields?: LogFields }> = [];
    return { lines, log: (event: string, fields?: LogFields) => void lines.push({ event, fields }) };
}

describe("app: telemetry", () => {
    it("is off without a connection string: the distro is never loaded and nothing fails", async () => {
        const { lines, log } = recorder();
        let loaded = false;
        const env: NodeJS.ProcessEnv = {};
        const t = await startTelemetry(withoutTelemetry, "pod-1", log, {
            env,
            load: async () => {
                loaded = true;
                throw new Error("must not be loaded");
            },
        });
        assert.equal(t.enabled, false);
        assert.equal(loaded, false);
        assert.deepEqual(env, {}, "no OTEL_* variables set");
        await t.shutdown();
        assert.deepEqual(
            lines.map((l) => [l.event, l.fields?.enabled]),
            [["telemetry", false]],
        );
        assert.throws(() => buildTelemetrySettings(withoutTelemetry, "pod-1"), /telemetry is off/);
    });

    it("builds role name, role instance, version and slot attributes and keeps every request", () => {
        const s = buildTelemetrySettings(withTelemetry, "pod-1");
        assert.deepEqual(s.resourceAttributes, {
            "service.name": "calc",
            "service.instance.id": "pod-1",
            "service.version": "3.1.0",
            "app.slot": "green",
        });
        assert.deepEqual(s.spanAttributes, { "app.slot": "green", "app.version": "3.1.0" });
        assert.equal(SPAN_ATTRIBUTE_SLOT, "app.slot");
        assert.equal(SPAN_ATTRIBUTE_VERSION, "app.version");
        assert.deepEqual(s.env, {
            OTEL_SERVICE_NAME: "calc",
            OTEL_RESOURCE_ATTRIBUTES: "service.name=calc,service.instance.id=pod-1,service.version=3.1.0,app.slot=green",
        });
        assert.equal(s.options.azureMonitorExporterOptions?.connectionString, CONN);
        assert.equal(s.options.samplingRatio, 1);
        assert.equal(s.options.tracesPerSecond, 0);
        const kept = buildTelemetrySettings(withTelemetry, "pod,1", "deployment.environment=dev");
        assert.equal(
            kept.env.OTEL_RESOURCE_ATTRIBUTES,
            "deployment.environment=dev,service.name=calc,service.instance.id=pod%2C1,service.version=3.1.0,app.slot=green",
        );
    });

    it("the distro's own resource detector reads those variables as the role name, instance and version", () => {
        // The nested copy of @opentelemetry/resources is the one the distro uses.
        const distroDir = path.dirname(require.resolve("@azure/monitor-opentelemetry"));
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved at run time from the distro's own tree
        const { envDetector } = require(require.resolve("@opentelemetry/resources", { paths: [distroDir] })) as {
            envDetector: { detect(): { attributes?: Record<string, unknown> } };
        };
        const s = buildTelemetrySettings(withTelemetry, "pod,1");
        const saved = { a: process.env.OTEL_RESOURCE_ATTRIBUTES, n: process.env.OTEL_SERVICE_NAME };
        Object.assign(process.env, s.env);
        try {
            const attrs = envDetector.detect().attributes ?? {};
            assert.equal(attrs["service.name"], "calc");
            assert.equal(attrs["service.instance.id"], "pod,1");
            assert.equal(attrs["service.version"], "3.1.0");
            assert.equal(attrs["app.slot"], "green");
        } finally {
            for (const [k, v] of [
                ["OTEL_RESOURCE_ATTRIBUTES", saved.a],
                ["OTEL_SERVICE_NAME", saved.n],
            ] as const) {
                if (v === undefined) delete process.env[k];
                else process.env[k] = v;
            }
        }
    });

    it("the span processor stamps slot and version on every span it sees", async () => {
        const p = createSlotSpanProcessor({ "app.slot": "blue", "app.version": "9.9.9" });
        const set: Record<string, string> = {};
        p.onStart({ setAttribute: (k: string, v: string) => (set[k] = v) });
        assert.deepEqual(set, { "app.slot": "blue", "app.version": "9.9.9" });
        await p.forceFlush();
        await p.shutdown();
    });

    it("with a connection string: sets the OTEL variables, passes the options and processor, never logs the secret", async () => {
        const { lines, log } = recorder();
        const env: NodeJS.ProcessEnv = {};
        const calls: unknown[] = [];
        let shutdowns = 0;
        const t = await startTelemetry(withTelemetry, "pod-7", log, {
            env,
            load: async () => ({
                useAzureMonitor: (o) => void calls.push(o),
                shutdownAzureMonitor: async () => void shutdowns++,
            }),
        });
        assert.equal(t.enabled, true);
        assert.equal(env.OTEL_SERVICE_NAME, "calc");
        assert.match(env.OTEL_RESOURCE_ATTRIBUTES ?? "", /service\.instance\.id=pod-7/);
        assert.equal(calls.length, 1);
        const opts = calls[0] as { azureMonitorExporterOptions: { connectionString: string }; spanProcessors: unknown[] };
        assert.equal(opts.azureMonitorExporterOptions.connectionString, CONN);
        assert.equal(opts.spanProcessors.length, 1);
        await t.shutdown();
        assert.equal(shutdowns, 1);
        assert.ok(!JSON.stringify(lines).includes("InstrumentationKey"), "the connection string reached a log line");
        assert.ok(!JSON.stringify(lines).includes("11111111"), "the instrumentation key reached a log line");
    });
});
