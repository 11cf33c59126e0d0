/**
 * Pure Gateway API knowledge of the platform side: the three front-door modes, the names and labels
 * the release stack relies on, the manifests the platform registers (Gateway, Envoy Gateway's
 * GatewayClass and EnvoyProxy) and the CRD validation rules (CEL) that the JSON schemas of
 * `@kubernetes-models/gateway-api` do not run, encoded by hand. No Pulumi resources here: the
 * component (gateway-front-door.ts), the specs and the policy pack all build on these functions.
 */

import { GATEWAY_ACCESS_LABEL, gatewayApi, SERVICE_NAMESPACE_LABEL, type RouterKind } from "@phoenix/release-model";

export type { RouterKind };

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

export interface KubernetesObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
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
export function gatewayManifest(args: GatewaySpecArgs): KubernetesObject {
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
export function envoyGatewayClassManifest(): KubernetesObject {
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
export function envoyProxyManifest(replicas: number): KubernetesObject {
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

// ---------------------------------------------------------------------------------------------
// CEL rules of the Gateway API CRDs (standard channel, v1.x `apis/v1/gateway_types.go` and
// `shared_types.go` kubebuilder markers) that JSON-schema validation does not run. Each names the
// CRD text it encodes. They return problems; an empty list means the object would be admitted.
// ---------------------------------------------------------------------------------------------

export interface CelRule {
    /** The CRD's `x-kubernetes-validations` message (or the field doc) this rule encodes. */
    crdText: string;
    /** `previous` is the object as it is in the cluster, for transition rules (`oldSelf`). */
    check: (obj: KubernetesObject, previous?: KubernetesObject) => string[];
}

/** RFC 1123 hostname as the CRD's `Hostname` type: lower case, optional leading `*.`, ≤ 253. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function listenersOf(obj: KubernetesObject): Record<string, unknown>[] {
    const l = obj.spec.listeners;
    return Array.isArray(l) ? (l as Record<string, unknown>[]) : [];
}

export const GATEWAY_CEL_RULES: CelRule[] = [
    {
        crdText: "Listener name must be unique within the Gateway (listeners: `self.all(l1, self.exists_one(l2, l1.name == l2.name))`)",
        check: (g) => {
            const names = listenersOf(g).map((l) => String(l.name));
            return names.filter((n, i) => names.indexOf(n) !== i).map((n) => `listener name "${n}" repeats`);
        },
    },
    {
        crdText: "Combination of port, protocol and hostname must be unique for each listener",
        check: (g) => {
            const keys = listenersOf(g).map((l) => `${String(l.port)}/${String(l.protocol)}/${String(l.hostname ?? "")}`);
            return keys.filter((k, i) => keys.indexOf(k) !== i).map((k) => `port/protocol/hostname ${k} repeats`);
        },
    },
    {
        crdText: "tls must be specified for protocols ['HTTPS', 'TLS'] (`self.all(l, l.protocol in ['HTTPS', 'TLS'] ? has(l.tls) : true)`)",
        check: (g) =>
            listenersOf(g)
                .filter((l) => (l.protocol === "HTTPS" || l.protocol === "TLS") && !l.tls)
                .map((l) => `listener "${String(l.name)}" (${String(l.protocol)}) has no tls`),
    },
    {
        crdText:
            "tls mode must be set and not empty when protocol is HTTPS; certificateRefs or options must be specified when mode is Terminate",
        check: (g) =>
            listenersOf(g)
                .filter((l) => l.protocol === "HTTPS")
                .flatMap((l) => {
                    const tls = (l.tls ?? {}) as Record<string, unknown>;
                    const refs = Array.isArray(tls.certificateRefs) ? tls.certificateRefs : [];
                    const mode = tls.mode ?? "Terminate";
                    return mode === "Terminate" && refs.length === 0 && !tls.options
                        ? [`listener "${String(l.name)}" terminates TLS without certificateRefs`]
                        : [];
                }),
    },
    {
        crdText:
            "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP'] (`self.all(l, l.protocol in ['HTTP', 'TCP', 'UDP'] ? !has(l.tls) : true)`)",
        check: (g) =>
            listenersOf(g)
                .filter((l) => ["HTTP", "TCP", "UDP"].includes(String(l.protocol)) && l.tls !== undefined)
                .map((l) => `listener "${String(l.name)}" (${String(l.protocol)}) sets tls`),
    },
    {
        crdText:
            "hostname must not be specified for protocols ['TCP', 'UDP']; Hostname: RFC 1123 name, no IP address, optional `*.` prefix, at most 253 characters",
        check: (g) =>
            listenersOf(g).flatMap((l) => {
                if (l.hostname === undefined) return [];
                const h = String(l.hostname);
                if (l.protocol === "TCP" || l.protocol === "UDP")
                    return [`listener "${String(l.name)}" (${String(l.protocol)}) sets hostname`];
                if (h.length > 253 || !HOSTNAME.test(h) || IPV4.test(h))
                    return [`listener "${String(l.name)}" hostname "${h}" is not a valid RFC 1123 host name`];
                return [];
            }),
    },
    {
        crdText: "Port: 1–65535 (`+kubebuilder:validation:Minimum=1`, `Maximum=65535`)",
        check: (g) =>
            listenersOf(g)
                .filter((l) => !Number.isInteger(l.port) || (l.port as number) < 1 || (l.port as number) > 65535)
                .map((l) => `listener "${String(l.name)}" port ${String(l.port)} is out of range`),
    },
    {
        crdText: "allowedRoutes.namespaces: selector must be specified when from is Selector",
        check: (g) =>
            listenersOf(g).flatMap((l) => {
                const ns = ((l.allowedRoutes ?? {}) as Record<string, unknown>).namespaces as Record<string, unknown> | undefined;
                return ns?.from === "Selector" && ns.selector === undefined
                    ? [`listener "${String(l.name)}" selects namespaces without a selector`]
                    : [];
            }),
    },
    {
        crdText: "Listeners: `+kubebuilder:validation:MinItems=1`, `MaxItems=64`",
        check: (g) => {
            const n = listenersOf(g).length;
            return n < 1 || n > 64 ? [`${n} listeners; expected 1–64`] : [];
        },
    },
];

export const GATEWAY_CLASS_CEL_RULES: CelRule[] = [
    {
        crdText:
            "GatewayController: a domain-prefixed path (`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\\/[A-Za-z0-9\\/\\-._~%!$&'()*+,;=:]+$`), at most 253 characters",
        check: (c) => {
            const name = String(c.spec.controllerName ?? "");
            return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$/.test(name) &&
                name.length <= 253
                ? []
                : [`controllerName "${name}" is not a domain-prefixed path`];
        },
    },
    {
        crdText: "Value is immutable (controllerName: `self == oldSelf`)",
        check: (c, previous) =>
            previous !== undefined && previous.spec.controllerName !== c.spec.controllerName
                ? [`controllerName changes from "${String(previous.spec.controllerName)}" to "${String(c.spec.controllerName)}"`]
                : [],
    },
];

/** Every CEL problem of a Gateway API object the platform registers. */
export function celProblems(obj: KubernetesObject, previous?: KubernetesObject): string[] {
    if (obj.kind === "Gateway") return GATEWAY_CEL_RULES.flatMap((r) => r.check(obj));
    if (obj.kind === "GatewayClass") return GATEWAY_CLASS_CEL_RULES.flatMap((r) => r.check(obj, previous));
    return [];
}

/** Listeners admitting routes from every namespace (what the policy pack refuses). */
export function listenersOpenToAllNamespaces(gatewaySpec: unknown): string[] {
    const listeners = (gatewaySpec as { listeners?: unknown })?.listeners;
    if (!Array.isArray(listeners)) return [];
    return listeners
        .filter((l) => (l as { allowedRoutes?: { namespaces?: { from?: unknown } } })?.allowedRoutes?.namespaces?.from === "All")
        .map((l) => String((l as { name?: unknown }).name));
}
