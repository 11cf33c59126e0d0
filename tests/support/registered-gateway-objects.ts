/**
 * Every Gateway API object Phoenix registers, gathered under the mock runtime: the release stack's
 * HTTPRoutes and ReferenceGrants in the states a release passes through (blue live alone, a candidate
 * with its preview route, a progressive step, a blue candidate behind a secret header value) and the
 * platform's Gateway and GatewayClass (app-routing-istio with HTTPS, envoy). The CRD schema spec
 * (gateway-route-crds.spec.ts) and the CRD CEL spec (gateway-crd-cel.spec.ts) both check these.
 */
import * as path from "path";
import { validateReleaseState, type KubeObject, type KubeObjectMetadata } from "@phoenix/release-model";
import { MOCK_KUBECONFIG, RunResult, runProgram } from "./pulumi-harness";
import { plainInputs, runPlatform, runRegistry } from "./phoenix-stacks";
import { main as releaseMain } from "../../stacks/release/program";

export interface RegisteredObject {
    /** Which stack, state or mode registered it. */
    where: string;
    obj: KubeObject<Record<string, unknown>>;
}

function gatewayApiObjects(r: RunResult): Array<KubeObject<Record<string, unknown>>> {
    return r.resources
        .filter((x) => x.type.startsWith("kubernetes:gateway.networking.k8s.io/"))
        .map((x) => {
            const i = x.type.lastIndexOf(":");
            return {
                apiVersion: x.type.slice("kubernetes:".length, i),
                kind: x.type.slice(i + 1),
                metadata: plainInputs(x.inputs.metadata) as KubeObjectMetadata,
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
        projectDir: path.join(__dirname, "..", "..", "stacks", "release"),
        stack,
        configOverrides: { state: JSON.stringify(validateReleaseState(state)), ...extra },
        secretKeys,
        captureStackTraces: false,
        hooks: { newResource: (a) => (a.type === "pulumi:pulumi:StackReference" ? { outputs: PLATFORM } : undefined) },
        program: releaseMain,
    });
}

/** The objects, in registration order per run. */
export async function registeredGatewayObjects(): Promise<RegisteredObject[]> {
    const registered: RegisteredObject[] = [];
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
    return registered;
}
