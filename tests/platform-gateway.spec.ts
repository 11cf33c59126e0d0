/**
 * The platform stack's front door in each mode, under the mock runtime with platform/dev's real
 * config: app-routing-istio (default), envoy (with Phoenix's CRDs, or on AKS-managed ones), nginx, and
 * both side by side (legacyNginx) — what each registers, the cluster's Gateway API enablement (the
 * `az aks update` command) and ignoreChanges, the outputs the release stack reads, bad config refused
 * before anything is registered, and every Gateway API object valid against
 * `@kubernetes-models/gateway-api` plus the CEL rules of the pinned CRDs (evaluated from the CRDs by
 * tests/support/gateway-api-cel.ts), each Gateway rule shown failing on a broken manifest.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { byType, one, RegisteredResource, RunResult } from "./support/pulumi-harness";
import { at, expectConfigFailure, plainInputs, runPlatform, runRegistry } from "./support/phoenix-stacks";
import { gatewayApiProblems, isGatewayApiType } from "./support/gateway-models";
import { envoyGatewayClassManifest, gatewayManifest } from "../components/gateway-api";
import { CEL_BUNDLES, gatewayCelViolations } from "./support/gateway-api-cel";
import type { KubeObject } from "@phoenix/release-model";
import { clusterIgnoreChanges } from "../components/aks-cluster";

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const CLASS = "kubernetes:gateway.networking.k8s.io/v1:GatewayClass";
const PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy";
const HELM = "kubernetes:helm.sh/v3:Release";
const PIP = "azure-native:network:PublicIPAddress";
const RA = "azure-native:authorization:RoleAssignment";
const MC = "azure-native:containerservice:ManagedCluster";
const CMD = "command:local:Command";
const NETWORK_CONTRIBUTOR = "4d97b98b-1d4f-4787-a291-c67834d212e7";

function asObject(r: RegisteredResource): KubeObject<Record<string, unknown>> {
    return plainInputs(r.inputs) as unknown as KubeObject<Record<string, unknown>>;
}

function gatewayApiObjects(run: RunResult): RegisteredResource[] {
    return run.resources.filter(
        (r) => typeof r.inputs.apiVersion === "string" && isGatewayApiType(r.inputs.apiVersion, String(r.inputs.kind)),
    );
}

describe("platform front door modes (platform/dev)", () => {
    let registryOutputs: Record<string, unknown>;
    const runs: Record<string, RunResult> = {};
    const ENVOY = { gateway: "envoy", gatewayApiCrds: "phoenix" };
    const modes: Record<string, Record<string, unknown>> = {
        envoy: ENVOY,
        "envoy+tls+host": { ...ENVOY, gatewayTlsSecretName: "phoenix-tls", publicHostname: "shop.example.com" },
        "app-routing-istio": {},
        nginx: { gateway: "nginx" },
        "envoy+legacyNginx": { ...ENVOY, legacyNginx: true },
        "app-routing-istio+legacyNginx": { legacyNginx: true },
        // Kubernetes 1.35: AKS manages bundle v1.4.1, which Envoy Gateway v1.7 is built for.
        "envoy+managed": { gateway: "envoy", gatewayApiCrds: "managed", aksKubernetesVersion: "1.35", gatewayChartVersion: "v1.7.5" },
    };
    before(async () => {
        registryOutputs = (await runRegistry()).outputs;
        for (const [mode, overrides] of Object.entries(modes))
            runs[mode] = await runPlatform("dev", registryOutputs, { configOverrides: overrides });
    });

    describe("envoy (gatewayApiCrds: phoenix)", () => {
        const r = () => runs.envoy;

        it("installs Envoy Gateway from its OCI chart, pinned, atomic, in its own namespace, with its CRDs (Phoenix owns them)", () => {
            const release = one(r().resources, HELM);
            assert.deepEqual(release.inputs.values, { crds: { enabled: true } });
            assert.equal(release.inputs.chart, "oci://docker.io/envoyproxy/gateway-helm");
            assert.equal(release.inputs.version, "v1.9.2");
            assert.equal(release.inputs.repositoryOpts, undefined, "an OCI chart needs no repository");
            assert.equal(release.inputs.name, "envoy-gateway");
            assert.equal(release.inputs.namespace, "envoy-gateway-system");
            assert.equal(release.inputs.createNamespace, true);
            assert.equal(release.inputs.atomic, true);
        });

        it("registers its own GatewayClass claimed by Envoy Gateway's controller, with the EnvoyProxy (replicas, PDB, Local) attached", () => {
            const cls = asObject(one(r().resources, CLASS));
            assert.equal(cls.metadata.name, "phoenix-envoy");
            assert.equal(cls.spec.controllerName, "gateway.envoyproxy.io/gatewayclass-controller");
            assert.deepEqual(cls.spec.parametersRef, {
                group: "gateway.envoyproxy.io",
                kind: "EnvoyProxy",
                name: "phoenix-proxy",
                namespace: "envoy-gateway-system",
            });
            const proxy = asObject(one(r().resources, PROXY));
            assert.deepEqual([proxy.metadata.name, proxy.metadata.namespace], ["phoenix-proxy", "envoy-gateway-system"]);
            assert.equal(at(proxy.spec, "provider.kubernetes.envoyDeployment.replicas"), 2);
            assert.equal(at(proxy.spec, "provider.kubernetes.envoyPDB.minAvailable"), 1);
            assert.equal(at(proxy.spec, "provider.kubernetes.envoyService.externalTrafficPolicy"), "Local");
        });

        it("registers one Gateway phoenix-gateway in its own namespace: HTTP on the environment's host, routes only from labelled namespaces", () => {
            const gw = asObject(one(r().resources, GATEWAY));
            assert.deepEqual(
                [gw.metadata.name, gw.metadata.namespace],
                ["phoenix-gateway", "phoenix-gateway"],
                "a fixed name: never autonamed",
            );
            assert.equal(
                one(r().resources, "kubernetes:core/v1:Namespace").inputs.metadata &&
                    at(one(r().resources, "kubernetes:core/v1:Namespace").inputs, "metadata.name"),
                "phoenix-gateway",
            );
            assert.equal(gw.spec.gatewayClassName, "phoenix-envoy");
            const listeners = gw.spec.listeners as Record<string, unknown>[];
            assert.equal(listeners.length, 1, "no HTTPS listener without a certificate");
            assert.deepEqual(listeners[0], {
                name: "http",
                hostname: r().outputs.host,
                port: 80,
                protocol: "HTTP",
                allowedRoutes: {
                    namespaces: { from: "Selector", selector: { matchLabels: { "phoenix.dev/gateway": "phoenix-gateway" } } },
                    kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
                },
            });
            assert.equal(r().outputs.host, r().outputs.gatewayFqdn);
        });

        it("hands the Pulumi-owned static IP (by name, in the environment's group) to the load balancer Service through spec.infrastructure.annotations", () => {
            const gw = asObject(one(r().resources, GATEWAY));
            const ip = one(r().resources, PIP);
            assert.deepEqual(at(gw.spec, "infrastructure.annotations"), {
                "service.beta.kubernetes.io/azure-pip-name": ip.state.name,
                "service.beta.kubernetes.io/azure-load-balancer-resource-group": "phoenix-dev-rg",
            });
            assert.equal(ip.inputs.resourceGroupName, "phoenix-dev-rg");
            assert.match(at(ip.inputs, "dnsSettings.domainNameLabel") as string, /^phoenix-dev-[a-z0-9]{5}$/);
        });

        it("orders the install: EnvoyProxy and GatewayClass after the chart (CRDs), the Gateway after chart, class, namespace and the IP grant", () => {
            const urn = (type: string) => one(r().resources, type).urn.replace("urn:pulumi:dev::phoenix-platform::", "");
            const deps = (type: string) =>
                (one(r().resources, type).options?.dependencies ?? []).map((d) => d.replace("urn:pulumi:dev::phoenix-platform::", ""));
            const has = (type: string, dep: string) => deps(type).some((d) => d.endsWith(`::${dep}`));
            assert.ok(has(PROXY, "gateway-controller"), urn(PROXY));
            assert.ok(has(CLASS, "gateway-controller") && has(CLASS, "gateway-proxy"));
            for (const d of ["gateway-controller", "gateway-class", "gateway-namespace", "gateway-lb-network-contributor"])
                assert.ok(has(GATEWAY, d), `Gateway depends on ${d}: ${deps(GATEWAY).join(", ")}`);
        });

        it("parents every child to the GatewayFrontDoor component, named from it", () => {
            const component = one(r().resources, "phoenix:gateway:GatewayFrontDoor");
            const children = r().resources.filter(
                (x) => x.options?.parent === `urn:pulumi:dev::phoenix-platform::phoenix:gateway:GatewayFrontDoor::${component.name}`,
            );
            assert.deepEqual(children.map((c) => c.name).sort(), [
                "gateway-class",
                "gateway-controller",
                "gateway-gateway",
                "gateway-ip",
                "gateway-lb-network-contributor",
                "gateway-namespace",
                "gateway-proxy",
                "gateway-suffix",
            ]);
        });

        it("grants Network Contributor to the cluster identity on the Gateway's IP only", () => {
            const grants = byType(r().resources, RA).filter((x) => String(x.inputs.roleDefinitionId).endsWith(NETWORK_CONTRIBUTOR));
            assert.equal(grants.length, 1);
            assert.equal(grants[0].inputs.scope, one(r().resources, PIP).id);
        });

        it("leaves the cluster's ingressProfile to Pulumi (only the autoscaled count is ignored), runs no az command, tags the cluster gateway-api-crds=phoenix", () => {
            assert.deepEqual(one(r().resources, MC).options?.ignoreChanges, ["agentPoolProfiles[0].count"]);
            assert.equal(byType(r().resources, CMD).length, 0);
            assert.equal(at(one(r().resources, MC).inputs, "tags.gateway-api-crds"), "phoenix");
        });
    });

    describe("envoy on AKS-managed CRDs (gatewayApiCrds: managed)", () => {
        const r = () => runs["envoy+managed"];

        it("installs Envoy Gateway without any CRD and Envoy's own CRDs from the CRD-only chart (no Gateway API CRD), both after AKS enabled its CRDs", () => {
            const releases = byType(r().resources, HELM);
            const controller = releases.find((x) => x.inputs.chart === "oci://docker.io/envoyproxy/gateway-helm") as RegisteredResource;
            const crds = releases.find((x) => x.inputs.chart === "oci://docker.io/envoyproxy/gateway-crds-helm") as RegisteredResource;
            assert.deepEqual(controller.inputs.values, { crds: { enabled: false } });
            assert.deepEqual(crds.inputs.values, { crds: { gatewayAPI: { enabled: false }, envoyGateway: { enabled: true } } });
            assert.equal(crds.inputs.version, controller.inputs.version, "one Envoy Gateway release");
            const deps = (x: RegisteredResource) => x.options?.dependencies ?? [];
            assert.ok(deps(crds).some((d) => d.endsWith("::aks-gateway-api")));
            assert.ok(
                deps(controller).some((d) => d.endsWith("::gateway-controller-crds")) &&
                    deps(controller).some((d) => d.endsWith("::aks-gateway-api")),
            );
        });

        it("enables the managed CRDs only (no app-routing Istio) and ignores ingressProfile", () => {
            assert.match(String(one(r().resources, CMD).inputs.create), / --enable-gateway-api --only-show-errors/);
            assert.deepEqual(one(r().resources, MC).options?.ignoreChanges, ["agentPoolProfiles[0].count", "ingressProfile"]);
            assert.equal(at(one(r().resources, MC).inputs, "tags.gateway-api-crds"), "managed");
        });
    });

    describe("app-routing-istio (default)", () => {
        const r = () => runs["app-routing-istio"];

        it("enables AKS's managed Gateway API CRDs and app-routing Istio declaratively: one az aks update, child of the cluster, re-run only for a new cluster", () => {
            const cmd = one(r().resources, CMD);
            assert.equal(cmd.name, "aks-gateway-api");
            assert.ok(cmd.options?.parent?.endsWith("phoenix:aks:AksCluster::aks"));
            assert.equal(
                cmd.inputs.create,
                "az aks update --resource-group 'phoenix-dev-rg' --name 'phoenix-dev-aks' --enable-gateway-api --enable-app-routing-istio --only-show-errors --output none",
            );
            assert.deepEqual(cmd.inputs.triggers, [one(r().resources, MC).id, "--enable-gateway-api --enable-app-routing-istio"]);
            assert.equal(cmd.inputs.delete, undefined, "deleting the command leaves the cluster as it is");
            assert.equal(at(one(r().resources, MC).inputs, "tags.gateway-api-crds"), "managed");
        });

        it("creates the Gateway only after the cluster has the CRDs and the class (no 'no matches for kind Gateway' on a new environment)", () => {
            const deps = one(r().resources, GATEWAY).options?.dependencies ?? [];
            assert.ok(
                deps.some((d) => d.endsWith("::aks-gateway-api")),
                deps.join(", "),
            );
        });

        it("installs nothing: no Helm release, no GatewayClass, no EnvoyProxy; the Gateway uses class approuting-istio", () => {
            assert.equal(byType(r().resources, HELM).length, 0);
            assert.equal(byType(r().resources, CLASS).length, 0);
            assert.equal(byType(r().resources, PROXY).length, 0);
            const gw = asObject(one(r().resources, GATEWAY));
            assert.equal(gw.spec.gatewayClassName, "approuting-istio");
            assert.equal(r().outputs.gatewayClass, "approuting-istio");
            assert.equal(r().outputs.routerKind, "gateway-api");
            const deps = one(r().resources, GATEWAY).options?.dependencies ?? [];
            assert.ok(
                deps.some((d) => d.endsWith("::gateway-namespace")) && deps.some((d) => d.endsWith("::gateway-lb-network-contributor")),
            );
        });

        it("makes the ManagedCluster ignore ingressProfile, which the az aks update writes (fields of ManagedCluster API 2026-02-01 and later)", () => {
            const mc = one(r().resources, MC);
            assert.deepEqual(mc.options?.ignoreChanges, ["agentPoolProfiles[0].count", "ingressProfile"]);
            assert.equal(mc.inputs.ingressProfile, undefined, "the pinned SDK sets nothing there");
            assert.deepEqual(clusterIgnoreChanges(false), ["agentPoolProfiles[0].count"]);
        });
    });

    describe("nginx (legacy)", () => {
        it("registers today's ingress-nginx and no Gateway API object; the cluster keeps its ingressProfile", () => {
            const r = runs.nginx;
            assert.equal(gatewayApiObjects(r).length, 0);
            assert.equal(byType(r.resources, PROXY).length, 0);
            assert.equal(one(r.resources, HELM).inputs.chart, "ingress-nginx");
            assert.equal(one(r.resources, "phoenix:ingress:IngressController").name, "ingress");
            assert.deepEqual(one(r.resources, MC).options?.ignoreChanges, ["agentPoolProfiles[0].count"]);
            assert.equal(byType(r.resources, CMD).length, 0, "an environment pinned to nginx keeps its cluster as it is");
            assert.equal(at(one(r.resources, MC).inputs, "tags.gateway-api-crds"), undefined);
            assert.equal(r.outputs.routerKind, "nginx");
            assert.equal(r.outputs.legacyNginx, false);
        });
    });

    describe("ingress-nginx out of support: the warning at preview", () => {
        it("pulumi.log.warn names the setting, the end of support and the migration guide while ingress-nginx runs; nothing otherwise", async () => {
            const warned: string[] = [];
            const original = pulumi.log.warn;
            pulumi.log.warn = (msg: string) => {
                warned.push(msg);
                return Promise.resolve();
            };
            try {
                const seen: Record<string, string[]> = {};
                for (const [mode, overrides] of Object.entries({ nginx: { gateway: "nginx" }, legacy: { legacyNginx: true }, istio: {} })) {
                    warned.length = 0;
                    await runPlatform("dev", registryOutputs, { configOverrides: overrides });
                    seen[mode] = warned.filter((w) => w.includes("ingress-nginx"));
                }
                assert.equal(seen.nginx.length, 1);
                assert.match(
                    seen.nginx[0],
                    /out of support .*November 2026.*gateway: nginx remains only to migrate.*docs\/gateway-migration\.md/,
                );
                assert.equal(seen.legacy.length, 1);
                assert.match(seen.legacy[0], /legacyNginx: true remains only to migrate/);
                assert.deepEqual(seen.istio, []);
            } finally {
                pulumi.log.warn = original;
            }
        });
    });

    describe("HTTPS and a host of your own", () => {
        it("adds an HTTPS listener (443, Terminate, the Secret in the Gateway's namespace) on the configured host; publicUrl is https", () => {
            const r = runs["envoy+tls+host"];
            const listeners = asObject(one(r.resources, GATEWAY)).spec.listeners as Record<string, unknown>[];
            assert.deepEqual(
                listeners.map((l) => [l.name, l.port, l.protocol, l.hostname]),
                [
                    ["http", 80, "HTTP", "shop.example.com"],
                    ["https", 443, "HTTPS", "shop.example.com"],
                ],
            );
            assert.deepEqual(listeners[1].tls, {
                mode: "Terminate",
                certificateRefs: [{ group: "", kind: "Secret", name: "phoenix-tls" }],
            });
            assert.deepEqual(listeners[1].allowedRoutes, listeners[0].allowedRoutes);
            assert.equal(r.outputs.host, "shop.example.com");
            assert.equal(r.outputs.publicUrl, "https://shop.example.com");
            assert.notEqual(r.outputs.publicFqdn, "shop.example.com", "publicFqdn stays the IP's DNS name (the CNAME target)");
        });
    });

    describe("both front doors side by side (legacyNginx)", () => {
        const urns = (run: RunResult, component: string) =>
            run.resources
                .filter((x) => x.urn.includes(`::${component}`) || x.options?.parent?.includes(`::${component}`))
                .map((x) => `${x.type}::${x.name}`)
                .sort();

        for (const mode of ["envoy", "app-routing-istio"]) {
            it(`${mode}: runs ingress-nginx unchanged (same resources as gateway nginx) and the Gateway unchanged (same as without nginx), each with its own IP`, () => {
                const both = runs[`${mode}+legacyNginx`];
                assert.deepEqual(
                    urns(both, "ingress"),
                    urns(runs.nginx, "ingress"),
                    "step 1 of the migration replaces nothing of ingress-nginx",
                );
                assert.deepEqual(urns(both, "gateway"), urns(runs[mode], "gateway"), "the last step only deletes ingress-nginx");
                assert.equal(byType(both.resources, PIP).length, 2);
                const grants = byType(both.resources, RA).filter((x) => String(x.inputs.roleDefinitionId).endsWith(NETWORK_CONTRIBUTOR));
                assert.equal(
                    new Set(grants.map((g) => `${String(g.inputs.scope)}|${String(g.inputs.principalId)}`)).size,
                    grants.length,
                    "no duplicate role assignment (Azure rejects one)",
                );
            });
        }

        it("keeps clients on ingress-nginx (publicFqdn, publicIp, the vault's phoenix-fqdn) and exports the Gateway beside it", () => {
            const both = runs["envoy+legacyNginx"];
            const o = both.outputs;
            const nginxIp = one(both.resources, PIP, "ingress-ip");
            const gatewayIp = one(both.resources, PIP, "gateway-ip");
            assert.equal(o.publicIp, nginxIp.state.ipAddress);
            assert.equal(o.gatewayIp, gatewayIp.state.ipAddress);
            assert.notEqual(o.publicFqdn, o.gatewayFqdn);
            assert.equal(o.host, o.gatewayFqdn, "routes serve the Gateway's host");
            assert.equal(o.routerKind, "gateway-api");
            assert.equal(o.legacyNginx, true);
            assert.equal(o.ingressClassName, "nginx");
            const fqdnSecret = byType(both.resources, "azure-native:keyvault:Secret").find(
                (s) => s.inputs.secretName === "phoenix-fqdn",
            ) as RegisteredResource;
            assert.equal(at(fqdnSecret.inputs, "properties.value"), o.publicFqdn);
        });
    });

    describe("Gateway API objects are valid", () => {
        it("every Gateway API object of every mode validates with @kubernetes-models/gateway-api (no unknown fields) and passes the CRDs' CEL rules", () => {
            let checked = 0;
            for (const [mode, run] of Object.entries(runs)) {
                for (const r of gatewayApiObjects(run)) {
                    const obj = asObject(r);
                    assert.deepEqual(
                        gatewayApiProblems(obj as unknown as KubeObject<Record<string, unknown>> & Record<string, unknown>),
                        [],
                        `${mode} ${obj.kind} ${obj.metadata.name}`,
                    );
                    for (const bundle of CEL_BUNDLES)
                        assert.deepEqual(gatewayCelViolations(bundle, obj), [], `${mode} ${bundle} ${obj.kind} ${obj.metadata.name}`);
                    checked++;
                }
            }
            assert.equal(checked, 2 + 2 + 1 + 0 + 2 + 1 + 2, "Gateway + GatewayClass (envoy modes), Gateway (istio modes)");
        });

        it("the model validation fails on a broken object (pattern, enum, unknown field)", () => {
            const good = gatewayManifest({
                namespace: "ns",
                className: "c",
                hostname: "a.example.com",
                publicIpName: "ip",
                ipResourceGroup: "rg",
            });
            const broken = (mutate: (g: KubeObject<Record<string, unknown>>) => void) => {
                const g = JSON.parse(JSON.stringify(good)) as KubeObject<Record<string, unknown>>;
                mutate(g);
                return gatewayApiProblems(g as KubeObject<Record<string, unknown>> & Record<string, unknown>);
            };
            assert.deepEqual(
                broken(() => undefined),
                [],
            );
            assert.match(
                broken((g) => {
                    (g.spec.listeners as Record<string, unknown>[])[0].hostname = "Shop.Example.com";
                }).join(),
                /hostname must match pattern/,
            );
            assert.match(
                broken((g) => {
                    (g.spec.listeners as Record<string, unknown>[])[0].port = 0;
                }).join(),
                /port must be >= 1/,
            );
            assert.match(
                broken((g) => {
                    (g.spec.listeners as Record<string, Record<string, Record<string, unknown>>>[])[0].allowedRoutes.namespaces.from =
                        "Everyone";
                }).join(),
                /must be equal to one of the allowed values/,
            );
            assert.deepEqual(
                broken((g) => {
                    g.spec.infrastucture = g.spec.infrastructure;
                }),
                ["spec.infrastucture: not a field of Gateway"],
            );
            assert.match(
                broken((g) => {
                    delete g.spec.gatewayClassName;
                }).join(),
                /gatewayClassName/,
            );
        });

        describe("the CRDs' CEL rules (each shown failing on a manifest that breaks only it, in both pinned bundles)", () => {
            const base = (): KubeObject<Record<string, unknown>> =>
                gatewayManifest({
                    namespace: "ns",
                    className: "c",
                    hostname: "a.example.com",
                    tlsSecretName: "tls",
                    publicIpName: "ip",
                    ipResourceGroup: "rg",
                });
            const L = (g: KubeObject<Record<string, unknown>>) => g.spec.listeners as Record<string, unknown>[];
            const messages = (bundle: string, obj: KubeObject, old?: KubeObject) => [
                ...new Set(gatewayCelViolations(bundle, obj, old).map((v) => v.message)),
            ];
            // Keyed by the CRD rule's message. Port range and listener count are schema bounds, not CEL
            // (the model validation above shows port 0 failing).
            const breakers: Record<string, (g: KubeObject<Record<string, unknown>>) => void> = {
                "Listener name must be unique within the Gateway": (g) => {
                    L(g)[1].name = "http";
                },
                "Combination of port, protocol and hostname must be unique for each listener": (g) => {
                    L(g).push({ ...L(g)[0], name: "http2" });
                },
                "certificateRefs or options must be specified when mode is Terminate": (g) => {
                    (L(g)[1].tls as Record<string, unknown>).certificateRefs = [];
                },
                "tls mode must be Terminate for protocol HTTPS": (g) => {
                    (L(g)[1].tls as Record<string, unknown>).mode = "Passthrough";
                },
                "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']": (g) => {
                    L(g)[0].tls = L(g)[1].tls;
                },
                "hostname must not be specified for protocols ['TCP', 'UDP']": (g) => {
                    L(g).push({ name: "tcp", port: 5432, protocol: "TCP", hostname: "db.example.com" });
                },
                "Annotation keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.":
                    (g) => {
                        (g.spec.infrastructure as { annotations: Record<string, string> }).annotations["-bad-"] = "x";
                    },
            };
            for (const bundle of CEL_BUNDLES) {
                for (const [message, breakIt] of Object.entries(breakers)) {
                    it(`${bundle} Gateway: ${message}`, () => {
                        assert.deepEqual(messages(bundle, base()), [], "the compliant Gateway passes");
                        const g = base();
                        breakIt(g);
                        assert.deepEqual(messages(bundle, g), [message], "the broken Gateway fails that rule alone");
                    });
                }
                it(`${bundle} GatewayClass: controllerName is immutable (a transition rule) and must be a domain-prefixed path (schema)`, () => {
                    const cls = envoyGatewayClassManifest();
                    assert.deepEqual(messages(bundle, cls), []);
                    assert.deepEqual(messages(bundle, cls, cls), []);
                    assert.deepEqual(messages(bundle, { ...cls, spec: { ...cls.spec, controllerName: "example.com/other" } }, cls), [
                        "Value is immutable",
                    ]);
                    assert.match(
                        gatewayApiProblems({ ...cls, spec: { ...cls.spec, controllerName: "envoy" } } as KubeObject<
                            Record<string, unknown>
                        > &
                            Record<string, unknown>).join(),
                        /controllerName must match pattern/,
                    );
                });
            }
        });
    });

    describe("refuses invalid front-door config before registering anything", () => {
        const cases: { what: string; overrides: Record<string, unknown>; key: string; expect: RegExp }[] = [
            {
                what: "an unknown gateway",
                overrides: { gateway: "traefik" },
                key: "phoenix-platform:gateway",
                expect: /one of envoy, app-routing-istio, nginx, got "traefik"/,
            },
            {
                what: "legacyNginx with gateway nginx",
                overrides: { gateway: "nginx", legacyNginx: true },
                key: "phoenix-platform:legacyNginx",
                expect: /false when gateway is nginx/,
            },
            {
                what: "app-routing-istio without AKS-managed CRDs",
                overrides: { gatewayApiCrds: "phoenix" },
                key: "phoenix-platform:gatewayApiCrds",
                expect: /app-routing-istio runs on AKS-managed Gateway API CRDs only/,
            },
            {
                what: "an unknown CRD owner",
                overrides: { gatewayApiCrds: "helm" },
                key: "phoenix-platform:gatewayApiCrds",
                expect: /one of managed, phoenix, got "helm"/,
            },
            {
                what: "Envoy Gateway v1.9 on AKS-managed CRDs of Kubernetes 1.34 (v1.3.0; v1.9 needs v1.6.1)",
                overrides: { gateway: "envoy" },
                key: "phoenix-platform:gatewayApiCrds",
                expect: /Envoy Gateway v1\.9 requires Gateway API v1\.6\.1 but AKS manages v1\.3\.0 on Kubernetes 1\.34; no Envoy Gateway release is built for it and supports that Kubernetes minor, or set gatewayApiCrds: phoenix/,
            },
            {
                what: "an Envoy Gateway release the compatibility table does not know",
                overrides: { gateway: "envoy", gatewayApiCrds: "phoenix", gatewayChartVersion: "v1.10.0" },
                key: "phoenix-platform:gatewayApiCrds",
                expect: /v1\.10\.0 is not in the compatibility table/,
            },
            {
                what: "Envoy Gateway v1.9 on Kubernetes 1.32 (it supports 1.33–1.36)",
                overrides: { gateway: "envoy", gatewayApiCrds: "phoenix", aksKubernetesVersion: "1.32" },
                key: "phoenix-platform:gatewayApiCrds",
                expect: /supports Kubernetes 1\.33, 1\.34, 1\.35, 1\.36, not 1\.32/,
            },
            {
                what: "a chart version without the v",
                overrides: { gatewayChartVersion: "1.9.2" },
                key: "phoenix-platform:gatewayChartVersion",
                expect: /exact Envoy Gateway release such as v1\.9\.2 .*got "1\.9\.2"/,
            },
            {
                what: "the floating v0.0.0-latest chart",
                overrides: { gatewayChartVersion: "v0.0.0-latest" },
                key: "phoenix-platform:gatewayChartVersion",
                expect: /got "v0\.0\.0-latest"/,
            },
            {
                what: "a release candidate chart",
                overrides: { gatewayChartVersion: "v1.9.0-rc.1" },
                key: "phoenix-platform:gatewayChartVersion",
                expect: /no -rc/,
            },
            { what: "a single proxy replica", overrides: { gatewayReplicas: 1 }, key: "phoenix-platform:gatewayReplicas", expect: /≥ 2/ },
            {
                what: "the controller's namespace for the Gateway",
                overrides: { gatewayNamespace: "envoy-gateway-system" },
                key: "phoenix-platform:gatewayNamespace",
                expect: /other than Envoy Gateway's own/,
            },
            {
                what: "ingress-nginx's namespace for the Gateway",
                overrides: { gatewayNamespace: "ingress-nginx" },
                key: "phoenix-platform:gatewayNamespace",
                expect: /other than ingressNamespace/,
            },
            {
                what: "a TLS secret name that is not a Kubernetes name",
                overrides: { gatewayTlsSecretName: "My_Cert" },
                key: "phoenix-platform:gatewayTlsSecretName",
                expect: /Kubernetes Secret name/,
            },
            {
                what: "a TLS secret with gateway nginx",
                overrides: { gateway: "nginx", gatewayTlsSecretName: "tls" },
                key: "phoenix-platform:gatewayTlsSecretName",
                expect: /empty when gateway is nginx/,
            },
            {
                what: "a wildcard public host name",
                overrides: { publicHostname: "*.example.com" },
                key: "phoenix-platform:publicHostname",
                expect: /no wildcard/,
            },
            {
                what: "an IP address as public host name",
                overrides: { publicHostname: "10.0.0.1" },
                key: "phoenix-platform:publicHostname",
                expect: /fully qualified/,
            },
            {
                what: "an upper-case public host name",
                overrides: { publicHostname: "Shop.Example.com" },
                key: "phoenix-platform:publicHostname",
                expect: /lower-case/,
            },
        ];
        for (const c of cases) {
            it(c.what, async () => {
                const { message, registered } = await expectConfigFailure(
                    (hooks) => runPlatform("dev", registryOutputs, { configOverrides: c.overrides, hooks }),
                    registryOutputs,
                );
                assert.equal(registered, 0, "nothing registered");
                const line = message.split("\n").find((l) => l.includes(`${c.key}:`));
                assert.ok(line, `the error names ${c.key}: ${message}`);
                assert.match(line, c.expect);
            });
        }
    });
});
