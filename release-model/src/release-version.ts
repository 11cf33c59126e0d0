/**
 * Which release versions Phoenix accepts beyond semver: the version is also the image tag and the chart
 * version, and an OCI tag cannot hold `+`, so build metadata (`1.2.3+build.5`) is refused, the same way
 * by the CLI, the pipeline's scripts (.azuredevops/scripts/*.sh) and the chart's values schema. Use a
 * pre-release instead (`1.2.3-build.5`). The release stack refuses such a state too.
 * tests/release-version.spec.ts holds the CLI, the pipeline and the chart to this one rule.
 */

/** The rule as one regular expression (semver.org's, without the build-metadata part), shared with the spec. */
export const RELEASE_VERSION_PATTERN =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$/;

/** Undefined when `v` (already known to be semver) can be an image tag; else why not. */
export function imageTagVersionProblem(v: string): string | undefined {
    if (v.includes("+"))
        return `build metadata ("+${v.split("+")[1]}") cannot be part of an image tag; use a pre-release such as ${v.replace("+", "-")}`;
    if (v.length > 128) return "longer than an image tag may be (128 characters)";
    return undefined;
}
