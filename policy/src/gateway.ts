/**
 * Gateway API platform policies: the gateway controller's chart pinned to an exact release, no
 * Gateway listener open to routes from every namespace, and the Gateway's load balancer bound to a
 * static public IP. The release side (routes, grants) is reviewed elsewhere.
 */
import { resourcePolicy, TYPES } from "./define";
import { EXACT_VERSION } from "./helm-releases";
import { asString, at, isRecord, show } from "./util";

/** Charts that install a Gateway API controller (Envoy Gateway's official OCI chart, any mirror of it). */
export function isGatewayControllerChart(chart: string): boolean {
    return /(^|\/)gateway-helm$/.test(chart.replace(/:[^/]*$/, ""));
}

export const gatewayChartPinned = resourcePolicy({
    name: "gateway-chart-pinned",
    description:
        "The Gateway API controller's Helm chart must be pinned to an exact released version (not a range, a release candidate or v0.0.0-latest).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set `version` of the Envoy Gateway release to an exact release such as v1.9.2 (config `phoenix-platform:gatewayChartVersion`); never v0.0.0-latest, an -rc or a range.",
    resourceTypes: [TYPES.helmRelease],
    check: (props, { args, report }) => {
        const chart = asString(props.chart) ?? "";
        if (!isGatewayControllerChart(chart)) args.notApplicable("not a Gateway API controller chart");
        const version = asString(props.version);
        // The generic exact-version rule accepts pre-releases, and v0.0.0-latest is one: Envoy Gateway's floating build.
        if (!version || !EXACT_VERSION.test(version) || version.includes("-") || /^v?0\.0\.0/.test(version)) {
            report(`chart ${show(chart)} version is ${show(props.version)}; expected an exact released version such as "v1.9.2".`);
        }
    },
});

export const gatewayListenersRestrictRoutes = resourcePolicy({
    name: "gateway-listeners-restrict-routes",
    description:
        "Gateway listeners must not admit routes from all namespaces; they select the namespaces that may attach (Selector or Same).",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps:
        "Set every listener's `allowedRoutes.namespaces` to `from: Selector` with `matchLabels: { phoenix.dev/gateway: <gateway> }` (what the platform stack does), and label the namespaces allowed to route.",
    resourceTypes: [TYPES.gateway],
    check: (props, { report }) => {
        const listeners = at(props.spec, "listeners");
        if (!Array.isArray(listeners)) return;
        for (const l of listeners) {
            if (!isRecord(l)) continue;
            const from = at(l, "allowedRoutes", "namespaces", "from");
            // Unset means Same (the Gateway's own namespace), which is closed.
            if (from === "All") report(`listener ${show(l.name)} admits routes from All namespaces; expected Selector (or Same).`);
            if (from === "Selector" && !isRecord(at(l, "allowedRoutes", "namespaces", "selector")))
                report(`listener ${show(l.name)} selects namespaces without a selector.`);
        }
    },
});

export const AZURE_PIP_NAME = "service.beta.kubernetes.io/azure-pip-name";
export const AZURE_LB_IPV4 = "service.beta.kubernetes.io/azure-load-balancer-ipv4";

export const gatewayStaticPublicIp = resourcePolicy({
    name: "gateway-static-public-ip",
    description:
        "A Gateway should bind its load balancer to a static public IP through spec.infrastructure.annotations, so its address and DNS label outlive the generated Service.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
        "Set `spec.infrastructure.annotations` with `service.beta.kubernetes.io/azure-pip-name` (or `azure-load-balancer-ipv4`) and `azure-load-balancer-resource-group` naming the Pulumi-owned IP.",
    resourceTypes: [TYPES.gateway],
    check: (props, { report }) => {
        const annotations = at(props.spec, "infrastructure", "annotations");
        const has = (k: string) => isRecord(annotations) && typeof annotations[k] === "string" && annotations[k] !== "";
        if (!has(AZURE_PIP_NAME) && !has(AZURE_LB_IPV4))
            report(
                "spec.infrastructure.annotations names no static public IP (azure-pip-name or azure-load-balancer-ipv4); the load balancer gets a dynamic address.",
            );
    },
});

export const gatewayPolicies = [gatewayChartPinned, gatewayListenersRestrictRoutes, gatewayStaticPublicIp];
