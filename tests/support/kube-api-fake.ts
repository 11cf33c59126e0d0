/**
 * A loopback stand-in for the Kubernetes API server's pod listing, over HTTPS with a throwaway
 * certificate (the client refuses a plain-HTTP server unless TLS checks are off), as the real one answers it:
 * `GET /api/v1/namespaces/{namespace}/pods?labelSelector=k=v[,k=v]` → a v1 PodList (`kind`,
 * `apiVersion`, `metadata.resourceVersion`, `items`), an empty list for a namespace without pods (the
 * API server does not 404 a list in a missing namespace), a v1 Status with code 401 for a wrong bearer
 * token, 404 Status for any other path. Pods are plain v1 Pod objects the test sets, or derived on every
 * request from what is deployed ({@link readyPodsFor}: a release stack's `slots` output as Helm's atomic
 * install leaves it).
 */
import type * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import { throwawayCertificate } from "./throwaway-tls";

export interface FakePod {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    ready: boolean;
    restartCount: number;
    deleting?: boolean;
}

/** A v1 Pod as the API server returns it (the fields a kubelet sets for a running pod of the chart). */
export function podObject(p: FakePod): Record<string, unknown> {
    const t = "2026-12-04T10:00:00Z";
    const cond = (type: string, status: boolean) => ({
        type,
        status: status ? "True" : "False",
        lastProbeTime: null,
        lastTransitionTime: t,
    });
    return {
        metadata: {
            name: p.name,
            generateName: `${p.name.split("-").slice(0, -1).join("-")}-`,
            namespace: p.namespace,
            uid: `00000000-0000-4000-8000-${Buffer.from(p.name).toString("hex").slice(0, 12).padEnd(12, "0")}`,
            resourceVersion: "4711",
            creationTimestamp: t,
            labels: p.labels,
            ...(p.deleting ? { deletionTimestamp: "2026-12-04T10:05:00Z", deletionGracePeriodSeconds: 30 } : {}),
        },
        spec: {
            containers: [{ name: "calculator", image: "registry.invalid/calculator:1", ports: [{ containerPort: 8080, protocol: "TCP" }] }],
        },
        status: {
            phase: "Running",
            conditions: [cond("Initialized", true), cond("Ready", p.ready), cond("ContainersReady", p.ready), cond("PodScheduled", true)],
            hostIP: "10.224.0.4",
            podIP: "10.244.1.7",
            startTime: t,
            containerStatuses: [
                {
                    name: "calculator",
                    ready: p.ready,
                    started: true,
                    restartCount: p.restartCount,
                    image: "registry.invalid/calculator:1",
                    imageID: "registry.invalid/calculator@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                    containerID: "containerd://0123",
                    state: p.ready
                        ? { running: { startedAt: t } }
                        : { waiting: { reason: "CrashLoopBackOff", message: "back-off 10s restarting failed container" } },
                    ...(p.restartCount > 0
                        ? {
                              lastState: {
                                  terminated: {
                                      exitCode: 137,
                                      reason: "OOMKilled",
                                      startedAt: t,
                                      finishedAt: t,
                                      containerID: "containerd://0122",
                                  },
                              },
                          }
                        : {}),
                },
            ],
        },
    };
}

function status(code: number, reason: string, message: string): string {
    return JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code });
}

export interface KubeApiFake {
    url: string;
    /** The server's certificate (PEM): the kubeconfig's certificate authority. */
    ca: string;
    pods: FakePod[];
    /** When set, the pods on every request instead of `pods` (e.g. from the stand-in pulumi's last update). */
    source?: () => FakePod[];
    /** Every request: method, path with query, the Authorization header. */
    requests: Array<{ method: string; url: string; authorization?: string }>;
    close(): Promise<void>;
}

export async function startKubeApiFake(token: string): Promise<KubeApiFake> {
    const tls = throwawayCertificate();
    const fake: KubeApiFake = { url: "", ca: tls.cert, pods: [], requests: [], close: async () => undefined };
    const server = https.createServer({ cert: tls.cert, key: tls.key }, (req: http.IncomingMessage, res: http.ServerResponse) => {
        req.resume();
        fake.requests.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
        const json = (code: number, body: string) => {
            res.writeHead(code, { "content-type": "application/json", "cache-control": "no-cache, private" });
            res.end(body);
        };
        if (req.headers.authorization !== `Bearer ${token}`) return json(401, status(401, "Unauthorized", "Unauthorized"));
        const u = new URL(req.url ?? "/", "http://api");
        const m = /^\/api\/v1\/namespaces\/([a-z0-9-]+)\/pods$/.exec(u.pathname);
        if (req.method !== "GET" || !m) return json(404, status(404, "NotFound", "the server could not find the requested resource"));
        const selector = (u.searchParams.get("labelSelector") ?? "")
            .split(",")
            .filter((x) => x !== "")
            .map((x) => x.split("="));
        const items = (fake.source ? fake.source() : fake.pods)
            .filter((p) => p.namespace === m[1] && selector.every(([k, v]) => p.labels[k] === v))
            .map(podObject);
        json(200, JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "4711" }, items }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    fake.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    fake.close = () => new Promise((r) => server.close(() => r()));
    return fake;
}

/**
 * The pods a release stack's `slots` output stands for once Helm's atomic install returned: per slot
 * that runs a version, `replicas` ready pods in its namespace with the chart's instance and version labels, none restarted.
 */
export function readyPodsFor(slotsOutput: unknown): FakePod[] {
    const slots = (slotsOutput ?? {}) as Record<
        string,
        { version?: string | null; replicas?: number; release?: string; namespace?: string }
    >;
    return Object.values(slots).flatMap((s) => {
        const version = s.version;
        if (!version || !s.release || !s.namespace) return [];
        const { release, namespace } = s;
        return Array.from({ length: s.replicas ?? 0 }, (_, i) => ({
            name: `${release}-7d9f8c6b5-${i}abcd`,
            namespace,
            labels: { "app.kubernetes.io/instance": release, "app.kubernetes.io/version": version },
            ready: true,
            restartCount: 0,
        }));
    }) satisfies FakePod[];
}

/** A kubeconfig (as AKS returns one for a local account: the CA inline, a bearer token) for the fake. */
export function kubeconfigFor(url: string, ca: string, token: string): string {
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: phoenix-dev",
        "  cluster:",
        `    certificate-authority-data: ${Buffer.from(ca).toString("base64")}`,
        `    server: ${url}`,
        "contexts:",
        "- name: phoenix-dev",
        "  context:",
        "    cluster: phoenix-dev",
        "    user: clusterUser_phoenix-dev",
        "current-context: phoenix-dev",
        "users:",
        "- name: clusterUser_phoenix-dev",
        "  user:",
        `    token: ${token}`,
        "",
    ].join("\n");
}
