/**
 * The front door on what AKS supports: who owns the Gateway API CRDs and whether the controller fits
 * them (mandatory, stack-level), and ingress-nginx out of support (advisory). The compatibility
 * tables come from the model package (`gatewayApi` of @phoenix/release-model), the one place they live.
 *
 * What the policy reads: the cluster's `gateway-api-crds` tag (the owner the platform stack records)
 * and `kubernetesVersion`; the Helm releases of Envoy Gateway's controller chart (`values.crds.enabled`
 * installs the Gateway API bundle) and of its CRD-only chart (`values.crds.gatewayAPI.enabled`);
 * CustomResourceDefinitions of group gateway.networking.k8s.io; Gateways of class approuting-istio.
 */
import type { PolicyResource } from "@pulumi/policy";
import { gatewayApi } from "@phoenix/release-model";
import { resourcePolicy, stackPolicy, TYPES } from "./define";
import { isGatewayControllerChart } from "./gateway";
import { releaseName } from "./helm-releases";
import { asString, at, Props, show } from "./util";

const CRD_TYPE = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";
const APP_ROUTING_ISTIO_CLASS = "approuting-istio";
/** Where the move off ingress-nginx (and from Envoy Gateway to app-routing-istio) is described. */
export const MIGRATION_GUIDE = "docs/gateway-migration.md";

/** Envoy Gateway's CRD-only chart (any mirror of it). */
export function isGatewayCrdsChart(chart: string): boolean {
    return /(^|\/)gateway-crds-helm$/.test(chart.replace(/:[^/]*$/, ""));
}

/** What in a stack installs Gateway API CRDs: one line per installer, naming it. */
export function gatewayApiCrdInstallers(resources: PolicyResource[]): string[] {
    const out: string[] = [];
    for (const r of resources) {
        const props = r.props as Props;
        if (r.type === TYPES.helmRelease) {
            const chart = asString(props.chart) ?? "";
            // The controller chart's `crds` subchart is on unless explicitly off (chart default `crds.enabled: true`).
            if (isGatewayControllerChart(chart) && at(props.values, "crds", "enabled") !== false)
                out.push(`Helm release ${show(releaseName(props, r.name))} (${chart} with crds.enabled)`);
            if (isGatewayCrdsChart(chart) && at(props.values, "crds", "gatewayAPI", "enabled") === true)
                out.push(`Helm release ${show(releaseName(props, r.name))} (${chart} with crds.gatewayAPI.enabled)`);
        }
        if (r.type === CRD_TYPE && at(props.spec, "group") === gatewayApi.GATEWAY_API_GROUP)
            out.push(`CustomResourceDefinition ${show(at(props.metadata, "name") ?? r.name)}`);
    }
    return out;
}

export const gatewayApiCrdsOwnership = stackPolicy({
    name: "gateway-api-crds-ownership",
    description:
        "Gateway API CRDs have one owner: no stack installs CRDs AKS's managed installation owns, and a Gateway controller's required CRD version must be the cluster's.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "With gatewayApiCrds: managed, install no Gateway API CRD (Envoy Gateway's chart with crds.enabled: false) and pin an Envoy Gateway release built for AKS's bundle of the cluster's Kubernetes minor; " +
        "or set gatewayApiCrds: phoenix (gateway envoy only). app-routing-istio needs managed. Tables: @phoenix/release-model routers/gateway-api/crd-compatibility.ts.",
    check: ({ args, report }) => {
        for (const cluster of args.resources.filter((r) => r.type === TYPES.cluster)) {
            const props = cluster.props as Props;
            const owner = at(props.tags, gatewayApi.GATEWAY_API_CRDS_TAG);
            // A cluster whose stack does not manage its Gateway API (nginx only) is not reviewed here.
            if (owner === undefined) continue;
            if (owner !== "managed" && owner !== "phoenix") {
                report(
                    `cluster ${show(cluster.name)} has tag ${gatewayApi.GATEWAY_API_CRDS_TAG}=${show(owner)}; expected managed or phoenix.`,
                    cluster.urn,
                );
                continue;
            }
            const kubernetesVersion = asString(props.kubernetesVersion) ?? "";
            if (owner === "managed") {
                for (const installer of gatewayApiCrdInstallers(args.resources)) {
                    report(
                        `${installer} installs Gateway API CRDs, but AKS's managed installation owns them on cluster ${show(cluster.name)} (${gatewayApi.GATEWAY_API_CRDS_TAG}=managed).`,
                    );
                }
            }
            for (const r of args.resources) {
                const p = r.props as Props;
                if (r.type === TYPES.helmRelease && isGatewayControllerChart(asString(p.chart) ?? "")) {
                    for (const problem of gatewayApi.crdOwnershipProblems({
                        gateway: "envoy",
                        crds: owner,
                        kubernetesVersion,
                        envoyChartVersion: asString(p.version),
                    })) {
                        report(`Helm release ${show(releaseName(p, r.name))}: ${problem}.`, r.urn);
                    }
                }
                if (r.type === TYPES.gateway && at(p.spec, "gatewayClassName") === APP_ROUTING_ISTIO_CLASS && owner !== "managed") {
                    report(
                        `Gateway ${show(at(p.metadata, "name") ?? r.name)} uses class ${APP_ROUTING_ISTIO_CLASS}, which runs on AKS-managed CRDs only, but cluster ${show(cluster.name)} has ${gatewayApi.GATEWAY_API_CRDS_TAG}=${owner}.`,
                        r.urn,
                    );
                }
            }
        }
    },
});

/** The ingress-nginx chart (the community chart the platform installs, any mirror of it). */
export function isIngressNginxChart(chart: string): boolean {
    return /(^|\/)ingress-nginx$/.test(chart.replace(/:[^/]*$/, ""));
}

export const ingressNginxOutOfSupport = resourcePolicy({
    name: "ingress-nginx-out-of-support",
    description:
        "The ingress-nginx chart is out of support (the community project retired in March 2026, Microsoft's support for the AKS-managed NGINX ended in November 2026): keep it only to migrate.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: `Move the environment to gateway app-routing-istio (Gateway API) and then set legacyNginx false, step by step with no failed request: ${MIGRATION_GUIDE}.`,
    resourceTypes: [TYPES.helmRelease],
    check: (props, { args, report }) => {
        const chart = asString(props.chart) ?? "";
        if (!isIngressNginxChart(chart)) args.notApplicable("not the ingress-nginx chart");
        report(
            `Helm release ${show(releaseName(props, args.name))} installs ingress-nginx ${show(props.version)}, which is out of support; it remains only for migration (${MIGRATION_GUIDE}).`,
        );
    },
});

export const frontDoorSupportPolicies = [gatewayApiCrdsOwnership, ingressNginxOutOfSupport];
