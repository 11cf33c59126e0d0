import { strict as assert } from "assert";
import { ConfigError, parseConfig, DEFAULTS } from "../app/src/config";
import { parseNumberInput } from "../app/src/input";
import { formatLogLine } from "../app/src/log";

const base = { APP_VERSION: "1.2.3", APP_SLOT: "blue" };

function problemsOf(env: Record<string, string | undefined>): Array<{ variable: string; expected: string; got?: string }> {
    try {
        parseConfig(env);
    } catch (e) {
        assert.ok(e instanceof ConfigError);
        return e.problems;
    }
    assert.fail("expected a ConfigError");
}

describe("app: config (environment contract)", () => {
    it("applies the defaults with only the required variables", () => {
        assert.deepEqual(parseConfig(base), {
            port: 8080,
            host: "0.0.0.0",
            version: "1.2.3",
            slot: "blue",
            appName: "calculator",
            faultErrorRate: 0,
            faultLatencyMs: 0,
            faultAfterRequests: 0,
            shutdownDrainMs: 5000,
        });
        assert.equal(DEFAULTS.appName, "calculator");
    });

    it("reads every variable; empty means default", () => {
        const c = parseConfig({
            PORT: "0",
            HOST: "127.0.0.1",
            APP_VERSION: "2.0.0-rc.1+build.7",
            APP_SLOT: "green",
            APP_NAME: "calc-2",
            APPLICATIONINSIGHTS_CONNECTION_STRING:
                "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/",
            FAULT_ERROR_RATE: "0.05",
            FAULT_LATENCY_MS: "250",
            FAULT_AFTER_REQUESTS: "150",
            SHUTDOWN_DRAIN_MS: "0",
        });
        assert.deepEqual(
            [c.port, c.host, c.version, c.slot, c.appName, c.faultErrorRate, c.faultLatencyMs, c.faultAfterRequests, c.shutdownDrainMs],
            [0, "127.0.0.1", "2.0.0-rc.1+build.7", "green", "calc-2", 0.05, 250, 150, 0],
        );
        assert.ok(c.connectionString?.startsWith("InstrumentationKey="));
        assert.equal(parseConfig({ ...base, FAULT_ERROR_RATE: "", PORT: " " }).port, 8080);
        assert.equal(parseConfig({ ...base, APP_SLOT: "local" }).slot, "local");
        assert.equal(parseConfig({ ...base, FAULT_ERROR_RATE: "1" }).faultErrorRate, 1);
    });

    const bad: Array<[Record<string, string>, string, RegExp]> = [
        [{ APP_SLOT: "blue" }, "APP_VERSION", /semantic version.*required/],
        [{ APP_VERSION: "1.0.0" }, "APP_SLOT", /one of blue, green, local \(required\)/],
        [{ ...base, APP_VERSION: "v1.0" }, "APP_VERSION", /semantic version/],
        [{ ...base, APP_VERSION: "1.0" }, "APP_VERSION", /semantic version/],
        [{ ...base, APP_SLOT: "red" }, "APP_SLOT", /one of blue, green, local/],
        [{ ...base, PORT: "70000" }, "PORT", /integer from 0 to 65535/],
        [{ ...base, PORT: "80a" }, "PORT", /integer from 0 to 65535/],
        [{ ...base, PORT: "-1" }, "PORT", /integer from 0 to 65535/],
        [{ ...base, APP_NAME: "Calculator_1" }, "APP_NAME", /DNS label/],
        [{ ...base, FAULT_ERROR_RATE: "1.5" }, "FAULT_ERROR_RATE", /number from 0 to 1/],
        [{ ...base, FAULT_ERROR_RATE: "-0.1" }, "FAULT_ERROR_RATE", /number from 0 to 1/],
        [{ ...base, FAULT_ERROR_RATE: "abc" }, "FAULT_ERROR_RATE", /number from 0 to 1/],
        [{ ...base, FAULT_LATENCY_MS: "1.5" }, "FAULT_LATENCY_MS", /integer from 0 to 60000/],
        [{ ...base, FAULT_LATENCY_MS: "60001" }, "FAULT_LATENCY_MS", /integer from 0 to 60000/],
        [{ ...base, FAULT_AFTER_REQUESTS: "-1" }, "FAULT_AFTER_REQUESTS", /integer from 0 to 1000000000/],
        [{ ...base, FAULT_AFTER_REQUESTS: "2.5" }, "FAULT_AFTER_REQUESTS", /integer from 0 to 1000000000/],
        [{ ...base, FAULT_AFTER_REQUESTS: "1000000001" }, "FAULT_AFTER_REQUESTS", /integer from 0 to 1000000000/],
        [{ ...base, FAULT_AFTER_REQUESTS: "soon" }, "FAULT_AFTER_REQUESTS", /integer from 0 to 1000000000/],
        [{ ...base, SHUTDOWN_DRAIN_MS: "soon" }, "SHUTDOWN_DRAIN_MS", /integer from 0 to 300000/],
    ];
    for (const [env, variable, expected] of bad) {
        it(`refuses ${variable}=${JSON.stringify(env[variable] ?? "(unset)")}, naming it and what it expected`, () => {
            const problems = problemsOf(env);
            assert.equal(problems.length, 1);
            assert.equal(problems[0].variable, variable);
            assert.match(problems[0].expected, expected);
        });
    }

    it("lists every problem at once, and never echoes the connection string", () => {
        const secret = "not-a-connection-string-s3cr3t";
        try {
            parseConfig({ APP_SLOT: "purple", APPLICATIONINSIGHTS_CONNECTION_STRING: secret, PORT: "x" });
            assert.fail("expected a ConfigError");
        } catch (e) {
            assert.ok(e instanceof ConfigError);
            assert.deepEqual(e.problems.map((p) => p.variable).sort(), [
                "APPLICATIONINSIGHTS_CONNECTION_STRING",
                "APP_SLOT",
                "APP_VERSION",
                "PORT",
            ]);
            assert.match(e.message, /APP_SLOT must be one of blue, green, local \(got "purple"\)/);
            assert.ok(!e.message.includes(secret));
            assert.ok(!JSON.stringify(e.problems).includes(secret));
        }
    });
});

describe("app: request input", () => {
    const ok = (body: unknown, header?: string) => {
        const r = parseNumberInput(body, header);
        assert.ok(r.ok, JSON.stringify(r));
        return r.value;
    };
    const err = (body: unknown, header?: string | string[]) => {
        const r = parseNumberInput(body, header);
        assert.ok(!r.ok, `accepted ${JSON.stringify(body)}`);
        return r.error;
    };

    it("accepts a JSON number or the number header, from 2 to MAX_SAFE_INTEGER", () => {
        assert.equal(ok({ number: 2 }), 2);
        assert.equal(ok({ number: Number.MAX_SAFE_INTEGER }), Number.MAX_SAFE_INTEGER);
        assert.equal(ok(undefined, "360"), 360);
        assert.equal(ok(undefined, " 97 "), 97);
        assert.equal(ok({ number: 12 }, "99"), 12, "the body wins over the header");
    });

    it("says what was wrong with each bad input", () => {
        assert.match(err(undefined), /missing number/);
        assert.match(err({}), /no "number" field/);
        assert.match(err({ number: "12" }), /must be a JSON number, got a string/);
        assert.match(err({ number: null }), /got null/);
        assert.match(err({ number: 2.5 }), /must be an integer, got 2.5/);
        assert.match(err({ number: -4 }), /at least 2, got -4/);
        assert.match(err({ number: 0 }), /at least 2, got 0/);
        assert.match(err({ number: 1 }), /at least 2, got 1/);
        assert.match(err({ number: Number.MAX_SAFE_INTEGER + 1 }), /too large/);
        assert.match(err({ number: 1e308 }), /too large/);
        assert.match(err([1, 2]), /JSON object.*got an array/);
        assert.match(err("12"), /JSON object.*got a string/);
        assert.match(err(undefined, "twelve"), /"number" header must be an integer/);
        assert.match(err(undefined, "9007199254740993"), /too large/);
        assert.match(err(undefined, "1.5"), /must be an integer/);
        assert.match(err(undefined, "1"), /at least 2/);
    });
});

describe("app: log lines", () => {
    it("are one JSON object per line, event first", () => {
        const line = formatLogLine("listening", { port: 8080 }, "info", new Date(0));
        assert.equal(line, `{"event":"listening","port":8080,"level":"info","time":"1970-01-01T00:00:00.000Z"}\n`);
    });
});
