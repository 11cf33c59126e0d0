/**
 * The public entry: a Standard static public IP with a DNS label
 * (`<label>.<region>.cloudapp.azure.com`) and ingress-nginx installed by Helm in front of it.
 *
 * The IP lives in the environment's resource group (it survives a cluster rebuild and keeps its DNS
 * name); the cluster's control-plane identity gets Network Contributor there so its cloud provider
 * can attach the IP to the load balancer, and the Service names the group in an annotation.
 *
 * Community ingress-nginx is retired (best effort ended March 2026): it is the seed's router and stays
 * supported here; the release stack's router abstraction is where Gateway API comes in.
 */
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import * as k8s from "@pulumi/kubernetes";
import { dnsLabelPrefixProblem } from "./naming";
import { staticPublicIp } from "./static-public-ip";
import { assignRole } from "./role-assignment";

export const INGRESS_NGINX_REPO = "https://kubernetes.github.io/ingress-nginx";
export const INGRESS_NGINX_CHART = "ingress-nginx";
/** The IngressClass the release stack's Ingresses use. */
export const INGRESS_CLASS_NAME = "nginx";
/** AKS health probe path annotation (ingress-nginx answers /healthz on the Service's ports). */
export const HEALTH_PROBE_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-health-probe-request-path";
export const RESOURCE_GROUP_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-resource-group";
/** The current cloud-provider way to pin the IP; `loadBalancerIP` is kept for older providers. Same value. */
export const IPV4_ANNOTATION = "service.beta.kubernetes.io/azure-load-balancer-ipv4";

/** An exact chart version: pinned, never a range. */
export const CHART_VERSION = /^\d+\.\d+\.\d+$/;

export interface IngressControllerArgs {
    /** Resource group of the public IP (the environment's group). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Resource id of that group: scope of Network Contributor for the cluster identity. */
    readonly resourceGroupId: pulumi.Input<string>;
    /** Azure region of the public IP. */
    readonly location: pulumi.Input<string>;
    /** DNS label prefix; `-<5 random characters>` is appended. */
    readonly dnsLabelPrefix: string;
    /** Principal id of the cluster's control-plane identity. */
    readonly clusterPrincipalId: pulumi.Input<string>;
    /** Provider for the target cluster. */
    readonly provider: k8s.Provider;
    /** Namespace ingress-nginx is installed in. */
    readonly namespace: string;
    /** Exact ingress-nginx chart version. */
    readonly chartVersion: string;
    /** Controller replicas; at least 2 so the PodDisruptionBudget can keep one. */
    readonly replicas: number;
    /** Tags on the Azure resources (the public IP). */
    readonly tags: Record<string, string>;
}

export class IngressController extends pulumi.ComponentResource {
    public readonly publicIp: network.PublicIPAddress;
    public readonly release: k8s.helm.v3.Release;
    public readonly ipAddress: pulumi.Output<string>;
    public readonly fqdn: pulumi.Output<string>;
    public readonly ingressClassName: string = INGRESS_CLASS_NAME;
    public readonly namespace: string;

    constructor(name: string, args: IngressControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:ingress:IngressController", name, {}, opts);
        const errors: { propertyPath: string; reason: string }[] = [];
        const labelProblem = dnsLabelPrefixProblem(args.dnsLabelPrefix);
        if (labelProblem) errors.push({ propertyPath: "dnsLabelPrefix", reason: labelProblem });
        if (!CHART_VERSION.test(args.chartVersion))
            errors.push({ propertyPath: "chartVersion", reason: `expected an exact version like 4.15.1, got "${args.chartVersion}"` });
        if (!Number.isInteger(args.replicas) || args.replicas < 2)
            errors.push({ propertyPath: "replicas", reason: `expected an integer ≥ 2, got ${args.replicas}` });
        if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(args.namespace))
            errors.push({ propertyPath: "namespace", reason: `expected a Kubernetes namespace name, got "${args.namespace}"` });
        if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid IngressController "${name}"`, errors });
        this.namespace = args.namespace;

        const ip = staticPublicIp(
            name,
            { resourceGroupName: args.resourceGroupName, location: args.location, dnsLabelPrefix: args.dnsLabelPrefix, tags: args.tags },
            this,
        );
        this.publicIp = ip.publicIp;
        this.ipAddress = ip.ipAddress;
        this.fqdn = ip.fqdn;

        const networkContributor = assignRole(
            `${name}-lb-network-contributor`,
            {
                scope: args.resourceGroupId,
                principalId: args.clusterPrincipalId,
                principalType: "ServicePrincipal",
                role: "NetworkContributor",
            },
            { parent: this },
        );

        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: "ingress-nginx",
                namespace: args.namespace,
                createNamespace: true,
                chart: INGRESS_NGINX_CHART,
                version: args.chartVersion,
                repositoryOpts: { repo: INGRESS_NGINX_REPO },
                atomic: true,
                cleanupOnFail: true,
                timeout: 600,
                values: ingressNginxValues({
                    replicas: args.replicas,
                    ipAddress: this.ipAddress,
                    resourceGroupName: args.resourceGroupName,
                }),
            },
            { parent: this, provider: args.provider, dependsOn: [networkContributor] },
        );

        this.registerOutputs({ ipAddress: this.ipAddress, fqdn: this.fqdn, ingressClassName: this.ingressClassName });
    }
}

/** The chart values, separate so tests and the policy pack can read them. */
export function ingressNginxValues(args: {
    replicas: number;
    ipAddress: pulumi.Input<string>;
    resourceGroupName: pulumi.Input<string>;
}): Record<string, unknown> {
    return {
        controller: {
            replicaCount: args.replicas,
            // With more than one replica the chart renders a PodDisruptionBudget with this floor.
            minAvailable: 1,
            ingressClass: INGRESS_CLASS_NAME,
            ingressClassResource: { name: INGRESS_CLASS_NAME, enabled: true, default: false, controllerValue: "k8s.io/ingress-nginx" },
            watchIngressWithoutClass: false,
            topologySpreadConstraints: [
                {
                    maxSkew: 1,
                    topologyKey: "kubernetes.io/hostname",
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: {
                        matchLabels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
                    },
                },
            ],
            service: {
                type: "LoadBalancer",
                // Keeps the client IP and sends LB probes only to nodes with a ready controller.
                externalTrafficPolicy: "Local",
                loadBalancerIP: args.ipAddress,
                annotations: {
                    [RESOURCE_GROUP_ANNOTATION]: args.resourceGroupName,
                    [IPV4_ANNOTATION]: args.ipAddress,
                    [HEALTH_PROBE_ANNOTATION]: "/healthz",
                },
            },
            metrics: { enabled: true },
            podAnnotations: { "prometheus.io/scrape": "true", "prometheus.io/port": "10254" },
            admissionWebhooks: { enabled: true },
        },
    };
}
