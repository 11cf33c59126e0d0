/**
 * Runs Phoenix's registry and platform programs the way a first deployment does: registry/shared
 * first, its outputs fed to the platform stack's StackReference. Plus small assertion helpers for
 * specs on those runs.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { main as platformMain } from "../../stacks/platform/program";
import { main as registryMain } from "../../stacks/registry/program";
import { azureHooks } from "./azure-mocks";
import { MockHooks, RegisteredResource, runProgram, RunResult } from "./pulumi-harness";

export const ROOT = path.join(__dirname, "..", "..");
export const REGISTRY_DIR = path.join(ROOT, "stacks", "registry");
export const DEFAULT_REGISTRY_STACK = "organization/phoenix-registry/shared";

export interface StackRunOptions {
    configOverrides?: Record<string, unknown>;
    configRemovals?: string[];
    hooks?: MockHooks;
}

export function runRegistry(opts: StackRunOptions = {}): Promise<RunResult> {
    return runProgram({
        projectDir: REGISTRY_DIR,
        stack: "shared",
        hooks: opts.hooks ?? azureHooks(),
        configOverrides: opts.configOverrides,
        configRemovals: opts.configRemovals,
        captureStackTraces: false,
        program: registryMain,
    });
}

/** Runs platform/<stack> with `registryOutputs` served under the stack name the config names. */
export function runPlatform(
    stack: "dev" | "prod",
    registryOutputs: Record<string, unknown>,
    opts: StackRunOptions = {},
): Promise<RunResult> {
    const referenced =
        typeof opts.configOverrides?.registryStack === "string" ? opts.configOverrides.registryStack : DEFAULT_REGISTRY_STACK;
    return runProgram({
        projectDir: ROOT,
        stack,
        hooks: opts.hooks ?? azureHooks({ [referenced]: registryOutputs }),
        configOverrides: opts.configOverrides,
        configRemovals: opts.configRemovals,
        captureStackTraces: false,
        program: platformMain,
    });
}

/** Runs a program expected to fail; returns the error and how many resources were registered. */
export async function expectConfigFailure(
    run: (hooks: MockHooks) => Promise<RunResult>,
    registryOutputs?: Record<string, unknown>,
): Promise<{ message: string; registered: number }> {
    let registered = 0;
    const base = azureHooks(registryOutputs ? { [DEFAULT_REGISTRY_STACK]: registryOutputs } : {});
    const hooks: MockHooks = {
        newResource(args) {
            registered++;
            return base.newResource?.(args);
        },
    };
    try {
        await run(hooks);
    } catch (e) {
        return { message: (e as Error).message, registered };
    }
    throw new Error("expected the program to fail on invalid config, but it ran");
}

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Unwraps a value the mock saw; `secret` tells whether it arrived marked secret. */
export function unwrapSecret(v: unknown): { secret: boolean; value: unknown } {
    if (v && typeof v === "object" && SECRET_SIG in (v as Record<string, unknown>)) {
        return { secret: true, value: (v as Record<string, unknown>).value };
    }
    return { secret: false, value: v };
}

/** Removes every secret wrapper, deeply. */
export function plainInputs<T>(v: T): T {
    const u = unwrapSecret(v).value;
    if (Array.isArray(u)) return u.map(plainInputs) as T;
    if (u && typeof u === "object") return Object.fromEntries(Object.entries(u).map(([k, x]) => [k, plainInputs(x)])) as T;
    return u as T;
}

const taggableCache = new Map<string, boolean>();

/**
 * Whether an azure-native resource type accepts `tags`, read from the SDK's own typings
 * (`<module>/<type>.d.ts`, its `…Args` interface), so a new resource type cannot slip past the check.
 */
export function isTaggable(type: string): boolean {
    const cached = taggableCache.get(type);
    if (cached !== undefined) return cached;
    const m = /^azure-native:([a-z0-9]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) throw new Error(`not an azure-native resource type: ${type}`);
    const file = path.join(ROOT, "node_modules", "@pulumi", "azure-native", m[1], `${m[2][0].toLowerCase()}${m[2].slice(1)}.d.ts`);
    const text = fs.readFileSync(file, "utf8");
    const args = new RegExp(`export interface ${m[2]}Args \\{([\\s\\S]*?)\\n\\}`).exec(text);
    if (!args) throw new Error(`no ${m[2]}Args interface in ${file}`);
    const result = /\n\s+tags\?:/.test(args[1]);
    taggableCache.set(type, result);
    return result;
}

export function azureResources(resources: RegisteredResource[]): RegisteredResource[] {
    return resources.filter((r) => r.type.startsWith("azure-native:"));
}

/** `"a.b[0].c"` style lookup into captured inputs (secret wrappers removed). */
export function at(inputs: Record<string, unknown>, p: string): unknown {
    let cur: unknown = plainInputs(inputs);
    for (const part of p.split(/\.|\[(\d+)\]/).filter((x) => x !== undefined && x !== "")) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<string, unknown>)[part];
    }
    return cur;
}

/** Keys a config reader function asks for, given the stack's loaded config. */
export function keysRead(
    read: (raw: (k: string) => string | undefined) => unknown,
    config: Record<string, string>,
    namespace: string,
): string[] {
    const asked = new Set<string>();
    read((k) => {
        asked.add(k);
        return config[`${namespace}:${k}`];
    });
    return [...asked].sort();
}

const CLI_TYPES = new Set(["string", "integer", "boolean", "array"]);

/**
 * Problems the Pulumi CLI would raise about a project's config declarations and a stack file's values:
 * only string/integer/boolean/array (arrays need `items`), a description on every key, defaults and
 * stack values of the declared type.
 */
export function declarationProblems(
    declared: Record<string, { type?: string; items?: { type?: string }; description?: string; default?: unknown }>,
    stackValues: Record<string, unknown>,
): string[] {
    const problems: string[] = [];
    const typeOk = (type: string | undefined, itemType: string | undefined, v: unknown): boolean => {
        switch (type) {
            case "string":
                return typeof v === "string";
            case "integer":
                return Number.isInteger(v);
            case "boolean":
                return typeof v === "boolean";
            case "array":
                return Array.isArray(v) && v.every((x) => typeOk(itemType, undefined, x));
            default:
                return false;
        }
    };
    for (const [k, d] of Object.entries(declared)) {
        if (!d.type || !CLI_TYPES.has(d.type)) problems.push(`${k}: type ${String(d.type)} is not one the CLI accepts`);
        if (d.type === "array" && !d.items?.type) problems.push(`${k}: an array needs items.type`);
        if (!d.description || d.description.trim().length < 10) problems.push(`${k}: no description`);
        if (d.default !== undefined && !typeOk(d.type, d.items?.type, d.default)) problems.push(`${k}: default is not a ${String(d.type)}`);
    }
    for (const [k, v] of Object.entries(stackValues)) {
        const d = declared[k];
        if (!d) problems.push(`${k}: set in the stack file but not declared`);
        else if (!typeOk(d.type, d.items?.type, v)) problems.push(`${k}: stack value ${JSON.stringify(v)} is not a ${String(d.type)}`);
    }
    return problems;
}

/** A stack file's project-namespaced values, keys without the namespace. */
export function stackFileValues(file: string, namespace: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    return Object.fromEntries(
        Object.entries(doc.config ?? {})
            .filter(([k]) => k.startsWith(`${namespace}:`))
            .map(([k, v]) => [k.slice(namespace.length + 1), v]),
    );
}

/** Keys documented in the docs/configuration.md table of a project. */
export function documentedKeys(project: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, "docs", "configuration.md"), "utf8");
    const section = text.split(/^## /m).find((s) => s.startsWith(`\`${project}\``)) ?? "";
    return [...section.matchAll(/^\| `([A-Za-z0-9]+)` \|/gm)].map((m) => m[1]).sort();
}
