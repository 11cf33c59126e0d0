/**
 * Smoke test of the pack through the Pulumi CLI's own protocol, for machines without the CLI:
 * starts `index.ts` as the CLI does (cwd = the pack, the SDK prints its gRPC port), then calls the
 * analyzer's GetAnalyzerInfo, Analyze (a registry with the admin user on, then the same with an
 * unknown value as during preview) and AnalyzeStack (a drained main-side slot) on 127.0.0.1.
 * Exits non-zero when an answer is not the expected one.
 *
 *   npm run smoke -w policy        (about 5 s: it starts a second Node process)
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import * as rpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

const PACK_DIR = path.join(__dirname, "..");
const LEVEL = ["advisory", "mandatory", "disabled", "remediate"];
/** The SDK's sentinel for an unknown boolean during preview. */
const UNKNOWN_BOOLEAN = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7";
const TAGS = { environment: "shared", service: "calculator", "managed-by": "pulumi" };

type Client = InstanceType<typeof rpc.AnalyzerClient>;

function call<Req, Res>(client: Client, method: "getAnalyzerInfo" | "analyze" | "analyzeStack", req: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
        // The generated client's methods share this callback shape; the cast selects one by name.
        const fn = (client[method] as unknown as (r: Req, cb: (e: grpc.ServiceError | null, r: Res) => void) => void).bind(client);
        fn(req, (e, r) => (e ? reject(e) : resolve(r)));
    });
}

function resource<T extends pb.AnalyzeRequest | pb.AnalyzerResource>(
    r: T,
    type: string,
    name: string,
    stack: string,
    props: Record<string, unknown>,
): T {
    r.setType(type);
    r.setName(name);
    r.setUrn(`urn:pulumi:${stack}::phoenix::${type}::${name}`);
    r.setProperties(Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]));
    r.setOptions(new pb.AnalyzerResourceOptions());
    return r;
}

function diagnostics(res: pb.AnalyzeResponse): string[] {
    return res.getDiagnosticsList().map((d) => `${d.getPolicyname()} ${LEVEL[d.getEnforcementlevel()]}`);
}

async function check(client: Client): Promise<void> {
    const info = await call<Empty, pb.AnalyzerInfo>(client, "getAnalyzerInfo", new Empty());
    const policies = info.getPoliciesList();
    console.log(
        `pack ${info.getName()}@${info.getVersion()}: ${policies.length} policies, ${policies.filter((p) => p.getEnforcementlevel() === 1).length} mandatory`,
    );
    assert.equal(info.getName(), "phoenix");

    const registry = (admin: unknown) =>
        resource(new pb.AnalyzeRequest(), "azure-native:containerregistry:Registry", "acr-registry", "shared", {
            adminUserEnabled: admin,
            anonymousPullEnabled: false,
            sku: { name: "Standard" },
            tags: TAGS,
        });
    const up = diagnostics(await call(client, "analyze", registry(true)));
    console.log("analyze, admin user on:", up);
    assert.deepEqual(up, ["acr-admin-user-disabled mandatory"]);
    const preview = diagnostics(await call(client, "analyze", registry(UNKNOWN_BOOLEAN)));
    console.log("analyze, admin user unknown (preview):", preview);
    assert.deepEqual(preview, ["acr-admin-user-disabled advisory"]);

    const ingress = (name: string, ns: string, canary: string) =>
        resource(new pb.AnalyzerResource(), "kubernetes:networking.k8s.io/v1:Ingress", name, "dev", {
            metadata: { name: ns, namespace: ns, annotations: { "nginx.ingress.kubernetes.io/canary": canary } },
            spec: {
                ingressClassName: "nginx",
                rules: [
                    {
                        host: "phoenix.example",
                        http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: ns, port: { number: 80 } } } }] },
                    },
                ],
            },
        });
    const blue = resource(new pb.AnalyzerResource(), "kubernetes:helm.sh/v3:Release", "blue-release", "dev", {
        name: "blue-calculator",
        namespace: "blue-calculator",
        chart: "oci://acr.azurecr.io/helm/calculator",
        version: "1.0.0",
        atomic: true,
        values: { replicaCount: 0, slot: "blue", image: { tag: "1.0.0" } },
    });
    const stackReq = new pb.AnalyzeStackRequest();
    stackReq.setResourcesList([
        blue,
        ingress("router-main", "blue-calculator", "false"),
        ingress("router-canary", "green-calculator", "true"),
    ]);
    const stack = diagnostics(await call(client, "analyzeStack", stackReq));
    console.log("analyzeStack, main-side slot at 0 replicas:", stack);
    assert.deepEqual(stack, ["router-main-slot-replicas mandatory"]);
}

const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], {
    cwd: PACK_DIR,
    stdio: ["ignore", "pipe", "inherit"],
});
const timer = setTimeout(() => {
    console.error("the pack did not print its port within 60 s");
    child.kill();
    process.exit(1);
}, 60000);
child.stdout.once("data", (chunk: Buffer) => {
    clearTimeout(timer);
    const client = new rpc.AnalyzerClient(`127.0.0.1:${String(chunk).trim()}`, grpc.credentials.createInsecure());
    check(client).then(
        () => {
            child.kill();
            console.log("analyzer smoke: ok");
            process.exit(0);
        },
        (e: unknown) => {
            child.kill();
            console.error(e);
            process.exit(1);
        },
    );
});
