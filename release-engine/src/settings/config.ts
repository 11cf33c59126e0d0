/**
 * The engine's configuration: defaults, the environment's file (release-engine/config/<env>.json), the
 * caller's overrides, then settings from Key Vault. Each layer is checked against the settings schema
 * (settings/schema.ts) before anything is merged: a key that is not a setting, a wrong type or a value out
 * of range is an input error naming the layer, the JSON path, the value and what was expected, and nothing
 * is applied. The rules across fields run on the merged result.
 */
import * as fs from "fs";
import * as path from "path";
import { isRecord, isValidHeaderName } from "@phoenix/release-model";
import { DEFAULT_APPINSIGHTS_GATE, type AppInsightsGateConfig } from "../gates/appinsights-gate";
import { DEFAULT_HTTP_GATE, validateHttpGateConfig } from "../gates/http-gate";
import { InputError } from "../errors";
import { DEFAULT_COMPARISON, validateComparisonConfig } from "../gates/compare";
import { stepsProblem } from "../planner/plan";
import { DEFAULT_ERROR_BUDGET } from "../gates/error-budget";
import type { EngineSettings } from "./schema";
import { isEngineSettings, settingsLayerProblems, settingsProblems } from "./validate";

export type { EngineSettings } from "./schema";

export const ENVIRONMENTS = ["dev", "prod"] as const;
export type EnvironmentName = (typeof ENVIRONMENTS)[number];

/** The production check after every switch (engine/checks.ts). */
export type ProductionCheckConfig = EngineSettings["production"];

/** Readiness before weight (engine/readiness.ts). */
export type ReadinessSettings = EngineSettings["readiness"];

/** The settings the engine runs with: the schema's, for one environment, plus what Key Vault adds. */
export type EngineConfig = Omit<EngineSettings, "appInsights"> & {
    env: EnvironmentName;
    /** Public URL; from Key Vault (`phoenix-fqdn`). */
    publicUrl?: string;
    /** Set when the App Insights gate is configured (Key Vault gives the workspace id). */
    appInsights?: AppInsightsGateConfig & { windowMs: number };
};

/** Every setting's default (release-engine/config/<env>.json changes some per environment). */
export const DEFAULT_SETTINGS: EngineSettings = {
    appName: "calculator",
    host: "phoenix.local",
    headerName: "canary",
    router: "gateway-api",
    replicas: 2,
    secretPreview: true,
    gate: DEFAULT_HTTP_GATE,
    production: { requests: 20, timeoutMs: 30_000 },
    appInsights: { ...DEFAULT_APPINSIGHTS_GATE, windowMs: 15 * 60_000 },
    progressive: { steps: [100], analysis: DEFAULT_COMPARISON, pollMs: 250 },
    readiness: { settleMs: 1000, waitMs: 30_000, pollMs: 100 },
    errorBudget: DEFAULT_ERROR_BUDGET,
    local: { drainMs: 1000, readyTimeoutMs: 10_000, stopGraceMs: 2000, port: 0 },
};

function isEnvironment(env: string): env is EnvironmentName {
    return (ENVIRONMENTS as readonly string[]).includes(env);
}

function environmentNamed(env: string): EnvironmentName {
    if (!isEnvironment(env)) throw new InputError(`unknown environment "${env}" (expected one of: ${ENVIRONMENTS.join(", ")})`);
    return env;
}

/** `over` laid onto `base`: objects merge key by key, anything else (lists included) replaces. */
function merge(base: unknown, over: unknown): unknown {
    if (over === undefined) return base;
    if (!isRecord(over) || !isRecord(base)) return over;
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(over)) merged[key] = merge(base[key], value);
    return merged;
}

/** Settings read from Key Vault (see keyvault.ts), already mapped to config fields. */
export interface VaultSettings {
    appName?: string;
    fqdn?: string;
    appInsightsAppId?: string;
    logAnalyticsWorkspaceId?: string;
}

/** One source of settings and the name its problems are reported under. */
interface SettingsLayer {
    source: string;
    settings: unknown;
}

/** The environment's file, if there is one (the built-in folder may omit an environment; a folder the user named must not). */
function fileLayer(env: EnvironmentName, configDir: string | undefined): SettingsLayer | undefined {
    const file = path.join(configDir ?? path.join(__dirname, "..", "..", "config"), `${env}.json`);
    // The built-in folder is named as the repository spells it; a folder the user named, as they did.
    const source = configDir === undefined ? `release-engine/config/${env}.json` : file;
    if (!fs.existsSync(file)) {
        if (configDir !== undefined) throw new InputError(`no configuration for ${env}: ${file} does not exist`);
        return undefined;
    }
    try {
        return { source, settings: JSON.parse(fs.readFileSync(file, "utf8")) };
    } catch (e) {
        throw new InputError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
}

/** The Key Vault values that replace settings (the workspace id is not a setting: it turns the App Insights gate on). */
function vaultLayer(vault: VaultSettings | undefined): SettingsLayer | undefined {
    if (!vault) return undefined;
    const settings = { ...(vault.appName ? { appName: vault.appName } : {}), ...(vault.fqdn ? { host: vault.fqdn } : {}) };
    return Object.keys(settings).length ? { source: "Key Vault (phoenix-namespace, phoenix-fqdn)", settings } : undefined;
}

/** The rules across fields, on complete settings: each belongs to the module that applies it. */
function crossFieldProblems(settings: EngineSettings): string[] {
    const problems = validateHttpGateConfig(settings.gate);
    if (!isValidHeaderName(settings.headerName))
        problems.push(`/headerName must be letters, digits and dashes, got ${JSON.stringify(settings.headerName)}`);
    const stepsWhy = stepsProblem(settings.progressive.steps);
    if (stepsWhy) problems.push(`/progressive/${stepsWhy}`);
    problems.push(...validateComparisonConfig(settings.progressive.analysis, "progressive.analysis"));
    return problems;
}

/** Where settings come from besides the defaults. */
export interface SettingsSources {
    /** The folder of `<env>.json` (default release-engine/config; PHOENIX_CONFIG_DIR in the CLI). */
    configDir?: string;
    /** Any part of the settings, laid over the file (the demo, the specs). */
    overrides?: unknown;
    /** What Key Vault gave (its app name and FQDN replace `appName` and `host`). */
    vault?: VaultSettings;
}

/**
 * The complete settings of an environment: defaults, then `<configDir>/<env>.json`, then overrides and Key
 * Vault. Throws an {@link InputError} listing every problem of every layer; nothing is merged unless all are well formed.
 */
export function loadSettings(env: string, sources: SettingsSources = {}): EngineSettings {
    const layers = [
        fileLayer(environmentNamed(env), sources.configDir),
        sources.overrides === undefined ? undefined : { source: "overrides", settings: sources.overrides },
        vaultLayer(sources.vault),
    ].filter((layer): layer is SettingsLayer => layer !== undefined);
    const problems = layers.flatMap((layer) => settingsLayerProblems(layer.settings).map((problem) => `${layer.source}: ${problem}`));
    if (problems.length) throw invalid(env, problems);
    const merged = layers.reduce<unknown>((settings, layer) => merge(settings, layer.settings), DEFAULT_SETTINGS);
    // Each layer fits the schema and the defaults are complete, so this only fails if the defaults themselves do not.
    if (!isEngineSettings(merged)) throw invalid(env, settingsProblems(merged));
    const crossField = crossFieldProblems(merged);
    if (crossField.length) throw invalid(env, crossField);
    return merged;
}

/** The configuration the engine runs with: {@link loadSettings}, plus the public URL and the App Insights gate when Key Vault gives them. */
export function loadConfig(env: string, sources: SettingsSources = {}): EngineConfig {
    const { appInsights, ...settings } = loadSettings(env, sources);
    const vault = sources.vault;
    return {
        ...settings,
        env: environmentNamed(env),
        ...(vault?.fqdn ? { publicUrl: `http://${vault.fqdn}` } : {}),
        ...(vault?.logAnalyticsWorkspaceId
            ? { appInsights: { ...appInsights, workspaceId: vault.logAnalyticsWorkspaceId, appName: settings.appName } }
            : {}),
    };
}

function invalid(env: string, problems: string[]): InputError {
    return new InputError(`invalid configuration for ${env}:\n  - ${problems.join("\n  - ")}`);
}
