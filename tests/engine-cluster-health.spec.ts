/**
 * The Pulumi backend's slot health (release-engine/src/backends/pulumi/cluster-health.ts): the slots'
 * pods through the real `@kubernetes/client-node` CoreV1Api against a loopback stand-in of the
 * Kubernetes API over HTTPS (tests/support/kube-api-fake.ts), with the kubeconfig the release stack exports.
 * Readiness is the pods' Ready condition (terminating pods excluded), versions their version label,
 * restarts the sum of containerStatuses[].restartCount; no kubeconfig output, or a refused token,
 * is an error that names the problem and never the token.
 */
import { strict as assert } from "assert";
import { ClusterHealth, slotHealthFromPods, type PodLike } from "../release-engine/src/backends/pulumi/cluster-health";
import { PulumiBackend } from "../release-engine/src/backends/pulumi/pulumi-backend";
import type { AutomationStack, OutputValueLike } from "../release-engine/src/backends/pulumi/automation-port";
import { showStatus } from "../release-engine/src/cli/dispatch";
import { createReporter } from "../release-engine/src/engine/reporter";
import type { RecordStore } from "../release-engine/src/record-store/port";
import { nextRecordDocument } from "../release-engine/src/record-store/record-document";
import { loadConfig } from "../release-engine/src/settings/config";
import { kubeconfigFor, podObject, startKubeApiFake, type FakePod, type KubeApiFake } from "./support/kube-api-fake";

const TOKEN = "kube-token-5d1c0ffee";
const labels = (slot: string, version: string) => ({
    "app.kubernetes.io/name": "calculator",
    "app.kubernetes.io/instance": `${slot}-calculator`,
    "app.kubernetes.io/version": version,
    "app.kubernetes.io/part-of": "calculator",
    "app.kubernetes.io/managed-by": "Helm",
    "pod-template-hash": "7d9f8c6b5",
});
const pod = (slot: string, n: number, version: string, o: Partial<FakePod> = {}): FakePod => ({
    name: `${slot}-calculator-7d9f8c6b5-${n}abcd`,
    namespace: `${slot}-calculator`,
    labels: labels(slot, version),
    ready: true,
    restartCount: 0,
    ...o,
});

/** Slot health reads the cluster only: a store whose every call fails says so if it ever touches the record. */
const untouchedStore: RecordStore = new Proxy({ where: "untouched" } as RecordStore, {
    get: (target, key) =>
        key === "where" ? target.where : () => Promise.reject(new Error(`slot health called the record store's ${String(key)}`)),
});

/** A store that only holds `record` for reading (status is read-only: anything else fails). */
function readOnlyStore(record: Parameters<typeof nextRecordDocument>[1]): RecordStore {
    const document = nextRecordDocument(undefined, record, "earlier run", new Date());
    return new Proxy({ where: "read-only" } as RecordStore, {
        get: (target, key) => {
            if (key === "where") return target.where;
            if (key === "read") return async () => ({ exists: true, document, etag: '"1"', text: JSON.stringify(document) });
            if (key === "holder") return async () => undefined;
            return () => Promise.reject(new Error(`status called the record store's ${String(key)}`));
        },
    });
}

function outputs(fake: KubeApiFake | undefined): Record<string, OutputValueLike> {
    return {
        appName: { value: "calculator", secret: false },
        slots: {
            value: {
                blue: { role: "candidate", version: "1.2.8", replicas: 2, release: "blue-calculator", namespace: "blue-calculator" },
                green: { role: "live", version: "1.1.0", replicas: 2, release: "green-calculator", namespace: "green-calculator" },
            },
            secret: false,
        },
        ...(fake ? { kubeconfig: { value: kubeconfigFor(fake.url, fake.ca, TOKEN), secret: true } } : {}),
    };
}

describe("engine (Pulumi backend): slot health from the cluster's pods", () => {
    let api: KubeApiFake;
    before(async () => {
        api = await startKubeApiFake(TOKEN);
    });
    after(async () => api.close());

    it("from pod objects: Ready condition, terminating pods left out, versions of the ready ones, restarts summed over every pod", () => {
        const pods = [
            pod("blue", 1, "1.2.8", { restartCount: 2 }),
            pod("blue", 2, "1.2.8", { ready: false, restartCount: 1 }),
            pod("blue", 3, "1.1.0", { deleting: true }),
        ].map((p) => podObject(p) as PodLike);
        assert.deepEqual(slotHealthFromPods(pods, 2), { ready: 1, desired: 2, versions: ["1.2.8"], restarts: 3 });
        assert.deepEqual(slotHealthFromPods([], 0), { ready: 0, desired: 0, versions: [], restarts: 0 });
    });

    it("lists each slot's pods by its release's instance label in its namespace, with the kubeconfig's token", async () => {
        api.pods = [
            pod("blue", 1, "1.2.8", { restartCount: 1 }),
            pod("blue", 2, "1.2.8"),
            pod("green", 1, "1.1.0"),
            pod("green", 2, "1.1.0", { ready: false, restartCount: 4 }),
        ];
        api.requests = [];
        const health = await new ClusterHealth(async () => outputs(api)).slotHealth();
        assert.deepEqual(health, {
            blue: { ready: 2, desired: 2, versions: ["1.2.8"], restarts: 1 },
            green: { ready: 1, desired: 2, versions: ["1.1.0"], restarts: 4 },
        });
        const urls = api.requests.map((r) => r.url).sort();
        assert.deepEqual(urls, [
            "/api/v1/namespaces/blue-calculator/pods?labelSelector=app.kubernetes.io%2Finstance%3Dblue-calculator",
            "/api/v1/namespaces/green-calculator/pods?labelSelector=app.kubernetes.io%2Finstance%3Dgreen-calculator",
        ]);
        for (const r of api.requests) assert.deepEqual([r.method, r.authorization], ["GET", `Bearer ${TOKEN}`]);
    });

    it("sees a restart (an OOM kill) and a pod leaving readiness as they happen; outputs are read once, pods every time", async () => {
        api.pods = [pod("blue", 1, "1.2.8"), pod("blue", 2, "1.2.8")];
        let reads = 0;
        const h = new ClusterHealth(async () => {
            reads++;
            return outputs(api);
        });
        assert.deepEqual((await h.slotHealth()).blue, { ready: 2, desired: 2, versions: ["1.2.8"], restarts: 0 });
        api.pods = [pod("blue", 1, "1.2.8", { ready: false, restartCount: 1 }), pod("blue", 2, "1.2.8", { restartCount: 1 })];
        assert.deepEqual((await h.slotHealth()).blue, { ready: 1, desired: 2, versions: ["1.2.8"], restarts: 2 });
        assert.equal(reads, 1, "the stack's outputs (a pulumi CLI call) are cached between polls");
    });

    it("the Pulumi backend's slotHealth reads the stack's kubeconfig output; without one it says what to do; a refused token never shows", async () => {
        api.pods = [pod("green", 1, "1.1.0"), pod("green", 2, "1.1.0")];
        let out = outputs(api);
        const stack = { outputs: async () => out } as unknown as AutomationStack;
        const backend = new PulumiBackend({ env: "dev", workDir: "stacks/release", factory: async () => stack, store: untouchedStore });
        assert.deepEqual((await backend.slotHealth()).green, { ready: 2, desired: 2, versions: ["1.1.0"], restarts: 0 });
        out = outputs(undefined);
        await assert.rejects(
            new PulumiBackend({ env: "dev", workDir: "w", factory: async () => stack, store: untouchedStore }).slotHealth(),
            /the release stack has no kubeconfig output, so the engine cannot see the slots' pods/,
        );
        const wrong = outputs(api);
        wrong.kubeconfig = { value: kubeconfigFor(api.url, api.ca, "not-the-token"), secret: true };
        await assert.rejects(new ClusterHealth(async () => wrong).slotHealth(), (e: Error) => {
            assert.match(e.message, /401|Unauthorized/);
            assert.ok(!e.message.includes("not-the-token") && !e.message.includes(TOKEN), "the token is not in the error");
            return true;
        });
    });

    it("status shows each slot's ready pods and restarts from the cluster (status.slots), or says why it cannot see them", async () => {
        api.pods = [
            pod("blue", 1, "1.2.8", { restartCount: 3 }),
            pod("blue", 2, "1.2.8", { ready: false }),
            pod("green", 1, "1.1.0"),
            pod("green", 2, "1.1.0"),
        ];
        let out = { ...outputs(api), publicUrl: { value: "https://calculator.example.invalid", secret: false } };
        const stack = { outputs: async () => out } as unknown as AutomationStack;
        const record = {
            state: {
                slots: {
                    blue: { role: "candidate" as const, version: "1.2.8", replicas: 2 },
                    green: { role: "live" as const, version: "1.1.0", replicas: 2 },
                },
            },
            operation: {
                kind: "release" as const,
                version: "1.2.8",
                slot: "blue" as const,
                before: {
                    slots: {
                        blue: { role: "standby" as const, version: "1.0.0", replicas: 2 },
                        green: { role: "live" as const, version: "1.1.0", replicas: 2 },
                    },
                },
            },
        };
        const status = async () => {
            let text = "";
            const backend = new PulumiBackend({ env: "dev", workDir: "w", factory: async () => stack, store: readOnlyStore(record) });
            const r = await showStatus({
                backend,
                config: loadConfig("dev"),
                reporter: createReporter({ write: (x) => (text += x), tfBuild: false }),
            });
            return { r, text };
        };
        const seen = await status();
        assert.equal(seen.r.exitCode, 0, seen.text);
        assert.deepEqual(seen.r.status?.slots, {
            blue: { ready: 1, desired: 2, versions: ["1.2.8"], restarts: 3 },
            green: { ready: 2, desired: 2, versions: ["1.1.0"], restarts: 0 },
        });
        assert.match(seen.text, /^ {2}blue: 1\/2 ready \(1\.2\.8\), restarts 3 {2}← not all ready$/m);
        out = { ...outputs(undefined), publicUrl: out.publicUrl };
        const unseen = await status();
        assert.equal(unseen.r.exitCode, 0, unseen.text);
        assert.equal(unseen.r.status?.slots, undefined);
        assert.match(unseen.r.status?.slotsUnseen ?? "", /no kubeconfig output/);
        assert.match(unseen.text, /^slots: not seen \(.*no kubeconfig output/m);
    });
});
