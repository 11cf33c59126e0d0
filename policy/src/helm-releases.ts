/** Helm release policies (kubernetes:helm.sh/v3:Release: only chart, version and values are visible). */
import { resourcePolicy, TYPES } from "./define";
import { asString, at, isRecord, Props, show } from "./util";

/** An exact SemVer 2 version: no ranges (^ ~ x * > <), no wildcards. */
export const EXACT_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** A chart given as a directory path (its version is whatever Chart.yaml says in that commit). */
export function isLocalChart(chart: string): boolean {
    return chart.startsWith("./") || chart.startsWith("../") || chart.startsWith("/") || chart === ".";
}

export interface AppReleaseConfig {
    appReleasePattern: string;
}

const appReleaseSchema = {
    appReleasePattern: {
        type: "string" as const,
        default: "^(blue|green)-",
        description:
            "Regular expression matched against a release's name; a match (or values.slot blue/green) marks an application slot release.",
    },
};

/** The Helm release name: the `name` input, else the Pulumi resource name (what the provider uses). */
export function releaseName(props: Props, resourceName: string): string {
    return asString(props.name) ?? resourceName;
}

/** A release of the application chart (one of the blue/green slots) rather than a platform add-on. */
export function isAppRelease(props: Props, resourceName: string, pattern: string): boolean {
    const slot = at(props.values, "slot");
    return slot === "blue" || slot === "green" || new RegExp(pattern).test(releaseName(props, resourceName));
}

export const helmChartVersionPinned = resourcePolicy<{ allowLocalCharts: boolean }>({
    name: "helm-chart-version-pinned",
    description: "Helm releases must pin their chart to an exact version, so a preview shows exactly what will be installed.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set `version` to an exact chart version (for example 4.12.1), never a range, wildcard or nothing; for the app, use the version the pipeline pushed to the registry.",
    resourceTypes: [TYPES.helmRelease],
    configSchema: {
        properties: {
            allowLocalCharts: {
                type: "boolean",
                default: true,
                description: "Accept a chart given as a local directory (pinned by the commit) without a version.",
            },
        },
    },
    check: (props, { config, report }) => {
        const chart = asString(props.chart) ?? "";
        const version = props.version;
        if (isLocalChart(chart)) {
            if (!config.allowLocalCharts) {
                report(`chart ${show(chart)} is a local directory; expected a chart from a registry with a pinned version.`);
                return;
            }
            if (version === undefined || version === "") return;
        }
        const v = asString(version);
        if (!v || !EXACT_VERSION.test(v)) {
            report(`chart ${show(chart)} version is ${show(version)}; expected an exact version such as "1.2.3".`);
        }
    },
});

/** Every `image.tag` / `image: "repo:tag"` found anywhere in a values tree, with its path. */
export function findImageRefs(values: unknown, path = "values"): Array<{ path: string; tag: string | undefined }> {
    const found: Array<{ path: string; tag: string | undefined }> = [];
    if (Array.isArray(values)) {
        values.forEach((v, i) => found.push(...findImageRefs(v, `${path}[${i}]`)));
        return found;
    }
    if (!isRecord(values)) return found;
    for (const key of Object.keys(values)) {
        // Peek at the raw value without the preview proxy's get trap: a scalar under any key other
        // than `image` cannot hold an image reference, so an unknown one (a Secret name computed
        // during preview) must not downgrade this policy. Everything relevant is read normally.
        const raw: unknown = Object.getOwnPropertyDescriptor(values, key)?.value;
        if (key !== "image" && (typeof raw !== "object" || raw === null)) continue;
        const v = values[key];
        const here = `${path}.${key}`;
        if (key === "image" && isRecord(v) && "tag" in v) {
            found.push({ path: `${here}.tag`, tag: asString(v.tag) });
        } else if (key === "image" && typeof v === "string" && !v.includes("@")) {
            const last = v.split("/").pop() ?? "";
            found.push({ path: here, tag: last.includes(":") ? last.split(":").pop() : undefined });
        }
        if (typeof v === "object" && v !== null) found.push(...findImageRefs(v, here));
    }
    return found;
}

export const helmImageTagPinned = resourcePolicy<AppReleaseConfig>({
    name: "helm-image-tag-pinned",
    description: "Helm releases must name an explicit image tag that is not `latest`; application releases must set values.image.tag.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set `values.image.tag` to the immutable tag the pipeline built (the release version); never `latest` or an empty tag.",
    resourceTypes: [TYPES.helmRelease],
    configSchema: { properties: { ...appReleaseSchema } },
    check: (props, { args, config, report }) => {
        if (isAppRelease(props, args.name, config.appReleasePattern)) {
            const tag = asString(at(props.values, "image", "tag"));
            if (!tag || !tag.trim())
                report(`values.image.tag is ${show(at(props.values, "image", "tag"))}; the application image tag is required.`);
        }
        for (const ref of findImageRefs(props.values)) {
            if (ref.tag?.toLowerCase() === "latest") report(`${ref.path} is "latest"; expected an immutable tag.`);
        }
    },
});

export const helmAppReleaseAtomic = resourcePolicy<AppReleaseConfig>({
    name: "helm-app-release-atomic",
    description: "Application slot releases must be atomic so a failed upgrade rolls back instead of leaving a half-deployed slot.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set `atomic: true` (and `cleanupOnFail: true`) on the blue and green releases.",
    resourceTypes: [TYPES.helmRelease],
    configSchema: { properties: { ...appReleaseSchema } },
    check: (props, { args, config, report }) => {
        if (!isAppRelease(props, args.name, config.appReleasePattern)) args.notApplicable("not an application slot release");
        if (props.atomic !== true)
            report(`atomic is ${show(props.atomic)}; expected true for release ${show(releaseName(props, args.name))}.`);
    },
});

export const helmAppReleaseCleanupOnFail = resourcePolicy<AppReleaseConfig>({
    name: "helm-app-release-cleanup-on-fail",
    description: "Application slot releases should clean up resources created by a failed upgrade.",
    enforcementLevel: "advisory",
    severity: "low",
    remediationSteps: "Set `cleanupOnFail: true` on the blue and green releases.",
    resourceTypes: [TYPES.helmRelease],
    configSchema: { properties: { ...appReleaseSchema } },
    check: (props, { args, config, report }) => {
        if (!isAppRelease(props, args.name, config.appReleasePattern)) args.notApplicable("not an application slot release");
        if (props.cleanupOnFail !== true) report(`cleanupOnFail is ${show(props.cleanupOnFail)}; expected true.`);
    },
});

export const helmReleasePolicies = [helmChartVersionPinned, helmImageTagPinned, helmAppReleaseAtomic, helmAppReleaseCleanupOnFail];
