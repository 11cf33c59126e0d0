/**
 * Helpers shared by Phoenix's policies: safe readers for the untyped property bags the
 * analyzer hands us, config with the schema's defaults applied, and "is this prod?".
 *
 * Every reader touches only the path it is asked for. During `pulumi preview` the SDK wraps
 * props in a proxy that throws `UnknownValueError` when an unknown value is read; the SDK
 * catches it and reports the policy as advisory ("can't run during preview"). So these
 * helpers never catch errors: swallowing that error would turn "unknown" into "compliant".
 */
import * as policySdk from "@pulumi/policy";
import type { PolicyConfigSchema, StackValidationArgs, ResourceValidationArgs } from "@pulumi/policy";

// The SDK exports UnknownValueError at runtime but its typings strip it (marked @internal).
const UnknownValueErrorClass = (policySdk as unknown as { UnknownValueError: new (...args: never[]) => Error }).UnknownValueError;

/** The error the preview proxy throws when a policy reads an unknown value. */
export function isUnknownValueError(e: unknown): e is Error {
    return e instanceof UnknownValueErrorClass;
}

export type Props = Record<string, unknown>;

export function isRecord(v: unknown): v is Props {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `obj.a.b.c` without throwing on missing intermediate objects. */
export function at(obj: unknown, ...path: string[]): unknown {
    let cur: unknown = obj;
    for (const key of path) {
        if (!isRecord(cur)) return undefined;
        cur = cur[key];
    }
    return cur;
}

export function asString(v: unknown): string | undefined {
    return typeof v === "string" ? v : undefined;
}

/** A number or a numeric string (Helm values and annotations often carry numbers as strings). */
export function asNumber(v: unknown): number | undefined {
    if (typeof v === "number" && Number.isFinite(v)) return v;
    if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
    return undefined;
}

export function asArray(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

/** Renders a value for a violation message. */
export function show(v: unknown): string {
    return v === undefined ? "unset" : JSON.stringify(v);
}

/**
 * The policy's config with the schema's defaults applied. The Pulumi CLI fills defaults in from
 * `configSchema` when it loads `--policy-pack-config`; applying them here as well keeps a policy
 * correct when it runs with no config at all (and keeps one source of defaults: the schema).
 */
export function configOf<T extends object>(
    schema: PolicyConfigSchema | undefined,
    args: Pick<ResourceValidationArgs | StackValidationArgs, "getConfig">,
): T {
    const defaults: Props = {};
    for (const [key, prop] of Object.entries(schema?.properties ?? {})) {
        const d = (prop as { default?: unknown }).default;
        if (d !== undefined) defaults[key] = d;
    }
    return { ...defaults, ...(args.getConfig<Props>() ?? {}) } as T;
}

/** The stack name inside a URN `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function stackFromUrn(urn: string): string | undefined {
    const m = /^urn:pulumi:([^:]+)::/.exec(urn);
    return m?.[1];
}

/** Config every prod-sensitive policy accepts: how to tell a production stack. */
export interface ProdDetectionConfig {
    /** `auto` (detect), `prod` or `nonprod` (force). */
    environment: "auto" | "prod" | "nonprod";
    /** Regular expression a production stack's name matches. */
    prodStackPattern: string;
    /** Tag key (stack tag or resource tag) that names the environment. */
    environmentTag: string;
    /** Values of that tag that mean production. */
    prodEnvironments: string[];
}

export const prodDetectionSchema: PolicyConfigSchema["properties"] = {
    environment: {
        type: "string",
        enum: ["auto", "prod", "nonprod"],
        default: "auto",
        description: "auto: decide from the stack name and the environment tag; prod/nonprod: force.",
    },
    prodStackPattern: {
        type: "string",
        default: "(^|[-_.])(prod|production)$",
        description: "Regular expression matched against the stack name; a match means production.",
    },
    environmentTag: {
        type: "string",
        default: "environment",
        description: "Stack tag or resource tag whose value names the environment.",
    },
    prodEnvironments: {
        type: "array",
        items: { type: "string" },
        default: ["prod", "production"],
        description: "Values of the environment tag that mean production.",
    },
};

/**
 * Production if forced by config, or the stack name matches the pattern, or the stack's or the
 * resource's environment tag says so. Resource tags are read last (and only if needed) so an
 * unknown tag during preview only matters when nothing else decided.
 */
export function isProd(
    cfg: ProdDetectionConfig,
    ctx: { urn?: string; stackTags: ReadonlyMap<string, string>; resourceTags?: () => unknown },
): boolean {
    if (cfg.environment === "prod") return true;
    if (cfg.environment === "nonprod") return false;
    const prodValues = new Set(cfg.prodEnvironments.map((v) => v.toLowerCase()));
    const stack = ctx.urn ? stackFromUrn(ctx.urn) : undefined;
    if (stack && new RegExp(cfg.prodStackPattern, "i").test(stack)) return true;
    const stackTag = ctx.stackTags.get(cfg.environmentTag);
    if (stackTag !== undefined && prodValues.has(stackTag.toLowerCase())) return true;
    if (ctx.resourceTags) {
        const tag = asString(at(ctx.resourceTags(), cfg.environmentTag));
        if (tag !== undefined && prodValues.has(tag.toLowerCase())) return true;
    }
    return false;
}

/** Ends a resource policy as not applicable unless the stack (or the resource's own tags) is production. */
export function requireProd(cfg: ProdDetectionConfig, args: ResourceValidationArgs, props: Props): void {
    if (!isProd(cfg, { urn: args.urn, stackTags: args.stackTags, resourceTags: () => props.tags })) {
        args.notApplicable("not a production stack");
    }
}
