/**
 * app/chart without Helm: values against values.schema.json (ajv, draft-07), a scan that ties every
 * `.Values` path in the templates to values.yaml/the schema and every value to a template, and the
 * structural rules of the issue checked in the template text.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import * as YAML from "yaml";
import { LIMITS, SEMVER_RE, SLOTS } from "../app/src/config";

const CHART = path.join(__dirname, "..", "app", "chart");
type Json = Record<string, unknown>;
type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; [k: string]: unknown };

const schema = JSON.parse(fs.readFileSync(path.join(CHART, "values.schema.json"), "utf8")) as Schema;
const defaults = YAML.parse(fs.readFileSync(path.join(CHART, "values.yaml"), "utf8")) as Json;
const templateFiles = fs.readdirSync(path.join(CHART, "templates")).map((f) => path.join(CHART, "templates", f));
const templates = Object.fromEntries(templateFiles.map((f) => [path.basename(f), fs.readFileSync(f, "utf8")]));

const REQUIRED_AT_INSTALL = { image: { repository: "phoenixacr.azurecr.io/calculator", tag: "1.4.2" }, version: "1.4.2", slot: "green" };

function isObject(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
/** Helm's merge of user values over values.yaml (maps merge deeply, everything else replaces). */
function merge(base: Json, over: Json): Json {
    const out: Json = { ...base };
    for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? merge(out[k] as Json, v) : v;
    return out;
}
function withoutPath(values: Json, dotted: string): Json {
    const copy = structuredClone(values);
    const keys = dotted.split(".");
    let node: Json = copy;
    for (const k of keys.slice(0, -1)) node = node[k] as Json;
    delete node[keys[keys.length - 1]];
    return copy;
}

// ---- the scan (pure, exported to the tests below, including on counter-examples) ----

/** Every `.Values.a.b` path referenced in template text. */
export function valuesPathsIn(text: string): Set<string> {
    const out = new Set<string>();
    for (const m of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) out.add(m[1].slice(1));
    return out;
}
/** Leaf paths of a values object (maps are walked; lists and scalars are leaves). */
export function leafPaths(values: Json, prefix = ""): string[] {
    return Object.entries(values).flatMap(([k, v]) =>
        isObject(v) && Object.keys(v).length > 0 ? leafPaths(v, `${prefix}${k}.`) : [`${prefix}${k}`],
    );
}
/** Every property path the schema declares. */
export function schemaPaths(s: Schema, prefix = ""): string[] {
    return Object.entries(s.properties ?? {}).flatMap(([k, sub]) => [`${prefix}${k}`, ...schemaPaths(sub, `${prefix}${k}.`)]);
}
/** Problems: template paths nobody declares, and values no template uses. */
export function scanChart(templateTexts: string[], values: Json, valuesSchema: Schema): string[] {
    const used = new Set(templateTexts.flatMap((t) => [...valuesPathsIn(t)]));
    const declared = new Set([...leafPaths(values), ...schemaPaths(valuesSchema)]);
    const declaredPrefixes = new Set([...declared].flatMap((p) => p.split(".").map((_, i, a) => a.slice(0, i + 1).join("."))));
    const problems: string[] = [];
    for (const p of used)
        if (!declaredPrefixes.has(p)) problems.push(`template uses .Values.${p}, which neither values.yaml nor the schema declares`);
    for (const leaf of leafPaths(values)) {
        const isUsed = [...used].some((u) => u === leaf || leaf.startsWith(`${u}.`));
        if (!isUsed) problems.push(`values.yaml sets ${leaf}, which no template uses`);
    }
    return problems;
}

describe("app: chart values against values.schema.json", () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    const validate = ajv.compile(schema);
    const check = (values: Json): string[] =>
        validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

    it("is draft-07", () => assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#"));

    it("values.yaml plus the install's required values validates", () => {
        assert.deepEqual(check(merge(defaults, REQUIRED_AT_INSTALL)), []);
        for (const slot of SLOTS) assert.deepEqual(check(merge(defaults, { ...REQUIRED_AT_INSTALL, slot })), [], slot);
        const full = merge(defaults, {
            ...REQUIRED_AT_INSTALL,
            replicaCount: 0,
            appInsights: { existingSecret: "appinsights", secretKey: "connection-string" },
            serviceAccount: { workloadIdentityClientId: "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9" },
            autoscaling: { enabled: true },
            fault: { errorRate: 0.05, latencyMs: 250 },
            resources: { requests: { cpu: 0.25, memory: "64Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        });
        assert.deepEqual(check(full), []);
    });

    for (const missing of ["image.repository", "image.tag", "version", "slot"]) {
        it(`without ${missing} it is rejected (required, no default)`, () => {
            const values = withoutPath(merge(defaults, REQUIRED_AT_INSTALL), missing);
            const errors = check(values);
            assert.ok(
                errors.some((e) => e.includes(`must have required property '${missing.split(".").pop()}'`)),
                errors.join("; "),
            );
        });
    }
    it("values.yaml alone sets none of the required values", () => {
        const errors = check(defaults);
        for (const p of ["repository", "tag", "version", "slot"])
            assert.ok(
                errors.some((e) => e.includes(`'${p}'`)),
                p,
            );
    });

    const bad: Array<[string, Json]> = [
        ["negative replicas", { replicaCount: -1 }],
        ["fractional replicas", { replicaCount: 1.5 }],
        ["the latest tag", { image: { tag: "latest" } }],
        ["an empty tag", { image: { tag: "" } }],
        ["a tag inside the repository", { image: { repository: "phoenixacr.azurecr.io/calculator:latest" } }],
        ["an unknown pull policy", { image: { pullPolicy: "Sometimes" } }],
        ["an unknown slot", { slot: "red" }],
        ["a version that is not semver", { version: "1.4" }],
        ["a numeric version", { version: 1 }],
        ["an app name that is not a DNS label", { appName: "Calc_App" }],
        ["an error rate above 1", { fault: { errorRate: 1.5 } }],
        ["a negative error rate", { fault: { errorRate: -0.1 } }],
        ["latency above the app's limit", { fault: { latencyMs: LIMITS.faultLatencyMsMax + 1 } }],
        ["a drain above the app's limit", { shutdown: { drainMs: LIMITS.shutdownDrainMsMax + 1 } }],
        ["a negative drain", { shutdown: { drainMs: -1 } }],
        ["an inline connection string", { appInsights: { connectionString: "InstrumentationKey=x" } }],
        ["a secret name that is not a DNS name", { appInsights: { existingSecret: "My Secret" } }],
        ["a workload identity client id that is not a GUID", { serviceAccount: { workloadIdentityClientId: "my-identity" } }],
        ["a memory quantity without unit", { resources: { limits: { memory: "256" } } }],
        ["a CPU quantity with a bad unit", { resources: { requests: { cpu: "100x" } } }],
        ["an unknown topology key", { topologySpread: { topologyKey: "rack" } }],
        ["a zero probe period", { probes: { readiness: { periodSeconds: 0 } } }],
        ["a PDB minAvailable of 0", { podDisruptionBudget: { minAvailable: 0 } }],
        ["an unknown top-level value (typo)", { replicas: 3 }],
        ["an unknown nested value", { fault: { errorRatio: 0.1 } }],
    ];
    for (const [name, override] of bad) {
        it(`rejects ${name}`, () => {
            assert.notDeepEqual(check(merge(merge(defaults, REQUIRED_AT_INSTALL), override)), [], JSON.stringify(override));
        });
    }

    it("types and bounds every value, and matches the app's own limits", () => {
        const unbounded: string[] = [];
        const walk = (s: Schema, at: string): void => {
            if (s.properties) {
                if (s.additionalProperties !== false && at !== "global") unbounded.push(`${at}: open object`);
                for (const [k, sub] of Object.entries(s.properties)) if (k !== "global") walk(sub, at ? `${at}.${k}` : k);
                return;
            }
            const variants = (s.oneOf as Schema[] | undefined) ?? [s];
            for (const v of variants) {
                if (v.type === undefined) unbounded.push(`${at}: untyped`);
                if (
                    (v.type === "integer" || v.type === "number") &&
                    (v.maximum === undefined || (v.minimum === undefined && v.exclusiveMinimum === undefined))
                ) {
                    unbounded.push(`${at}: number without both bounds`);
                }
                if (v.type === "string" && v.enum === undefined && v.pattern === undefined)
                    unbounded.push(`${at}: string without enum or pattern`);
            }
        };
        walk(schema, "");
        assert.deepEqual(unbounded, []);
        const p = schema.properties as Record<string, Schema>;
        assert.deepEqual(p.slot.enum, [...SLOTS]);
        // The app's semver rule without build metadata: the version is also the image tag, which cannot hold "+" (tests/release-version.spec.ts).
        const buildMetadata = "(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?";
        assert.ok(SEMVER_RE.source.includes(buildMetadata));
        assert.equal(p.version.pattern, SEMVER_RE.source.replace(buildMetadata, ""));
        const nested = (a: string, b: string) => (p[a].properties as Record<string, Schema>)[b];
        assert.equal(nested("fault", "latencyMs").maximum, LIMITS.faultLatencyMsMax);
        assert.equal(nested("shutdown", "drainMs").maximum, LIMITS.shutdownDrainMsMax);
        assert.equal(nested("fault", "errorRate").maximum, 1);
    });
});

describe("app: chart templates", () => {
    it("every .Values path in a template is declared, and every value in values.yaml is used", () => {
        assert.deepEqual(scanChart(Object.values(templates), defaults, schema), []);
        // Paths only the schema declares (the required ones) are used too.
        const used = new Set(Object.values(templates).flatMap((t) => [...valuesPathsIn(t)]));
        for (const p of ["image.repository", "image.tag", "version", "slot"]) assert.ok(used.has(p), p);
    });

    it("the scan reports an undeclared path and an unused value", () => {
        const problems = scanChart(
            ["{{ .Values.image.tag }} {{ .Values.fault.errorRatio }}"],
            { image: { tag: "x" }, unused: { deep: 1 } },
            { properties: {} },
        );
        assert.deepEqual(problems, [
            "template uses .Values.fault.errorRatio, which neither values.yaml nor the schema declares",
            "values.yaml sets unused.deep, which no template uses",
        ]);
        assert.deepEqual(leafPaths({ a: { b: 1, c: { d: [1] } }, e: {} }), ["a.b", "a.c.d", "e"]);
    });

    it("Chart.yaml is apiVersion v2 and has no Ingress anywhere", () => {
        const chart = YAML.parse(fs.readFileSync(path.join(CHART, "Chart.yaml"), "utf8")) as Json;
        assert.equal(chart.apiVersion, "v2");
        assert.equal(chart.name, "calculator");
        for (const [file, text] of Object.entries(templates)) assert.doesNotMatch(text, /kind:\s*Ingress/, file);
    });

    it("the Deployment: zero-unavailable rollout, probes, preStop, grace beyond the drain, hardened pod, env from values", () => {
        const d = templates["deployment.yaml"];
        for (const needle of [
            /maxUnavailable: 0\b/,
            /readinessProbe:\s+httpGet:\s+path: \/readyz\s+port: http/,
            /livenessProbe:\s+httpGet:\s+path: \/healthz\s+port: http/,
            /startupProbe:\s+httpGet:/,
            /preStop:\s+exec:\s+command: \["sleep", \{\{ \.Values\.shutdown\.preStopSleepSeconds \| quote \}\}\]/,
            /terminationGracePeriodSeconds: \{\{ include "calculator\.terminationGracePeriodSeconds" \. \}\}/,
            /runAsNonRoot: true/,
            /readOnlyRootFilesystem: true/,
            /allowPrivilegeEscalation: false/,
            /drop: \["ALL"\]/,
            /topologySpreadConstraints:/,
            /containerPort: 8080/,
            /- name: APP_VERSION\s+value: \{\{ \$version \| quote \}\}/,
            /- name: APP_SLOT\s+value: \{\{ \$slot \| quote \}\}/,
            /- name: APPLICATIONINSIGHTS_CONNECTION_STRING\s+valueFrom:\s+secretKeyRef:\s+name: \{\{ \.Values\.appInsights\.existingSecret \}\}\s+key: \{\{ \.Values\.appInsights\.secretKey \}\}/,
        ]) {
            assert.match(d, needle);
        }
        for (const env of ["PORT", "APP_NAME", "FAULT_ERROR_RATE", "FAULT_LATENCY_MS", "SHUTDOWN_DRAIN_MS"])
            assert.match(d, new RegExp(`- name: ${env}\\b`));
        // The grace period adds the preStop sleep, the drain rounded up to seconds, and an extra ≥ 1 s.
        assert.match(
            templates["_helpers.tpl"],
            /add \.Values\.shutdown\.preStopSleepSeconds \(div \(add \.Values\.shutdown\.drainMs 999\) 1000\) \.Values\.shutdown\.extraGraceSeconds/,
        );
        const shutdown = (schema.properties as Record<string, Schema>).shutdown.properties as Record<string, Schema>;
        assert.ok((shutdown.extraGraceSeconds.minimum as number) >= 1);
        // The image tag is required and `latest` refused in the template too (Helm without the schema).
        assert.match(templates["_helpers.tpl"], /required "image\.tag is required/);
        assert.match(templates["_helpers.tpl"], /eq \$tag "latest"/);
    });

    it("the Service is the release name, ClusterIP, port 80 to the http port; PDB only above one pod; HPA optional", () => {
        const s = templates["service.yaml"];
        assert.match(s, /name: \{\{ \.Release\.Name \}\}/);
        assert.match(s, /type: ClusterIP/);
        assert.match(s, /port: 80\s+targetPort: http/);
        assert.match(
            templates["pdb.yaml"],
            /^\{\{- if and \.Values\.podDisruptionBudget\.enabled \(gt \(int \(include "calculator\.minPods" \.\)\) 1\) \}\}/,
        );
        assert.match(templates["hpa.yaml"], /^\{\{- if \.Values\.autoscaling\.enabled \}\}/);
        assert.match(
            templates["serviceaccount.yaml"],
            /azure\.workload\.identity\/client-id: \{\{ \.Values\.serviceAccount\.workloadIdentityClientId \| quote \}\}/,
        );
    });
});

describe("app: image (Dockerfile, reviewed statically: no Docker engine here)", () => {
    const APP = path.join(__dirname, "..", "app");
    const dockerfile = fs.readFileSync(path.join(APP, "Dockerfile"), "utf8");
    const ignore = fs
        .readFileSync(path.join(__dirname, "..", ".dockerignore"), "utf8")
        .split("\n")
        .map((l) => l.trim());

    it("is multi-stage on a pinned Node 22 base, production dependencies only, non-root, runs dist/main.js", () => {
        const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? "";
        assert.match(base, /^node:22\.\d+\.\d+-[a-z]+-slim$/, "pinned Node 22 patch version");
        assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 3, "build, deps and runtime stages");
        assert.match(dockerfile, /npm ci --omit=dev --workspace app --include-workspace-root=false/);
        assert.match(dockerfile, /^USER 1000:1000$/m);
        assert.match(dockerfile, /^CMD \["node", "dist\/main\.js"\]$/m);
        // The runtime stage is the last FROM and copies the compiled output, not the sources.
        const runtime = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));
        assert.doesNotMatch(runtime, /app\/src/);
        assert.match(runtime, /--from=build .*\/src\/app\/dist \.\/dist/);
    });

    it(".dockerignore allow-lists the context: no node_modules, dist or secrets-bearing files", () => {
        assert.equal(
            ignore.find((l) => l && !l.startsWith("#")),
            "*",
            "deny everything first",
        );
        for (const needed of ["!package-lock.json", "!app/src/**", "!app/public/**", "!app/package.json"])
            assert.ok(ignore.includes(needed), needed);
        assert.ok(ignore.includes("**/node_modules"));
        assert.ok(!ignore.some((l) => /Pulumi\..*yaml|\.env/.test(l) && l.startsWith("!")));
    });
});
