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
import { gatewayApi, validateReleaseState } from "@phoenix/release-model";
import { MOCK_KUBECONFIG, RunResult, runProgram } from "./support/pulumi-harness";
import { plainInputs, runPlatform, runRegistry } from "./support/phoenix-stacks";
import { main as releaseMain } from "../stacks/release/program";

type Obj = { apiVersion: string; kind: string; metadata: Record<string, unknown>; spec: Record<string, unknown> };

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
function crdProblems(bundle: string, obj: Obj): string[] {
    const version = obj.apiVersion.split("/")[1];
    const validate = validatorFor(bundle, obj.kind, version);
    if (validate(obj)) return [];
    return (validate.errors ?? []).map(
        (e) =>
            `${e.instancePath || "/"} ${e.message ?? ""}${e.keyword === "additionalProperties" ? `: ${String((e.params as { additionalProperty?: string }).additionalProperty)}` : ""}`,
    );
}

function gatewayApiObjects(r: RunResult): Obj[] {
    return r.resources
        .filter((x) => x.type.startsWith("kubernetes:gateway.networking.k8s.io/"))
        .map((x) => {
            const i = x.type.lastIndexOf(":");
            return {
                apiVersion: x.type.slice("kubernetes:".length, i),
                kind: x.type.slice(i + 1),
                metadata: plainInputs(x.inputs.metadata) as Record<string, unknown>,
                spec: plainInputs(x.inputs.spec) as Record<string, unknown>,
            };
        });
}

const HOST = "shop.example.com";
const PLATFORM = {
    kubeconfig: MOCK_KUBECONFIG,
    registryLoginServer: "phoenixshared.azurecr.io",
    host: HOST,
    publicUrl: `https://${HOST}`,
    appInsightsConnectionString: "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://mock/",
    routerKind: "gateway-api",
    gatewayName: "phoenix-gateway",
    gatewayNamespace: "phoenix-gateway",
    gatewayClass: "approuting-istio",
    legacyNginx: false,
};

function releaseRun(
    stack: "dev" | "prod",
    state: unknown,
    extra: Record<string, unknown> = {},
    secretKeys: string[] = [],
): Promise<RunResult> {
    return runProgram({
        projectDir: path.join(__dirname, "..", "stacks", "release"),
        stack,
        configOverrides: { state: JSON.stringify(validateReleaseState(state)), ...extra },
        secretKeys,
        captureStackTraces: false,
        hooks: { newResource: (a) => (a.type === "pulumi:pulumi:StackReference" ? { outputs: PLATFORM } : undefined) },
        program: releaseMain,
    });
}

describe("Gateway API objects use only standard-channel fields of the oldest and newest supported bundles", function () {
    this.timeout(60000);
    const registered: Array<{ where: string; obj: Obj }> = [];

    before(async () => {
        const states: Array<[string, "dev" | "prod", unknown, Record<string, unknown>?, string[]?]> = [
            ["blue live only", "dev", { slots: { blue: { role: "live", version: "1.4.0", replicas: 2 }, green: { role: "absent" } } }],
            [
                "blue live + green candidate (preview route)",
                "dev",
                { slots: { blue: { role: "live", version: "1.4.0" }, green: { role: "candidate", version: "1.5.0" } } },
            ],
            [
                "green candidate at a 25 % progressive step",
                "prod",
                {
                    slots: { blue: { role: "live", version: "1.4.0" }, green: { role: "candidate", version: "1.5.0" } },
                    candidateWeight: 25,
                },
            ],
            [
                "green live + blue candidate behind a secret header value",
                "prod",
                { slots: { blue: { role: "candidate", version: "1.6.0" }, green: { role: "live", version: "1.5.0" } } },
                { previewHeaderValue: "pv-Zm9vYmFyYmF6cXV4" },
                ["previewHeaderValue"],
            ],
        ];
        for (const [name, stack, state, extra, secrets] of states) {
            for (const obj of gatewayApiObjects(await releaseRun(stack, state, extra, secrets)))
                registered.push({ where: `release/${stack} ${name}`, obj });
        }
        const registry = (await runRegistry()).outputs;
        const modes: Record<string, Record<string, unknown>> = {
            "app-routing-istio, HTTPS": { gatewayTlsSecretName: "phoenix-tls", publicHostname: HOST },
            envoy: { gateway: "envoy", gatewayApiCrds: "phoenix" },
        };
        for (const [mode, configOverrides] of Object.entries(modes)) {
            for (const obj of gatewayApiObjects(await runPlatform("dev", registry, { configOverrides })))
                registered.push({ where: `platform/dev ${mode}`, obj });
        }
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
        const production = (): Obj => {
            const found = registered.find((r) => r.obj.kind === "HTTPRoute" && r.obj.metadata.name === "calculator-production");
            assert.ok(found);
            return JSON.parse(JSON.stringify(found.obj)) as Obj;
        };
        const rules = (o: Obj) => o.spec.rules as Record<string, unknown>[];

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
