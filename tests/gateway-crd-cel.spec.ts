/**
 * The CEL rules (`x-kubernetes-validations`) of the pinned Gateway API CRDs, evaluated from the CRDs
 * themselves (tests/fixtures/gateway-api-crd-cel.json, both bundles: v1.2.1, the oldest Phoenix supports,
 * and v1.6.1, the newest) with a CEL evaluator (tests/support/crd-cel.ts), never re-encoded:
 * - every rule of both bundles compiles;
 * - every Gateway API object Phoenix registers (release routes and grants in each state, the platform's
 *   Gateway and GatewayClass) passes every rule, and each rule either ran over them or sits under a
 *   field none of them sets;
 * - a broken copy of a registered object fails the rule it breaks, one per rule family: HTTPRoute
 *   backends, paths, parents, match count, filters and timeouts; Gateway listeners, TLS, addresses and
 *   infrastructure annotations; GatewayClass immutability (a transition rule);
 * - the policy pack's deploy-time copy of the HTTPRoute rules (release-model `routeObjectProblems`)
 *   refuses what the CRDs' own rules refuse, for the rules it carries, and admits what they admit.
 */
import { strict as assert } from "assert";
import { gatewayApi, type KubeObject } from "@phoenix/release-model";
import { celViolations, compileRule, rulesOf, withDefaults, type CelSchema } from "./support/crd-cel";
import { CEL_BUNDLES, CEL_FIXTURE, celSchemaFor } from "./support/gateway-api-cel";
import { registeredGatewayObjects, type RegisteredObject } from "./support/registered-gateway-objects";

type Manifest = KubeObject<Record<string, unknown>>;
type Json = Record<string, unknown>;

const FIXTURE = CEL_FIXTURE;
const BUNDLES = CEL_BUNDLES;

function schemaFor(bundle: string, obj: Manifest): CelSchema {
    const schema = celSchemaFor(bundle, obj);
    assert.ok(schema, `the fixture has ${bundle} ${obj.kind} ${obj.apiVersion}`);
    return schema;
}

/**
 * The distinct messages of the rules an object breaks in a bundle. A rule that cannot be evaluated
 * (it reads a field the object lacks) refuses the object, as on the API server.
 */
function broken(bundle: string, obj: Manifest, old?: Manifest): string[] {
    return [...new Set(celViolations(schemaFor(bundle, obj), obj, old).map((v) => v.message))];
}

/** The value at a schema path (`spec.rules[].matches[]`) in an object: every match, flattened. */
function valuesAt(value: unknown, schemaPath: string): unknown[] {
    const steps = schemaPath.match(/[^.[\]{}]+|\[\]|\{\}/g) ?? [];
    let current: unknown[] = [value];
    for (const step of steps) {
        current = current.flatMap((v) => {
            if (step === "[]") return Array.isArray(v) ? v : [];
            if (step === "{}") return v && typeof v === "object" ? Object.values(v) : [];
            return v && typeof v === "object" && !Array.isArray(v) && (v as Json)[step] !== undefined ? [(v as Json)[step]] : [];
        });
    }
    return current;
}

describe("Gateway API CRD CEL rules, evaluated from the pinned CRDs", function () {
    this.timeout(60000);
    const registered: RegisteredObject[] = [];
    before(async () => {
        registered.push(...(await registeredGatewayObjects()));
    });
    const copyOf = (kind: string, name?: string): Manifest => {
        const found = registered.find((r) => r.obj.kind === kind && (name === undefined || r.obj.metadata.name === name));
        assert.ok(found, `a registered ${kind} ${name ?? ""}`);
        return structuredClone(found.obj);
    };

    it("the fixture holds the bundles the compatibility table names, and every rule of each compiles", () => {
        assert.deepEqual(
            Object.keys(FIXTURE)
                .filter((k) => k.startsWith("v"))
                .sort(),
            [...BUNDLES].sort(),
        );
        for (const bundle of BUNDLES) {
            const schemas = FIXTURE[bundle] as Record<string, CelSchema>;
            const counts = Object.fromEntries(Object.entries(schemas).map(([kind, schema]) => [kind, rulesOf(schema).length]));
            assert.ok(counts["HTTPRoute/v1"] > 20 && counts["Gateway/v1"] > 5 && counts["GatewayClass/v1"] >= 1, JSON.stringify(counts));
            for (const schema of Object.values(schemas)) for (const { rule } of rulesOf(schema)) compileRule(rule.rule);
        }
    });

    for (const bundle of BUNDLES) {
        it(`every object Phoenix registers passes every CEL rule of ${bundle}; each rule ran over them or guards a field none sets`, () => {
            const evaluated = new Set<string>();
            for (const { where, obj } of registered)
                assert.deepEqual(
                    celViolations(schemaFor(bundle, obj), obj, undefined, evaluated),
                    [],
                    `${where}: ${obj.kind} ${obj.metadata.name}`,
                );
            // Transition rules run on an update: re-apply each object over itself.
            for (const { where, obj } of registered)
                assert.deepEqual(celViolations(schemaFor(bundle, obj), obj, obj, evaluated), [], `${where} (update)`);
            const kinds = new Set(registered.map((r) => `${r.obj.kind}/${r.obj.apiVersion.split("/")[1]}`));
            for (const kind of kinds) {
                const schema = (FIXTURE[bundle] as Record<string, CelSchema>)[kind];
                const objects = registered.filter((r) => `${r.obj.kind}/${r.obj.apiVersion.split("/")[1]}` === kind);
                for (const { path: at, rule } of rulesOf(schema)) {
                    if (evaluated.has(`${at} ${rule.rule}`)) continue;
                    const reached = objects.filter((r) => valuesAt(withDefaults(schema, r.obj), at).length > 0);
                    assert.deepEqual(
                        reached.map((r) => r.where),
                        [],
                        `${kind} rule at ${at} ("${rule.message}") did not run, though an object sets ${at}`,
                    );
                }
            }
            const ran = new Set(
                Object.values(FIXTURE[bundle] as Record<string, CelSchema>)
                    .flatMap((schema) => rulesOf(schema))
                    .filter(({ path: at, rule }) => evaluated.has(`${at} ${rule.rule}`))
                    .map(({ rule }) => rule.message),
            );
            for (const message of [
                "Must have port for Service reference",
                "Listener name must be unique within the Gateway",
                "Value is immutable",
            ])
                assert.ok(ran.has(message), `"${message}" ran over Phoenix's objects`);
        });
    }

    describe("a broken copy fails the rule it breaks", () => {
        const route = () => copyOf("HTTPRoute", "calculator-production");
        const ruleOf = (o: Manifest) => (o.spec.rules as Json[])[0];
        const backend = (o: Manifest) => (ruleOf(o).backendRefs as Json[])[0];
        const pathOf = (o: Manifest) => (ruleOf(o).matches as Json[])[0].path as Json;
        const httpRouteCases: Record<string, { expect: string; mutate: (o: Manifest) => void }> = {
            "a Service backend without a port": {
                expect: "Must have port for Service reference",
                mutate: (o) => void delete backend(o).port,
            },
            "a path that is not absolute": {
                expect: "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']",
                mutate: (o) => void (pathOf(o).value = "calc"),
            },
            "a path with '//'": {
                expect: "must not contain '//' when type one of ['Exact', 'PathPrefix']",
                mutate: (o) => void (pathOf(o).value = "/calc//x"),
            },
            "a path ending in '/..'": {
                expect: "must not end with '/..' when type one of ['Exact', 'PathPrefix']",
                mutate: (o) => void (pathOf(o).value = "/calc/.."),
            },
            "a path with a space": {
                expect: "must only contain valid characters (matching ^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$) for types ['Exact', 'PathPrefix']",
                mutate: (o) => void (pathOf(o).value = "/calc x"),
            },
            "the same parent twice without a sectionName": {
                expect: "sectionName must be unique when parentRefs includes 2 or more references to the same parent",
                mutate: (o) => void (o.spec.parentRefs as Json[]).push({ ...(o.spec.parentRefs as Json[])[0] }),
            },
            "129 matches across the rules": {
                expect: "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128",
                mutate: (o) => {
                    const one = (ruleOf(o).matches as Json[])[0];
                    o.spec.rules = [43, 43, 43].map((n) => ({ ...ruleOf(o), matches: Array.from({ length: n }, () => one) }));
                },
            },
            "a redirect filter beside backends": {
                expect: "RequestRedirect filter must not be used together with backendRefs",
                mutate: (o) => void (ruleOf(o).filters = [{ type: "RequestRedirect", requestRedirect: { statusCode: 302 } }]),
            },
            "a filter whose type names another filter": {
                expect: "filter.requestRedirect must be nil if the filter.type is not RequestRedirect",
                mutate: (o) => void (backend(o).filters = [{ type: "URLRewrite", urlRewrite: {}, requestRedirect: { statusCode: 302 } }]),
            },
            "a backend timeout longer than the request timeout": {
                expect: "backendRequest timeout cannot be longer than request timeout",
                mutate: (o) => void (ruleOf(o).timeouts = { request: "10s", backendRequest: "20s" }),
            },
        };

        const gateway = () => {
            const found = registered.find((r) => r.obj.kind === "Gateway" && (r.obj.spec.listeners as Json[]).length === 2);
            assert.ok(found, "the HTTPS Gateway (two listeners)");
            return structuredClone(found.obj);
        };
        const listeners = (o: Manifest) => o.spec.listeners as Json[];
        const gatewayCases: Record<string, { expect: string; mutate: (o: Manifest) => void }> = {
            "two listeners named alike": {
                expect: "Listener name must be unique within the Gateway",
                mutate: (o) => void (listeners(o)[1].name = listeners(o)[0].name),
            },
            "two listeners on the same port, protocol and hostname": {
                expect: "Combination of port, protocol and hostname must be unique for each listener",
                mutate: (o) => void listeners(o).push({ ...listeners(o)[0], name: "http-again" }),
            },
            "tls on an HTTP listener": {
                expect: "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']",
                mutate: (o) => void (listeners(o)[0].tls = listeners(o)[1].tls),
            },
            // With no certificateRefs the rule goes on to `size(self.options)`, which an object without options
            // cannot evaluate: refused all the same (the evaluator's "field not found", the API server's "no such key").
            "an HTTPS listener terminating TLS without a certificate": {
                expect: "certificateRefs or options must be specified when mode is Terminate",
                mutate: (o) => void ((listeners(o)[1].tls as Json).certificateRefs = []),
            },
            "a TCP listener with a hostname": {
                expect: "hostname must not be specified for protocols ['TCP', 'UDP']",
                mutate: (o) => void listeners(o).push({ name: "tcp", port: 5432, protocol: "TCP", hostname: "db.example.com" }),
            },
            "the same IP address twice": {
                expect: "IPAddress values must be unique",
                mutate: (o) =>
                    void (o.spec.addresses = [
                        { type: "IPAddress", value: "10.0.0.7" },
                        { type: "IPAddress", value: "10.0.0.7" },
                    ]),
            },
            "an infrastructure annotation key that is not one": {
                expect: "Annotation keys must be in the form of an optional DNS subdomain prefix followed by a required name segment of up to 63 characters.",
                mutate: (o) => void ((o.spec.infrastructure as { annotations: Json }).annotations["not a key!"] = "x"),
            },
        };

        for (const bundle of BUNDLES) {
            describe(bundle, () => {
                for (const [what, c] of Object.entries(httpRouteCases)) {
                    it(`HTTPRoute: ${what}`, () => {
                        assert.deepEqual(broken(bundle, route()), [], "the registered route passes");
                        const o = route();
                        c.mutate(o);
                        assert.deepEqual(broken(bundle, o), [c.expect]);
                    });
                }
                for (const [what, c] of Object.entries(gatewayCases)) {
                    it(`Gateway: ${what}`, () => {
                        assert.deepEqual(broken(bundle, gateway()), [], "the registered Gateway passes");
                        const o = gateway();
                        c.mutate(o);
                        assert.deepEqual(broken(bundle, o), [c.expect]);
                    });
                }
                it("GatewayClass: controllerName cannot change on an update (a transition rule), and is not checked on create", () => {
                    const cls = copyOf("GatewayClass");
                    const moved = structuredClone(cls);
                    moved.spec.controllerName = "example.com/another-controller";
                    assert.deepEqual(broken(bundle, moved), [], "create: no old object, the transition rule does not run");
                    assert.deepEqual(broken(bundle, cls, cls), []);
                    assert.deepEqual(broken(bundle, moved, cls), ["Value is immutable"]);
                });
            });
        }

        it("the policy pack's deploy-time copy (routeObjectProblems) refuses the broken routes of the rules it carries and admits Phoenix's", () => {
            for (const { where, obj } of registered.filter((r) => r.obj.kind === "HTTPRoute" || r.obj.kind === "ReferenceGrant"))
                assert.deepEqual(gatewayApi.routeObjectProblems(obj), [], where);
            const carried = [
                "a Service backend without a port",
                "a path that is not absolute",
                "a path with '//'",
                "a path ending in '/..'",
                "129 matches across the rules",
            ];
            for (const what of carried) {
                const o = route();
                httpRouteCases[what].mutate(o);
                for (const bundle of BUNDLES) assert.notDeepEqual(broken(bundle, o), [], `${what}: the CRD refuses it (${bundle})`);
                assert.notDeepEqual(gatewayApi.routeObjectProblems(o), [], `${what}: the policy pack refuses it too`);
            }
        });
    });
});
