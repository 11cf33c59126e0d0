/**
 * A typed builder for JSON schemas (draft-07, the dialect ajv validates by default): each builder returns
 * the schema together with the TypeScript type of the values it accepts, so a setting's type is derived
 * from its schema ({@link Infer}) and the two cannot drift. Objects refuse keys they do not declare
 * (`additionalProperties: false`). Pure: no I/O.
 */

/** The subset of JSON Schema the builders emit (and the docs generator and the error messages read). */
export interface JsonSchema {
    type?: "object" | "array" | "integer" | "number" | "string" | "boolean";
    description?: string;
    properties?: Record<string, JsonSchema>;
    required?: string[];
    additionalProperties?: false;
    items?: JsonSchema;
    minItems?: number;
    maxItems?: number;
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    exclusiveMaximum?: number;
    enum?: readonly string[];
    pattern?: string;
    minLength?: number;
    /** What a pattern means, in words, for error messages and the docs ("a DNS label"); a vocabulary keyword, ignored by validation. */
    "x-expected"?: string;
}

/** A schema that accepts values of type `T` (`T` exists for the type checker only). */
export interface Field<T> {
    readonly schema: JsonSchema;
    /** Never set: carries `T` so that {@link Infer} can read it back. */
    readonly valueType?: T;
}

/** The type of the values a field accepts. */
export type Infer<F> = F extends Field<infer T> ? T : never;

interface Described {
    /** One sentence: what the setting does (the docs' settings table shows it). */
    description: string;
}

export interface NumberBounds extends Described {
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    exclusiveMaximum?: number;
}

function field<T>(schema: JsonSchema): Field<T> {
    return { schema };
}

export function integer(bounds: NumberBounds): Field<number> {
    return field({ type: "integer", ...bounds });
}

export function number(bounds: NumberBounds): Field<number> {
    return field({ type: "number", ...bounds });
}

export function boolean(options: Described): Field<boolean> {
    return field({ type: "boolean", ...options });
}

export function string(options: Described & { pattern?: string; minLength?: number; expected?: string }): Field<string> {
    const { expected, ...rest } = options;
    return field({ type: "string", ...rest, ...(expected ? { "x-expected": expected } : {}) });
}

/** One of a fixed list of strings. */
export function oneOf<const Values extends readonly string[]>(values: Values, options: Described): Field<Values[number]> {
    return field({ type: "string", enum: values, ...options });
}

export function array<T>(items: Field<T>, options: Described & { minItems?: number; maxItems?: number }): Field<T[]> {
    return field({ type: "array", items: items.schema, ...options });
}

/** A list the value's users only read (a `readonly T[]` in the derived type; JSON has no difference). */
export function readonlyArray<T>(items: Field<T>, options: Described & { minItems?: number; maxItems?: number }): Field<readonly T[]> {
    return field({ type: "array", items: items.schema, ...options });
}

type Fields = Record<string, Field<unknown>>;

/** Merges an intersection into one object type, so that derived types read (and compare) as plain objects. */
type Flatten<T> = { [K in keyof T]: T[K] };

export type ObjectOf<Props extends Fields, Optional extends keyof Props> = Flatten<
    { [K in Exclude<keyof Props, Optional>]: Infer<Props[K]> } & { [K in Optional]?: Infer<Props[K]> }
>;

/** An object with exactly these keys: every key is required but those listed in `optional`; any other key is refused. */
export function object<Props extends Fields, Optional extends keyof Props & string = never>(
    properties: Props,
    options: Described & { optional?: readonly Optional[] },
): Field<ObjectOf<Props, Optional>> {
    const optional: readonly string[] = options.optional ?? [];
    return field({
        type: "object",
        description: options.description,
        properties: Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, value.schema])),
        required: Object.keys(properties).filter((key) => !optional.includes(key)),
        additionalProperties: false,
    });
}

/** The same schema with nothing required at any depth: the shape of one layer (a file, overrides) that the defaults complete. */
export function partialSchema(schema: JsonSchema): JsonSchema {
    const { required: _required, properties, items, ...rest } = schema;
    void _required;
    return {
        ...rest,
        ...(properties
            ? { properties: Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, partialSchema(value)])) }
            : {}),
        ...(items ? { items: partialSchema(items) } : {}),
    };
}

/** The subschema at a JSON pointer into a value the schema describes (`/gate/concurrency`, `/progressive/steps/0`), if any. */
export function schemaAt(schema: JsonSchema, pointer: string): JsonSchema | undefined {
    let at: JsonSchema | undefined = schema;
    for (const token of pointer.split("/").slice(1)) {
        const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
        if (at?.type === "array") at = at.items;
        else at = at?.properties && Object.prototype.hasOwnProperty.call(at.properties, key) ? at.properties[key] : undefined;
    }
    return at;
}

/** What a schema accepts, in words: "an integer from 1 to 100", "a number in (0,1)", "one of: a, b". */
export function describeExpected(schema: JsonSchema): string {
    switch (schema.type) {
        case "integer":
        case "number":
            return describeNumber(schema);
        case "string":
            if (schema.enum) return `one of: ${schema.enum.join(", ")}`;
            if (schema["x-expected"]) return schema["x-expected"];
            return schema.pattern ? `a string matching ${schema.pattern}` : schema.minLength ? "a non-empty string" : "a string";
        case "boolean":
            return "true or false";
        case "array": {
            const count =
                schema.minItems !== undefined && schema.maxItems !== undefined
                    ? `${schema.minItems} to ${schema.maxItems} `
                    : schema.minItems
                      ? `at least ${schema.minItems} `
                      : "";
            return `a list of ${count}${schema.items ? plural(describeExpected(schema.items)) : "values"}`;
        }
        case "object":
            return `an object with keys ${Object.keys(schema.properties ?? {}).join(", ")}`;
        default:
            return "a value";
    }
}

function describeNumber(schema: JsonSchema): string {
    const kind = schema.type === "integer" ? "an integer" : "a number";
    const low = schema.exclusiveMinimum ?? schema.minimum;
    const high = schema.exclusiveMaximum ?? schema.maximum;
    if (low !== undefined && high !== undefined) {
        if (schema.exclusiveMinimum === undefined && schema.exclusiveMaximum === undefined) return `${kind} from ${low} to ${high}`;
        return `${schema.type === "integer" ? "an integer in" : "in"} ${schema.exclusiveMinimum !== undefined ? "(" : "["}${low},${high}${
            schema.exclusiveMaximum !== undefined ? ")" : "]"
        }`;
    }
    if (low !== undefined) return `${kind} ${schema.exclusiveMinimum !== undefined ? ">" : ">="} ${low}`;
    if (high !== undefined) return `${kind} ${schema.exclusiveMaximum !== undefined ? "<" : "<="} ${high}`;
    return kind;
}

function plural(expected: string): string {
    return expected.replace(/^an? (integer|number|string)/, "$1s");
}
