/**
 * The front-door support policies (policy/src/front-door-support.ts) over what the platform stack
 * really registers in each mode (platform/dev under the mock runtime), then over broken copies:
 * each compliant run passes, each broken copy adds exactly the violation its rule names.
 */
import { strict as assert } from "assert";
import type { PolicyResource } from "@pulumi/policy";
import {
    gatewayApiCrdsOwnership,
    gatewayApiCrdInstallers,
    ingressNginxOutOfSupport,
    isGatewayCrdsChart,
    isIngressNginxChart,
} from "../policy/src/front-door-support";
import { TYPES } from "../policy/src/define";
import { checkResource, checkStack, plain, policyResource, resourceArgs, stackArgs } from "./support/policy-harness";
import type { RunResult } from "./support/pulumi-harness";
import { runPlatform, runRegistry } from "./support/phoenix-stacks";

type Props = Record<string, unknown>;
const CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/** The stack's resources as a stack policy sees them (state, secrets unwrapped), props deep-copied so a test may break them. */
function stackOf(run: RunResult): PolicyResource[] {
    return run.resources.map((r) =>
        policyResource({ type: r.type, name: r.name, urn: r.urn, props: JSON.parse(JSON.stringify(plain(r.state))) as Props }),
    );
}

async function crdViolations(resources: PolicyResource[]): Promise<string[]> {
    return (await checkStack(gatewayApiCrdsOwnership, stackArgs(resources))).violations.map((v) => v.message);
}

const find = (rs: PolicyResource[], pred: (r: PolicyResource) => boolean): PolicyResource => {
    const r = rs.find(pred);
    assert.ok(r, "resource present");
    return r;
};
const cluster = (rs: PolicyResource[]) => find(rs, (r) => r.type === TYPES.cluster);
const controller = (rs: PolicyResource[]) =>
    find(rs, (r) => r.type === TYPES.helmRelease && String(r.props.chart).endsWith("/gateway-helm"));

describe("policy pack: the front door on what AKS supports", function () {
    this.timeout(60000);
    const runs: Record<string, RunResult> = {};
    before(async () => {
        const registry = (await runRegistry()).outputs;
        const modes: Record<string, Props> = {
            "app-routing-istio": {},
            "envoy (phoenix CRDs)": { gateway: "envoy", gatewayApiCrds: "phoenix" },
            "envoy on managed CRDs (1.35, v1.7.5)": {
                gateway: "envoy",
                gatewayApiCrds: "managed",
                aksKubernetesVersion: "1.35",
                gatewayChartVersion: "v1.7.5",
            },
            nginx: { gateway: "nginx" },
            "app-routing-istio + legacyNginx": { legacyNginx: true },
        };
        for (const [mode, configOverrides] of Object.entries(modes)) runs[mode] = await runPlatform("dev", registry, { configOverrides });
    });

    describe("gateway-api-crds-ownership (mandatory, stack)", () => {
        it("passes every mode the platform stack registers", async () => {
            for (const [mode, run] of Object.entries(runs)) assert.deepEqual(await crdViolations(stackOf(run)), [], mode);
        });

        it("refuses Envoy Gateway's chart installing its CRDs on a cluster whose CRDs AKS manages", async () => {
            const rs = stackOf(runs["envoy on managed CRDs (1.35, v1.7.5)"]);
            delete (controller(rs).props.values as Props).crds;
            assert.deepEqual(await crdViolations(rs), [
                'Helm release "envoy-gateway" (oci://docker.io/envoyproxy/gateway-helm with crds.enabled) installs Gateway API CRDs, but AKS\'s managed installation owns them on cluster "aks-cluster" (gateway-api-crds=managed).',
            ]);
        });

        it("refuses a Gateway API CustomResourceDefinition, and the CRD-only chart with the Gateway API bundle on, under managed CRDs", async () => {
            const rs = stackOf(runs["app-routing-istio"]);
            rs.push(
                policyResource({
                    type: CRD,
                    name: "httproutes",
                    props: { metadata: { name: "httproutes.gateway.networking.k8s.io" }, spec: { group: "gateway.networking.k8s.io" } },
                }),
            );
            rs.push(
                policyResource({
                    type: CRD,
                    name: "envoyproxies",
                    props: { metadata: { name: "envoyproxies.gateway.envoyproxy.io" }, spec: { group: "gateway.envoyproxy.io" } },
                }),
            );
            const v = await crdViolations(rs);
            assert.equal(v.length, 1, v.join("\n"));
            assert.match(v[0], /^CustomResourceDefinition "httproutes\.gateway\.networking\.k8s\.io" installs Gateway API CRDs/);
            const envoy = stackOf(runs["envoy on managed CRDs (1.35, v1.7.5)"]);
            const crdsRelease = find(envoy, (r) => String(r.props.chart).endsWith("/gateway-crds-helm"));
            ((crdsRelease.props.values as Props).crds as Props).gatewayAPI = { enabled: true };
            assert.match(
                (await crdViolations(envoy)).join("\n"),
                /^Helm release "envoy-gateway-crds" \(oci:\/\/docker\.io\/envoyproxy\/gateway-crds-helm with crds\.gatewayAPI\.enabled\) installs Gateway API CRDs/,
            );
        });

        it("refuses a controller release whose required CRD version is not the cluster's (v1.9 needs v1.6.1; AKS manages v1.4.1 on 1.35)", async () => {
            const rs = stackOf(runs["envoy on managed CRDs (1.35, v1.7.5)"]);
            controller(rs).props.version = "v1.9.2";
            assert.deepEqual(await crdViolations(rs), [
                'Helm release "envoy-gateway": Envoy Gateway v1.9 requires Gateway API v1.6.1 but AKS manages v1.4.1 on Kubernetes 1.35; pin Envoy Gateway v1.7 (end of life 2026-08-05), or set gatewayApiCrds: phoenix.',
            ]);
        });

        it("refuses the same release when the cluster's Kubernetes minor moves to another managed bundle (1.35 → 1.34: v1.3.0)", async () => {
            const rs = stackOf(runs["envoy on managed CRDs (1.35, v1.7.5)"]);
            cluster(rs).props.kubernetesVersion = "1.34";
            assert.match(
                (await crdViolations(rs)).join("\n"),
                /Envoy Gateway v1\.7 requires Gateway API v1\.4\.1 but AKS manages v1\.3\.0 on Kubernetes 1\.34/,
            );
        });

        it("refuses an Envoy Gateway release the table does not know, and one outside its Kubernetes range", async () => {
            const rs = stackOf(runs["envoy (phoenix CRDs)"]);
            controller(rs).props.version = "v2.0.0";
            assert.match((await crdViolations(rs)).join("\n"), /Envoy Gateway v2\.0\.0 is not in the compatibility table/);
            const old = stackOf(runs["envoy (phoenix CRDs)"]);
            cluster(old).props.kubernetesVersion = "1.31";
            assert.match(
                (await crdViolations(old)).join("\n"),
                /Envoy Gateway v1\.9 supports Kubernetes 1\.33, 1\.34, 1\.35, 1\.36, not 1\.31/,
            );
        });

        it("refuses app-routing-istio's class on a cluster whose CRDs Phoenix owns, and an unknown owner tag", async () => {
            const rs = stackOf(runs["app-routing-istio"]);
            (cluster(rs).props.tags as Props)["gateway-api-crds"] = "phoenix";
            assert.deepEqual(await crdViolations(rs), [
                'Gateway "phoenix-gateway" uses class approuting-istio, which runs on AKS-managed CRDs only, but cluster "aks-cluster" has gateway-api-crds=phoenix.',
            ]);
            (cluster(rs).props.tags as Props)["gateway-api-crds"] = "helm";
            assert.deepEqual(await crdViolations(rs), [
                'cluster "aks-cluster" has tag gateway-api-crds="helm"; expected managed or phoenix.',
            ]);
        });

        it("a cluster without the tag (gateway nginx) is not reviewed; the installers are recognised by chart, mirrors included", async () => {
            assert.equal((cluster(stackOf(runs.nginx)).props.tags as Props)["gateway-api-crds"], undefined);
            assert.ok(isGatewayCrdsChart("oci://myacr.azurecr.io/helm/gateway-crds-helm"));
            assert.ok(!isGatewayCrdsChart("oci://docker.io/envoyproxy/gateway-helm"));
            assert.deepEqual(gatewayApiCrdInstallers(stackOf(runs["envoy (phoenix CRDs)"])), [
                'Helm release "envoy-gateway" (oci://docker.io/envoyproxy/gateway-helm with crds.enabled)',
            ]);
            assert.deepEqual(gatewayApiCrdInstallers(stackOf(runs["envoy on managed CRDs (1.35, v1.7.5)"])), []);
        });
    });

    describe("ingress-nginx-out-of-support (advisory)", () => {
        async function nginxViolations(run: RunResult): Promise<string[]> {
            const out: string[] = [];
            for (const r of run.resources) {
                const o = await checkResource(
                    ingressNginxOutOfSupport,
                    resourceArgs({ type: r.type, name: r.name, urn: r.urn, props: plain(r.inputs) as Props }),
                );
                out.push(...o.violations.map((v) => v.message));
            }
            return out;
        }

        it("reports ingress-nginx wherever it runs (gateway nginx, legacyNginx), pointing at the migration guide", async () => {
            for (const mode of ["nginx", "app-routing-istio + legacyNginx"]) {
                assert.deepEqual(
                    await nginxViolations(runs[mode]),
                    [
                        'Helm release "ingress-nginx" installs ingress-nginx "4.15.1", which is out of support; it remains only for migration (docs/gateway-migration.md).',
                    ],
                    mode,
                );
            }
            assert.equal(ingressNginxOutOfSupport.enforcementLevel, "advisory");
            assert.match(ingressNginxOutOfSupport.remediationSteps ?? "", /docs\/gateway-migration\.md/);
        });

        it("is silent on a stack without ingress-nginx and not applicable to other charts", async () => {
            assert.deepEqual(await nginxViolations(runs["app-routing-istio"]), []);
            assert.deepEqual(await nginxViolations(runs["envoy (phoenix CRDs)"]), []);
            assert.ok(isIngressNginxChart("ingress-nginx") && isIngressNginxChart("oci://myacr.azurecr.io/helm/ingress-nginx"));
            const o = await checkResource(
                ingressNginxOutOfSupport,
                resourceArgs({
                    type: TYPES.helmRelease,
                    name: "x",
                    props: { chart: "oci://docker.io/envoyproxy/gateway-helm", version: "v1.9.2" },
                }),
            );
            assert.equal(o.notApplicable, "not the ingress-nginx chart");
        });
    });
});
