/**
 * Slot health on a cluster, for the Pulumi backend: each slot's pods through the Kubernetes API
 * (`CoreV1Api.listNamespacedPod` of `@kubernetes/client-node`, label selector
 * `app.kubernetes.io/instance=<slot release>` in the slot's namespace), with the kubeconfig the
 * release stack exports from the platform stack (secret output `kubeconfig`).
 *
 * A pod counts as ready when its `Ready` condition is `True` and it is not being deleted (what puts
 * it into the Service's endpoints); its version is its `app.kubernetes.io/version` label (the chart's);
 * restarts are the sum of `status.containerStatuses[].restartCount` over the slot's pods (an OOM
 * kill or a crash restarts the container in place and increments it).
 *
 * {@link slotHealthFromPods} is pure; {@link kubernetesPodLister} is the thin adapter over the client
 * (loaded lazily: commands that never move production never load it).
 */
import { SLOT_NAMES, type SlotHealth, type SlotName, type SlotsHealth } from "@phoenix/release-model";
import { InputError } from "../../errors";

/** The fields of a v1 Pod this module reads (a V1Pod of @kubernetes/client-node is one). */
export interface PodLike {
    metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: Date | string };
    status?: {
        phase?: string;
        conditions?: Array<{ type: string; status: string }>;
        containerStatuses?: Array<{ name?: string; ready?: boolean; restartCount: number }>;
    };
}

/** `GET /api/v1/namespaces/{namespace}/pods?labelSelector=…` → the PodList's items. */
export type PodLister = (namespace: string, labelSelector: string) => Promise<PodLike[]>;

const VERSION_LABEL = "app.kubernetes.io/version";
const INSTANCE_LABEL = "app.kubernetes.io/instance";

function isReady(p: PodLike): boolean {
    if (p.metadata?.deletionTimestamp) return false;
    return (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/** A slot's health from its pods (pure). */
export function slotHealthFromPods(pods: PodLike[], desired: number): SlotHealth {
    const ready = pods.filter(isReady);
    const versions = [...new Set(ready.map((p) => p.metadata?.labels?.[VERSION_LABEL] ?? "?"))];
    const restarts = pods.reduce(
        (n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (Number.isInteger(c.restartCount) ? c.restartCount : 0), 0),
        0,
    );
    return { ready: ready.length, desired, versions, restarts };
}

/** What the release stack's outputs say about the slots (`slots.<slot>.namespace/release/replicas`). */
interface SlotOutputs {
    namespace: string;
    release: string;
    replicas: number;
}

function slotOutputs(outputs: Record<string, { value: unknown }>): Record<SlotName, SlotOutputs> {
    const slots = (outputs.slots?.value ?? {}) as Record<
        string,
        { namespace?: unknown; release?: unknown; replicas?: unknown } | undefined
    >;
    const appName = typeof outputs.appName?.value === "string" ? outputs.appName.value : "calculator";
    const out = {} as Record<SlotName, SlotOutputs>;
    for (const slot of SLOT_NAMES) {
        const s = slots[slot] ?? {};
        const name = `${slot}-${appName}`;
        out[slot] = {
            namespace: typeof s.namespace === "string" && s.namespace !== "" ? s.namespace : name,
            release: typeof s.release === "string" && s.release !== "" ? s.release : name,
            replicas: typeof s.replicas === "number" ? s.replicas : 0,
        };
    }
    return out;
}

/** The adapter: a pod lister over `@kubernetes/client-node` with a kubeconfig (YAML or JSON text). */
async function kubernetesPodLister(kubeconfig: string): Promise<PodLister> {
    const k8s = await import("@kubernetes/client-node");
    const kc = new k8s.KubeConfig();
    kc.loadFromString(kubeconfig);
    const api = kc.makeApiClient(k8s.CoreV1Api);
    return async (namespace, labelSelector) => {
        try {
            return (await api.listNamespacedPod({ namespace, labelSelector })).items;
        } catch (e) {
            // A slot that was never deployed has no namespace yet: no pods.
            if (e instanceof k8s.ApiException && e.code === 404) return [];
            throw e;
        }
    };
}

export type ListerFactory = (kubeconfig: string) => Promise<PodLister>;

type Outputs = Record<string, { value: unknown; secret?: boolean }>;

/**
 * Slot health from the cluster, for a release stack's outputs. The kubeconfig and the slots' names
 * come from the outputs, read again at most every `outputsTtlMs` (reading them runs the pulumi CLI;
 * the engine polls health several times a second while it guards a step); the lister is made once
 * per kubeconfig. Every slot's pods are listed whatever the outputs say, so stale outputs only
 * delay `desired`, never a pod's readiness or restarts.
 */
export class ClusterHealth {
    private lister?: { kubeconfig: string; list: Promise<PodLister> };
    private cached?: { at: number; outputs: Outputs };

    constructor(
        private readonly outputs: () => Promise<Outputs>,
        private readonly connect: ListerFactory = kubernetesPodLister,
        private readonly outputsTtlMs = 15_000,
    ) {}

    private async currentOutputs(): Promise<Outputs> {
        const now = Date.now();
        if (this.cached && now - this.cached.at <= this.outputsTtlMs) return this.cached.outputs;
        const outputs = await this.outputs();
        // Kept only once the stack exports a kubeconfig (a stack not yet updated may do so soon).
        this.cached = typeof outputs.kubeconfig?.value === "string" ? { at: now, outputs } : undefined;
        return outputs;
    }

    async slotHealth(): Promise<SlotsHealth> {
        const out = await this.currentOutputs();
        const kubeconfig = out.kubeconfig?.value;
        if (typeof kubeconfig !== "string" || kubeconfig === "") {
            throw new InputError(
                "the release stack has no kubeconfig output, so the engine cannot see the slots' pods (run `pulumi up` on the release stack with this version of stacks/release first)",
            );
        }
        if (this.lister?.kubeconfig !== kubeconfig) this.lister = { kubeconfig, list: this.connect(kubeconfig) };
        const list = await this.lister.list;
        const slots = slotOutputs(out);
        const health = {} as SlotsHealth;
        await Promise.all(
            SLOT_NAMES.map(async (slot) => {
                const s = slots[slot];
                const pods = await list(s.namespace, `${INSTANCE_LABEL}=${s.release}`);
                health[slot] = slotHealthFromPods(pods, s.replicas);
            }),
        );
        return health;
    }
}
