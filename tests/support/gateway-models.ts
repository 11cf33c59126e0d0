/**
 * Offline validation of Gateway API objects with `@kubernetes-models/gateway-api` 0.5.1 (the JSON
 * schemas of the Gateway API v1.0.0 standard + experimental CRDs), plus what those schemas let
 * through: fields the CRD does not know (the schemas allow extra properties, so a typo such as
 * `infrastucture` would validate). CEL rules are separate (gateway-api-cel.ts, from the pinned CRDs).
 * Known gap: the package's generator dropped properties literally named `description` (it strips doc
 * strings), e.g. GatewayClass `spec.description`; Phoenix sets none, so the check reports them.
 */
import * as fs from "fs";
import { Gateway } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway";
import { GatewayClass } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GatewayClass";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { ReferenceGrant } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant";

interface Validatable {
    validate(): void;
}
type ModelClass = new (data: never) => Validatable;

/** `apiVersion/kind` → model class and the module whose schema it registers. */
const MODELS: Record<string, { model: ModelClass; module: string }> = {
    "gateway.networking.k8s.io/v1/Gateway": { model: Gateway as unknown as ModelClass, module: "gateway.networking.k8s.io/v1/Gateway" },
    "gateway.networking.k8s.io/v1/GatewayClass": {
        model: GatewayClass as unknown as ModelClass,
        module: "gateway.networking.k8s.io/v1/GatewayClass",
    },
    "gateway.networking.k8s.io/v1/HTTPRoute": {
        model: HTTPRoute as unknown as ModelClass,
        module: "gateway.networking.k8s.io/v1/HTTPRoute",
    },
    "gateway.networking.k8s.io/v1beta1/ReferenceGrant": {
        model: ReferenceGrant as unknown as ModelClass,
        module: "gateway.networking.k8s.io/v1beta1/ReferenceGrant",
    },
};

export function isGatewayApiType(apiVersion: string, kind: string): boolean {
    return `${apiVersion}/${kind}` in MODELS;
}

interface SchemaNode {
    properties?: Record<string, SchemaNode>;
    additionalProperties?: SchemaNode | boolean;
    items?: SchemaNode;
    oneOf?: SchemaNode[];
    $ref?: string;
}

const schemaCache = new Map<string, SchemaNode>();

/**
 * The JSON schema a model module registers. The package keeps it module-private (`const schema =
 * {…};`), so it is read from the module's text: a JSON-compatible object literal.
 */
function schemaOf(module: string): SchemaNode {
    const cached = schemaCache.get(module);
    if (cached) return cached;
    const text = fs.readFileSync(require.resolve(`@kubernetes-models/gateway-api/${module}`), "utf8");
    const m = /\nconst schema = (\{[\s\S]*?\n\});\n/.exec(text);
    if (!m) throw new Error(`no schema literal in ${module}`);
    const schema = JSON.parse(m[1]) as SchemaNode;
    schemaCache.set(module, schema);
    return schema;
}

/** Paths of fields the schema does not declare (maps with additionalProperties are free). */
export function unknownFields(schema: SchemaNode | undefined, value: unknown, path = ""): string[] {
    if (!schema || value === null || typeof value !== "object") return [];
    if (schema.oneOf) {
        // metadata is `oneOf: [$ref ObjectMeta, null]`: the model validates it itself.
        if (schema.oneOf.some((b) => b.$ref !== undefined)) return [];
        const options = schema.oneOf.map((b) => unknownFields(b, value, path));
        return options.reduce((best, o) => (o.length < best.length ? o : best));
    }
    if (Array.isArray(value)) return schema.items ? value.flatMap((v, i) => unknownFields(schema.items, v, `${path}[${i}]`)) : [];
    if (!schema.properties) return [];
    const out: string[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const here = path ? `${path}.${k}` : k;
        const prop = schema.properties[k];
        if (prop) out.push(...unknownFields(prop, v, here));
        else if (schema.additionalProperties && typeof schema.additionalProperties === "object")
            out.push(...unknownFields(schema.additionalProperties, v, here));
        else if (schema.additionalProperties !== true) out.push(here);
    }
    return out;
}

/**
 * Problems of one Gateway API object: the model's schema validation (types, enums, patterns,
 * required fields, bounds) and fields unknown to the CRD. Empty when valid.
 */
export function gatewayApiProblems(obj: { apiVersion: string; kind: string } & Record<string, unknown>): string[] {
    const entry = MODELS[`${obj.apiVersion}/${obj.kind}`];
    if (!entry) return [`no Gateway API model for ${obj.apiVersion} ${obj.kind}`];
    const problems: string[] = [];
    try {
        new entry.model(obj as never).validate();
    } catch (e) {
        problems.push((e as Error).message);
    }
    for (const f of unknownFields(schemaOf(entry.module), obj)) problems.push(`${f}: not a field of ${obj.kind}`);
    return problems;
}
