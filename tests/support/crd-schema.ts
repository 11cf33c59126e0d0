/**
 * Reduces a CustomResourceDefinition's OpenAPI schema to what an offline check needs, strict:
 * structure, types, enums, patterns, bounds and required fields, with every object that declares
 * properties closed (`additionalProperties: false`) — the API server prunes (or, with
 * `kubectl --validate=strict` / server-side field validation, refuses) fields a CRD does not declare,
 * so a field of another channel or a later bundle is an error here. Doc strings, CEL rules
 * (`x-kubernetes-validations`, evaluated by crd-cel.ts from its own fixture), formats, defaults and
 * `status` are dropped.
 *
 * Used once to write tests/fixtures/gateway-api-crd-schemas.json from the standard-channel CRDs of
 * kubernetes-sigs/gateway-api (`config/crd/standard/gateway.networking.k8s.io_<plural>.yaml` at the
 * bundle's tag); run it again to add a bundle:
 *   node -r ts-node/register/transpile-only tests/support/crd-schema.ts <bundle> <crd.yaml>... > <file>
 */
import * as fs from "fs";
import { parseAllDocuments } from "yaml";

export type JsonSchema = { [key: string]: unknown };

const KEEP = new Set([
    "type",
    "enum",
    "pattern",
    "maxLength",
    "minLength",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxItems",
    "minItems",
    "maxProperties",
    "minProperties",
    "required",
    "items",
    "properties",
    "additionalProperties",
    "anyOf",
    "oneOf",
    "allOf",
]);

export function reduceSchema(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(reduceSchema);
    if (!node || typeof node !== "object") return node;
    const src = node as JsonSchema;
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(src)) {
        if (!KEEP.has(k)) continue;
        if (k === "properties") out[k] = Object.fromEntries(Object.entries(v as JsonSchema).map(([name, p]) => [name, reduceSchema(p)]));
        else if (k === "items" || k === "additionalProperties") out[k] = typeof v === "object" ? reduceSchema(v) : v;
        else if (k === "anyOf" || k === "oneOf" || k === "allOf") out[k] = (v as unknown[]).map(reduceSchema);
        else out[k] = v;
    }
    if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
    return out;
}

/** `{ "<kind>/<version>": schema }` for each served version of each CRD document (spec only, plus apiVersion/kind/metadata). */
export function reduceCrd(crdYaml: string): Record<string, JsonSchema> {
    const out: Record<string, JsonSchema> = {};
    for (const doc of parseAllDocuments(crdYaml)) {
        const crd = doc.toJS() as {
            kind?: string;
            spec?: { names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: JsonSchema } }[] };
        } | null;
        if (!crd || crd.kind !== "CustomResourceDefinition" || !crd.spec) continue;
        for (const v of crd.spec.versions.filter((x) => x.served)) {
            const root = v.schema.openAPIV3Schema as { properties: Record<string, unknown>; required?: string[] };
            out[`${crd.spec.names.kind}/${v.name}`] = {
                type: "object",
                required: (root.required ?? []).filter((r) => r !== "status"),
                properties: {
                    apiVersion: { type: "string" },
                    kind: { type: "string" },
                    metadata: { type: "object" },
                    spec: reduceSchema(root.properties.spec),
                },
                additionalProperties: false,
            };
        }
    }
    return out;
}

if (require.main === module) {
    const [bundle, ...files] = process.argv.slice(2);
    const schemas = Object.assign({}, ...files.map((f) => reduceCrd(fs.readFileSync(f, "utf8")))) as Record<string, JsonSchema>;
    process.stdout.write(JSON.stringify({ [bundle]: schemas }) + "\n");
}
