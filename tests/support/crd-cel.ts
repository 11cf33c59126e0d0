/**
 * The CEL rules of a CustomResourceDefinition (`x-kubernetes-validations`), evaluated as the API server
 * evaluates them, with the CEL evaluator `@bufbuild/cel` (checked against the cel-spec conformance
 * suite; its `matches` runs RE2 syntax, as cel-go does) and its `strings` extension (Kubernetes
 * enables it for CRD rules: `split` comes from it).
 *
 * What the Gateway API CRDs' rules call (both pinned bundles, checked by tests/gateway-crd-cel.spec.ts:
 * every rule compiles): the macros `has`, `all`, `exists`, `exists_one`, `filter`; `size`, `in`,
 * `startsWith`, `endsWith`, `contains`, `matches`, `duration`; `split` (strings extension). The
 * evaluator has all of them, so no CEL function is written by hand here. Kubernetes' own CEL libraries
 * (`isURL`/`url()`, `quantity()`, `ip()`/`cidr()`, `format`, the `lists` and `regex` extensions) are
 * not registered: none of these rules calls them, and a rule that did would fail to compile here,
 * naming the function, instead of passing unchecked.
 *
 * What is hand code is the API server's part around CEL, not CEL:
 *  - defaults (`default`) are applied before the rules run, as the API server applies them on write;
 *  - `self` is the value at the rule's schema node; a rule runs only where its value is present, once per
 *    list item or map value under `items`/`additionalProperties`;
 *  - property names that are CEL keywords or hold `.`, `-`, `/`, `__` are escaped (`namespace` →
 *    `__namespace__`), map keys are not (Kubernetes' escaping rules);
 *  - `integer` fields are CEL ints (bigint here), `number` fields doubles;
 *  - transition rules (those naming `oldSelf`) run only with an old object, on an update, where the old
 *    value at the same path exists (properties and map keys correlate; list items do not, as for
 *    Kubernetes' atomic and set lists).
 *
 * `reduceCrdForCel` keeps of a CRD what that needs (types, properties, items, additionalProperties,
 * defaults, the rules), writing tests/fixtures/gateway-api-crd-cel.json:
 *   node -r ts-node/register/transpile-only tests/support/crd-cel.ts <bundle> <crd.yaml>... > <file>
 * (the CRDs: kubernetes-sigs/gateway-api `config/crd/standard/gateway.networking.k8s.io_<plural>.yaml` at the bundle's tag).
 */
import * as fs from "fs";
import { parseAllDocuments } from "yaml";
import { celEnv, isCelError, parse, plan, type CelInput } from "@bufbuild/cel";
import { strings } from "@bufbuild/cel/ext";

export interface CelRule {
    rule: string;
    message?: string;
    messageExpression?: string;
    reason?: string;
    fieldPath?: string;
}

/** A CRD schema node reduced to what CEL evaluation needs. */
export interface CelSchema {
    type?: string;
    properties?: Record<string, CelSchema>;
    items?: CelSchema;
    additionalProperties?: CelSchema;
    default?: unknown;
    "x-kubernetes-validations"?: CelRule[];
}

/** One rule that returned false (or failed to evaluate) at one place of an object. */
export interface CelViolation {
    /** Where `self` was, e.g. `spec.rules[0].backendRefs[1]`. */
    path: string;
    /** The rule's message (the rule itself when it has none), as the API server reports it. */
    message: string;
    rule: string;
    /** Set when the rule could not be evaluated (the API server refuses the object then too). */
    error?: string;
}

type JsonObject = { [key: string]: unknown };
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Reducing a CRD
// ---------------------------------------------------------------------------------------------

/** The node with only what CEL needs; undefined when neither it nor anything under it has a rule or a default. */
export function reduceSchemaForCel(node: unknown): CelSchema | undefined {
    if (!isObject(node)) return undefined;
    const out: CelSchema = {};
    if (typeof node.type === "string") out.type = node.type;
    if (node.default !== undefined) out.default = node.default;
    const rules = node["x-kubernetes-validations"];
    if (Array.isArray(rules) && rules.length > 0) out["x-kubernetes-validations"] = rules as CelRule[];
    if (isObject(node.properties)) {
        const props: Record<string, CelSchema> = {};
        for (const [name, child] of Object.entries(node.properties)) {
            const reduced = reduceSchemaForCel(child);
            if (reduced) props[name] = reduced;
        }
        if (Object.keys(props).length > 0) out.properties = props;
    }
    const items = reduceSchemaForCel(node.items);
    if (items) out.items = items;
    const values = reduceSchemaForCel(node.additionalProperties);
    if (values) out.additionalProperties = values;
    const meaningful =
        out.default !== undefined || out["x-kubernetes-validations"] || out.properties || out.items || out.additionalProperties;
    return meaningful ? out : undefined;
}

/** `{ "<kind>/<version>": schema of the object (spec only) }` for each served version of each CRD document. */
export function reduceCrdForCel(crdYaml: string): Record<string, CelSchema> {
    const out: Record<string, CelSchema> = {};
    for (const doc of parseAllDocuments(crdYaml)) {
        const crd = doc.toJS() as {
            kind?: string;
            spec?: { names: { kind: string }; versions: { name: string; served: boolean; schema: { openAPIV3Schema: JsonObject } }[] };
        } | null;
        if (!crd || crd.kind !== "CustomResourceDefinition" || !crd.spec) continue;
        for (const v of crd.spec.versions.filter((x) => x.served)) {
            const root = v.schema.openAPIV3Schema as { properties: JsonObject };
            const spec = reduceSchemaForCel(root.properties.spec);
            out[`${crd.spec.names.kind}/${v.name}`] = { type: "object", properties: spec ? { spec } : {} };
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Evaluating
// ---------------------------------------------------------------------------------------------

/** Every rule of a schema with the path of its node (`[]` an item, `{}` a map value). */
export function rulesOf(schema: CelSchema, path = ""): Array<{ path: string; rule: CelRule }> {
    const here = (schema["x-kubernetes-validations"] ?? []).map((rule) => ({ path, rule }));
    const props = Object.entries(schema.properties ?? {}).flatMap(([name, child]) => rulesOf(child, path ? `${path}.${name}` : name));
    const items = schema.items ? rulesOf(schema.items, `${path}[]`) : [];
    const values = schema.additionalProperties ? rulesOf(schema.additionalProperties, `${path}{}`) : [];
    return [...here, ...props, ...items, ...values];
}

const env = celEnv({ funcs: strings });
type Program = ReturnType<typeof plan>;
const programs = new Map<string, Program>();

/** The rule compiled once; throws (naming the rule) when the evaluator cannot parse or plan it. */
export function compileRule(rule: string): Program {
    let program = programs.get(rule);
    if (!program) {
        try {
            program = plan(env, parse(rule));
        } catch (e) {
            throw new Error(`CEL rule does not compile: ${rule}\n${e instanceof Error ? e.message : String(e)}`);
        }
        programs.set(rule, program);
    }
    return program;
}

/** Kubernetes' escaping of property names in CEL (apiserver `cel.Escape`): keywords and `__ . - /`. */
const CEL_RESERVED = new Set(
    "true false null in as break const continue else for function if import let loop package namespace return var void while".split(" "),
);
export function escapePropertyName(name: string): string {
    if (CEL_RESERVED.has(name)) return `__${name}__`;
    return name.replace(/__|[.\-/]/g, (m) => ({ __: "__underscores__", ".": "__dot__", "-": "__dash__", "/": "__slash__" })[m] as string);
}

/** A copy of `value` with the schema's defaults applied wherever a field is absent (recursively). */
export function withDefaults(schema: CelSchema | undefined, value: unknown): unknown {
    if (!schema) return value;
    if (Array.isArray(value)) return value.map((item) => withDefaults(schema.items, item));
    if (!isObject(value)) return value;
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
        out[key] = withDefaults(schema.properties?.[key] ?? (schema.properties ? undefined : schema.additionalProperties), v);
    }
    for (const [name, child] of Object.entries(schema.properties ?? {})) {
        if (out[name] === undefined && child.default !== undefined) out[name] = withDefaults(child, structuredClone(child.default));
    }
    return out;
}

/** The value as CEL sees it: escaped property names, ints for `integer` fields, maps for objects. */
function celValue(schema: CelSchema | undefined, value: unknown): CelInput {
    if (Array.isArray(value)) return value.map((item) => celValue(schema?.items, item));
    if (isObject(value)) {
        const isStruct = schema?.properties !== undefined;
        return new Map(
            Object.entries(value).map(([key, v]) => [
                isStruct ? escapePropertyName(key) : key,
                celValue(isStruct ? schema?.properties?.[key] : schema?.additionalProperties, v),
            ]),
        );
    }
    if (typeof value === "number" && schema?.type === "integer" && Number.isInteger(value)) return BigInt(value);
    // A JSON scalar (string, number, boolean, null) is already a CEL input.
    return value as CelInput;
}

/** Where the walk records which rules it evaluated (`<schema path> <rule>`), for coverage. */
type Evaluated = Set<string> | undefined;

function evaluateRules(schema: CelSchema, value: unknown, old: unknown, path: string, out: CelViolation[], evaluated: Evaluated): void {
    for (const rule of schema["x-kubernetes-validations"] ?? []) {
        const transition = /\boldSelf\b/.test(rule.rule);
        if (transition && old === undefined) continue;
        evaluated?.add(`${schemaPath(path)} ${rule.rule}`);
        const bindings: Record<string, CelInput> = { self: celValue(schema, value) };
        if (transition) bindings.oldSelf = celValue(schema, old);
        const result = compileRule(rule.rule)(bindings);
        const message = rule.message ?? rule.rule;
        if (isCelError(result)) out.push({ path, message, rule: rule.rule, error: result.message });
        else if (result !== true) out.push({ path, message, rule: rule.rule });
    }
}

/** `spec.rules[0].backendRefs[1]` → `spec.rules[].backendRefs[]` (map keys → `{}`), the form {@link rulesOf} lists. */
export function schemaPath(path: string): string {
    return path.replace(/\[\d+\]/g, "[]").replace(/\["(?:[^"\\]|\\.)*"\]/g, "{}");
}

function walk(schema: CelSchema, value: unknown, old: unknown, path: string, out: CelViolation[], evaluated: Evaluated): void {
    if (value === undefined || value === null) return;
    evaluateRules(schema, value, old, path, out, evaluated);
    if (Array.isArray(value)) {
        if (schema.items) value.forEach((item, i) => walk(schema.items as CelSchema, item, undefined, `${path}[${i}]`, out, evaluated));
        return;
    }
    if (!isObject(value)) return;
    const oldObject = isObject(old) ? old : undefined;
    for (const [key, v] of Object.entries(value)) {
        const child = schema.properties ? schema.properties[key] : schema.additionalProperties;
        const childPath = schema.properties ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;
        if (child) walk(child, v, oldObject?.[key], childPath, out, evaluated);
    }
}

/**
 * Every CEL violation of an object (`{ apiVersion, kind, metadata, spec }`) against its CRD's reduced
 * schema, defaults applied first; `old` is the object as stored, for transition rules. Empty: admitted.
 * `evaluated` collects `<schema path> <rule>` of every rule that ran.
 */
export function celViolations(schema: CelSchema, object: unknown, old?: unknown, evaluated?: Set<string>): CelViolation[] {
    const out: CelViolation[] = [];
    walk(schema, withDefaults(schema, object), old === undefined ? undefined : withDefaults(schema, old), "", out, evaluated);
    return out;
}

if (require.main === module) {
    const [bundle, ...files] = process.argv.slice(2);
    const schemas = Object.assign({}, ...files.map((f) => reduceCrdForCel(fs.readFileSync(f, "utf8")))) as Record<string, CelSchema>;
    process.stdout.write(JSON.stringify({ [bundle]: schemas }) + "\n");
}
