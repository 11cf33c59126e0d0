/**
 * The release stack's configuration, read and validated in one place before anything is
 * registered. Every problem is reported at once.
 */
import * as path from "path";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import {
    ROUTER_KINDS,
    ReleaseStateError,
    imageTagVersionProblem,
    isRouterKind,
    isSemver,
    isValidHeaderName,
    parseStateConfig,
    routerModel,
    type ReleaseState,
    type RouterKind,
} from "@phoenix/release-model";

/** The repository root (local chart paths in config are relative to it). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface ReleaseStackSettings {
    platformStack: string;
    appName: string;
    /** Chart template: `oci://{registryLoginServer}/helm/{appName}` or a path relative to the repo root. */
    chart: string;
    /** Pinned chart version; undefined → each slot's chart version is its app version. */
    chartVersion?: string;
    /** Image repository template, e.g. `{registryLoginServer}/{appName}`. */
    imageRepository: string;
    /** Image tag pattern containing `{version}`. */
    imageTag: string;
    helmTimeoutSeconds: number;
    previewHeader: string;
    /** Undefined: the platform stack's `routerKind` output decides (see {@link resolveRouterKind}). */
    routerKind?: RouterKind;
    /** Pods per slot when the state gives none. */
    replicas: number;
    /** Public host override; default the platform's `publicFqdn`. */
    host?: string;
    state: ReleaseState;
    /** True when the state carries a per-release preview value (kept secret everywhere). */
    hasPreviewSecret: boolean;
}

export const PLACEHOLDERS = ["registryLoginServer", "appName"] as const;

/** Fills `{registryLoginServer}` and `{appName}`. */
export function fillTemplate(template: string, values: Record<(typeof PLACEHOLDERS)[number], string>): string {
    return template.replace(/\{(\w+)\}/g, (m, k: string) => ((PLACEHOLDERS as readonly string[]).includes(k) ? values[k as (typeof PLACEHOLDERS)[number]] : m));
}

function unknownPlaceholders(template: string, allowed: readonly string[]): string[] {
    return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).filter((k) => !allowed.includes(k));
}

export function isOciChart(chart: string): boolean {
    return chart.startsWith("oci://");
}

/** A local chart path resolved against the repository root (absolute, so the policy pack and Helm agree). */
export function resolveLocalChart(chart: string): string {
    return path.resolve(REPO_ROOT, chart);
}

/** Raw config strings as the CLI hands them to the program (undefined = unset). */
export type RawConfig = Record<string, string | undefined>;

/** Pure: validates raw config strings; throws a RunError listing every problem. */
export function parseSettings(raw: RawConfig, opts: { checkLocalChart?: (p: string) => boolean } = {}): ReleaseStackSettings {
    const problems: string[] = [];
    const str = (k: string, dflt?: string): string => {
        const v = raw[k];
        return v === undefined || v === "" ? (dflt ?? "") : v;
    };
    const int = (k: string, dflt: number, min: number, max: number): number => {
        const v = raw[k];
        if (v === undefined || v === "") return dflt;
        const n = Number(v);
        if (!Number.isInteger(n) || n < min || n > max) {
            problems.push(`${k} must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
            return dflt;
        }
        return n;
    };

    const platformStack = str("platformStack");
    if (!platformStack) problems.push("platformStack is required (the platform stack to reference, e.g. organization/phoenix-platform/dev)");
    const appName = str("appName", "calculator");
    if (!/^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(appName)) {
        problems.push(`appName must be a DNS label of at most 40 characters (namespaces are <slot>-<appName>), got ${JSON.stringify(appName)}`);
    }
    const chart = str("chart", "oci://{registryLoginServer}/helm/{appName}");
    for (const k of unknownPlaceholders(chart, PLACEHOLDERS)) problems.push(`chart: unknown placeholder {${k}} (allowed: ${PLACEHOLDERS.map((p) => `{${p}}`).join(", ")})`);
    const chartVersionRaw = raw.chartVersion === "" ? undefined : raw.chartVersion;
    if (isOciChart(chart)) {
        if (chartVersionRaw !== undefined && !isSemver(chartVersionRaw)) problems.push(`chartVersion must be an exact semver version (no ranges), got ${JSON.stringify(chartVersionRaw)}`);
    } else if (/^[a-z]+:\/\//.test(chart)) {
        problems.push(`chart must be an oci:// reference or a path relative to the repository root, got ${JSON.stringify(chart)}`);
    } else {
        if (chartVersionRaw !== undefined) problems.push("chartVersion must not be set for a local chart directory (its Chart.yaml decides)");
        const check = opts.checkLocalChart ?? ((p: string) => fs.existsSync(path.join(p, "Chart.yaml")));
        if (!check(resolveLocalChart(chart))) problems.push(`chart ${JSON.stringify(chart)} is not a chart directory (no Chart.yaml under ${resolveLocalChart(chart)})`);
    }
    const imageRepository = str("imageRepository", "{registryLoginServer}/{appName}");
    for (const k of unknownPlaceholders(imageRepository, PLACEHOLDERS)) problems.push(`imageRepository: unknown placeholder {${k}}`);
    const imageTag = str("imageTag", "{version}");
    if (!imageTag.includes("{version}")) problems.push(`imageTag must contain {version}, got ${JSON.stringify(imageTag)}`);
    for (const k of unknownPlaceholders(imageTag, ["version"])) problems.push(`imageTag: unknown placeholder {${k}}`);
    const helmTimeoutSeconds = int("helmTimeoutSeconds", 300, 30, 3600);
    const replicas = int("replicas", 2, 1, 100);
    const previewHeader = str("previewHeader", "canary");
    if (!isValidHeaderName(previewHeader)) problems.push(`previewHeader must be letters, digits and dashes (nginx ignores headers with underscores), got ${JSON.stringify(previewHeader)}`);
    const routerKindRaw = str("routerKind", "");
    const routerKind = routerKindRaw === "" ? undefined : routerKindRaw;
    if (routerKind !== undefined && !isRouterKind(routerKind)) {
        problems.push(`routerKind must be one of: ${ROUTER_KINDS.join(", ")}, or empty for the platform's, got ${JSON.stringify(routerKind)}`);
    }
    const host = raw.host === "" ? undefined : raw.host;
    if (host !== undefined && !/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(host)) {
        problems.push(`host must be a lower-case DNS name, got ${JSON.stringify(host)}`);
    }

    let state: ReleaseState | undefined;
    const stateText = raw.state;
    const secretValue = raw.previewHeaderValue === "" ? undefined : raw.previewHeaderValue;
    if (stateText === undefined || stateText === "") {
        problems.push('state is required: e.g. {"slots":{"blue":{"role":"live","version":"1.0.0"},"green":{"role":"absent"}}}');
    } else {
        try {
            state = parseStateConfig(stateText, secretValue);
            for (const slot of ["blue", "green"] as const) {
                const v = state.slots[slot].version;
                const problem = v === undefined ? undefined : imageTagVersionProblem(v);
                if (problem) problems.push(`state: slot ${slot} version ${JSON.stringify(v)}: ${problem}`);
            }
            if (routerKind !== undefined && isRouterKind(routerKind)) problems.push(...routerModel(routerKind).stateProblems(state).map((p) => `state: ${p}`));
        } catch (e) {
            if (!(e instanceof ReleaseStateError)) throw e;
            problems.push(...e.problems.map((p) => `state: ${p}`));
        }
    }
    if (problems.length > 0 || state === undefined) {
        throw new pulumi.RunError(`phoenix-release configuration is invalid; nothing was changed:\n  - ${problems.join("\n  - ")}`);
    }
    return {
        platformStack,
        appName,
        chart,
        chartVersion: chartVersionRaw,
        imageRepository,
        imageTag,
        helmTimeoutSeconds,
        previewHeader,
        ...(routerKind !== undefined ? { routerKind: routerKind as RouterKind } : {}),
        replicas,
        host,
        state,
        hasPreviewSecret: state.previewHeaderValue !== undefined,
    };
}

/** The config keys this project declares (Pulumi.yaml); read here as plain strings. */
export const CONFIG_KEYS = [
    "platformStack", "appName", "chart", "chartVersion", "imageRepository", "imageTag", "helmTimeoutSeconds",
    "previewHeader", "routerKind", "replicas", "host", "state", "previewHeaderValue",
] as const;

/** Reads this project's config (values only, nothing logged) and validates it. */
export function readSettings(cfg: pulumi.Config = new pulumi.Config()): ReleaseStackSettings {
    const raw: RawConfig = {};
    // `get` also returns decrypted secrets (previewHeaderValue) as plain strings; they are wrapped
    // with pulumi.secret before they reach any resource or output.
    for (const k of CONFIG_KEYS) raw[k] = cfg.get(k);
    return parseSettings(raw);
}

/**
 * The router kind: the stack's `routerKind` when set, else the platform's `routerKind` output, else
 * `nginx` (a platform that predates the output runs ingress-nginx). Refuses a state the router (and
 * `alsoRouters`, registered beside it during a migration) cannot carry, before any Kubernetes object
 * is registered.
 */
export function resolveRouterKind(settings: ReleaseStackSettings, platformRouterKind: unknown, alsoRouters: RouterKind[] = []): RouterKind {
    const fromPlatform = typeof platformRouterKind === "string" && platformRouterKind !== "" ? platformRouterKind : "nginx";
    const kind = settings.routerKind ?? fromPlatform;
    if (!isRouterKind(kind)) throw new pulumi.RunError(`the platform stack's routerKind output is ${JSON.stringify(kind)}; expected one of: ${ROUTER_KINDS.join(", ")}`);
    const problems = [kind, ...alsoRouters].flatMap((k) => routerModel(k).stateProblems(settings.state));
    if (problems.length > 0) {
        throw new pulumi.RunError(`phoenix-release configuration is invalid for the ${[kind, ...alsoRouters].join(" and ")} router; nothing was changed:\n  - ${problems.map((p) => `state: ${p}`).join("\n  - ")}`);
    }
    return kind;
}
