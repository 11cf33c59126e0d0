/**
 * The service's environment contract, parsed and validated in one pure function.
 * Invalid input never starts the service: every problem names the variable and what it expected.
 * Values are never echoed for the connection string (it holds a secret key).
 */

export const SLOTS = ["blue", "green", "local"] as const;
export type Slot = (typeof SLOTS)[number];

export interface AppConfig {
    /** TCP port; 0 asks the OS for a free one. */
    port: number;
    /** Interface to bind; `0.0.0.0` in a container, `127.0.0.1` for local runs and tests. */
    host: string;
    /** Semantic version reported on every response and in telemetry. */
    version: string;
    slot: Slot;
    /** Cloud role name in Application Insights. */
    appName: string;
    /** Set only when telemetry is on. Secret: never log it. */
    connectionString?: string;
    /** Fraction (0–1) of API requests answered with an injected 500. */
    faultErrorRate: number;
    /** Delay added to every API request, in milliseconds. */
    faultLatencyMs: number;
    /** The faults above apply only after the first N API requests this process serves (0: from the first). */
    faultAfterRequests: number;
    /** How long the server keeps serving after SIGTERM before it stops accepting connections. */
    shutdownDrainMs: number;
}

export const DEFAULTS = {
    port: 8080,
    host: "0.0.0.0",
    appName: "calculator",
    faultErrorRate: 0,
    faultLatencyMs: 0,
    faultAfterRequests: 0,
    shutdownDrainMs: 5000,
} as const;

export const LIMITS = {
    faultLatencyMsMax: 60_000,
    faultAfterRequestsMax: 1_000_000_000,
    shutdownDrainMsMax: 300_000,
} as const;

/** semver.org's recommended regular expression (SemVer 2.0.0). */
export const SEMVER_RE =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** A DNS-1123 label: what Kubernetes accepts as a name, and a clean cloud role name. */
export const APP_NAME_RE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export interface ConfigProblem {
    variable: string;
    expected: string;
    /** The offending value, omitted for secrets. */
    got?: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            "invalid environment: " +
                problems
                    .map((p) => `${p.variable} must be ${p.expected}${p.got === undefined ? "" : ` (got ${JSON.stringify(p.got)})`}`)
                    .join("; "),
        );
        this.name = "ConfigError";
    }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Unset and empty (what an empty Helm value renders to) both mean "use the default". */
function raw(env: Env, name: string): string | undefined {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
}

function integer(env: Env, name: string, dflt: number, min: number, max: number, problems: ConfigProblem[]): number {
    const v = raw(env, name);
    if (v === undefined) return dflt;
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
        problems.push({ variable: name, expected: `an integer from ${min} to ${max}`, got: v });
        return dflt;
    }
    return n;
}

/**
 * Parses the process environment into an {@link AppConfig}.
 * @throws ConfigError listing every invalid or missing variable.
 */
export function parseConfig(env: Env): AppConfig {
    const problems: ConfigProblem[] = [];

    const port = integer(env, "PORT", DEFAULTS.port, 0, 65535, problems);
    const host = raw(env, "HOST") ?? DEFAULTS.host;

    const version = raw(env, "APP_VERSION");
    if (version === undefined) problems.push({ variable: "APP_VERSION", expected: "a semantic version such as 1.2.3 (required)" });
    else if (!SEMVER_RE.test(version))
        problems.push({ variable: "APP_VERSION", expected: "a semantic version such as 1.2.3", got: version });

    const slotRaw = raw(env, "APP_SLOT");
    const isSlot = (s: string): s is Slot => (SLOTS as readonly string[]).includes(s);
    if (slotRaw === undefined) problems.push({ variable: "APP_SLOT", expected: `one of ${SLOTS.join(", ")} (required)` });
    else if (!isSlot(slotRaw)) problems.push({ variable: "APP_SLOT", expected: `one of ${SLOTS.join(", ")}`, got: slotRaw });

    const appName = raw(env, "APP_NAME") ?? DEFAULTS.appName;
    if (!APP_NAME_RE.test(appName)) {
        problems.push({
            variable: "APP_NAME",
            expected: "a DNS label (lowercase letters, digits and '-', at most 63 characters)",
            got: appName,
        });
    }

    const connectionString = raw(env, "APPLICATIONINSIGHTS_CONNECTION_STRING");
    if (connectionString !== undefined && !/(^|;)\s*InstrumentationKey\s*=\s*[^;\s]+/i.test(connectionString)) {
        // The value is a secret: say what is wrong, never what it was.
        problems.push({
            variable: "APPLICATIONINSIGHTS_CONNECTION_STRING",
            expected: "an Application Insights connection string containing InstrumentationKey=…",
        });
    }

    let faultErrorRate: number = DEFAULTS.faultErrorRate;
    const rateRaw = raw(env, "FAULT_ERROR_RATE");
    if (rateRaw !== undefined) {
        const r = /^(\d+(\.\d*)?|\.\d+)$/.test(rateRaw) ? Number(rateRaw) : NaN;
        if (!(r >= 0 && r <= 1)) problems.push({ variable: "FAULT_ERROR_RATE", expected: "a number from 0 to 1", got: rateRaw });
        else faultErrorRate = r;
    }

    const faultLatencyMs = integer(env, "FAULT_LATENCY_MS", DEFAULTS.faultLatencyMs, 0, LIMITS.faultLatencyMsMax, problems);
    const faultAfterRequests = integer(env, "FAULT_AFTER_REQUESTS", DEFAULTS.faultAfterRequests, 0, LIMITS.faultAfterRequestsMax, problems);
    const shutdownDrainMs = integer(env, "SHUTDOWN_DRAIN_MS", DEFAULTS.shutdownDrainMs, 0, LIMITS.shutdownDrainMsMax, problems);

    if (problems.length > 0) throw new ConfigError(problems);
    return {
        port,
        host,
        version: version as string,
        slot: slotRaw as Slot,
        appName,
        ...(connectionString === undefined ? {} : { connectionString }),
        faultErrorRate,
        faultLatencyMs,
        faultAfterRequests,
        shutdownDrainMs,
    };
}
