/**
 * The Gateway API platform policies (policy/src/gateway.ts) against the objects the platform stack
 * really registers (a Gateway from components/gateway-api.ts, the Envoy Gateway Helm release) and
 * against broken copies: each passes the compliant input and flags exactly the broken one; unknown
 * values during preview reach the SDK (downgraded, never "compliant").
 */
import { strict as assert } from "assert";
import { gatewayChartPinned, gatewayListenersRestrictRoutes, gatewayStaticPublicIp, isGatewayControllerChart } from "../policy/src/gateway";
import { TYPES } from "../policy/src/define";
import { ENVOY_GATEWAY_CHART, ENVOY_GATEWAY_CHART_VERSION, gatewayManifest } from "../components/gateway-api";
import { checkResource, resourceArgs, UNKNOWN } from "./support/policy-harness";

type Props = Record<string, unknown>;

const gateway = (): Props =>
    JSON.parse(
        JSON.stringify(
            gatewayManifest({
                namespace: "phoenix-gateway",
                className: "phoenix-envoy",
                hostname: "phoenix-dev-abcde.westeurope.cloudapp.azure.com",
                tlsSecretName: "tls",
                publicIpName: "gateway-ip",
                ipResourceGroup: "phoenix-dev-rg",
            }),
        ),
    ) as Props;
const release = (...args: [version?: unknown, chart?: string]): Props => ({
    name: "envoy-gateway",
    namespace: "envoy-gateway-system",
    chart: args[1] ?? ENVOY_GATEWAY_CHART,
    version: args.length === 0 ? ENVOY_GATEWAY_CHART_VERSION : args[0],
    atomic: true,
});
const listeners = (g: Props) => (g.spec as Props).listeners as Props[];

function run(policy: typeof gatewayChartPinned, type: string, props: Props, preview = false) {
    return checkResource(policy, resourceArgs({ type, name: "gateway", props }, { preview }));
}

describe("policy pack: Gateway API platform policies", () => {
    describe("gateway-chart-pinned (mandatory)", () => {
        it("passes the pinned Envoy Gateway chart the platform installs", async () => {
            assert.deepEqual(await run(gatewayChartPinned, TYPES.helmRelease, release()), { violations: [] });
        });
        for (const version of ["v0.0.0-latest", "v1.9.0-rc.1", "^1.9.0", "1.x", "", undefined, "latest"]) {
            it(`flags version ${JSON.stringify(version)}`, async () => {
                const out = await run(gatewayChartPinned, TYPES.helmRelease, release(version));
                assert.equal(out.violations.length, 1, JSON.stringify(out));
                assert.match(out.violations[0].message, /expected an exact released version/);
            });
        }
        it("recognises the chart by name, mirrors included; other charts are not applicable", async () => {
            assert.ok(isGatewayControllerChart("oci://docker.io/envoyproxy/gateway-helm"));
            assert.ok(isGatewayControllerChart("oci://myacr.azurecr.io/helm/gateway-helm"));
            assert.ok(!isGatewayControllerChart("ingress-nginx"));
            assert.ok(!isGatewayControllerChart("oci://docker.io/envoyproxy/gateway-addons-helm"));
            assert.equal(
                (await run(gatewayChartPinned, TYPES.helmRelease, release("v0.0.0-latest", "ingress-nginx"))).notApplicable,
                "not a Gateway API controller chart",
            );
            assert.equal(
                (await run(gatewayChartPinned, TYPES.helmRelease, release("v0.0.0-latest", "oci://myacr.azurecr.io/helm/gateway-helm")))
                    .violations.length,
                1,
            );
        });
        it("an unknown version during preview reaches the SDK (advisory), never passes", async () => {
            const out = await run(gatewayChartPinned, TYPES.helmRelease, release(UNKNOWN.string), true);
            assert.ok(out.unknown, JSON.stringify(out));
        });
    });

    describe("gateway-listeners-restrict-routes (mandatory)", () => {
        it("passes the platform's Gateway (Selector on phoenix.dev/gateway) and a listener left at the default (Same)", async () => {
            assert.deepEqual(await run(gatewayListenersRestrictRoutes, TYPES.gateway, gateway()), { violations: [] });
            const g = gateway();
            delete listeners(g)[0].allowedRoutes;
            assert.deepEqual(await run(gatewayListenersRestrictRoutes, TYPES.gateway, g), { violations: [] });
        });
        it("flags a listener open to All namespaces, naming it", async () => {
            const g = gateway();
            ((listeners(g)[1].allowedRoutes as Props).namespaces as Props).from = "All";
            const out = await run(gatewayListenersRestrictRoutes, TYPES.gateway, g);
            assert.deepEqual(
                out.violations.map((v) => v.message),
                ['listener "https" admits routes from All namespaces; expected Selector (or Same).'],
            );
        });
        it("flags Selector without a selector", async () => {
            const g = gateway();
            delete ((listeners(g)[0].allowedRoutes as Props).namespaces as Props).selector;
            assert.match((await run(gatewayListenersRestrictRoutes, TYPES.gateway, g)).violations[0].message, /without a selector/);
        });
        it("ignores other resource types", async () => {
            assert.deepEqual(await run(gatewayListenersRestrictRoutes, TYPES.helmRelease, release()), { violations: [] });
        });
    });

    describe("gateway-static-public-ip (advisory)", () => {
        it("passes a Gateway naming its IP; flags one without infrastructure annotations", async () => {
            assert.deepEqual(await run(gatewayStaticPublicIp, TYPES.gateway, gateway()), { violations: [] });
            const g = gateway();
            delete (g.spec as Props).infrastructure;
            assert.match((await run(gatewayStaticPublicIp, TYPES.gateway, g)).violations[0].message, /names no static public IP/);
            const byIp = gateway();
            ((byIp.spec as Props).infrastructure as Props).annotations = {
                "service.beta.kubernetes.io/azure-load-balancer-ipv4": "20.1.2.3",
            };
            assert.deepEqual(await run(gatewayStaticPublicIp, TYPES.gateway, byIp), { violations: [] });
        });
    });
});
