/**
 * The CRD ownership rules (release-model routers/gateway-api/crd-compatibility.ts) over the whole
 * grid: every front door × owner × Kubernetes minor 1.25–1.37 × Envoy Gateway release in the table,
 * against the combinations the two sources allow, written out here from them; plus the parsers, the
 * az arguments and the ingress-nginx warning.
 */
import { strict as assert } from "assert";
import { gatewayApi } from "@phoenix/release-model";
import { ingressProfileUpdateArgs, ingressProfileUpdateCommand } from "../components/aks-cluster";
import { ingressNginxWarning } from "../components/gateway-api";

const {
    AKS_MANAGED_BUNDLES,
    ENVOY_GATEWAY_RELEASES,
    GATEWAY_API_CRD_OWNERS,
    aksManagedBundle,
    crdOwnershipProblems,
    envoyGatewayRelease,
    envoyGatewayMinorsFor,
    kubernetesMinor,
} = gatewayApi;

const MINORS = Array.from({ length: 13 }, (_, i) => 25 + i);

describe("Gateway API CRD ownership and compatibility (pure)", () => {
    it("AKS's managed bundle per Kubernetes minor: v1.2.1 for 1.26–1.33, v1.3.0 for 1.34, v1.4.1 from 1.35, none before 1.26", () => {
        const expected = (m: number) => (m < 26 ? undefined : m <= 33 ? "v1.2.1" : m === 34 ? "v1.3.0" : "v1.4.1");
        for (const m of MINORS) {
            assert.equal(aksManagedBundle(`1.${m}`), expected(m), `1.${m}`);
            assert.equal(aksManagedBundle(`1.${m}.7`), expected(m), `1.${m}.7`);
        }
        assert.equal(aksManagedBundle("2.0"), undefined);
        assert.equal(aksManagedBundle("latest"), undefined);
    });

    it("every table entry names its source; the AKS table has no gap or overlap", () => {
        for (const e of [...AKS_MANAGED_BUNDLES, ...ENVOY_GATEWAY_RELEASES]) assert.match(e.source, /\S/);
        for (let i = 1; i < AKS_MANAGED_BUNDLES.length; i++)
            assert.equal(AKS_MANAGED_BUNDLES[i].fromMinor, (AKS_MANAGED_BUNDLES[i - 1].toMinor ?? NaN) + 1);
        assert.equal(AKS_MANAGED_BUNDLES[AKS_MANAGED_BUNDLES.length - 1].toMinor, undefined);
    });

    it("parses Kubernetes and Envoy Gateway versions", () => {
        assert.equal(kubernetesMinor("1.34"), 34);
        assert.equal(kubernetesMinor("1.34.2"), 34);
        assert.equal(kubernetesMinor("v1.35"), 35);
        for (const bad of ["1", "1.x", "", "2.1"]) assert.equal(kubernetesMinor(bad), undefined, bad);
        assert.equal(envoyGatewayRelease("v1.9.2")?.requiresBundle, "v1.6.1");
        assert.equal(envoyGatewayRelease("1.8.0")?.requiresBundle, "v1.5.1");
        for (const bad of ["v1.9", "v1.10.0", "v0.0.0-latest", "latest"]) assert.equal(envoyGatewayRelease(bad), undefined, bad);
    });

    it("over the whole grid, a combination has no problem exactly when the sources allow it", () => {
        const releases = [...ENVOY_GATEWAY_RELEASES.map((r) => `${r.minor}.0`), "v2.0.0"];
        let allowed = 0;
        for (const gateway of ["app-routing-istio", "envoy"] as const) {
            for (const crds of GATEWAY_API_CRD_OWNERS) {
                for (const m of MINORS) {
                    for (const version of gateway === "envoy" ? releases : [undefined]) {
                        const problems = crdOwnershipProblems({ gateway, crds, kubernetesVersion: `1.${m}`, envoyChartVersion: version });
                        const managedOk = crds === "phoenix" || m >= 26;
                        let ok: boolean;
                        if (gateway === "app-routing-istio") ok = crds === "managed" && m >= 26;
                        else {
                            // Envoy Gateway's matrix: minor → Gateway API bundle and Kubernetes minors.
                            const fits: Record<string, [string, number[]]> = {
                                "v1.9.0": ["v1.6.1", [33, 34, 35, 36]],
                                "v1.8.0": ["v1.5.1", [32, 33, 34, 35]],
                                "v1.7.0": ["v1.4.1", [32, 33, 34, 35]],
                                "v1.6.0": ["v1.4.0", [30, 31, 32, 33]],
                                "v1.5.0": ["v1.3.0", [30, 31, 32, 33]],
                                "v1.4.0": ["v1.3.0", [30, 31, 32, 33]],
                                "v1.3.0": ["v1.2.1", [29, 30, 31, 32]],
                            };
                            const f = fits[version ?? ""];
                            const aks = m < 26 ? undefined : m <= 33 ? "v1.2.1" : m === 34 ? "v1.3.0" : "v1.4.1";
                            ok = f !== undefined && f[1].includes(m) && managedOk && (crds === "phoenix" || f[0] === aks);
                        }
                        assert.equal(problems.length === 0, ok, `${gateway} ${crds} 1.${m} ${String(version)}: ${problems.join("; ")}`);
                        if (ok) allowed++;
                    }
                }
            }
        }
        // On AKS-managed CRDs only Envoy Gateway v1.7 on 1.35 and v1.3 on 1.29–1.32 fit; everything else needs phoenix.
        const managedEnvoy = MINORS.flatMap((m) =>
            releases
                .filter(
                    (v) =>
                        crdOwnershipProblems({ gateway: "envoy", crds: "managed", kubernetesVersion: `1.${m}`, envoyChartVersion: v })
                            .length === 0,
                )
                .map((v) => `1.${m} ${v}`),
        );
        assert.deepEqual(managedEnvoy, ["1.29 v1.3.0", "1.30 v1.3.0", "1.31 v1.3.0", "1.32 v1.3.0", "1.35 v1.7.0"]);
        assert.ok(allowed > 0);
    });

    it("a mismatch names what would fit, or says nothing does", () => {
        assert.deepEqual(envoyGatewayMinorsFor("v1.4.1", 35), ["v1.7 (end of life 2026-08-05)"]);
        assert.deepEqual(envoyGatewayMinorsFor("v1.3.0", 34), []);
        assert.deepEqual(envoyGatewayMinorsFor("v1.3.0", undefined), ["v1.5 (end of life 2026-02-13)", "v1.4 (end of life 2025-11-13)"]);
        assert.deepEqual(
            crdOwnershipProblems({ gateway: "envoy", crds: "managed", kubernetesVersion: "1.35", envoyChartVersion: "v1.9.2" }),
            [
                "Envoy Gateway v1.9 requires Gateway API v1.6.1 but AKS manages v1.4.1 on Kubernetes 1.35; pin Envoy Gateway v1.7 (end of life 2026-08-05), or set gatewayApiCrds: phoenix",
            ],
        );
        assert.deepEqual(
            crdOwnershipProblems({ gateway: "nginx", crds: "phoenix", kubernetesVersion: "1.34" }),
            [],
            "nginx uses no Gateway API",
        );
    });

    it("the az aks update arguments: managed CRDs (+ app-routing Istio), nothing when Phoenix owns the CRDs", () => {
        assert.deepEqual(ingressProfileUpdateArgs("managed", true), ["--enable-gateway-api", "--enable-app-routing-istio"]);
        assert.deepEqual(ingressProfileUpdateArgs("managed", false), ["--enable-gateway-api"]);
        assert.equal(ingressProfileUpdateArgs("phoenix", false), undefined);
        assert.equal(
            ingressProfileUpdateCommand("rg", "aks", ["--enable-gateway-api"]),
            "az aks update --resource-group 'rg' --name 'aks' --enable-gateway-api --only-show-errors --output none",
        );
        assert.equal(ingressProfileUpdateCommand("rg", "aks", undefined), undefined);
    });

    it("warns while ingress-nginx runs, naming the setting, the end of support and the migration guide; silent otherwise", () => {
        assert.match(
            ingressNginxWarning("nginx", false) ?? "",
            /^ingress-nginx is out of support .*November 2026.*gateway: nginx remains only to migrate.*docs\/gateway-migration\.md/,
        );
        assert.match(ingressNginxWarning("app-routing-istio", true) ?? "", /legacyNginx: true remains only to migrate/);
        assert.equal(ingressNginxWarning("app-routing-istio", false), undefined);
        assert.equal(ingressNginxWarning("envoy", false), undefined);
    });
});
