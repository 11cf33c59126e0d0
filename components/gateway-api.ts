/**
 * Pure Gateway API knowledge of the platform side: the three front-door modes, the names and labels
 * the release stack relies on, the manifests the platform registers (Gateway, Envoy Gateway's
 * GatewayClass and EnvoyProxy). No Pulumi resources here: the component (gateway-front-door.ts) and
 * the specs build on these functions. The CRDs' CEL rules are not copied here: the suite evaluates
 * them from the pinned CRDs (tests/support/gateway-api-cel.ts) over every manifest, and the API server
 * runs them on apply.
 */

import { GATEWAY_ACCESS_LABEL, gatewayApi, SERVICE_NAMESPACE_LABEL, type KubeObject, type RouterKind } from "@phoenix/release-model";

/** Which front door an environment runs. */
export const GATEWAY_MODES = ["envoy", "app-routing-istio", "nginx"] as const;
export type GatewayMode = (typeof GATEWAY_MODES)[number];

export function routerKindOf(mode: GatewayMode): RouterKind {
    return mode === "nginx" ? "nginx" : "gateway-api";
}

/** Where the move off ingress-nginx is described (the repository's docs). */
export const NGINX_MIGRATION_GUIDE = "docs/gateway-migration.md";
/** The day Microsoft's support for the AKS-managed NGINX (app routing) ended; community ingress-nginx retired March 2026. */
export const NGINX_SUPPORT_ENDED = "November 2026";

/**
 * The warning `pulumi preview` prints while ingress-nginx runs (`gateway: nginx`, or `legacyNginx`
 * beside a Gateway); undefined when it does not run. Pure.
 */
export function ingressNginxWarning(mode: GatewayMode, legacyNginx: boolean): string | undefined {
    if (mode !== "nginx" && !legacyNginx) return undefined;
    const how = mode === "nginx" ? "gateway: nginx" : "legacyNginx: true";
    return `ingress-nginx is out of support (community ingress-nginx retired in March 2026; Microsoft's support for the AKS-managed NGINX ended in ${NGINX_SUPPORT_ENDED}); ${how} remains only to migrate: move to gateway app-routing-istio as ${NGINX_MIGRATION_GUIDE} describes.`;
}

export const GATEWAY_API_GROUP = gatewayApi.GATEWAY_API_GROUP;
export const GATEWAY_API_VERSION = `${GATEWAY_API_GROUP}/v1`;

/** Envoy Gateway, installed by the platform from its OCI chart. */
export const ENVOY_GATEWAY_CHART = "oci://docker.io/envoyproxy/gateway-helm";
/**
 * Envoy Gateway's CRD-only chart (same versions as the controller chart). Used when AKS owns the
 * Gateway API CRDs: it installs Envoy Gateway's own CRDs (EnvoyProxy, …) and no Gateway API CRD.
 */
export const ENVOY_GATEWAY_CRDS_CHART = "oci://docker.io/envoyproxy/gateway-crds-helm";
export const ENVOY_GATEWAY_CRDS_RELEASE = "envoy-gateway-crds";

/**
 * Helm values of the controller chart: its `crds` subchart (Gateway API bundle + Envoy Gateway's CRDs)
 * only when Phoenix owns the Gateway API CRDs (`crds.enabled`, chart README "Skip install CRDs").
 */
export function envoyGatewayValues(phoenixOwnsCrds: boolean): { crds: { enabled: boolean } } {
    return { crds: { enabled: phoenixOwnsCrds } };
}

/** Values of the CRD-only chart when AKS owns the Gateway API CRDs: Envoy Gateway's CRDs alone. */
export function envoyGatewayCrdsValues(): { crds: { gatewayAPI: { enabled: false }; envoyGateway: { enabled: true } } } {
    return { crds: { gatewayAPI: { enabled: false }, envoyGateway: { enabled: true } } };
}
/**
 * The pinned chart (= Envoy Gateway) release: v1.9.2, the newest patch of the current minor line
 * (v1.9, supported by the project until 2027-02-14). Chart versions carry the `v`.
 */
export const ENVOY_GATEWAY_CHART_VERSION = "v1.9.2";
/** An exact Envoy Gateway release: `v<major>.<minor>.<patch>`; no ranges, no `-rc`, no `v0.0.0-latest`. */
export const ENVOY_GATEWAY_VERSION = /^v[1-9]\d*\.\d+\.\d+$/;
export const ENVOY_GATEWAY_NAMESPACE = "envoy-gateway-system";
export const ENVOY_GATEWAY_RELEASE = "envoy-gateway";
/** The controllerName Envoy Gateway's controller claims GatewayClasses by. */
export const ENVOY_CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller";
export const ENVOY_PROXY_API_VERSION = "gateway.envoyproxy.io/v1alpha1";
/** Phoenix's own class for Envoy Gateway (never a shared default class another team may change). */
export const ENVOY_GATEWAY_CLASS = "phoenix-envoy";
export const ENVOY_PROXY_NAME = "phoenix-proxy";

/** The class AKS's app-routing Gateway API implementation creates and serves (managed Istio). */
export const APP_ROUTING_ISTIO_CLASS = "approuting-istio";

/**
 * The one Gateway of an environment. A fixed name, never autonamed: every route's parentRef names
 * it, and a new name means a new Gateway, a new load balancer Service and detached routes.
 */
export const GATEWAY_NAME = "phoenix-gateway";
export const DEFAULT_GATEWAY_NAMESPACE = "phoenix-gateway";
/** Namespaces carrying this label (value: the Gateway's name) may attach routes to it. */
export const ROUTE_NAMESPACE_LABEL = GATEWAY_ACCESS_LABEL;

/** Azure cloud-provider Service annotations the Gateway hands to its load balancer Service. */
export const AZURE_PIP_NAME_ANNOTATION = "service.beta.kubernetes.io/azure-pip-name";
export const AZURE_LB_RESOURCE_GROUP_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

export function gatewayClassFor(mode: Exclude<GatewayMode, "nginx">): string {
    return mode === "envoy" ? ENVOY_GATEWAY_CLASS : APP_ROUTING_ISTIO_CLASS;
}

export interface GatewayListener {
    name: string;
    hostname?: string;
    port: number;
    protocol: "HTTP" | "HTTPS";
    tls?: { mode: "Terminate"; certificateRefs: { group: ""; kind: "Secret"; name: string }[] };
    allowedRoutes: {
        namespaces: {
            from: "Selector";
            selector: { matchLabels: Record<string, string>; matchExpressions?: { key: string; operator: "In"; values: string[] }[] };
        };
        kinds: { group: string; kind: string }[];
    };
}

export interface GatewaySpecArgs {
    /** Namespace of the Gateway. */
    readonly namespace: string;
    /** GatewayClass the Gateway belongs to. */
    readonly className: string;
    /** The environment's host: every listener serves exactly this name. */
    readonly hostname: string;
    /** A `kubernetes.io/tls` Secret in the Gateway's namespace; an HTTPS listener only when set. */
    readonly tlsSecretName?: string;
    /** Name of the static public IP (in `ipResourceGroup`) the load balancer Service must use. */
    readonly publicIpName: string;
    /** Resource group holding the static public IP (the load balancer annotation names it). */
    readonly ipResourceGroup: string;
    /**
     * Hosts of hosted services other than `hostname`: an HTTP listener `http-<host>` each, admitting
     * routes only from the labelled namespaces of the services named (stacks/platform/services.ts).
     */
    readonly serviceHosts?: readonly { hostname: string; services: string[] }[];
}

/** The `{ key, value }` a namespace must carry for its routes to attach. */
export function routeNamespaceLabel(): { key: string; value: string } {
    return { key: ROUTE_NAMESPACE_LABEL, value: GATEWAY_NAME };
}

/** The environment's Gateway: HTTP on the host, HTTPS too when a certificate is configured. */
export function gatewayManifest(args: GatewaySpecArgs): KubeObject<Record<string, unknown>> {
    const allowedRoutes: GatewayListener["allowedRoutes"] = {
        namespaces: { from: "Selector", selector: { matchLabels: { [ROUTE_NAMESPACE_LABEL]: GATEWAY_NAME } } },
        kinds: [{ group: GATEWAY_API_GROUP, kind: "HTTPRoute" }],
    };
    const listeners: GatewayListener[] = [{ name: "http", hostname: args.hostname, port: 80, protocol: "HTTP", allowedRoutes }];
    if (args.tlsSecretName) {
        listeners.push({
            name: "https",
            hostname: args.hostname,
            port: 443,
            protocol: "HTTPS",
            tls: { mode: "Terminate", certificateRefs: [{ group: "", kind: "Secret", name: args.tlsSecretName }] },
            allowedRoutes,
        });
    }
    for (const { hostname, services } of args.serviceHosts ?? []) {
        if (hostname === args.hostname) continue;
        listeners.push({
            name: `http-${hostname}`,
            hostname,
            port: 80,
            protocol: "HTTP",
            allowedRoutes: {
                namespaces: {
                    from: "Selector",
                    selector: {
                        matchLabels: { [ROUTE_NAMESPACE_LABEL]: GATEWAY_NAME },
                        matchExpressions: [{ key: SERVICE_NAMESPACE_LABEL, operator: "In", values: [...services] }],
                    },
                },
                kinds: allowedRoutes.kinds,
            },
        });
    }
    return {
        apiVersion: GATEWAY_API_VERSION,
        kind: "Gateway",
        metadata: {
            name: GATEWAY_NAME,
            namespace: args.namespace,
            labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "phoenix" },
        },
        spec: {
            gatewayClassName: args.className,
            // GEP-1762: both implementations copy these onto the load balancer Service they generate,
            // which is how the Pulumi-owned static IP (and its DNS label) reach that Service.
            infrastructure: {
                annotations: {
                    [AZURE_PIP_NAME_ANNOTATION]: args.publicIpName,
                    [AZURE_LB_RESOURCE_GROUP_ANNOTATION]: args.ipResourceGroup,
                },
            },
            listeners,
        },
    };
}

/** Phoenix's GatewayClass for Envoy Gateway, with the proxy settings (EnvoyProxy) attached. */
export function envoyGatewayClassManifest(): KubeObject<Record<string, unknown>> {
    return {
        apiVersion: GATEWAY_API_VERSION,
        kind: "GatewayClass",
        metadata: { name: ENVOY_GATEWAY_CLASS },
        spec: {
            controllerName: ENVOY_CONTROLLER_NAME,
            // The namespace is required for Envoy Gateway to apply a class-level EnvoyProxy.
            parametersRef: {
                group: "gateway.envoyproxy.io",
                kind: "EnvoyProxy",
                name: ENVOY_PROXY_NAME,
                namespace: ENVOY_GATEWAY_NAMESPACE,
            },
        },
    };
}

/**
 * The Envoy proxy fleet behind the Gateway: several replicas with a PodDisruptionBudget (one proxy
 * is a single point of failure during node upgrades) and the client IP kept (Local), as the
 * ingress-nginx Service had it.
 */
export function envoyProxyManifest(replicas: number): KubeObject<Record<string, unknown>> {
    return {
        apiVersion: ENVOY_PROXY_API_VERSION,
        kind: "EnvoyProxy",
        metadata: { name: ENVOY_PROXY_NAME, namespace: ENVOY_GATEWAY_NAMESPACE },
        spec: {
            provider: {
                type: "Kubernetes",
                kubernetes: {
                    envoyDeployment: { replicas },
                    envoyPDB: { minAvailable: 1 },
                    envoyService: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
                },
            },
        },
    };
}
