/**
 * Who owns an environment's Gateway API CRDs, and which versions fit together. Pure: the platform
 * config, the AKS and Gateway components, the policy pack and the specs all read these tables and
 * functions (so they live in the model package the policy pack may import); nothing here registers a
 * resource or reads a file.
 *
 * - `managed`: AKS installs the standard-channel CRDs (the Managed Gateway API installation) at the
 *   bundle version tied to the cluster's Kubernetes minor; Phoenix installs none. Required by
 *   `app-routing-istio`; with `envoy` the Envoy Gateway release must be one built for that bundle.
 * - `phoenix`: AKS's management stays off and Phoenix installs the CRDs pinned with its Envoy Gateway
 *   release (the chart's `crds` subchart). Only with `envoy`.
 */

export const GATEWAY_API_CRD_OWNERS = ["managed", "phoenix"] as const;
export type GatewayApiCrdOwner = (typeof GATEWAY_API_CRD_OWNERS)[number];

/** The cluster tag that records the owner, so anyone (and the policy pack) can read it off the cluster. */
export const GATEWAY_API_CRDS_TAG = "gateway-api-crds";

/** A Gateway API bundle version: `v<major>.<minor>.<patch>`. */
export type BundleVersion = `v${number}.${number}.${number}`;

export interface ManagedBundle {
    readonly bundle: BundleVersion;
    /** First Kubernetes minor (1.x) that gets this bundle. */
    readonly fromMinor: number;
    /** Last Kubernetes minor that gets it; unset: every later one. */
    readonly toMinor?: number;
    /** Where the entry was read. */
    readonly source: string;
}

/**
 * The bundle AKS's Managed Gateway API installation puts on a cluster, by Kubernetes minor. AKS
 * upgrades the CRDs with the cluster's minor. Source: Microsoft Learn, "Install Managed Gateway API
 * CRDs on AKS" (learn.microsoft.com/azure/aks/managed-gateway-api), section "Supported Kubernetes
 * versions for Gateway API bundle versions", read December 2026.
 */
const AKS_DOC = "learn.microsoft.com/azure/aks/managed-gateway-api#supported-kubernetes-versions-for-gateway-api-bundle-versions";
export const AKS_MANAGED_BUNDLES: readonly ManagedBundle[] = [
    { bundle: "v1.2.1", fromMinor: 26, toMinor: 33, source: AKS_DOC },
    { bundle: "v1.3.0", fromMinor: 34, toMinor: 34, source: AKS_DOC },
    { bundle: "v1.4.1", fromMinor: 35, source: AKS_DOC },
];

export interface ControllerRelease {
    /** The controller's minor line, `v<major>.<minor>`. */
    readonly minor: string;
    /** The Gateway API bundle compiled into it (and shipped in its chart's `crds` subchart). */
    readonly requiresBundle: BundleVersion;
    /** Kubernetes minors (1.x) it supports. */
    readonly kubernetesMinors: readonly number[];
    /** Last day of upstream support, ISO date. */
    readonly endOfLife: string;
    /** Where the entry was read. */
    readonly source: string;
}

/**
 * Envoy Gateway releases and the Gateway API bundle each is built against. Source: the project's
 * compatibility matrix, envoyproxy/gateway `site/content/en/news/releases/matrix.md` (read December
 * 2026; the `go.mod` of tags v1.9.0 and v1.8.0 pins sigs.k8s.io/gateway-api v1.6.1 and v1.5.1).
 */
const EG_MATRIX = "github.com/envoyproxy/gateway site/content/en/news/releases/matrix.md";
export const ENVOY_GATEWAY_RELEASES: readonly ControllerRelease[] = [
    {
        minor: "v1.9",
        requiresBundle: "v1.6.1",
        kubernetesMinors: [33, 34, 35, 36],
        endOfLife: "2027-02-14",
        source: `${EG_MATRIX}; go.mod of tag v1.9.0: sigs.k8s.io/gateway-api v1.6.1`,
    },
    {
        minor: "v1.8",
        requiresBundle: "v1.5.1",
        kubernetesMinors: [32, 33, 34, 35],
        endOfLife: "2026-11-08",
        source: `${EG_MATRIX}; go.mod of tag v1.8.0: sigs.k8s.io/gateway-api v1.5.1`,
    },
    { minor: "v1.7", requiresBundle: "v1.4.1", kubernetesMinors: [32, 33, 34, 35], endOfLife: "2026-08-05", source: EG_MATRIX },
    { minor: "v1.6", requiresBundle: "v1.4.0", kubernetesMinors: [30, 31, 32, 33], endOfLife: "2026-05-13", source: EG_MATRIX },
    { minor: "v1.5", requiresBundle: "v1.3.0", kubernetesMinors: [30, 31, 32, 33], endOfLife: "2026-02-13", source: EG_MATRIX },
    { minor: "v1.4", requiresBundle: "v1.3.0", kubernetesMinors: [30, 31, 32, 33], endOfLife: "2025-11-13", source: EG_MATRIX },
    { minor: "v1.3", requiresBundle: "v1.2.1", kubernetesMinors: [29, 30, 31, 32], endOfLife: "2025-07-30", source: EG_MATRIX },
];

/**
 * The oldest bundle Phoenix supports (AKS's managed bundle for Kubernetes 1.26–1.33): the routes
 * Phoenix registers use only standard-channel fields this bundle already has (tests/gateway-route-crds.spec.ts).
 */
export const OLDEST_SUPPORTED_BUNDLE: BundleVersion = "v1.2.1";

/** The minor of `1.34` / `1.34.2` (and `v1.34`), or undefined when it is not a Kubernetes version. */
export function kubernetesMinor(version: string): number | undefined {
    const m = /^v?1\.(\d+)(\.\d+)?$/.exec(version);
    return m ? Number(m[1]) : undefined;
}

/** The bundle AKS manages on a cluster of this Kubernetes version; undefined if the table has none. */
export function aksManagedBundle(kubernetesVersion: string): BundleVersion | undefined {
    const minor = kubernetesMinor(kubernetesVersion);
    if (minor === undefined) return undefined;
    return AKS_MANAGED_BUNDLES.find((b) => minor >= b.fromMinor && (b.toMinor === undefined || minor <= b.toMinor))?.bundle;
}

/** The table entry of an Envoy Gateway chart version such as `v1.9.2`; undefined if unknown. */
export function envoyGatewayRelease(chartVersion: string): ControllerRelease | undefined {
    const m = /^v?(\d+)\.(\d+)\.\d+$/.exec(chartVersion);
    return m ? ENVOY_GATEWAY_RELEASES.find((r) => r.minor === `v${m[1]}.${m[2]}`) : undefined;
}

/** Envoy Gateway minors built for a bundle that support a Kubernetes minor (what to pin instead), newest first, with their end of life. */
export function envoyGatewayMinorsFor(bundle: BundleVersion, kubernetesMinor: number | undefined): string[] {
    return ENVOY_GATEWAY_RELEASES.filter(
        (r) => r.requiresBundle === bundle && (kubernetesMinor === undefined || r.kubernetesMinors.includes(kubernetesMinor)),
    ).map((r) => `${r.minor} (end of life ${r.endOfLife})`);
}

export interface CrdOwnershipInput {
    /** The front door: `envoy`, `app-routing-istio` or `nginx`. */
    readonly gateway: string;
    readonly crds: GatewayApiCrdOwner;
    readonly kubernetesVersion: string;
    /** The Envoy Gateway chart version (`envoy` only). */
    readonly envoyChartVersion?: string;
}

/**
 * Why a combination of front door, CRD owner, Kubernetes version and controller release cannot
 * work; empty when it can. Each problem names the values and what would fit.
 */
export function crdOwnershipProblems(input: CrdOwnershipInput): string[] {
    const problems: string[] = [];
    const managed = aksManagedBundle(input.kubernetesVersion);
    if (input.crds === "managed" && managed === undefined) {
        problems.push(
            `Kubernetes ${input.kubernetesVersion} has no AKS-managed Gateway API bundle in the table (1.${AKS_MANAGED_BUNDLES[0].fromMinor} or later)`,
        );
    }
    if (input.gateway === "app-routing-istio" && input.crds !== "managed") {
        problems.push("app-routing-istio runs on AKS-managed Gateway API CRDs only: gatewayApiCrds must be managed");
    }
    if (input.gateway === "envoy") {
        const release = envoyGatewayRelease(input.envoyChartVersion ?? "");
        if (!release) {
            problems.push(
                `Envoy Gateway ${String(input.envoyChartVersion)} is not in the compatibility table (known: ${ENVOY_GATEWAY_RELEASES.map((r) => r.minor).join(", ")})`,
            );
        } else {
            const minor = kubernetesMinor(input.kubernetesVersion);
            if (minor !== undefined && !release.kubernetesMinors.includes(minor)) {
                problems.push(
                    `Envoy Gateway ${release.minor} supports Kubernetes ${release.kubernetesMinors.map((m) => `1.${m}`).join(", ")}, not ${input.kubernetesVersion}`,
                );
            }
            if (input.crds === "managed" && managed !== undefined && release.requiresBundle !== managed) {
                const fits = envoyGatewayMinorsFor(managed, minor);
                problems.push(
                    `Envoy Gateway ${release.minor} requires Gateway API ${release.requiresBundle} but AKS manages ${managed} on Kubernetes ${input.kubernetesVersion}; ` +
                        (fits.length > 0
                            ? `pin Envoy Gateway ${fits.join(" or ")}`
                            : "no Envoy Gateway release is built for it and supports that Kubernetes minor") +
                        ", or set gatewayApiCrds: phoenix",
                );
            }
        }
    }
    return problems;
}
