/**
 * The Gateway API objects Phoenix registers use only standard-channel fields of the oldest bundle it
 * supports, and of the newest: every HTTPRoute and ReferenceGrant the release stack registers (in the
 * states a release passes through, progressive steps and secret previews included) and the platform's
 * Gateway and GatewayClass (every front-door mode), validated with ajv against the standard-channel
 * CRD schemas of both bundles (tests/fixtures/gateway-api-crd-schemas.json: v1.2.1, AKS-managed on
 * Kubernetes 1.26–1.33, and v1.6.1, Envoy Gateway v1.9's), unknown fields refused. Then broken copies:
 * an experimental field fails both bundles; a field standard only since a later bundle fails the
 * oldest alone.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv, { type ValidateFunction } from "ajv";
import { gatewayApi, type KubeObject } from "@phoenix/release-model";
import { registeredGatewayObjects, type RegisteredObject } from "./support/registered-gateway-objects";

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "gateway-api-crd-schemas.json"), "utf8")) as Record<
    string,
    unknown
>;
const OLDEST = gatewayApi.OLDEST_SUPPORTED_BUNDLE;
/** The newest bundle Phoenix installs: the one the newest Envoy Gateway release in the table is built for. */
const NEWEST = gatewayApi.ENVOY_GATEWAY_RELEASES[0].requiresBundle;
const BUNDLES = [OLDEST, NEWEST];

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<string, ValidateFunction>();
function validatorFor(bundle: string, kind: string, version: string): ValidateFunction {
    const key = `${bundle} ${kind}/${version}`;
    let v = validators.get(key);
    if (!v) {
        const schema = (FIXTURE[bundle] as Record<string, object> | undefined)?.[`${kind}/${version}`];
        assert.ok(schema, `the fixture has ${key}`);
        v = ajv.compile(schema);
        validators.set(key, v);
    }
    return v;
}

/** Schema problems of one object against one bundle's standard-channel CRD; empty when valid. */
function crdProblems(bundle: string, obj: KubeObject<Record<string, unknown>>): string[] {
    const version = obj.apiVersion.split("/")[1];
    const validate = validatorFor(bundle, obj.kind, version);
    if (validate(obj)) return [];
    return (validate.errors ?? []).map(
        (e) =>
            `${e.instancePath || "/"} ${e.message ?? ""}${e.keyword === "additionalProperties" ? `: ${String((e.params as { additionalProperty?: string }).additionalProperty)}` : ""}`,
    );
}

describe("Gateway API objects use only standard-channel fields of the oldest and newest supported bundles", function () {
    this.timeout(60000);
    const registered: RegisteredObject[] = [];

    before(async () => {
        registered.push(...(await registeredGatewayObjects()));
    });

    it("the fixture holds the two bundles the compatibility table names (oldest supported, newest installed)", () => {
        assert.deepEqual(
            Object.keys(FIXTURE)
                .filter((k) => k.startsWith("v"))
                .sort(),
            [...BUNDLES].sort(),
        );
        assert.equal(OLDEST, gatewayApi.AKS_MANAGED_BUNDLES[0].bundle, "the oldest bundle AKS manages");
    });

    it("registers what it should: production and preview routes, grants, Gateways and Phoenix's GatewayClass", () => {
        const kinds = new Set(registered.map((r) => `${r.obj.kind}/${r.obj.apiVersion.split("/")[1]}`));
        assert.deepEqual([...kinds].sort(), ["Gateway/v1", "GatewayClass/v1", "HTTPRoute/v1", "ReferenceGrant/v1beta1"]);
        const routes = registered.filter((r) => r.obj.kind === "HTTPRoute").map((r) => r.obj.metadata.name);
        assert.ok(routes.includes("calculator-production") && routes.includes("calculator-preview"));
    });

    for (const bundle of BUNDLES) {
        it(`every object validates against the standard-channel CRDs of ${bundle} (unknown fields refused)`, () => {
            for (const { where, obj } of registered)
                assert.deepEqual(crdProblems(bundle, obj), [], `${where}: ${obj.kind} ${String(obj.metadata.name)}`);
        });
    }

    describe("broken copies", () => {
        const production = (): KubeObject<Record<string, unknown>> => {
            const found = registered.find((r) => r.obj.kind === "HTTPRoute" && r.obj.metadata.name === "calculator-production");
            assert.ok(found);
            return JSON.parse(JSON.stringify(found.obj)) as KubeObject<Record<string, unknown>>;
        };
        const rules = (o: KubeObject<Record<string, unknown>>) => o.spec.rules as Record<string, unknown>[];

        it("an experimental-channel field (sessionPersistence, retry) fails both bundles", () => {
            for (const field of ["sessionPersistence", "retry"]) {
                const o = production();
                rules(o)[0][field] = field === "retry" ? { attempts: 2 } : { sessionName: "s", type: "Cookie" };
                for (const bundle of BUNDLES)
                    assert.deepEqual(
                        crdProblems(bundle, o),
                        [`/spec/rules/0 must NOT have additional properties: ${field}`],
                        `${bundle} ${field}`,
                    );
            }
        });

        it("a field standard only since a later bundle (rules[].name, standard in v1.6.1) passes the newest and fails the oldest", () => {
            const o = production();
            rules(o)[0].name = "production";
            assert.deepEqual(crdProblems(NEWEST, o), []);
            assert.deepEqual(crdProblems(OLDEST, o), ["/spec/rules/0 must NOT have additional properties: name"]);
        });

        it("a misspelt field, a bad enum and an out-of-range weight fail both", () => {
            const typo = production();
            (typo.spec as Record<string, unknown>).parentref = typo.spec.parentRefs;
            const badMatch = production();
            (rules(badMatch)[0].matches as Record<string, Record<string, unknown>>[])[0].path.type = "Glob";
            const heavy = production();
            (rules(heavy)[0].backendRefs as Record<string, unknown>[])[0].weight = 1000001;
            for (const bundle of BUNDLES) {
                assert.deepEqual(crdProblems(bundle, typo), ["/spec must NOT have additional properties: parentref"]);
                assert.match(
                    crdProblems(bundle, badMatch).join(),
                    /\/spec\/rules\/0\/matches\/0\/path\/type must be equal to one of the allowed values/,
                );
                assert.match(crdProblems(bundle, heavy).join(), /\/spec\/rules\/0\/backendRefs\/0\/weight must be <= 1000000/);
            }
        });
    });
});
