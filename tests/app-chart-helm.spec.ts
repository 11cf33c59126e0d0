/**
 * app/chart through real Helm (tests/support/helm.ts: v3.18.0 from a pinned devDependency). The values
 * are the ones the release stack hands each slot — stacks/release run under the mock runtime for dev and
 * prod, blue and green, every role — plus variants (HPA, PDB on/off, workload identity, no telemetry
 * Secret, faults). Each render is linted with --strict, every object validated against the Kubernetes
 * schemas with unknown fields refused, its wiring cross-checked against the router and the app itself;
 * Helm must refuse bad values; `helm package` gives the Chart.yaml the pipeline pushes. Every check is
 * then shown failing on a broken copy of the chart.
 *
 * Renders run once, in `before` hooks, a few at a time; the tests only read the results.
 * PHOENIX_PRINT_CHART_OBJECTS=1 prints the objects each render produced.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { parse as parseYaml } from "yaml";
import { parseConfig } from "../app/src/config";
import { buildServer } from "../app/src/server";
import { APP_INSIGHTS_SECRET_KEY, appInsightsSecretName } from "../components/app-slot";
import { ReleaseState, SLOT_NAMES, SLOT_ROLES } from "@phoenix/release-model";
import { expandPipeline } from "./support/azure-pipeline-template";
import { bufferReader, readZipEntry, tarGzFiles, zipEntries } from "./support/archives";
import {
    K8sObject,
    appContainer,
    containerEnv,
    imageProblem,
    objectNames,
    only,
    parseRendered,
    probeProblems,
    wiringProblems,
} from "./support/chart-checks";
import { HELM_PACKAGE, HELM_VERSION, HelmResult, helmAsync, helmBinary, helmVersionProblem, inPool } from "./support/helm";
import { strictSchemaProblems } from "./support/k8s-strict";
import { Doc, isRecord, stepSites } from "./support/pipeline-checks";
import { RouterBackend, SlotRelease, releaseStackView } from "./support/release-slots";

const ROOT = path.join(__dirname, "..");
const CHART = path.join(ROOT, "app", "chart");
const LOGIN_SERVER = "phoenixshared.azurecr.io";
const WORKLOAD_CLIENT_ID = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";
const print = process.env.PHOENIX_PRINT_CHART_OBJECTS === "1";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
function merge(base: Json, over: Json): Json {
    const out: Json = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Json, v) : v;
    return out;
}

/** The Kubernetes version each environment's platform runs (Pulumi.<env>.yaml), for --kube-version. */
function clusterVersion(stack: "dev" | "prod"): string {
    const doc = parseYaml(fs.readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8")) as { config: Record<string, string> };
    return doc.config["phoenix-platform:aksKubernetesVersion"];
}

// ---- the release states the stack is run with: dev and prod, blue and green, every role ----

const STATES: { stack: "dev" | "prod"; label: string; state?: ReleaseState }[] = [
    { stack: "dev", label: "Pulumi.dev.yaml's state (blue live, green absent)" },
    {
        stack: "dev",
        label: "green candidate on one pod",
        state: { slots: { blue: { role: "live", version: "1.4.0" }, green: { role: "candidate", version: "1.5.0-rc.1", replicas: 1 } } },
    },
    {
        stack: "dev",
        label: "green standby scaled to zero",
        state: { slots: { blue: { role: "live", version: "1.5.0" }, green: { role: "standby", version: "1.4.0", replicas: 0 } } },
    },
    { stack: "prod", label: "Pulumi.prod.yaml's state (blue standby, green live)" },
    {
        stack: "prod",
        label: "blue candidate with a pre-release version",
        state: { slots: { blue: { role: "candidate", version: "1.6.0-build.7" }, green: { role: "live", version: "1.5.0" } } },
    },
];

interface Render {
    label: string;
    release: string;
    namespace: string;
    kubeVersion: string;
    values: Json;
    backend: RouterBackend;
    /** Exactly the objects this render must produce (Kind/name, sorted). */
    expected: string[];
    /** Extra assertions of a variant. */
    extra?: (objs: K8sObject[]) => void;
    result?: HelmResult;
    lint?: HelmResult;
    objects?: K8sObject[];
}

function expectedObjects(release: string, values: Json): string[] {
    const v = merge(parseYaml(fs.readFileSync(path.join(CHART, "values.yaml"), "utf8")) as Json, values) as {
        replicaCount: number;
        autoscaling: { enabled: boolean; minReplicas: number };
        podDisruptionBudget: { enabled: boolean };
    };
    const pods = v.autoscaling.enabled ? v.autoscaling.minReplicas : v.replicaCount;
    return [
        `Deployment/${release}`,
        ...(v.autoscaling.enabled ? [`HorizontalPodAutoscaler/${release}`] : []),
        ...(v.podDisruptionBudget.enabled && pods > 1 ? [`PodDisruptionBudget/${release}`] : []),
        `Service/${release}`,
        `ServiceAccount/${release}`,
    ];
}

let helmFiles: string;
let valuesFiles = 0;
function valuesFile(values: Json): string {
    const file = path.join(helmFiles, `values-${valuesFiles++}.json`);
    fs.writeFileSync(file, JSON.stringify(values));
    return file;
}

function templateArgs(chart: string, r: Pick<Render, "release" | "namespace" | "kubeVersion" | "values">): string[] {
    return ["template", r.release, chart, "--namespace", r.namespace, "--kube-version", r.kubeVersion, "-f", valuesFile(r.values)];
}

/** Renders `chart` with `r`'s values: the objects, or the problems (Helm's error, unparsable YAML). */
async function render(
    chart: string,
    r: Pick<Render, "release" | "namespace" | "kubeVersion" | "values">,
): Promise<{ objects: K8sObject[]; problems: string[] }> {
    const res = await helmAsync(templateArgs(chart, r));
    if (res.code !== 0) return { objects: [], problems: [`helm template failed: ${res.stderr.trim()}`] };
    try {
        return { objects: parseRendered(res.stdout), problems: [] };
    } catch (e) {
        return { objects: [], problems: [(e as Error).message] };
    }
}

async function lintProblems(chart: string, r: Pick<Render, "namespace" | "kubeVersion" | "values">): Promise<string[]> {
    const res = await helmAsync([
        "lint",
        "--strict",
        chart,
        "--namespace",
        r.namespace,
        "--kube-version",
        r.kubeVersion,
        "-f",
        valuesFile(r.values),
    ]);
    return res.code === 0 ? [] : [`helm lint --strict failed: ${(res.stdout + res.stderr).trim()}`];
}

function schemaProblems(objs: K8sObject[]): string[] {
    return objs.flatMap((o) => strictSchemaProblems(o).map((p) => `${o.kind}/${o.metadata.name}${p}`));
}

/**
 * The probes against the app itself: the rendered env must be one the app accepts (its own parser), every
 * probe path answers 200 from the app's real routes, and while the app drains readiness fails but
 * liveness and startup do not (or the kubelet would kill pods mid-drain).
 */
async function appProbeProblems(objs: K8sObject[]): Promise<string[]> {
    const c = appContainer(objs);
    if (!c) return ["no app container"];
    const { probes, problems } = probeProblems(c);
    let config;
    try {
        config = parseConfig(containerEnv(c));
    } catch (e) {
        return [...problems, `the app refuses the rendered environment: ${(e as Error).message}`];
    }
    const lifecycle = { draining: false };
    const app = buildServer(config, { lifecycle, host: "probe-check" });
    try {
        for (const p of probes) {
            const res = await app.inject({ method: "GET", url: p.path });
            if (res.statusCode !== 200) problems.push(`${p.probe} probe GET ${p.path}: the app answers ${res.statusCode}`);
        }
        lifecycle.draining = true;
        for (const p of probes) {
            const res = await app.inject({ method: "GET", url: p.path });
            if (p.probe === "readiness" && res.statusCode < 500)
                problems.push(`readiness probe GET ${p.path} still answers ${res.statusCode} while the app drains`);
            if (p.probe !== "readiness" && res.statusCode !== 200)
                problems.push(`${p.probe} probe GET ${p.path} answers ${res.statusCode} while the app drains`);
        }
    } finally {
        await app.close();
    }
    return problems;
}

// ---- rejections: values Helm itself must refuse ----

const chartKubeVersion = (parseYaml(fs.readFileSync(path.join(CHART, "Chart.yaml"), "utf8")) as { kubeVersion: string }).kubeVersion;
/** The minor release just below the chart's `kubeVersion: >=X.Y…`. */
function belowKubeVersion(constraint: string): string {
    const m = /^>=\s*v?(\d+)\.(\d+)/.exec(constraint);
    if (!m) throw new Error(`unexpected kubeVersion constraint ${constraint}`);
    return `${m[1]}.${Number(m[2]) - 1}.0`;
}

const REJECTIONS: { name: string; values?: Json; kubeVersion?: string; expect: RegExp }[] = [
    { name: "slot purple", values: { slot: "purple" }, expect: /slot.*must be one of.*"blue", "green", "local"/ },
    { name: "image tag latest", values: { image: { tag: "latest" } }, expect: /image\.tag|latest/ },
    {
        name: `Kubernetes ${belowKubeVersion(chartKubeVersion)}, below the chart's kubeVersion`,
        kubeVersion: belowKubeVersion(chartKubeVersion),
        expect: /chart requires kubeVersion: >=1\.27\.0-0 which is incompatible with Kubernetes v1\.26\.0/,
    },
    { name: "fault.errorRate 1.5", values: { fault: { errorRate: 1.5 } }, expect: /fault\.errorRate.*(less than or equal to 1|maximum)/i },
];

/** For each rejection (or the one named), whether Helm refused it with the expected reason. */
async function rejectionProblems(chart: string, base: Render, name?: string): Promise<string[]> {
    const rejections = REJECTIONS.filter((r) => name === undefined || r.name.startsWith(name));
    if (rejections.length === 0) throw new Error(`no rejection named ${name}`);
    const results = await Promise.all(
        rejections.map((rej) =>
            helmAsync(
                templateArgs(chart, {
                    ...base,
                    values: merge(base.values, rej.values ?? {}),
                    kubeVersion: rej.kubeVersion ?? base.kubeVersion,
                }),
            ),
        ),
    );
    return rejections.flatMap((rej, i) => {
        const res = results[i];
        if (res.code === 0) return [`${rej.name}: helm accepted it`];
        if (!rej.expect.test(res.stderr)) return [`${rej.name}: helm refused it, but not for the expected reason: ${res.stderr.trim()}`];
        return [];
    });
}

// ---- the package the pipeline pushes ----

/** RELEASE_VERSION as the build stage defines it (`<versionPrefix>.$(Build.BuildId)`), for a given build id. */
function pipelineReleaseVersion(doc: Doc, buildId: number): string {
    const build = (doc.stages as Doc[]).find((s) => s.stage === "Build");
    const v = (build?.variables as Doc[] | undefined)?.find((x) => isRecord(x) && x.name === "RELEASE_VERSION");
    if (!v || typeof v.value !== "string") throw new Error("the Build stage defines no RELEASE_VERSION");
    return v.value.replace("$(Build.BuildId)", String(buildId));
}

const PIPELINE = path.join(ROOT, ".azuredevops", "calculator_build_deploy.yaml");
const loadYaml = (f: string): unknown => parseYaml(fs.readFileSync(f, "utf8"));
const expandedPipeline = (): Doc => expandPipeline(PIPELINE, loadYaml, { phoenix: ROOT }).pipeline;

/** `helm package` as publish-chart.sh runs it; the package's name, Chart.yaml and files checked. */
async function packageProblems(chart: string, version: string): Promise<string[]> {
    const out = fs.mkdtempSync(path.join(helmFiles, "pkg-"));
    const res = await helmAsync(["package", chart, "--version", version, "--app-version", version, "--destination", out]);
    if (res.code !== 0) return [`helm package failed: ${res.stderr.trim()}`];
    const problems: string[] = [];
    const source = parseYaml(fs.readFileSync(path.join(chart, "Chart.yaml"), "utf8")) as Json;
    const tgz = fs.readdirSync(out);
    // publish-chart.sh pushes the one file matching *-<RELEASE_VERSION>.tgz
    if (tgz.length !== 1 || tgz[0] !== `${String(source.name)}-${version}.tgz`)
        return [`expected ${String(source.name)}-${version}.tgz, got ${tgz.join(", ")}`];
    const files = tarGzFiles(fs.readFileSync(path.join(out, tgz[0])));
    const chartYaml = files.get(`${String(source.name)}/Chart.yaml`);
    if (!chartYaml) return ["the package has no Chart.yaml"];
    const packaged = parseYaml(chartYaml.toString("utf8")) as Json;
    const want = { ...source, version, appVersion: version };
    for (const [k, v] of Object.entries(want))
        if (packaged[k] !== v) problems.push(`packaged Chart.yaml ${k} is ${JSON.stringify(packaged[k])}, expected ${JSON.stringify(v)}`);
    for (const k of Object.keys(packaged)) if (!(k in want)) problems.push(`packaged Chart.yaml has ${k}, which the source does not`);
    const listDir = (d: string, rel = ""): string[] =>
        fs
            .readdirSync(path.join(d, rel), { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? listDir(d, path.join(rel, e.name)) : [path.join(rel, e.name)]));
    // Everything in the chart directory is packaged (.helmignore itself included; it ignores only editor files).
    const expectedFiles = listDir(chart)
        .map((f) => `${String(source.name)}/${f}`)
        .sort();
    const got = [...files.keys()].sort();
    for (const f of expectedFiles) if (!got.includes(f)) problems.push(`the package lacks ${f}`);
    for (const f of got) if (!expectedFiles.includes(f)) problems.push(`the package has ${f}, which the chart directory does not`);
    return problems;
}

/** The Helm the pipeline installs before publish-chart.sh, in the same job, and its major version. */
export function pipelineHelmProblems(doc: Doc, suiteVersion: string): string[] {
    const problems: string[] = [];
    const suiteMajor = /^v?(\d+)\./.exec(suiteVersion)?.[1];
    const publishes = stepSites(doc).filter(
        (s) => isRecord(s.step.inputs) && String(s.step.inputs.scriptPath ?? "").endsWith("publish-chart.sh"),
    );
    if (publishes.length === 0) problems.push("no step runs publish-chart.sh");
    for (const p of publishes) {
        const installer = p.siblings
            .slice(0, p.index)
            .filter((s) => s.task === "HelmInstaller@1")
            .pop();
        const version = isRecord(installer?.inputs) ? String(installer.inputs.helmVersionToInstall ?? "") : "";
        const major = /^v?(\d+)\.\d+\.\d+$/.exec(version)?.[1];
        if (!installer) problems.push(`${p.stage}/${p.job}: no HelmInstaller@1 before publish-chart.sh`);
        else if (major !== suiteMajor)
            problems.push(
                `${p.stage}/${p.job}: the pipeline installs Helm ${JSON.stringify(version)}, the suite runs ${suiteVersion} (major ${suiteMajor})`,
            );
    }
    return problems;
}

/** A one-entry zip, deflated (method 8, as the layer's) or stored (0), to test the reader on. */
function oneEntryZip(name: string, data: Buffer, method: 0 | 8): Buffer {
    const deflated = method === 8 ? zlib.deflateRawSync(data) : data;
    const n = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(zlib.crc32(data), 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(zlib.crc32(data), 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(0, 42);
    const cdOffset = 30 + n.length + deflated.length;
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(1, 8);
    eocd.writeUInt16LE(1, 10);
    eocd.writeUInt32LE(46 + n.length, 12);
    eocd.writeUInt32LE(cdOffset, 16);
    return Buffer.concat([local, n, deflated, central, n, eocd]);
}

describe("the Helm helper: zip reader and version check", () => {
    const payload = Buffer.from("#!/bin/sh\necho helm\n".repeat(50));

    for (const method of [8, 0] as const) {
        it(`reads a ${method === 8 ? "deflated" : "stored"} zip entry and checks its CRC-32 — a corrupted byte is refused`, () => {
            const zip = oneEntryZip("helm/helm", payload, method);
            const [entry] = zipEntries(bufferReader(zip), zip.length);
            assert.equal(entry.name, "helm/helm");
            assert.deepEqual(readZipEntry(bufferReader(zip), entry), payload);
            const corrupt = Buffer.from(zip);
            corrupt[30 + "helm/helm".length + 3] ^= 0xff;
            // A stored entry only the CRC can catch; a deflated one may already fail to inflate.
            assert.throws(() => readZipEntry(bufferReader(corrupt), entry), method === 0 ? /CRC-32/ : /CRC-32|invalid|incorrect/i);
        });
    }
    it("refuses what is not a zip", () => {
        assert.throws(() => zipEntries(bufferReader(payload), payload.length), /not a zip archive/);
    });

    it(`the version check accepts ${HELM_VERSION} and refuses any other Helm`, () => {
        assert.equal(helmVersionProblem(helmBinary()), undefined);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-fake-helm-"));
        try {
            const fake = path.join(dir, "helm");
            fs.writeFileSync(fake, "#!/bin/sh\necho v4.1.0\n", { mode: 0o755 });
            assert.match(helmVersionProblem(fake) ?? "", /reports "v4\.1\.0"; the suite expects helm v3\.18\.0/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

// ---- the suite ----

describe(`app/chart rendered by real Helm (${HELM_VERSION})`, function () {
    this.timeout(60000);
    const renders: Render[] = [];
    const stackReleases: SlotRelease[] = [];
    let baseline: Render;

    before(async () => {
        helmFiles = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-chart-"));
        helmBinary();
        for (const s of STATES) {
            const view = await releaseStackView(s.stack, s.state, LOGIN_SERVER);
            for (const rel of view.releases) {
                stackReleases.push(rel);
                const backend = view.backends.find((b) => b.namespace === rel.namespace);
                assert.ok(backend, `the router has a backend in ${rel.namespace}`);
                renders.push({
                    label: `${s.stack} ${rel.slot} ${rel.role} ${rel.version ?? ""} x${String(rel.values.replicaCount)} (${s.label})`,
                    release: rel.name,
                    namespace: rel.namespace,
                    kubeVersion: clusterVersion(s.stack),
                    values: rel.values,
                    backend,
                    expected: expectedObjects(rel.name, rel.values),
                });
            }
        }
        const prodGreen = renders.find((r) => r.label.startsWith("prod green live") && r.label.includes("Pulumi.prod.yaml"));
        assert.ok(prodGreen);
        baseline = prodGreen;
        const variant = (label: string, over: Json, extra?: (objs: K8sObject[]) => void): Render => {
            const values = merge(prodGreen.values, over);
            return { ...prodGreen, label: `variant: ${label}`, values, expected: expectedObjects(prodGreen.release, values), extra };
        };
        renders.push(
            variant("HPA on", { autoscaling: { enabled: true } }),
            variant("HPA on, minReplicas 1", { autoscaling: { enabled: true, minReplicas: 1 } }),
            variant("PDB disabled", { podDisruptionBudget: { enabled: false } }),
            variant("workload identity", { serviceAccount: { workloadIdentityClientId: WORKLOAD_CLIENT_ID } }, (objs) => {
                assert.equal(
                    only(objs, "ServiceAccount")[0].metadata.annotations?.["azure.workload.identity/client-id"],
                    WORKLOAD_CLIENT_ID,
                );
                const pod = (only(objs, "Deployment")[0].spec as { template: { metadata: { labels: Record<string, string> } } }).template;
                assert.equal(pod.metadata.labels["azure.workload.identity/use"], "true");
            }),
            variant("no telemetry Secret", { appInsights: { existingSecret: "" } }, (objs) => {
                const c = appContainer(objs);
                assert.ok(
                    c && !(c.env ?? []).some((e) => e.name === "APPLICATIONINSIGHTS_CONNECTION_STRING"),
                    "no connection string variable",
                );
            }),
            variant("faults injected", { fault: { errorRate: 0.05, latencyMs: 250 } }, (objs) => {
                const env = containerEnv(appContainer(objs) ?? { name: "" });
                assert.deepEqual([env.FAULT_ERROR_RATE, env.FAULT_LATENCY_MS], ["0.05", "250"]);
            }),
        );
        // Stack values are linted (once per distinct values set); every render is templated.
        const seen = new Set<string>();
        await inPool(
            renders.map((r) => async () => {
                const key = JSON.stringify([r.values, r.kubeVersion]);
                const lint = !r.label.startsWith("variant:") && !seen.has(key);
                seen.add(key);
                const [res, lintRes] = await Promise.all([
                    helmAsync(templateArgs(CHART, r)),
                    lint
                        ? helmAsync([
                              "lint",
                              "--strict",
                              CHART,
                              "--namespace",
                              r.namespace,
                              "--kube-version",
                              r.kubeVersion,
                              "-f",
                              valuesFile(r.values),
                          ])
                        : undefined,
                ]);
                r.result = res;
                r.lint = lintRes;
                if (res.code === 0) r.objects = parseRendered(res.stdout);
            }),
        );
        if (print) for (const r of renders) console.log(`      ${r.label}: ${r.objects ? objectNames(r.objects).join(", ") : "FAILED"}`);
    });
    after(() => fs.rmSync(helmFiles, { recursive: true, force: true }));

    it(`Helm is ${HELM_VERSION}, from ${HELM_PACKAGE} pinned in package.json and the lock file, cached under node_modules/.cache`, () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
        assert.equal(pkg.devDependencies[HELM_PACKAGE], "2.0.0");
        const lock = JSON.parse(fs.readFileSync(path.join(ROOT, "package-lock.json"), "utf8")) as {
            packages: Record<string, { version: string; integrity?: string }>;
        };
        const locked = lock.packages[`node_modules/${HELM_PACKAGE}`];
        assert.equal(locked.version, "2.0.0");
        assert.match(locked.integrity ?? "", /^sha512-/);
        assert.ok(helmBinary().startsWith(path.join(ROOT, "node_modules", ".cache", "phoenix-helm") + path.sep), helmBinary());
    });

    it("the stack runs cover dev and prod, blue and green, and every role (an absent slot has no release)", () => {
        for (const stack of ["dev", "prod"] as const)
            for (const slot of SLOT_NAMES) {
                assert.ok(
                    stackReleases.some((r) => r.stack === stack && r.slot === slot),
                    `${stack} ${slot}`,
                );
            }
        for (const role of SLOT_ROLES.filter((x) => x !== "absent"))
            assert.ok(
                stackReleases.some((r) => r.role === role),
                role,
            );
        assert.ok(!stackReleases.some((r) => r.role === "absent"));
        assert.equal(
            stackReleases.filter((r) => r.stack === "dev" && r.slot === "green").length,
            2,
            "dev green released twice, absent once (no release)",
        );
        for (const r of stackReleases) {
            assert.equal(r.chart, `oci://${LOGIN_SERVER}/helm/calculator`);
            assert.equal(r.version, r.values.version, "the chart version is the slot's version");
        }
    });

    describe("each slot's values from the release stack, and the variants", () => {
        // `renders` is filled by the outer before(); the tests are generated from STATES' known shape.
        it("every render succeeded", () => {
            for (const r of renders) assert.equal(r.result?.code, 0, `${r.label}: ${r.result?.stderr ?? "not run"}`);
        });
        it("helm lint --strict passes with every slot's values", () => {
            const linted = renders.filter((r) => r.lint);
            const key = (r: Render): string => JSON.stringify([r.values, r.kubeVersion]);
            for (const r of renders.filter((x) => !x.label.startsWith("variant:")))
                assert.ok(
                    linted.some((l) => key(l) === key(r)),
                    `${r.label} linted`,
                );
            for (const r of linted) assert.equal(r.lint?.code, 0, `${r.label}: ${r.lint?.stdout}${r.lint?.stderr}`);
        });
        it("each render produces exactly its objects (HPA, and the PDB only when more than one pod)", () => {
            for (const r of renders) assert.deepEqual(objectNames(r.objects ?? []), [...r.expected].sort(), r.label);
            assert.ok(renders.some((r) => r.expected.some((o) => o.startsWith("PodDisruptionBudget/"))));
            assert.ok(renders.some((r) => r.values.replicaCount === 0 && !r.expected.some((o) => o.startsWith("PodDisruptionBudget/"))));
        });
        it("every object is valid against the Kubernetes schemas, unknown fields and label syntax included", () => {
            for (const r of renders) assert.deepEqual(schemaProblems(r.objects ?? []), [], r.label);
        });
        it("the Service selects the pods, on the router's port named http; grace outlasts preStop + drain; no latest", () => {
            for (const r of renders)
                assert.deepEqual(wiringProblems(r.objects ?? [], { release: r.release, backend: r.backend }), [], r.label);
            for (const r of renders) assert.equal(r.backend.serviceName, r.release, "the router's backend is the slot's release");
        });
        it("the pods read the App Insights Secret AppSlot creates, under its key", () => {
            for (const r of renders.filter((x) => !x.label.includes("no telemetry"))) {
                const env = appContainer(r.objects ?? [])?.env?.find((e) => e.name === "APPLICATIONINSIGHTS_CONNECTION_STRING");
                assert.deepEqual(
                    env?.valueFrom?.secretKeyRef,
                    { name: appInsightsSecretName("calculator"), key: APP_INSIGHTS_SECRET_KEY },
                    r.label,
                );
            }
        });
        it("the app accepts the rendered environment, and the probes hit its real routes (readiness fails while draining)", async () => {
            for (const r of renders) assert.deepEqual(await appProbeProblems(r.objects ?? []), [], r.label);
        });
        it("variant specifics: workload identity, no telemetry Secret, faults", () => {
            const extras = renders.filter((r) => r.extra);
            assert.equal(extras.length, 3);
            for (const r of extras) r.extra?.(r.objects ?? []);
        });
        it("the image is the stack's repository and tag (the release version itself)", () => {
            const r = renders.find((x) => String(x.values.version) === "1.6.0-build.7");
            assert.ok(r);
            assert.equal(appContainer(r.objects ?? [])?.image, `${LOGIN_SERVER}/calculator:1.6.0-build.7`);
            for (const x of renders) assert.equal(imageProblem(appContainer(x.objects ?? [])?.image), undefined);
        });
    });

    it("Helm refuses slot purple, tag latest, a Kubernetes below the chart's kubeVersion and fault.errorRate above 1", async () => {
        assert.deepEqual(await rejectionProblems(CHART, baseline), []);
    });

    it("helm package with the pipeline's version gives the Chart.yaml and files publish-chart.sh pushes", async () => {
        const version = pipelineReleaseVersion(expandedPipeline(), 4711);
        assert.match(version, /^\d+\.\d+\.4711$/);
        assert.deepEqual(await packageProblems(CHART, version), []);
    });

    it(`the pipelines' chart step installs the same Helm major version as the suite (${HELM_VERSION})`, () => {
        assert.deepEqual(pipelineHelmProblems(expandedPipeline(), HELM_VERSION), []);
        const example = path.join(ROOT, ".azuredevops", "examples", "second-service.yaml");
        assert.deepEqual(pipelineHelmProblems(expandPipeline(example, loadYaml, { phoenix: ROOT }).pipeline, HELM_VERSION), [], example);
    });

    // ---- every check on a deliberately broken copy ----

    describe("each check fails on a broken copy of the chart", () => {
        interface Broken {
            check: string;
            how: string;
            edits: [file: string, from: string | RegExp, to: string][];
            run: (dir: string) => Promise<string[]>;
            expect: RegExp;
            problems?: string[];
        }
        const rendered =
            (fn: (objs: K8sObject[]) => string[] | Promise<string[]>, over: Json = {}) =>
            async (dir: string): Promise<string[]> => {
                const { objects, problems } = await render(dir, { ...baseline, values: merge(baseline.values, over) });
                return problems.length > 0 ? problems : fn(objects);
            };
        const wiring = (objs: K8sObject[]): string[] => wiringProblems(objs, { release: baseline.release, backend: baseline.backend });
        const BROKEN: Broken[] = [
            {
                check: "helm lint --strict",
                how: "the PDB on the removed policy/v1beta1 API",
                edits: [["templates/pdb.yaml", "apiVersion: policy/v1", "apiVersion: policy/v1beta1"]],
                run: (dir) => lintProblems(dir, baseline),
                expect: /policy\/v1beta1 PodDisruptionBudget is deprecated/,
            },
            {
                check: "helm template",
                how: "a Service port mis-indented",
                edits: [["templates/service.yaml", "      port: 80", "    port: 80"]],
                run: rendered(() => []),
                expect: /YAML parse error on calculator\/templates\/service\.yaml/,
            },
            {
                check: "schema: unknown field",
                how: "revisionHistoryLimt",
                edits: [["templates/deployment.yaml", "revisionHistoryLimit", "revisionHistoryLimt"]],
                run: rendered(schemaProblems),
                expect: /\/spec\/revisionHistoryLimt: unknown field/,
            },
            {
                check: "schema: types",
                how: "replicas quoted into a string",
                edits: [
                    ["templates/deployment.yaml", "replicas: {{ .Values.replicaCount }}", "replicas: {{ .Values.replicaCount | quote }}"],
                ],
                run: rendered(schemaProblems),
                expect: /\/spec\/replicas must be integer/,
            },
            {
                check: "schema: label syntax",
                how: "the version label with a space in it",
                edits: [["templates/_helpers.tpl", 'include "calculator.versionLabel" .', 'printf "%s build" .Values.version']],
                run: rendered(schemaProblems),
                expect: /is not a valid label value/,
            },
            {
                check: "Service selects the pods",
                how: "an extra selector label the pods lack",
                edits: [["templates/service.yaml", /selector:\n(\s+)/, "selector:\n$1app.kubernetes.io/component: web\n$1"]],
                run: rendered(wiring),
                expect: /the Service's selector .* does not match the pod labels/,
            },
            {
                check: "the router's Service port",
                how: "the Service on 8080",
                edits: [["templates/service.yaml", "port: 80", "port: 8080"]],
                run: rendered(wiring),
                expect: /the Service has no port 80/,
            },
            {
                check: "the port is named http",
                how: "the port named web",
                edits: [["templates/service.yaml", "- name: http", "- name: web"]],
                run: rendered(wiring),
                expect: /is named "web", not "http"/,
            },
            {
                check: "probes hit the app's real paths",
                how: "readiness on /ready",
                edits: [["templates/deployment.yaml", "path: /readyz", "path: /ready"]],
                run: rendered(appProbeProblems),
                expect: /readiness probe GET \/ready: the app answers 404/,
            },
            {
                check: "readiness fails while draining",
                how: "readiness on /healthz",
                edits: [["templates/deployment.yaml", "path: /readyz", "path: /healthz"]],
                run: rendered(appProbeProblems),
                expect: /readiness probe GET \/healthz still answers 200 while the app drains/,
            },
            {
                check: "grace outlasts preStop + drain",
                how: "grace = preStop + drain, no margin",
                edits: [
                    [
                        "templates/_helpers.tpl",
                        "(div (add .Values.shutdown.drainMs 999) 1000) .Values.shutdown.extraGraceSeconds",
                        "(div (add .Values.shutdown.drainMs 999) 1000)",
                    ],
                ],
                run: rendered(wiring),
                expect: /terminationGracePeriodSeconds 10 does not exceed preStop 5s \+ drain 5s/,
            },
            {
                check: "no latest",
                how: "the image without its tag",
                edits: [
                    [
                        "templates/deployment.yaml",
                        'image: {{ include "calculator.image" . | quote }}',
                        "image: {{ .Values.image.repository | quote }}",
                    ],
                ],
                run: rendered(wiring),
                expect: /has no tag \(it means latest\)/,
            },
            {
                check: "HPA owns the replica count",
                how: "replicas rendered with the HPA on",
                edits: [
                    [
                        "templates/deployment.yaml",
                        /\n\s*\{\{- if not \.Values\.autoscaling\.enabled \}\}(\n\s+replicas: .*)\n\s+\{\{- end \}\}/,
                        "$1",
                    ],
                ],
                run: rendered(wiring, { autoscaling: { enabled: true } }),
                expect: /sets replicas while an HPA scales it/,
            },
            {
                check: "rejection: slot purple",
                how: "no slot enum in the schema",
                edits: [["values.schema.json", '"enum": [\n        "blue",\n        "green",\n        "local"\n      ],', ""]],
                run: (dir) => rejectionProblems(dir, baseline, "slot purple"),
                expect: /^slot purple: helm accepted it$/,
            },
            {
                check: "rejection: tag latest",
                how: "neither the schema's `not latest` nor the template's guard",
                edits: [
                    ["values.schema.json", /"not": \{\s*"enum": \[\s*"latest"\s*\]\s*\},/, ""],
                    ["templates/_helpers.tpl", /\{\{- if eq \$tag "latest" -\}\}.*\n/, ""],
                ],
                run: (dir) => rejectionProblems(dir, baseline, "image tag latest"),
                expect: /^image tag latest: helm accepted it$/,
            },
            {
                check: "rejection: kubeVersion",
                how: "no kubeVersion in Chart.yaml",
                edits: [["Chart.yaml", /kubeVersion: .*\n/, ""]],
                run: (dir) => rejectionProblems(dir, baseline, "Kubernetes"),
                expect: /^Kubernetes 1\.26\.0, below the chart's kubeVersion: helm accepted it$/,
            },
            {
                check: "rejection: fault.errorRate",
                how: "no maximum on errorRate",
                edits: [["values.schema.json", /("errorRate": \{\s*"type": "number",\s*"minimum": 0,)\s*"maximum": 1,/, "$1"]],
                run: (dir) => rejectionProblems(dir, baseline, "fault.errorRate"),
                expect: /^fault\.errorRate 1\.5: helm accepted it$/,
            },
            {
                check: "helm package",
                how: "a .helmignore that drops values.schema.json",
                edits: [[".helmignore", /$/, "\nvalues.schema.json\n"]],
                run: (dir) => packageProblems(dir, "1.0.4711"),
                expect: /the package lacks calculator\/values\.schema\.json/,
            },
        ];

        before(async () => {
            await inPool(
                BROKEN.map((b) => async () => {
                    const dir = fs.mkdtempSync(path.join(helmFiles, "broken-"));
                    const chartDir = path.join(dir, "calculator");
                    fs.cpSync(CHART, chartDir, { recursive: true });
                    for (const [file, from, to] of b.edits) {
                        const f = path.join(chartDir, file);
                        const text = fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
                        const edited = text.replace(from, to);
                        if (edited === text) throw new Error(`${b.check}: the edit of ${file} changed nothing (${String(from)})`);
                        fs.writeFileSync(f, edited);
                    }
                    b.problems = await b.run(chartDir);
                }),
            );
        });

        for (const b of BROKEN) {
            it(`${b.check} — broken by ${b.how}`, () => {
                assert.ok(b.problems, "ran");
                assert.ok(
                    b.problems.some((p) => b.expect.test(p)),
                    `expected a problem matching ${b.expect}, got ${JSON.stringify(b.problems)}`,
                );
            });
        }

        it("the pipeline's Helm check — broken by a Helm 4 installer", () => {
            const doc = expandedPipeline();
            const site = stepSites(doc).find((s) => s.step.task === "HelmInstaller@1");
            assert.ok(site && isRecord(site.step.inputs));
            site.step.inputs.helmVersionToInstall = "4.1.0";
            assert.match(pipelineHelmProblems(doc, HELM_VERSION).join("\n"), /installs Helm "4\.1\.0", the suite runs v3\.18\.0/);
        });
    });
});
