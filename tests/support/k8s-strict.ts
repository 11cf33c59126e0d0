/**
 * Kubernetes objects checked against the Kubernetes schemas (kubernetes-models), with the strictness
 * that library lacks. Its validators come from the OpenAPI spec, which never says
 * `additionalProperties: false`, so a misspelt field such as `revisionHistoryLimt` passes, and it
 * leaves label and annotation syntax to the API server. Added here:
 *
 * - unknown fields: every field of the object is probed with a value no Kubernetes type accepts (a
 *   BigInt). The library's validator reports an error at exactly that path for every field it knows
 *   (map entries such as labels included) and never looks at a field it does not know, so a field
 *   without an error there is unknown to the API. The probe is the validator's own knowledge: no second
 *   copy of the schemas to drift from it.
 * - label keys and values, annotation keys, and object names with the API server's syntax rules.
 */
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";

type Json = Record<string, unknown>;
interface Validatable {
    validate(): void;
}
// The model constructors take their own typed data; the objects here are untyped rendered YAML.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- constructor signatures differ per kind
type ModelClass = new (data: any) => Validatable;

const MODELS: Record<string, ModelClass> = {
    "apps/v1 Deployment": Deployment,
    "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
    "networking.k8s.io/v1 Ingress": Ingress,
    "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
    "v1 ConfigMap": ConfigMap,
    "v1 Namespace": Namespace,
    "v1 Secret": Secret,
    "v1 Service": Service,
    "v1 ServiceAccount": ServiceAccount,
};

/** The kinds this module has a schema for (`apiVersion kind`). */
export const KNOWN_KINDS = Object.keys(MODELS);

interface SchemaError {
    instancePath: string;
    message?: string;
}

function isObject(v: unknown): v is Json {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** JSON pointer segment, as ajv writes instancePath. */
function pointer(key: string): string {
    return `/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

function schemaErrors(model: ModelClass, data: Json): SchemaError[] {
    try {
        new model(data).validate();
        return [];
    } catch (e) {
        const errors = (e as { errors?: SchemaError[] }).errors;
        if (!Array.isArray(errors)) throw e;
        return errors;
    }
}

/**
 * Fields of `obj` that the schema does not know, as JSON pointers. Assumes `obj` is otherwise valid.
 * One validation per depth: every field at that depth is probed at once (the validators report all
 * errors, not the first), and only known fields are descended into.
 */
function unknownFields(model: ModelClass, obj: Json): string[] {
    const unknown: string[] = [];
    interface Site {
        parent: Json;
        key: string;
        at: string;
    }
    const children = (node: unknown, at: string): Site[] => {
        if (Array.isArray(node)) return node.flatMap((item, i) => children(item, `${at}/${i}`));
        if (!isObject(node)) return [];
        return Object.keys(node).map((key) => ({ parent: node, key, at: `${at}${pointer(key)}` }));
    };
    const root = structuredClone(obj);
    let level = children(root, "");
    while (level.length > 0) {
        const saved = level.map((s) => s.parent[s.key]);
        for (const s of level) s.parent[s.key] = BigInt(1);
        const flagged = new Set(schemaErrors(model, root).map((e) => e.instancePath));
        level.forEach((s, i) => {
            s.parent[s.key] = saved[i];
        });
        const next: Site[] = [];
        level.forEach((s, i) => {
            if (flagged.has(s.at)) next.push(...children(saved[i], s.at));
            else unknown.push(s.at);
        });
        level = next;
    }
    return unknown;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A label or annotation key: an optional DNS-subdomain prefix and a name of at most 63 characters. */
function keyProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "has more than one '/'";
    const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
    if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)))
        return `prefix ${JSON.stringify(prefix)} is not a DNS subdomain`;
    if (name.length > 63 || !QUALIFIED_NAME.test(name)) return `name ${JSON.stringify(name)} is not a qualified name`;
    return undefined;
}

/** Label and annotation syntax in every `metadata` of the object (pod templates included). */
function metadataProblems(obj: Json): string[] {
    const problems: string[] = [];
    const walk = (node: unknown, at: string): void => {
        if (Array.isArray(node)) return node.forEach((x, i) => walk(x, `${at}/${i}`));
        if (!isObject(node)) return;
        for (const [k, v] of Object.entries(node)) {
            if (k === "metadata" && isObject(v)) {
                for (const [lk, lv] of Object.entries(isObject(v.labels) ? v.labels : {})) {
                    const kp = keyProblem(lk);
                    if (kp) problems.push(`${at}/metadata/labels: key ${JSON.stringify(lk)} ${kp}`);
                    if (typeof lv !== "string" || lv.length > 63 || !LABEL_VALUE.test(lv))
                        problems.push(`${at}/metadata/labels/${lk}: ${JSON.stringify(lv)} is not a valid label value`);
                }
                for (const ak of Object.keys(isObject(v.annotations) ? v.annotations : {})) {
                    const kp = keyProblem(ak);
                    if (kp) problems.push(`${at}/metadata/annotations: key ${JSON.stringify(ak)} ${kp}`);
                }
            }
            if (k === "matchLabels" && isObject(v)) {
                for (const [lk, lv] of Object.entries(v)) {
                    if (keyProblem(lk) || typeof lv !== "string" || !LABEL_VALUE.test(lv) || lv.length > 63)
                        problems.push(`${at}/matchLabels/${lk}: invalid selector label ${JSON.stringify(lv)}`);
                }
            }
            walk(v, `${at}${pointer(k)}`);
        }
    };
    walk(obj, "");
    const meta = isObject(obj.metadata) ? obj.metadata : {};
    const name = meta.name;
    if (typeof name !== "string" || name.length > 253 || !DNS_SUBDOMAIN.test(name))
        problems.push(`/metadata/name: ${JSON.stringify(name)} is not a DNS subdomain name`);
    // Services, and the release-named objects of the chart, must be DNS labels (≤ 63).
    if (obj.kind === "Service" && typeof name === "string" && name.length > 63)
        problems.push(`/metadata/name: Service name ${JSON.stringify(name)} is longer than 63 characters`);
    return problems;
}

/**
 * Every problem the API server would raise from the schema alone: types, required fields, enums,
 * unknown fields and metadata syntax. Empty means valid. A kind without a schema here is a problem.
 */
export function strictSchemaProblems(obj: unknown): string[] {
    if (!isObject(obj)) return ["not an object"];
    const id = `${String(obj.apiVersion)} ${String(obj.kind)}`;
    const model = MODELS[id];
    if (!model) return [`no Kubernetes schema here for ${id} (known: ${KNOWN_KINDS.join(", ")})`];
    const errors = schemaErrors(model, obj);
    if (errors.length > 0) return errors.map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`);
    return [...unknownFields(model, obj).map((p) => `${p}: unknown field (the ${id} schema has no such field)`), ...metadataProblems(obj)];
}
