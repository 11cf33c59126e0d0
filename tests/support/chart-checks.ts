/**
 * Pure checks over the objects `helm template` renders from app/chart: the wiring between them (the
 * Service selects the Deployment's pods, on the port and name the router uses), shutdown timing, image
 * tags, and the probe and environment data the specs hand to the app itself. Each returns the problems
 * it finds, so a spec can show it passing on the real chart and failing on a broken copy.
 */
import * as YAML from "yaml";

export type Json = Record<string, unknown>;

export interface K8sObject extends Json {
    apiVersion: string;
    kind: string;
    metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface Container {
    name: string;
    image?: string;
    ports?: { name?: string; containerPort: number; protocol?: string }[];
    env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
    startupProbe?: Probe;
    readinessProbe?: Probe;
    livenessProbe?: Probe;
    lifecycle?: { preStop?: { exec?: { command?: string[] }; sleep?: { seconds: number } } };
}
interface Probe {
    httpGet?: { path?: string; port: number | string };
    tcpSocket?: unknown;
    exec?: unknown;
    grpc?: unknown;
}

interface PodSpec {
    containers: Container[];
    initContainers?: Container[];
    serviceAccountName?: string;
    terminationGracePeriodSeconds?: number;
}
interface DeploymentSpec {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> };
    template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec };
}

function isObject(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The objects of a `helm template` output (empty documents skipped); YAML errors throw. */
export function parseRendered(text: string): K8sObject[] {
    const out: K8sObject[] = [];
    for (const doc of YAML.parseAllDocuments(text)) {
        if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0].message}`);
        const v: unknown = doc.toJS();
        if (v === null || v === undefined) continue;
        if (!isObject(v) || typeof v.kind !== "string" || typeof v.apiVersion !== "string" || !isObject(v.metadata)) {
            throw new Error(`rendered document is not a Kubernetes object: ${JSON.stringify(v).slice(0, 120)}`);
        }
        out.push(v as K8sObject);
    }
    return out;
}

/** `Kind/name` of each object, sorted: what a variant renders. */
export function objectNames(objs: K8sObject[]): string[] {
    return objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
}

export function only(objs: K8sObject[], kind: string): K8sObject[] {
    return objs.filter((o) => o.kind === kind);
}

function deploymentSpec(objs: K8sObject[]): DeploymentSpec | undefined {
    const ds = only(objs, "Deployment");
    return ds.length === 1 ? (ds[0].spec as DeploymentSpec) : undefined;
}

/** The app container of the single Deployment (the only container: the chart has no sidecars). */
export function appContainer(objs: K8sObject[]): Container | undefined {
    return deploymentSpec(objs)?.template.spec.containers[0];
}

/** The plain env values of the app container, as the app would read them. */
export function containerEnv(c: Container): Record<string, string> {
    return Object.fromEntries((c.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, String(e.value)]));
}

export interface ProbeSite {
    probe: "startup" | "readiness" | "liveness";
    path: string;
}

/** Every probe of the app container: HTTP GETs on a port that is the app's own. */
export function probeProblems(c: Container): { probes: ProbeSite[]; problems: string[] } {
    const problems: string[] = [];
    const probes: ProbeSite[] = [];
    const appPort = Number(containerEnv(c).PORT);
    for (const probe of ["startup", "readiness", "liveness"] as const) {
        const p = c[`${probe}Probe`];
        if (!p) {
            problems.push(`no ${probe} probe`);
            continue;
        }
        if (!p.httpGet || typeof p.httpGet.path !== "string") {
            problems.push(`${probe} probe is not an HTTP GET with a path`);
            continue;
        }
        const port = resolvePort(c, p.httpGet.port);
        if (port === undefined || port !== appPort)
            problems.push(`${probe} probe port ${JSON.stringify(p.httpGet.port)} is not the app's PORT ${appPort}`);
        probes.push({ probe, path: p.httpGet.path });
    }
    return { probes, problems };
}

function resolvePort(c: Container, port: number | string): number | undefined {
    if (typeof port === "number") return port;
    return c.ports?.find((p) => p.name === port)?.containerPort;
}

function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
    if (!selector || Object.keys(selector).length === 0) return false;
    return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

/** An image reference with an explicit, immutable tag (or a digest): never `latest`, never implicit. */
export function imageProblem(image: string | undefined): string | undefined {
    if (!image) return "has no image";
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return undefined;
    const last = image.split("/").pop() ?? "";
    const tag = last.includes(":") ? last.slice(last.indexOf(":") + 1) : undefined;
    if (tag === undefined) return `image ${image} has no tag (it means latest)`;
    if (tag === "latest") return `image ${image} uses latest`;
    return undefined;
}

export interface WiringExpectations {
    /** The Helm release name; Service and Deployment are named after it. */
    release: string;
    /** Where the release stack's router sends this slot's traffic. */
    backend: { serviceName: string; port: number };
}

/**
 * The wiring between the rendered objects and the router: one Deployment and one Service; the
 * Service selects the pods, under the name and port the router's Ingress uses, the port named `http`
 * and reaching the app's PORT; PDB and HPA aim at the same pods; the pods' ServiceAccount is rendered;
 * the grace period outlasts preStop + drain; every image pinned.
 */
export function wiringProblems(objs: K8sObject[], expect: WiringExpectations): string[] {
    const problems: string[] = [];
    const deployments = only(objs, "Deployment");
    const services = only(objs, "Service");
    if (deployments.length !== 1) problems.push(`expected one Deployment, got ${deployments.length}`);
    if (services.length !== 1) problems.push(`expected one Service, got ${services.length}`);
    const spec = deploymentSpec(objs);
    if (!spec || services.length !== 1) return problems;
    const podLabels = spec.template.metadata?.labels;
    const pod = spec.template.spec;
    const c = pod.containers[0];

    if (!selects(spec.selector.matchLabels, podLabels)) problems.push("the Deployment's selector does not match its pod labels");
    const svc = services[0];
    const svcSpec = svc.spec as {
        selector?: Record<string, string>;
        ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
    };
    if (!selects(svcSpec.selector, podLabels))
        problems.push(
            `the Service's selector ${JSON.stringify(svcSpec.selector)} does not match the pod labels ${JSON.stringify(podLabels)}`,
        );
    if (svc.metadata.name !== expect.backend.serviceName)
        problems.push(`the Service is ${svc.metadata.name}; the router points at ${expect.backend.serviceName}`);
    const port = svcSpec.ports?.find((p) => p.port === expect.backend.port);
    if (!port)
        problems.push(
            `the Service has no port ${expect.backend.port} (the router's backend port); it has ${JSON.stringify(svcSpec.ports?.map((p) => p.port))}`,
        );
    else {
        if (port.name !== "http") problems.push(`the router's Service port ${port.port} is named ${JSON.stringify(port.name)}, not "http"`);
        if ((port.protocol ?? "TCP") !== "TCP") problems.push(`the router's Service port is ${port.protocol}, not TCP`);
        const target = resolvePort(c, port.targetPort ?? port.port);
        const appPort = Number(containerEnv(c).PORT);
        if (target === undefined || target !== appPort)
            problems.push(`the Service's targetPort ${JSON.stringify(port.targetPort)} does not reach the app's PORT ${appPort}`);
    }
    if (deployments[0].metadata.name !== expect.release)
        problems.push(`the Deployment is ${deployments[0].metadata.name}, not the release ${expect.release}`);

    for (const pdb of only(objs, "PodDisruptionBudget")) {
        const s = pdb.spec as { selector?: { matchLabels?: Record<string, string> }; minAvailable?: number };
        if (!selects(s.selector?.matchLabels, podLabels)) problems.push("the PodDisruptionBudget's selector does not match the pod labels");
    }
    const hpas = only(objs, "HorizontalPodAutoscaler");
    for (const hpa of hpas) {
        const ref = (hpa.spec as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } }).scaleTargetRef;
        if (ref?.apiVersion !== "apps/v1" || ref.kind !== "Deployment" || ref.name !== deployments[0].metadata.name)
            problems.push(`the HPA scales ${JSON.stringify(ref)}, not the Deployment`);
    }
    if (hpas.length > 0 && spec.replicas !== undefined)
        problems.push("the Deployment sets replicas while an HPA scales it (every upgrade would reset the HPA)");

    const sa = pod.serviceAccountName ?? "default";
    if (sa !== "default" && !only(objs, "ServiceAccount").some((s) => s.metadata.name === sa))
        problems.push(`the pods run as ServiceAccount ${sa}, which the chart does not render`);

    const preStop = c.lifecycle?.preStop;
    const preStopSeconds = preStop?.sleep?.seconds ?? (preStop?.exec?.command?.[0] === "sleep" ? Number(preStop.exec.command[1]) : 0);
    const drainSeconds = Math.ceil(Number(containerEnv(c).SHUTDOWN_DRAIN_MS ?? 0) / 1000);
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (!(grace > preStopSeconds + drainSeconds))
        problems.push(`terminationGracePeriodSeconds ${grace} does not exceed preStop ${preStopSeconds}s + drain ${drainSeconds}s`);

    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        const p = imageProblem(container.image);
        if (p) problems.push(`container ${container.name}: ${p}`);
    }
    return problems;
}
