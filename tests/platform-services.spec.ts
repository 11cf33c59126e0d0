/**
 * Several services on one platform (`phoenix-platform:services`): the entry syntax and every refusal
 * (naming the entry and what was expected, nothing registered), the claims model the platform and the
 * policy pack share (`@phoenix/release-model` service-claims: ownership by longest prefix, conflicts),
 * and platform/dev under the mock runtime with today's config (the calculator alone: the Gateway and
 * the URNs as before) and with three services (a listener per own host admitting only that service's
 * labelled namespaces, valid against the CRD schemas and CEL rules; the claims exported).
 */
import { strict as assert } from "assert";
import {
    claimConflicts,
    claimOwner,
    prefixContains,
    routeClaimProblem,
    serviceClaim,
    serviceNamespaces,
    type KubeObject,
    type ServiceClaim,
} from "@phoenix/release-model";
import { one, RunResult } from "./support/pulumi-harness";
import { expectConfigFailure, plainInputs, runPlatform, runRegistry } from "./support/phoenix-stacks";
import { gatewayApiProblems } from "./support/gateway-models";
import { CEL_BUNDLES, gatewayCelViolations } from "./support/gateway-api-cel";
import { gatewayFrontDoorProblems } from "../components/gateway-front-door";
import { parseServiceEntry, serviceListenerHosts } from "../stacks/platform/services";

const GATEWAY = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const THREE = ["calculator", "inventory=inventory.example.com", "orders=/orders"];

describe("platform services: entries", () => {
    it("reads <name>, <name>=<path>, <name>=<hosts> and <name>=<hosts><path>", () => {
        assert.deepEqual(parseServiceEntry("calculator"), { service: { name: "calculator", hostnames: [], pathPrefix: "/" } });
        assert.deepEqual(parseServiceEntry("orders=/orders"), { service: { name: "orders", hostnames: [], pathPrefix: "/orders" } });
        assert.deepEqual(parseServiceEntry("inventory=inventory.example.com"), {
            service: { name: "inventory", hostnames: ["inventory.example.com"], pathPrefix: "/" },
        });
        assert.deepEqual(parseServiceEntry("shop=shop.example.com,www.example.com/api/v1"), {
            service: { name: "shop", hostnames: ["shop.example.com", "www.example.com"], pathPrefix: "/api/v1" },
        });
    });

    const refused: Array<[string, RegExp]> = [
        ["Calculator", /DNS-1123 label of at most 40 characters/],
        ["-calc", /DNS-1123 label/],
        [`${"a".repeat(41)}`, /at most 40 characters/],
        ["calc=", /nothing after "="/],
        ["calc=*.example.com", /"\*\.example\.com" is not/],
        ["calc=10.0.0.1", /"10\.0\.0\.1" is not/],
        ["calc=Shop.example.com", /"Shop\.example\.com" is not/],
        ["calc=localhost", /"localhost" is not/],
        ["calc=a.example.com,a.example.com", /naming each host once/],
        ["calc=/api/", /"\/api\/" is not/],
        ["calc=/a//b", /"\/a\/\/b" is not/],
        ["calc=/./a", /"\/\.\/a" is not/],
        ["calc=/a/..", /"\/a\/\.\." is not/],
        ["calc=a.example.com/a b", /"\/a b" is not/],
    ];
    for (const [entry, expected] of refused) {
        it(`refuses ${JSON.stringify(entry)}, saying what was expected`, () => {
            const out = parseServiceEntry(entry);
            assert.ok("problem" in out, JSON.stringify(out));
            assert.match(out.problem, expected);
        });
    }
});

describe("platform services: the claims model", () => {
    const claims: ServiceClaim[] = [
        serviceClaim("calculator", ["shop.example.com"], "/"),
        serviceClaim("orders", ["shop.example.com"], "/orders"),
        serviceClaim("inventory", ["inventory.example.com", "stock.example.com"], "/"),
    ];

    it("each service owns its two slot namespaces and its routes namespace", () => {
        assert.deepEqual(serviceNamespaces("inventory"), ["blue-inventory", "green-inventory", "inventory-routes"]);
        assert.deepEqual(claims[0].namespaces, ["blue-calculator", "green-calculator", "calculator-routes"]);
    });

    it("prefix containment is element by element, as the Gateway API's PathPrefix", () => {
        for (const p of ["/orders", "/orders/", "/orders/1"]) assert.equal(prefixContains("/orders", p), true, p);
        for (const p of ["/ordersx", "/order", "/", "/x/orders"]) assert.equal(prefixContains("/orders", p), false, p);
        assert.equal(prefixContains("/", "/anything"), true);
    });

    it("the owner of a host + path is the claim with the longest containing prefix on that host (host compared without case or port)", () => {
        const owner = (host: string, path: string) => claimOwner(claims, host, path)?.service;
        assert.equal(owner("shop.example.com", "/"), "calculator");
        assert.equal(owner("shop.example.com", "/api/x"), "calculator");
        assert.equal(owner("shop.example.com", "/orders"), "orders");
        assert.equal(owner("SHOP.example.com:443", "/orders/7"), "orders");
        assert.equal(owner("shop.example.com", "/ordersx"), "calculator");
        assert.equal(owner("stock.example.com", "/orders"), "inventory");
        assert.equal(owner("other.example.com", "/"), undefined);
    });

    it("a route may serve only what its service owns; a nested claim of another service stays that service's", () => {
        const problem = (service: string, host: string | undefined, path: string) => routeClaimProblem(claims, service, { host, path });
        assert.equal(problem("calculator", "shop.example.com", "/"), undefined, "/orders is nested, and longer, so it keeps its traffic");
        assert.equal(problem("orders", "shop.example.com", "/orders"), undefined);
        assert.equal(problem("orders", "shop.example.com", "/orders/v2"), undefined);
        assert.equal(problem("inventory", "stock.example.com", "/"), undefined);
        assert.equal(
            problem("calculator", "shop.example.com", "/orders"),
            'host shop.example.com path /orders reaches host shop.example.com path /orders, owned by service "orders"',
        );
        assert.equal(
            problem("orders", "shop.example.com", "/"),
            'host shop.example.com path / reaches host shop.example.com path /, owned by service "calculator"',
        );
        assert.equal(
            problem("calculator", "inventory.example.com", "/"),
            'host inventory.example.com path / reaches host inventory.example.com path /, owned by service "inventory"',
        );
        assert.match(problem("calculator", "elsewhere.example.com", "/") ?? "", /host elsewhere\.example\.com is claimed by no service/);
        assert.match(problem("inventory", undefined, "/") ?? "", /every host \(no hostnames\) path \/ reaches host shop\.example\.com/);
        assert.match(problem("inventory", "*.example.com", "/") ?? "", /host \*\.example\.com path \/ reaches host shop\.example\.com/);
        assert.match(problem("billing", "shop.example.com", "/") ?? "", /service "billing" is not one the platform hosts/);
        // A single service may route without hostnames: every host there is is its own.
        assert.equal(routeClaimProblem([claims[2]], "inventory", { host: undefined, path: "/" }), undefined);
    });

    it("conflicts name both services and the value: same host + path, a name twice, a namespace twice", () => {
        assert.deepEqual(claimConflicts(claims), []);
        assert.deepEqual(claimConflicts([...claims, serviceClaim("billing", ["shop.example.com"], "/orders")]), [
            'services "orders" and "billing" both claim host shop.example.com path /orders',
        ]);
        assert.deepEqual(claimConflicts([claims[0], serviceClaim("calculator", ["x.example.com"], "/")]), [
            'service "calculator" is listed twice (entries 0 and 1)',
        ]);
        assert.deepEqual(claimConflicts([serviceClaim("routes", ["a.example.com"], "/"), serviceClaim("blue", ["b.example.com"], "/")]), [
            'services "routes" and "blue" would both own namespace blue-routes',
        ]);
    });

    it("listeners: one per host of a service's own, naming every service on it, none for the platform's host", () => {
        const services = [
            { name: "calculator", hostnames: [], pathPrefix: "/" },
            { name: "a", hostnames: ["api.example.com", "shop.example.com"], pathPrefix: "/a" },
            { name: "b", hostnames: ["api.example.com"], pathPrefix: "/b" },
        ];
        assert.deepEqual(serviceListenerHosts(services, "shop.example.com"), [{ hostname: "api.example.com", services: ["a", "b"] }]);
    });
});

describe("platform services: the front door component's arguments", () => {
    const base = {
        mode: "envoy" as const,
        dnsLabelPrefix: "phoenix-dev",
        namespace: "phoenix-gateway",
        chartVersion: "v1.9.2",
        proxyReplicas: 2,
        crds: "phoenix" as const,
    };
    it("accepts service hosts with service names, and refuses a bad host or an empty or bad service list, naming the entry", () => {
        assert.deepEqual(
            gatewayFrontDoorProblems({ ...base, serviceHosts: [{ hostname: "inventory.example.com", services: ["inventory"] }] }),
            [],
        );
        assert.deepEqual(
            gatewayFrontDoorProblems({
                ...base,
                serviceHosts: [
                    { hostname: "inventory.example.com", services: [] },
                    { hostname: "Inventory", services: ["Inventory"] },
                ],
            }),
            [
                { propertyPath: "serviceHosts[0].services", reason: "expected one or more service names, got []" },
                {
                    propertyPath: "serviceHosts[1].hostname",
                    reason: 'expected a fully qualified lower-case host name of at most 248 characters, got "Inventory"',
                },
                { propertyPath: "serviceHosts[1].services", reason: 'expected one or more service names, got ["Inventory"]' },
            ],
        );
    });
});

describe("platform services: platform/dev under the mock runtime", function () {
    this.timeout(60000);
    let registry: Record<string, unknown>;
    const runs: Record<string, RunResult> = {};
    before(async () => {
        registry = (await runRegistry()).outputs;
        runs.today = await runPlatform("dev", registry);
        runs.three = await runPlatform("dev", registry, { configOverrides: { services: THREE } });
        runs.envoyTls = await runPlatform("dev", registry, {
            configOverrides: {
                services: [...THREE, "shop=shop.example.com/api"],
                gateway: "envoy",
                gatewayApiCrds: "phoenix",
                publicHostname: "shop.example.com",
                gatewayTlsSecretName: "phoenix-tls",
            },
        });
    });
    const gatewayOf = (r: RunResult) => plainInputs(one(r.resources, GATEWAY).inputs) as unknown as KubeObject;
    const listeners = (r: RunResult) => (gatewayOf(r).spec as { listeners: Array<Record<string, unknown>> }).listeners;

    it("today's config (the calculator alone) keeps the Gateway's one listener and exports the calculator's claim on the front door's host", () => {
        assert.deepEqual(
            listeners(runs.today).map((l) => l.name),
            ["http"],
        );
        const host = runs.today.outputs.host as string;
        assert.deepEqual(runs.today.outputs.serviceClaims, [
            {
                service: "calculator",
                hostnames: [host],
                pathPrefix: "/",
                namespaces: ["blue-calculator", "green-calculator", "calculator-routes"],
            },
        ]);
    });

    it("more services add listeners and claims, never a resource: the same URNs as the calculator alone", () => {
        assert.deepEqual([...runs.three.urns].sort(), [...runs.today.urns].sort());
    });

    it("a host of a service's own gets an HTTP listener admitting routes only from that service's labelled namespaces", () => {
        const ls = listeners(runs.three);
        assert.deepEqual(
            ls.map((l) => [l.name, l.hostname]),
            [
                ["http", runs.three.outputs.host],
                ["http-inventory.example.com", "inventory.example.com"],
            ],
        );
        assert.deepEqual(ls[1].allowedRoutes, {
            namespaces: {
                from: "Selector",
                selector: {
                    matchLabels: { "phoenix.dev/gateway": "phoenix-gateway" },
                    matchExpressions: [{ key: "app.kubernetes.io/part-of", operator: "In", values: ["inventory"] }],
                },
            },
            kinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        });
        // The platform host's listener is as before: every namespace labelled for the Gateway.
        assert.deepEqual(ls[0].allowedRoutes, listeners(runs.today)[0].allowedRoutes);
    });

    it("exports every service's claim with the platform's host filled in", () => {
        const host = runs.three.outputs.host as string;
        assert.deepEqual(runs.three.outputs.serviceClaims, [
            {
                service: "calculator",
                hostnames: [host],
                pathPrefix: "/",
                namespaces: ["blue-calculator", "green-calculator", "calculator-routes"],
            },
            {
                service: "inventory",
                hostnames: ["inventory.example.com"],
                pathPrefix: "/",
                namespaces: ["blue-inventory", "green-inventory", "inventory-routes"],
            },
            { service: "orders", hostnames: [host], pathPrefix: "/orders", namespaces: ["blue-orders", "green-orders", "orders-routes"] },
        ]);
    });

    it("with HTTPS on the platform host, a service naming that host shares its listeners; the Gateway passes the CRD schemas and CEL rules", () => {
        assert.deepEqual(
            listeners(runs.envoyTls).map((l) => l.name),
            ["http", "https", "http-inventory.example.com"],
        );
        for (const r of [runs.today, runs.three, runs.envoyTls]) {
            const gw = gatewayOf(r);
            for (const bundle of CEL_BUNDLES) assert.deepEqual(gatewayCelViolations(bundle, gw), [], bundle);
            assert.deepEqual(gatewayApiProblems(gw as unknown as { apiVersion: string; kind: string } & Record<string, unknown>), []);
        }
        const claims = runs.envoyTls.outputs.serviceClaims as ServiceClaim[];
        assert.deepEqual(claimConflicts(claims), []);
        assert.equal(claimOwner(claims, "shop.example.com", "/api/x")?.service, "shop");
        assert.equal(claimOwner(claims, "shop.example.com", "/orders")?.service, "orders");
    });

    const refusals: Array<{ what: string; services: unknown; key: string; expect: RegExp; overrides?: Record<string, unknown> }> = [
        {
            what: "a bad entry, by its index",
            services: ["calculator", "Inventory"],
            key: "services[1]",
            expect: /DNS-1123 label.*"Inventory"/,
        },
        {
            what: "two services on the same host + path",
            services: ["calculator", "orders=/orders", "billing=/orders"],
            key: "services",
            expect: /services "orders" and "billing" both claim host the platform host path \/orders/,
        },
        {
            what: "a service on the public host's path another service already owns there",
            services: ["calculator", "shop=shop.example.com"],
            overrides: { publicHostname: "shop.example.com" },
            key: "services",
            expect: /services "calculator" and "shop" both claim host shop\.example\.com path \//,
        },
        { what: "the same name twice", services: ["calculator", "calculator=/x"], key: "services", expect: /"calculator" is listed twice/ },
        {
            what: "namespaces that would collide",
            services: ["routes", "blue=/b"],
            key: "services",
            expect: /both own namespace blue-routes/,
        },
        {
            what: "more hosts than a Gateway has listeners",
            services: Array.from({ length: 64 }, (_, i) => `s${i}=s${i}.example.com`),
            key: "services",
            expect: /at most 63 host names besides the platform's/,
        },
        { what: "a list of something else", services: [{ name: "calculator" }], key: "services[0]", expect: /a string/ },
    ];
    for (const c of refusals) {
        it(`refuses ${c.what}, naming phoenix-platform:${c.key}, before registering anything`, async () => {
            const { message, registered } = await expectConfigFailure(
                (hooks) => runPlatform("dev", registry, { configOverrides: { services: c.services, ...(c.overrides ?? {}) }, hooks }),
                registry,
            );
            assert.equal(registered, 0);
            const line = message.split("\n").find((l) => l.includes(`phoenix-platform:${c.key}:`));
            assert.ok(line, message);
            assert.match(line, c.expect);
        });
    }
});
