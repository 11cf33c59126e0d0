/**
 * The engine's configuration: defaults, the environment's file (release-engine/config/<env>.json),
 * then settings from Key Vault. Validated before anything runs; a bad value is an input error.
 */
import * as fs from "fs";
import * as path from "path";
import { ROUTER_KINDS, isRouterKind, isValidHeaderName, type RouterKind } from "@phoenix/release-model";
import { DEFAULT_APPINSIGHTS_GATE, type AppInsightsGateConfig } from "../gates/appinsights-gate";
import { DEFAULT_HTTP_GATE, validateHttpGateConfig, type HttpGateConfig } from "../gates/http-gate";
import { InputError } from "../errors";
import { DEFAULT_COMPARISON, validateComparisonConfig, type ComparisonConfig } from "../gates/compare";
import { stepsProblem } from "../planner/plan";
import { DEFAULT_ERROR_BUDGET, errorBudgetProblems } from "../gates/error-budget";

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

export interface ProductionCheckConfig {
    /** Consecutive answers from the expected slot/version needed. */
    requests: number;
    /** Give up (fail) after this long: covers the controller's propagation of a weight change. */
    timeoutMs: number;
}

/** Readiness before weight (engine/readiness.ts). */
export interface ReadinessSettings {
    /** A candidate must pass its readiness guard continuously for this long before production moves to it (minReadySeconds). */
    settleMs: number;
    /** How long a guard waits for a slot to become ready before its step fails, nothing applied. */
    waitMs: number;
    /** How often slot health is read while waiting, settling, or watching a candidate during its gate and step analyses. */
    pollMs: number;
}

export const DEFAULT_READINESS: ReadinessSettings = { settleMs: 1000, waitMs: 30_000, pollMs: 100 };

export interface EngineConfig {
    env: EnvironmentName;
    appName: string;
    /** The Ingress host (the public FQDN). */
    host: string;
    /** Public URL; from the platform/release outputs or Key Vault (`phoenix-fqdn`). */
    publicUrl?: string;
    headerName: string;
    /**
     * The environment's traffic router, whose rules the planner keeps and the local backend's proxy
     * applies: `gateway-api` (default) or `nginx` (legacy). The engine refuses to plan (exit 2) when the
     * release stack's outputs report another router (`nginx` too while it registers the legacy Ingresses).
     */
    router: RouterKind;
    /** Replicas of the first release and of slots whose state gives none. */
    replicas: number;
    /** Generate a per-release secret preview header value (green candidates). */
    secretPreview: boolean;
    gate: HttpGateConfig;
    production: ProductionCheckConfig;
    /** Set when the App Insights gate is configured (workspace id known). */
    appInsights?: AppInsightsGateConfig & { windowMs: number };
    /**
     * Progressive delivery: the weights production takes after the preview gate (ascending, ending
     * with 100; `[100]` is a direct switch) and the analysis that judges each step against live
     * (gates/compare.ts: minimum bake time and sample, margins, error bounds, time limit).
     */
    progressive: { steps: number[]; analysis: ComparisonConfig; pollMs: number };
    /**
     * Before any step that gives a slot production weight: every desired replica ready (any, for a
     * weighted step), and a candidate without a restart since it was deployed, held for `settleMs`.
     */
    readiness: ReadinessSettings;
    /**
     * Failed measurements in a row (a Log Analytics query that errors, router counters or an endpoint
     * that cannot be read) a check retries before it is inconclusive — "could not measure", never a
     * rejection (gates/error-budget.ts; Argo Rollouts' consecutiveErrorLimit). An integer 0–100.
     */
    errorBudget: number;
    /** Local backend. */
    local: { drainMs: number; readyTimeoutMs: number; stopGraceMs: number; port: number };
}

export const DEFAULT_CONFIG: Omit<EngineConfig, "env"> = {
    appName: "calculator",
    host: "phoenix.local",
    headerName: "canary",
    router: "gateway-api",
    replicas: 2,
    secretPreview: true,
    gate: DEFAULT_HTTP_GATE,
    production: { requests: 20, timeoutMs: 30_000 },
    progressive: { steps: [100], analysis: DEFAULT_COMPARISON, pollMs: 250 },
    readiness: DEFAULT_READINESS,
    errorBudget: DEFAULT_ERROR_BUDGET,
    local: { drainMs: 1000, readyTimeoutMs: 10_000, stopGraceMs: 2000, port: 0 },
};

export function isEnvironment(env: string): env is EnvironmentName {
    return (ENVIRONMENTS as readonly string[]).includes(env);
}

type Json = Record<string, unknown>;

function merge<T>(base: T, over: unknown): T {
    if (over === undefined || over === null || typeof over !== "object" || Array.isArray(over)) return (over ?? base) as T;
    const out: Json = { ...(base as Json) };
    for (const [k, v] of Object.entries(over as Json)) out[k] = merge((base as Json)?.[k], v);
    return out as T;
}

/** Settings read from Key Vault (see keyvault.ts), already mapped to config fields. */
export interface VaultSettings {
    appName?: string;
    fqdn?: string;
    appInsightsAppId?: string;
    logAnalyticsWorkspaceId?: string;
}

/** Loads defaults, then `<configDir>/<env>.json` (default release-engine/config; PHOENIX_CONFIG_DIR in the CLI), then overrides and Key Vault settings. */
export function loadConfig(env: string, opts: { configDir?: string; overrides?: unknown; vault?: VaultSettings } = {}): EngineConfig {
    if (!isEnvironment(env)) throw new InputError(`unknown environment "${env}" (expected one of: ${ENVIRONMENTS.join(", ")})`);
    const dir = opts.configDir ?? path.join(__dirname, "..", "..", "config");
    const file = path.join(dir, `${env}.json`);
    let fromFile: unknown = {};
    if (fs.existsSync(file)) {
        try {
            fromFile = JSON.parse(fs.readFileSync(file, "utf8"));
        } catch (e) {
            throw new InputError(`${file} is not valid JSON: ${(e as Error).message}`);
        }
    } else if (opts.configDir !== undefined) {
        // The built-in folder may omit an environment (defaults apply); a folder the user named must not.
        throw new InputError(`no configuration for ${env}: ${file} does not exist`);
    }
    let cfg = merge<EngineConfig>({ ...DEFAULT_CONFIG, env }, fromFile);
    cfg = merge(cfg, opts.overrides);
    const v = opts.vault;
    if (v) {
        if (v.appName) cfg.appName = v.appName;
        if (v.fqdn) {
            cfg.host = v.fqdn;
            cfg.publicUrl = `http://${v.fqdn}`;
        }
        if (v.logAnalyticsWorkspaceId) {
            cfg.appInsights = {
                ...DEFAULT_APPINSIGHTS_GATE,
                windowMs: 15 * 60_000,
                ...(cfg.appInsights ?? {}),
                workspaceId: v.logAnalyticsWorkspaceId,
                appName: cfg.appName,
            };
        }
    }
    const problems = validateHttpGateConfig(cfg.gate);
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(cfg.appName)) problems.push(`appName must be a DNS label, got "${cfg.appName}"`);
    if (!isValidHeaderName(cfg.headerName)) problems.push(`headerName must be letters, digits and dashes, got "${cfg.headerName}"`);
    const stepsWhy = stepsProblem(cfg.progressive.steps);
    if (stepsWhy) problems.push(`progressive.${stepsWhy}`);
    problems.push(...validateComparisonConfig(cfg.progressive.analysis, "progressive.analysis"));
    if (!Number.isInteger(cfg.progressive.pollMs) || cfg.progressive.pollMs < 50 || cfg.progressive.pollMs > 60_000)
        problems.push(`progressive.pollMs must be an integer from 50 to 60000, got ${JSON.stringify(cfg.progressive.pollMs)}`);
    for (const [k, min, max] of [
        ["settleMs", 0, 600_000],
        ["waitMs", 0, 3_600_000],
        ["pollMs", 10, 60_000],
    ] as const) {
        const v = cfg.readiness[k];
        if (!Number.isInteger(v) || v < min || v > max)
            problems.push(`readiness.${k} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    problems.push(...errorBudgetProblems(cfg.errorBudget));
    if (typeof cfg.router !== "string" || !isRouterKind(cfg.router))
        problems.push(`router must be one of: ${ROUTER_KINDS.join(", ")}, got ${JSON.stringify(cfg.router)}`);
    if (!Number.isInteger(cfg.replicas) || cfg.replicas < 1 || cfg.replicas > 100)
        problems.push(`replicas must be an integer from 1 to 100, got ${cfg.replicas}`);
    if (!(cfg.production.requests >= 1)) problems.push(`production.requests must be >= 1`);
    if (!Number.isInteger(cfg.local.port) || cfg.local.port < 0 || cfg.local.port > 65535)
        problems.push(`local.port must be an integer from 0 (a free port, then kept) to 65535, got ${cfg.local.port}`);
    if (problems.length) throw new InputError(`invalid configuration for ${env}:\n  - ${problems.join("\n  - ")}`);
    return cfg;
}
