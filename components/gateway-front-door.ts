/**
 * The Gateway API front door of an environment: a Standard static public IP with a DNS label, the
 * environment's one `Gateway` in its own namespace, and — in `envoy` mode — Envoy Gateway itself
 * (pinned OCI Helm chart), Phoenix's GatewayClass and the EnvoyProxy settings behind it. In
 * `app-routing-istio` mode AKS provides the controller, the CRDs and the `approuting-istio` class
 * (enabled by the AKS component, components/aks-cluster.ts), so only the IP, the namespace and the
 * Gateway are registered. Who installs the Gateway API CRDs is `crds` (@phoenix/release-model, routers/gateway-api/crd-compatibility.ts):
 * with `managed` Envoy Gateway's chart installs none and a CRD-only release brings Envoy's own.
 *
 * The IP reaches the load balancer Service the implementation generates through the Gateway's
 * `spec.infrastructure.annotations` (by name, in the environment's group); the cluster's control-plane
 * identity gets Network Contributor on that one IP. Routes attach from namespaces labelled
 * `phoenix.dev/gateway: phoenix-gateway` only.
 */
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as k8s from "@pulumi/kubernetes";
import { gatewayApi, type KubeObject } from "@phoenix/release-model";
import {
    ENVOY_GATEWAY_CHART,
    ENVOY_GATEWAY_CRDS_CHART,
    ENVOY_GATEWAY_CRDS_RELEASE,
    envoyGatewayCrdsValues,
    envoyGatewayValues,
    ENVOY_GATEWAY_NAMESPACE,
    ENVOY_GATEWAY_RELEASE,
    ENVOY_GATEWAY_VERSION,
    envoyGatewayClassManifest,
    envoyProxyManifest,
    GATEWAY_NAME,
    gatewayClassFor,
    gatewayManifest,
    GatewayMode,
    routeNamespaceLabel,
} from "./gateway-api";
import { dnsLabelPrefixProblem } from "./naming";
import { staticPublicIp } from "./static-public-ip";
import { assignRole } from "./role-assignment";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface GatewayFrontDoorArgs {
    /** `envoy` installs Envoy Gateway; `app-routing-istio` uses the AKS-managed implementation. */
    readonly mode: Exclude<GatewayMode, "nginx">;
    /** Resource group of the public IP (the environment's group). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region of the public IP. */
    readonly location: pulumi.Input<string>;
    /** DNS label prefix of the IP; `-<5 random characters>` is appended. */
    readonly dnsLabelPrefix: string;
    /** Principal id of the cluster's control-plane identity (gets Network Contributor on the IP). */
    readonly clusterPrincipalId: pulumi.Input<string>;
    /** Provider for the target cluster. */
    readonly provider: k8s.Provider;
    /** Namespace of the Gateway (created here; not the controller's). */
    readonly namespace: string;
    /** The host the listeners serve; unset means the IP's own `<label>.<region>.cloudapp.azure.com`. */
    readonly hostname?: string;
    /** A `kubernetes.io/tls` Secret in `namespace`; unset means no HTTPS listener. */
    readonly tlsSecretName?: string;
    /** Exact Envoy Gateway chart version (`envoy` mode). */
    readonly chartVersion: string;
    /** Envoy proxy replicas (`envoy` mode), at least 2 so the PodDisruptionBudget can keep one. */
    readonly proxyReplicas: number;
    /** Who owns the Gateway API CRDs: AKS (`managed`) or Phoenix through Envoy Gateway's chart (`phoenix`). */
    readonly crds: gatewayApi.GatewayApiCrdOwner;
    /**
     * Hosts of the hosted services besides `hostname`, each with the services whose routes its listener
     * admits (by their routes namespace's `app.kubernetes.io/part-of` label); unset or empty: none.
     */
    readonly serviceHosts?: readonly { hostname: string; services: string[] }[];
    /** What the Gateway waits for besides its own parts (the cluster's Gateway API enablement). */
    readonly gatewayApiReady?: pulumi.Input<pulumi.Resource>[];
    /** Tags on the Azure resources (the public IP). */
    readonly tags: Record<string, string>;
}

/** Argument problems, as `{ propertyPath, reason }`; empty when the arguments are usable. Pure. */
export function gatewayFrontDoorProblems(
    args: Omit<GatewayFrontDoorArgs, "provider" | "resourceGroupName" | "location" | "clusterPrincipalId" | "tags" | "gatewayApiReady">,
): { propertyPath: string; reason: string }[] {
    const errors: { propertyPath: string; reason: string }[] = [];
    if (args.mode !== "envoy" && args.mode !== "app-routing-istio")
        errors.push({ propertyPath: "mode", reason: `expected envoy or app-routing-istio, got "${String(args.mode)}"` });
    const labelProblem = dnsLabelPrefixProblem(args.dnsLabelPrefix);
    if (labelProblem) errors.push({ propertyPath: "dnsLabelPrefix", reason: labelProblem });
    if (!DNS1123_LABEL.test(args.namespace))
        errors.push({ propertyPath: "namespace", reason: `expected a Kubernetes namespace name, got "${args.namespace}"` });
    else if (args.namespace === ENVOY_GATEWAY_NAMESPACE)
        errors.push({
            propertyPath: "namespace",
            reason: `expected a namespace of its own, not the controller's "${ENVOY_GATEWAY_NAMESPACE}"`,
        });
    if (
        args.hostname !== undefined &&
        (args.hostname.length > 253 || !DNS1123_SUBDOMAIN.test(args.hostname) || !args.hostname.includes("."))
    ) {
        errors.push({ propertyPath: "hostname", reason: `expected a fully qualified lower-case host name, got "${args.hostname}"` });
    }
    if (args.tlsSecretName !== undefined && (args.tlsSecretName.length > 253 || !DNS1123_SUBDOMAIN.test(args.tlsSecretName))) {
        errors.push({ propertyPath: "tlsSecretName", reason: `expected a Kubernetes Secret name, got "${args.tlsSecretName}"` });
    }
    (args.serviceHosts ?? []).forEach((h, i) => {
        if (h.hostname.length > 248 || !DNS1123_SUBDOMAIN.test(h.hostname) || !h.hostname.includes("."))
            errors.push({
                propertyPath: `serviceHosts[${i}].hostname`,
                reason: `expected a fully qualified lower-case host name of at most 248 characters, got "${h.hostname}"`,
            });
        if (h.services.length === 0 || h.services.some((s) => !DNS1123_LABEL.test(s)))
            errors.push({
                propertyPath: `serviceHosts[${i}].services`,
                reason: `expected one or more service names, got ${JSON.stringify(h.services)}`,
            });
    });
    if (!(gatewayApi.GATEWAY_API_CRD_OWNERS as readonly string[]).includes(args.crds))
        errors.push({ propertyPath: "crds", reason: `expected managed or phoenix, got "${String(args.crds)}"` });
    else if (args.mode === "app-routing-istio" && args.crds !== "managed")
        errors.push({
            propertyPath: "crds",
            reason: `expected managed with app-routing-istio (it runs on AKS's managed CRDs), got "${args.crds}"`,
        });
    if (args.mode === "envoy") {
        if (!ENVOY_GATEWAY_VERSION.test(args.chartVersion))
            errors.push({
                propertyPath: "chartVersion",
                reason: `expected an exact Envoy Gateway release like v1.9.2, got "${args.chartVersion}"`,
            });
        if (!Number.isInteger(args.proxyReplicas) || args.proxyReplicas < 2)
            errors.push({ propertyPath: "proxyReplicas", reason: `expected an integer ≥ 2, got ${args.proxyReplicas}` });
    }
    return errors;
}

export class GatewayFrontDoor extends pulumi.ComponentResource {
    public readonly publicIp: network.PublicIPAddress;
    public readonly ipAddress: pulumi.Output<string>;
    /** The IP's `<label>.<region>.cloudapp.azure.com`. */
    public readonly fqdn: pulumi.Output<string>;
    /** The host the listeners serve (the configured one, else `fqdn`). */
    public readonly hostname: pulumi.Output<string>;
    public readonly gateway: k8s.apiextensions.CustomResource;
    public readonly gatewayName: string = GATEWAY_NAME;
    public readonly gatewayNamespace: string;
    public readonly gatewayClass: string;
    /** Whether an HTTPS listener exists. */
    public readonly https: boolean;
    public readonly routeNamespaceLabel: { key: string; value: string } = routeNamespaceLabel();
    /** Envoy Gateway's Helm release (`envoy` mode only); it installs the Gateway API CRDs when `crds` is phoenix. */
    public readonly controller?: k8s.helm.v3.Release;
    /** Envoy Gateway's own CRDs (`envoy` mode with `crds` managed: the controller chart installs none then). */
    public readonly controllerCrds?: k8s.helm.v3.Release;

    constructor(name: string, args: GatewayFrontDoorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:gateway:GatewayFrontDoor", name, {}, opts);
        const errors = gatewayFrontDoorProblems(args);
        if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid GatewayFrontDoor "${name}"`, errors });
        this.gatewayNamespace = args.namespace;
        this.gatewayClass = gatewayClassFor(args.mode);
        this.https = args.tlsSecretName !== undefined;
        const k8sOpts = { parent: this, provider: args.provider };

        const ip = staticPublicIp(
            name,
            { resourceGroupName: args.resourceGroupName, location: args.location, dnsLabelPrefix: args.dnsLabelPrefix, tags: args.tags },
            this,
        );
        this.publicIp = ip.publicIp;
        this.ipAddress = ip.ipAddress;
        this.fqdn = ip.fqdn;
        this.hostname = args.hostname !== undefined ? pulumi.output(args.hostname) : this.fqdn;

        // Scoped to this IP (not the group): the Service names the IP, so reading and joining it is all
        // the cloud provider needs, and it never duplicates ingress-nginx's group-wide grant while both
        // front doors run side by side.
        const networkContributor = assignRole(
            `${name}-lb-network-contributor`,
            {
                scope: this.publicIp.id,
                principalId: args.clusterPrincipalId,
                principalType: "ServicePrincipal",
                role: "NetworkContributor",
            },
            { parent: this },
        );

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.namespace,
                    labels: { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "phoenix" },
                },
            },
            k8sOpts,
        );

        const gatewayDeps: pulumi.Input<pulumi.Resource>[] = [namespace, networkContributor, ...(args.gatewayApiReady ?? [])];
        if (args.mode === "envoy") {
            const phoenixOwnsCrds = args.crds === "phoenix";
            this.controllerCrds = phoenixOwnsCrds
                ? undefined
                : new k8s.helm.v3.Release(
                      `${name}-controller-crds`,
                      {
                          name: ENVOY_GATEWAY_CRDS_RELEASE,
                          namespace: ENVOY_GATEWAY_NAMESPACE,
                          createNamespace: true,
                          chart: ENVOY_GATEWAY_CRDS_CHART,
                          version: args.chartVersion,
                          values: envoyGatewayCrdsValues(),
                          atomic: true,
                          cleanupOnFail: true,
                      },
                      { ...k8sOpts, dependsOn: args.gatewayApiReady ?? [] },
                  );
            this.controller = new k8s.helm.v3.Release(
                `${name}-controller`,
                {
                    name: ENVOY_GATEWAY_RELEASE,
                    namespace: ENVOY_GATEWAY_NAMESPACE,
                    createNamespace: true,
                    chart: ENVOY_GATEWAY_CHART,
                    version: args.chartVersion,
                    values: envoyGatewayValues(phoenixOwnsCrds),
                    atomic: true,
                    cleanupOnFail: true,
                    timeout: 600,
                },
                { ...k8sOpts, dependsOn: [...(args.gatewayApiReady ?? []), ...(this.controllerCrds ? [this.controllerCrds] : [])] },
            );
            const proxy = this.customResource(`${name}-proxy`, envoyProxyManifest(args.proxyReplicas), {
                ...k8sOpts,
                dependsOn: [this.controller],
            });
            const cls = this.customResource(`${name}-class`, envoyGatewayClassManifest(), {
                ...k8sOpts,
                dependsOn: [this.controller, proxy],
            });
            gatewayDeps.push(this.controller, cls);
        }

        const spec = pulumi
            .all([this.hostname, this.publicIp.name, pulumi.output(args.resourceGroupName)])
            .apply(([hostname, publicIpName, ipResourceGroup]) =>
                gatewayManifest({
                    namespace: args.namespace,
                    className: this.gatewayClass,
                    hostname,
                    tlsSecretName: args.tlsSecretName,
                    publicIpName,
                    ipResourceGroup,
                    serviceHosts: args.serviceHosts,
                }),
            );
        const shape = gatewayManifest({
            namespace: args.namespace,
            className: this.gatewayClass,
            hostname: "placeholder.invalid",
            publicIpName: "",
            ipResourceGroup: "",
        });
        this.gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            { apiVersion: shape.apiVersion, kind: shape.kind, metadata: shape.metadata, spec: spec.apply((g) => g.spec) },
            { ...k8sOpts, dependsOn: gatewayDeps },
        );

        this.registerOutputs({
            ipAddress: this.ipAddress,
            fqdn: this.fqdn,
            hostname: this.hostname,
            gatewayName: this.gatewayName,
            gatewayNamespace: this.gatewayNamespace,
            gatewayClass: this.gatewayClass,
        });
    }

    private customResource(
        resourceName: string,
        obj: KubeObject<Record<string, unknown>>,
        opts: pulumi.CustomResourceOptions,
    ): k8s.apiextensions.CustomResource {
        return new k8s.apiextensions.CustomResource(
            resourceName,
            { apiVersion: obj.apiVersion, kind: obj.kind, metadata: obj.metadata, spec: obj.spec },
            opts,
        );
    }
}
