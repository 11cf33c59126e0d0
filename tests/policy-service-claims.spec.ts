/**
 * `release-service-claims` (policy/src/service-claims.ts) over what the stacks really register: the
 * platform stack hosting three services (calculator and orders on the platform's host at `/` and
 * `/orders`, inventory on a host of its own) exports its claims, which become the policy's pack
 * config; the release stack run as the calculator and as inventory (Gateway API and nginx routers)
 * passes; each broken copy — a route on another service's host or path, an object in another
 * service's namespace, a backend of another service, a service the platform does not host — fails,
 * naming the resource and the owner.
 */
import { strict as assert } from "assert";
import * as path from "path";
import type { PolicyResource } from "@pulumi/policy";
import { validateReleaseState } from "@phoenix/release-model";
import { releaseServiceClaims } from "../policy/src/service-claims";
import { policies } from "../policy/src/policies";
import { main } from "../stacks/release/program";
import { checkStack, mandatory, plain, policyResource, runPack, stackArgs, UNKNOWN, type PackConfig } from "./support/policy-harness";
import { MOCK_KUBECONFIG, runProgram, type RegisteredResource } from "./support/pulumi-harness";
import { runPlatform, runRegistry } from "./support/phoenix-stacks";
import * as fs from "fs";

type Props = Record<string, unknown>;
interface RouteProps {
    metadata: { name: string; namespace: string };
    spec: {
        hostnames?: string[];
        rules: Array<{ matches: Array<{ path: { value: string } }>; backendRefs: Array<{ name: string; namespace: string }> }>;
    };
}

const PROJECT_DIR = path.join(__dirname, "..", "stacks", "release");
const SHOP = "shop.example.com";
const SECRET = "pv-c2VjcmV0LXByZXZpZXc";
const SERVICES = ["calculator", "inventory=inventory.example.com", "orders=/orders"];

/** The platform outputs the release stack's StackReference serves (the platform's own host is the public host). */
function platformOutputs(host: string, routerKind = "gateway-api"): Props {
    return {
        kubeconfig: MOCK_KUBECONFIG,
        registryLoginServer: "phoenixshared.azurecr.io",
        host,
        publicUrl: `http://${host}`,
        appInsightsConnectionString: "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://mock/",
        routerKind,
        gatewayName: "phoenix-gateway",
        gatewayNamespace: "phoenix-gateway",
        ingressClassName: "nginx",
        legacyNginx: false,
    };
}

async function release(opts: { appName?: string; host?: string; routerKind?: string; secret?: boolean }): Promise<RegisteredResource[]> {
    const r = await runProgram({
        projectDir: PROJECT_DIR,
        stack: "dev",
        configOverrides: {
            state: JSON.stringify(
                validateReleaseState({
                    slots: { blue: { role: "live", version: "1.4.0" }, green: { role: "candidate", version: "1.5.0" } },
                }),
            ),
            ...(opts.appName ? { appName: opts.appName } : {}),
            ...(opts.routerKind ? { routerKind: opts.routerKind } : {}),
            ...(opts.secret ? { previewHeaderValue: SECRET } : {}),
        },
        secretKeys: opts.secret ? ["previewHeaderValue"] : [],
        captureStackTraces: false,
        hooks: {
            newResource: (a) =>
                a.type === "pulumi:pulumi:StackReference" ? { outputs: platformOutputs(opts.host ?? SHOP, opts.routerKind) } : undefined,
        },
        program: main,
    });
    return r.resources;
}

function view(resources: RegisteredResource[], preview = false): PolicyResource[] {
    return resources.map((r) =>
        policyResource({ type: r.type, name: r.name, urn: r.urn, props: plain(r.state) as Props }, { project: "phoenix-release", preview }),
    );
}

/** A deep copy with `mutate` applied to the state and inputs of the one resource named `name`. */
function broken<T>(rs: RegisteredResource[], name: string, mutate: (props: T) => void): RegisteredResource[] {
    let hit = 0;
    const copy = rs.map((r) => {
        const c = JSON.parse(JSON.stringify({ ...r, inputs: plain(r.inputs), state: plain(r.state) })) as RegisteredResource;
        if (c.name === name) {
            hit++;
            mutate(c.inputs as T);
            mutate(c.state as T);
        }
        return c;
    });
    assert.equal(hit, 1, `exactly one resource named ${name}`);
    return copy;
}

interface LabelSelector {
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: "In" | "NotIn" | "Exists" | "DoesNotExist"; values?: string[] }>;
}
/** Kubernetes label selector semantics (metav1.LabelSelector): every matchLabels pair and every expression must hold. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
    const pairs = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
    const exprs = (selector.matchExpressions ?? []).every((e) => {
        const has = e.key in labels;
        if (e.operator === "Exists") return has;
        if (e.operator === "DoesNotExist") return !has;
        const inValues = has && (e.values ?? []).includes(labels[e.key]);
        return e.operator === "In" ? inValues : !inValues;
    });
    return pairs && exprs;
}

describe("policy pack: release-service-claims (several services on one platform)", function () {
    this.timeout(60000);
    let claims: unknown[];
    let calculator: RegisteredResource[];
    let inventory: RegisteredResource[];
    let platform: RegisteredResource[];
    before(async () => {
        const registry = (await runRegistry()).outputs;
        const run = await runPlatform("dev", registry, { configOverrides: { services: SERVICES, publicHostname: SHOP } });
        claims = run.outputs.serviceClaims as unknown[];
        platform = run.resources;
        calculator = await release({});
        inventory = await release({ appName: "inventory", host: "inventory.example.com" });
    });
    const check = (rs: RegisteredResource[], config: Props = {}, preview = false) =>
        checkStack(releaseServiceClaims, stackArgs(view(rs, preview), { config: { claims, service: "", ...config } }));
    const messages = async (rs: RegisteredResource[], config: Props = {}) => (await check(rs, config)).violations.map((v) => v.message);

    it("the platform's claims are what the policy reads: three services, the platform's host filled in", () => {
        assert.deepEqual(
            (claims as Array<{ service: string; hostnames: string[]; pathPrefix: string }>).map((c) => [
                c.service,
                c.hostnames,
                c.pathPrefix,
            ]),
            [
                ["calculator", [SHOP], "/"],
                ["inventory", ["inventory.example.com"], "/"],
                ["orders", [SHOP], "/orders"],
            ],
        );
    });

    it("the shared Gateway admits each service's routes namespace (as the release stack labels it) on its own host's listener only", () => {
        const gateway = platform.find((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:Gateway")!;
        const listeners = (
            plain(gateway.inputs) as {
                spec: { listeners: Array<{ name: string; allowedRoutes: { namespaces: { selector: LabelSelector } } }> };
            }
        ).spec.listeners;
        const routesLabels = (rs: RegisteredResource[]) =>
            (plain(rs.find((r) => r.name === "router-routes")!.inputs) as { metadata: { labels: Record<string, string> } }).metadata.labels;
        const admits = (listener: string, rs: RegisteredResource[]) =>
            selects(listeners.find((l) => l.name === listener)!.allowedRoutes.namespaces.selector, routesLabels(rs));
        assert.deepEqual(
            listeners.map((l) => l.name),
            ["http", "http-inventory.example.com"],
        );
        assert.equal(admits("http-inventory.example.com", inventory), true);
        assert.equal(admits("http-inventory.example.com", calculator), false, "the calculator's routes cannot attach to inventory's host");
        // The shared host's listener admits both: there the policy keeps their paths apart.
        assert.equal(admits("http", calculator), true);
        assert.equal(admits("http", inventory), true);
    });

    it("passes the calculator's and inventory's release stacks as they are registered, and the platform stack (not a release stack)", async () => {
        assert.deepEqual(await check(calculator), { violations: [] });
        assert.deepEqual(await check(calculator, { service: "calculator" }), { violations: [] });
        assert.deepEqual(await check(inventory), { violations: [] });
        assert.deepEqual(await check(platform), { violations: [] });
        assert.deepEqual(await check(await release({ routerKind: "nginx" })), { violations: [] });
    });

    it("without claims in the pack config there is nothing to check against: it passes", async () => {
        const stolen = broken<RouteProps>(calculator, "router-production", (p) => {
            p.spec.hostnames = ["inventory.example.com"];
        });
        assert.deepEqual(await checkStack(releaseServiceClaims, stackArgs(view(stolen))), { violations: [] });
    });

    it("refuses a route on another service's host, naming the route and the owner", async () => {
        const rs = broken<RouteProps>(calculator, "router-production", (p) => {
            p.spec.hostnames = ["inventory.example.com"];
        });
        const out = await check(rs);
        assert.deepEqual(
            out.violations.map((v) => v.message),
            [
                'HTTPRoute calculator-routes/calculator-production of service "calculator": host inventory.example.com path / reaches host inventory.example.com path /, owned by service "inventory".',
            ],
        );
        assert.match(out.violations[0].urn ?? "", /HTTPRoute::router-production$/);
        // The same stack released as inventory would own that host: the owner decides, not the host alone.
        assert.deepEqual(await messages(inventory), []);
    });

    it("refuses a route on another service's path of the shared host (and a route that names no host at all)", async () => {
        const path = broken<RouteProps>(calculator, "router-production", (p) => {
            p.spec.rules[0].matches[0].path.value = "/orders";
        });
        assert.deepEqual(await messages(path), [
            'HTTPRoute calculator-routes/calculator-production of service "calculator": host shop.example.com path /orders reaches host shop.example.com path /orders, owned by service "orders".',
        ]);
        const anyHost = broken<RouteProps>(calculator, "router-production", (p) => {
            delete p.spec.hostnames;
        });
        assert.match(
            (await messages(anyHost)).join("\n"),
            /calculator-production of service "calculator": every host \(no hostnames\) path \/ reaches host inventory\.example\.com path \/, owned by service "inventory"/,
        );
        // orders owns /orders on the shared host; its own stack routing / would reach the calculator's path.
        const orders = await release({ appName: "orders" });
        assert.match(
            (await messages(orders)).join("\n"),
            /HTTPRoute orders-routes\/orders-production of service "orders": .*owned by service "calculator"/,
        );
    });

    it("refuses a namespace of another service and an object outside the service's namespaces", async () => {
        const ns = broken<{ metadata: { name: string } }>(calculator, "router-routes", (p) => {
            p.metadata.name = "inventory-routes";
        });
        const out = await check(ns);
        assert.deepEqual(
            out.violations.map((v) => v.message),
            ['Namespace inventory-routes: the namespace belongs to service "inventory", not to "calculator".'],
        );
        assert.match(out.violations[0].urn ?? "", /Namespace::router-routes$/);
        const slot = broken<{ namespace: string }>(calculator, "blue-release", (p) => {
            p.namespace = "kube-system";
        });
        assert.deepEqual(await messages(slot), [
            'Release blue-release in namespace kube-system: not one of service "calculator"\'s namespaces (blue-calculator, green-calculator, calculator-routes).',
        ]);
    });

    it("refuses a backend that sends the service's traffic to another service's Service", async () => {
        const rs = broken<RouteProps>(calculator, "router-production", (p) => {
            p.spec.rules[0].backendRefs[0].namespace = "blue-inventory";
            p.spec.rules[0].backendRefs[0].name = "blue-inventory";
        });
        assert.deepEqual(await messages(rs), [
            'HTTPRoute calculator-routes/calculator-production of service "calculator" sends traffic to Service blue-inventory/blue-inventory, which belongs to service "inventory".',
        ]);
    });

    it("refuses an Ingress (nginx router) on another service's host: the policy is the only guard there", async () => {
        const rs = broken<{ spec: { rules: Array<{ host: string }> } }>(await release({ routerKind: "nginx" }), "router-canary", (p) => {
            p.spec.rules[0].host = "inventory.example.com";
        });
        assert.deepEqual(await messages(rs), [
            'Ingress green-calculator/green-calculator of service "calculator": host inventory.example.com path / reaches host inventory.example.com path /, owned by service "inventory".',
        ]);
    });

    it("refuses a service the platform does not host, a stack releasing another service than configured, and unusable claims", async () => {
        assert.deepEqual(
            await messages(calculator, { claims: (claims as Array<{ service: string }>).filter((c) => c.service !== "calculator") }),
            ['service "calculator" is not one the platform hosts (inventory, orders): it has no host, path or namespace.'],
        );
        const wrong = await messages(calculator, { service: "inventory" });
        assert.equal(
            wrong[0],
            'the stack deploys service "calculator", but it releases service "inventory" (release-service-claims.service).',
        );
        assert.ok(
            wrong.includes('Namespace blue-calculator: the namespace belongs to service "calculator", not to "inventory".'),
            wrong.join("\n"),
        );
        assert.match(
            (await messages(calculator, { claims: [...claims, { service: "billing", hostnames: [SHOP], pathPrefix: "/orders" }] })).join(),
            /cannot be used: services "orders" and "billing" both claim host shop\.example\.com path \/orders/,
        );
    });

    it("never quotes the preview secret; an unknown host during preview reaches the SDK instead of passing", async () => {
        const secretRun = await release({ secret: true });
        assert.ok(JSON.stringify(secretRun.map((r) => plain(r.state))).includes(SECRET));
        const rs = broken<RouteProps>(secretRun, "router-preview", (p) => {
            p.spec.hostnames = ["inventory.example.com"];
        });
        const out = await check(rs);
        assert.equal(out.violations.length, 1);
        assert.ok(!JSON.stringify(out).includes(SECRET));
        const unknown = broken<RouteProps>(calculator, "router-production", (p) => {
            p.spec.hostnames = [UNKNOWN.string];
        });
        const pv = await check(unknown, {}, true);
        assert.match(pv.unknown ?? "", /can't be known during preview/);
        assert.equal(pv.violations.length, 0);
    });

    it("through the pack with dev.json plus the claims: the calculator passes every mandatory policy; a stolen host fails this one", async () => {
        const dev = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "policy", "config", "dev.json"), "utf8")) as PackConfig;
        const config: PackConfig = { ...dev, "release-service-claims": { claims } };
        const ctx = { stack: "dev", project: "phoenix-release" };
        assert.deepEqual(mandatory(await runPack(policies, calculator, config, ctx)), []);
        const stolen = broken<RouteProps>(calculator, "router-production", (p) => {
            p.spec.hostnames = ["inventory.example.com"];
        });
        const ds = mandatory(await runPack(policies, stolen, config, ctx));
        assert.deepEqual(
            ds.map((d) => d.policyName),
            ["release-service-claims"],
        );
    });
});
