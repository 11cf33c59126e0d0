/**
 * A small, strict expander for Azure Pipelines templates — enough to read Phoenix's pipelines the way
 * Azure DevOps compiles them, so tests assert on the pipeline that would actually run.
 *
 * Supported (and all Phoenix's templates use): `- template: path[@alias]` items in any list, with
 * `parameters`; template parameter declarations (`name`, `type`, `default`, `values`); `${{ parameters.a.b }}`
 * in values (a whole-value expression keeps the value's type, e.g. an object). Anything else in `${{ }}`
 * (conditionals, loops, functions) throws, so a template that starts using them fails the tests instead
 * of being misread. Runtime syntax (`$(var)`, `$[ ]`) is left as it is.
 */
import * as path from "path";

export type Loader = (absolutePath: string) => unknown;

export class PipelineTemplateError extends Error {}

export interface TemplateUse {
    /** Absolute path of the template file. */
    file: string;
    /** Parameters after defaults were applied. */
    parameters: Record<string, unknown>;
}

interface Declared {
    name: string;
    type?: string;
    default?: unknown;
    values?: unknown[];
}

const WHOLE = /^\$\{\{\s*([^}]*?)\s*\}\}$/;
const PART = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const CONTENT_KEYS = ["stages", "jobs", "steps", "variables"] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

function evaluate(expr: string, params: Record<string, unknown>, where: string): unknown {
    const m = /^parameters((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/.exec(expr);
    if (!m) throw new PipelineTemplateError(`${where}: unsupported template expression \${{ ${expr} }}`);
    let value: unknown = params;
    for (const key of m[1].slice(1).split(".")) {
        if (!isRecord(value) || !(key in value)) {
            throw new PipelineTemplateError(`${where}: \${{ ${expr} }} names no parameter (missing "${key}")`);
        }
        value = value[key];
    }
    return value;
}

function substitute(node: unknown, params: Record<string, unknown>, where: string): unknown {
    if (typeof node === "string") {
        const whole = WHOLE.exec(node);
        if (whole) return evaluate(whole[1], params, where);
        return node.replace(PART, (_m, expr: string) => {
            const v = evaluate(expr, params, where);
            if (isRecord(v) || Array.isArray(v)) {
                throw new PipelineTemplateError(`${where}: \${{ ${expr} }} is an object inside a string`);
            }
            return String(v);
        });
    }
    if (Array.isArray(node)) return node.map((n) => substitute(n, params, where));
    if (isRecord(node)) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(node)) {
            if (k.includes("${{")) throw new PipelineTemplateError(`${where}: unsupported template key ${k}`);
            out[k] = substitute(v, params, where);
        }
        return out;
    }
    return node;
}

/** Declared parameters + what the caller passed → the template's parameters, or an error naming the problem. */
export function bindParameters(file: string, declared: unknown, passed: unknown): Record<string, unknown> {
    const decls: Declared[] = declared === undefined ? [] : (declared as Declared[]);
    if (!Array.isArray(decls) || decls.some((d) => !isRecord(d) || typeof d.name !== "string")) {
        throw new PipelineTemplateError(`${file}: parameters must be a list of { name, type, default }`);
    }
    const given = passed === undefined ? {} : passed;
    if (!isRecord(given)) throw new PipelineTemplateError(`${file}: parameters passed must be a mapping`);
    const names = new Set(decls.map((d) => d.name));
    for (const key of Object.keys(given)) {
        if (!names.has(key)) throw new PipelineTemplateError(`${file}: unknown parameter "${key}"`);
    }
    const bound: Record<string, unknown> = {};
    for (const d of decls) {
        if (d.name in given) bound[d.name] = given[d.name];
        else if ("default" in d) bound[d.name] = d.default;
        else throw new PipelineTemplateError(`${file}: required parameter "${d.name}" not passed`);
        const v = bound[d.name];
        if (d.values && !d.values.includes(v)) {
            throw new PipelineTemplateError(
                `${file}: parameter "${d.name}" is ${JSON.stringify(v)}, expected one of ${d.values.join(", ")}`,
            );
        }
        if ((d.type === "string" || d.type === undefined) && typeof v !== "string") {
            throw new PipelineTemplateError(`${file}: parameter "${d.name}" must be a string, got ${JSON.stringify(v)}`);
        }
        if (d.type === "object" && !isRecord(v) && !Array.isArray(v)) {
            throw new PipelineTemplateError(`${file}: parameter "${d.name}" must be an object`);
        }
    }
    return bound;
}

/**
 * Expands `file` (absolute) with its templates. `repositories` maps a repository alias (`@phoenix`) to the
 * folder holding that repository; `self` is the folder of the pipeline's own repository.
 */
export function expandPipeline(
    file: string,
    load: Loader,
    repositories: Record<string, string> = {},
): { pipeline: Record<string, unknown>; templates: TemplateUse[] } {
    const templates: TemplateUse[] = [];

    const resolve = (ref: string, fromDir: string): string => {
        const at = ref.lastIndexOf("@");
        if (at > 0) {
            const alias = ref.slice(at + 1);
            const root = repositories[alias];
            if (root === undefined) throw new PipelineTemplateError(`${ref}: unknown repository alias "${alias}"`);
            return path.resolve(root, ref.slice(0, at));
        }
        return path.resolve(fromDir, ref);
    };

    const expandList = (list: unknown[], params: Record<string, unknown>, dir: string, where: string): unknown[] => {
        const out: unknown[] = [];
        for (const item of list) {
            if (isRecord(item) && typeof item.template === "string") {
                const target = resolve(item.template, dir);
                let doc: unknown;
                try {
                    doc = load(target);
                } catch (err) {
                    throw new PipelineTemplateError(`${where}: template ${item.template} cannot be read (${(err as Error).message})`);
                }
                if (!isRecord(doc)) throw new PipelineTemplateError(`${target}: not a mapping`);
                const passed = substitute(item.parameters, params, where);
                const bound = bindParameters(target, doc.parameters, passed);
                templates.push({ file: target, parameters: bound });
                const keys = CONTENT_KEYS.filter((k) => k in doc);
                if (keys.length !== 1) throw new PipelineTemplateError(`${target}: expected exactly one of ${CONTENT_KEYS.join("/")}`);
                const body = substitute(doc[keys[0]], bound, target);
                if (!Array.isArray(body)) throw new PipelineTemplateError(`${target}: ${keys[0]} must be a list`);
                out.push(...expandList(body, bound, path.dirname(target), target));
            } else {
                out.push(expandNode(item, params, dir, where));
            }
        }
        return out;
    };

    const expandNode = (node: unknown, params: Record<string, unknown>, dir: string, where: string): unknown => {
        if (Array.isArray(node)) return expandList(node, params, dir, where);
        if (isRecord(node)) {
            const out: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(node)) out[k] = expandNode(v, params, dir, where);
            return out;
        }
        return node;
    };

    const root = load(file);
    if (!isRecord(root)) throw new PipelineTemplateError(`${file}: not a mapping`);
    const pipeline = expandNode(substitute(root, {}, file), {}, path.dirname(file), file) as Record<string, unknown>;
    return { pipeline, templates };
}
