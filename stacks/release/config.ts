/**
 * The release stack's configuration, read and validated in one place before anything is
 * registered, with the same ConfigReader and error format as the other stacks. Every problem is
 * reported at once.
 */
import * as path from "path";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { ConfigReader, ConfigValidationError } from "../../components/config-validation";
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
    /** Undefined: the platform stack's outputs decide (see {@link resolveRouters}). */
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
    return template.replace(/\{(\w+)\}/g, (m, k: string) =>
        (PLACEHOLDERS as readonly string[]).includes(k) ? values[k as (typeof PLACEHOLDERS)[number]] : m,
    );
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

export const RELEASE_PROJECT = "phoenix-release";

const SETTINGS_EXAMPLE_STATE = '{"slots":{"blue":{"role":"live","version":"1.0.0"},"green":{"role":"absent"}}}';

/**
 * Pure: validates raw config strings with the stacks' one {@link ConfigReader}; throws a
 * {@link ConfigValidationError} listing every problem as `phoenix-release:<key>: expected …, got …`.
 * The state's JSON is parsed once (by the release model's `parseStateConfig`); the preview secret is
 * never shown in a problem.
 */
export function parseSettings(raw: RawConfig, opts: { checkLocalChart?: (p: string) => boolean } = {}): ReleaseStackSettings {
    const r = new ConfigReader(RELEASE_PROJECT, (k) => raw[k]);
    const platformStack = r.string("platformStack", {
        patternText: "the platform stack to reference, e.g. organization/phoenix-platform/dev",
    });
    const appName = r.string("appName", {
        default: "calculator",
        pattern: /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/,
        patternText: "a DNS label of at most 40 characters (namespaces are <slot>-<appName>)",
    });
    const placeholders = (key: string, template: string, allowed: readonly string[]): void => {
        for (const k of unknownPlaceholders(template, allowed))
            r.problem(key, `only the placeholders ${allowed.map((p) => `{${p}}`).join(", ")}`, `{${k}}`);
    };
    const chart = r.string("chart", { default: "oci://{registryLoginServer}/helm/{appName}" });
    placeholders("chart", chart, PLACEHOLDERS);
    const chartVersion = r.optionalString("chartVersion");
    if (isOciChart(chart)) {
        if (chartVersion !== undefined && !isSemver(chartVersion))
            r.problem("chartVersion", "an exact semver version (no ranges)", chartVersion);
    } else if (/^[a-z]+:\/\//.test(chart)) {
        r.problem("chart", "an oci:// reference or a path relative to the repository root", chart);
    } else {
        r.require(chartVersion === undefined, "chartVersion", "empty for a local chart directory (its Chart.yaml decides)", chartVersion);
        const check = opts.checkLocalChart ?? ((p: string) => fs.existsSync(path.join(p, "Chart.yaml")));
        r.require(check(resolveLocalChart(chart)), "chart", `a chart directory (no Chart.yaml under ${resolveLocalChart(chart)})`, chart);
    }
    const imageRepository = r.string("imageRepository", { default: "{registryLoginServer}/{appName}" });
    placeholders("imageRepository", imageRepository, PLACEHOLDERS);
    const imageTag = r.string("imageTag", { default: "{version}" });
    r.require(imageTag.includes("{version}"), "imageTag", "a pattern containing {version}", imageTag);
    placeholders("imageTag", imageTag, ["version"]);
    const helmTimeoutSeconds = r.integer("helmTimeoutSeconds", { default: 300, min: 30, max: 3600 });
    const replicas = r.integer("replicas", { default: 2, min: 1, max: 100 });
    const previewHeader = r.string("previewHeader", {
        default: "canary",
        check: (h) =>
            isValidHeaderName(h)
                ? undefined
                : `letters, digits and dashes (nginx ignores headers with underscores), got ${JSON.stringify(h)}`,
    });
    const routerKindRaw = r.optionalString("routerKind");
    if (routerKindRaw !== undefined && !isRouterKind(routerKindRaw))
        r.problem("routerKind", `one of ${ROUTER_KINDS.join(", ")}, or empty for the platform's`, routerKindRaw);
    const routerKind = routerKindRaw !== undefined && isRouterKind(routerKindRaw) ? routerKindRaw : undefined;
    const host = r.optionalString("host", {
        pattern: /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
        patternText: "a lower-case DNS name",
    });

    // Read as text (not r.json): the release model parses it once, with the secret preview value.
    let state: ReleaseState | undefined;
    const stateText = r.optionalString("state");
    const secretValue = raw.previewHeaderValue === "" ? undefined : raw.previewHeaderValue;
    if (stateText === undefined) {
        r.problem("state", `a release state as JSON (required), e.g. ${SETTINGS_EXAMPLE_STATE}`);
    } else {
        try {
            state = parseStateConfig(stateText, secretValue);
            for (const slot of ["blue", "green"] as const) {
                const v = state.slots[slot].version;
                const problem = v === undefined ? undefined : imageTagVersionProblem(v);
                if (problem) r.problem("state", `slot ${slot} versions usable as image tags: ${JSON.stringify(v)} — ${problem}`);
            }
            if (routerKind !== undefined)
                for (const p of routerModel(routerKind).stateProblems(state))
                    r.problem("state", `a state the ${routerKind} router can carry: ${p}`);
        } catch (e) {
            if (!(e instanceof ReleaseStateError)) throw e;
            // The preview value's own problem is named by its key (its text never shows the value).
            for (const p of e.problems)
                r.problem(p.startsWith("previewHeaderValue") ? "previewHeaderValue" : "state", `a valid release state: ${p}`);
        }
    }
    r.done();
    if (state === undefined) throw new ConfigValidationError([{ key: r.key("state"), expected: "a release state" }]);
    return {
        platformStack,
        appName,
        chart,
        chartVersion,
        imageRepository,
        imageTag,
        helmTimeoutSeconds,
        previewHeader,
        ...(routerKind !== undefined ? { routerKind } : {}),
        replicas,
        host,
        state,
        hasPreviewSecret: state.previewHeaderValue !== undefined,
    };
}

/** The config keys this project declares (Pulumi.yaml); read here as plain strings. */
export const CONFIG_KEYS = [
    "platformStack",
    "appName",
    "chart",
    "chartVersion",
    "imageRepository",
    "imageTag",
    "helmTimeoutSeconds",
    "previewHeader",
    "routerKind",
    "replicas",
    "host",
    "state",
    "previewHeaderValue",
] as const;

/** Reads this project's config (values only, nothing logged) and validates it. */
export function readSettings(cfg: pulumi.Config = new pulumi.Config()): ReleaseStackSettings {
    const raw: RawConfig = {};
    // `get` also returns decrypted secrets (previewHeaderValue) as plain strings; they are wrapped
    // with pulumi.secret before they reach any resource or output.
    for (const k of CONFIG_KEYS) raw[k] = cfg.get(k);
    return parseSettings(raw);
}

/** The platform stack's outputs that name its front doors (absent from a platform that predates them). */
export interface PlatformFrontDoors {
    /** `gateway-api` or `nginx`; absent: a platform that predates the output runs ingress-nginx. */
    routerKind: unknown;
    /** True while the platform keeps ingress-nginx beside its Gateway (a migration). */
    legacyNginx: unknown;
}

/**
 * The routers the stack registers, in order (Argo Rollouts' list of traffic routers): the stack's
 * `routerKind` when set; else the platform's `routerKind` output (`nginx` when it has none), and
 * `nginx` beside the Gateway API while the platform's `legacyNginx` keeps ingress-nginx running, so
 * both front doors carry the service from the same state (docs/gateway-migration.md). Refuses a state
 * any of them cannot carry, before any Kubernetes object is registered.
 */
export function resolveRouters(settings: ReleaseStackSettings, platform: PlatformFrontDoors): RouterKind[] {
    const fromPlatform = typeof platform.routerKind === "string" && platform.routerKind !== "" ? platform.routerKind : "nginx";
    const kind = settings.routerKind ?? fromPlatform;
    if (!isRouterKind(kind))
        throw new pulumi.RunError(
            `the platform stack's routerKind output is ${JSON.stringify(kind)}; expected one of: ${ROUTER_KINDS.join(", ")}`,
        );
    const migrating = settings.routerKind === undefined && kind === "gateway-api" && platform.legacyNginx === true;
    const routers: RouterKind[] = migrating ? [kind, "nginx"] : [kind];
    const problems = routers.flatMap((k) => routerModel(k).stateProblems(settings.state));
    if (problems.length > 0) {
        throw new ConfigValidationError(
            problems.map((p) => ({
                key: `${RELEASE_PROJECT}:state`,
                expected: `a state the ${routers.join(" and ")} router can carry: ${p}`,
            })),
        );
    }
    return routers;
}
