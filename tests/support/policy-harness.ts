/**
 * Runs CrossGuard policies in-process the way the Pulumi CLI's analyzer does
 * (@pulumi/policy 1.21 server.js), without starting the gRPC server:
 * - full `ResourceValidationArgs` / `StackValidationArgs` (urn, opts, stackTags, getConfig,
 *   notApplicable, isType/asType);
 * - props optionally wrapped in the SDK's `unknownCheckingProxy`, as during preview;
 * - `UnknownValueError` downgrades the policy to advisory, `notApplicable` records a reason;
 * - pack config as `--policy-pack-config` reads it: `all` and per-policy enforcement levels,
 *   per-policy properties with the schema's defaults applied.
 */
import {
    EnforcementLevel,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
    unknownCheckingProxy,
} from "@pulumi/policy";
import { isUnknownValueError } from "../../policy/src/util";
import type { Policies } from "@pulumi/policy";
import type { RegisteredResource } from "./pulumi-harness";

// The SDK's sentinels for unknown values (internal to @pulumi/policy; stable wire constants).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyInternals = require("@pulumi/policy/proxy") as {
    unknownStringValue: string;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownObjectValue: string;
};
export const UNKNOWN = {
    string: proxyInternals.unknownStringValue,
    boolean: proxyInternals.unknownBooleanValue,
    number: proxyInternals.unknownNumberValue,
    object: proxyInternals.unknownObjectValue,
};

/** `--policy-pack-config` file contents. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Diagnostic {
    policyName: string;
    enforcementLevel: EnforcementLevel;
    message: string;
    urn?: string;
}

export interface PolicyOutcome {
    violations: Array<{ message: string; urn?: string }>;
    /** Set when the policy called notApplicable. */
    notApplicable?: string;
    /** Set when the policy touched an unknown value (the SDK reports it as advisory). */
    unknown?: string;
}

class NotApplicableSignal extends Error {
    constructor(readonly reason: string | undefined) {
        super(reason ?? "not applicable");
    }
}

const DEFAULT_OPTS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

export interface ArgsContext {
    stack?: string;
    project?: string;
    stackTags?: Record<string, string>;
    /** What `getConfig()` returns (the policy's own section, without enforcementLevel). */
    config?: Record<string, unknown>;
    /** Wrap props in the SDK's unknown-checking proxy (what happens during preview). */
    preview?: boolean;
}

export function urnOf(type: string, name: string, ctx: ArgsContext = {}): string {
    return `urn:pulumi:${ctx.stack ?? "dev"}::${ctx.project ?? "phoenix-platform"}::${type}::${name}`;
}

function typeOf(cls: unknown): string | undefined {
    return (cls as { __pulumiType?: string }).__pulumiType;
}

const notApplicable = (reason?: string): never => {
    throw new NotApplicableSignal(reason);
};

/** What resource and stack policies both see of one resource: identity, props (behind the preview proxy) and the type tests. */
function resourceView(r: { type: string; name: string; props: Record<string, unknown>; urn?: string }, ctx: ArgsContext) {
    const props = ctx.preview ? (unknownCheckingProxy(r.props) as Record<string, unknown>) : r.props;
    return {
        type: r.type,
        name: r.name,
        urn: r.urn ?? urnOf(r.type, r.name, ctx),
        props,
        isType: (cls: unknown) => typeOf(cls) === r.type,
        // The SDK returns the props typed as the class's args; the cast mirrors that.
        asType: ((cls: unknown) => (typeOf(cls) === r.type ? props : undefined)) as ResourceValidationArgs["asType"] &
            PolicyResource["asType"],
    };
}

/** Full `ResourceValidationArgs`, as the analyzer builds them. */
export function resourceArgs(
    r: { type: string; name: string; props: Record<string, unknown>; urn?: string; opts?: Partial<PolicyResourceOptions> },
    ctx: ArgsContext = {},
): ResourceValidationArgs {
    return {
        ...resourceView(r, ctx),
        opts: { ...DEFAULT_OPTS, ...(r.opts ?? {}) },
        stackTags: new Map(Object.entries(ctx.stackTags ?? {})),
        getConfig: <T extends object>() => ({ ...(ctx.config ?? {}) }) as T,
        notApplicable,
    };
}

/** A `PolicyResource` (what stack policies see) with every field the SDK fills in. */
export function policyResource(
    r: { type: string; name: string; props: Record<string, unknown>; urn?: string },
    ctx: ArgsContext = {},
): PolicyResource {
    return { ...resourceView(r, ctx), opts: { ...DEFAULT_OPTS }, dependencies: [], propertyDependencies: {} };
}

/** `<type>::<name>` of a URN `urn:pulumi:<stack>::<project>::<parent types$…$type>::<name>`. */
function typeAndName(urn: string): string {
    const parts = urn.split("::");
    return `${parts[2]?.split("$").pop() ?? ""}::${parts.slice(3).join("::")}`;
}

/**
 * Sets each stack-policy resource's `parent` and `dependencies` to the resource objects the register
 * request named by URN, dropping URNs outside the list, as the analyzer does (server.js `analyzeStack`).
 * The register request carries full URNs (parent types included) while the mock's own URNs do not, so
 * both are matched by type and name, unique in a run (the harness keys options the same way).
 */
export function linkResources(
    view: PolicyResource[],
    registered: ReadonlyArray<Pick<RegisteredResource, "type" | "name" | "options">>,
): void {
    const byKey = new Map(view.map((r, i) => [`${registered[i].type}::${registered[i].name}`, r]));
    view.forEach((r, i) => {
        const o = registered[i].options;
        if (!o) return;
        const parent = byKey.get(typeAndName(o.parent));
        if (parent) r.parent = parent;
        r.dependencies = o.dependencies.flatMap((u) => byKey.get(typeAndName(u)) ?? []);
    });
}

export function stackArgs(resources: PolicyResource[], ctx: ArgsContext = {}): StackValidationArgs {
    return {
        resources,
        stackTags: new Map(Object.entries(ctx.stackTags ?? {})),
        getConfig: <T extends object>() => ({ ...(ctx.config ?? {}) }) as T,
        notApplicable,
    };
}

async function capture(run: (report: (message: string, urn?: string) => void) => Promise<void> | void): Promise<PolicyOutcome> {
    const out: PolicyOutcome = { violations: [] };
    try {
        await run((message, urn) => out.violations.push({ message, urn }));
    } catch (e) {
        if (isUnknownValueError(e)) out.unknown = e.message;
        else if (e instanceof NotApplicableSignal) out.notApplicable = e.reason ?? "";
        else throw e;
    }
    return out;
}

export function checkResource(policy: ResourceValidationPolicy, args: ResourceValidationArgs): Promise<PolicyOutcome> {
    const fns =
        policy.validateResource === undefined
            ? []
            : Array.isArray(policy.validateResource)
              ? policy.validateResource
              : [policy.validateResource];
    return capture(async (report) => {
        for (const fn of fns) await fn(args, report);
    });
}

export function checkStack(policy: StackValidationPolicy, args: StackValidationArgs): Promise<PolicyOutcome> {
    return capture((report) => policy.validateStack(args, report));
}

export function isStackPolicy(p: Policies[number]): p is StackValidationPolicy {
    return "validateStack" in p && typeof (p as StackValidationPolicy).validateStack === "function";
}

/** Enforcement as the CLI resolves it: the policy's own entry, then `all`, then the policy, then the pack. */
export function enforcementOf(policy: Policies[number], config: PackConfig, packLevel: EnforcementLevel = "advisory"): EnforcementLevel {
    const own = config[policy.name];
    const ownLevel = typeof own === "string" ? own : own?.enforcementLevel;
    const all = config.all;
    const allLevel = typeof all === "string" ? all : all?.enforcementLevel;
    return ownLevel ?? allLevel ?? policy.enforcementLevel ?? packLevel;
}

/** The policy's config section with the schema's defaults (the CLI fills them in), minus enforcementLevel. */
export function policyConfigOf(policy: Policies[number], config: PackConfig): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, prop] of Object.entries(policy.configSchema?.properties ?? {})) {
        const d = (prop as { default?: unknown }).default;
        if (d !== undefined) out[k] = d;
    }
    const own = config[policy.name];
    if (own && typeof own === "object") {
        for (const [k, v] of Object.entries(own)) if (k !== "enforcementLevel") out[k] = v;
    }
    return out;
}

/** Unwraps the SDK's secret envelopes, as the analyzer does before policies see props. */
export function plain(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(plain);
    if (v && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return plain(o.value);
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
    }
    return v;
}

export interface PackRun {
    diagnostics: Diagnostic[];
    /** policy name → number of resources it was not applicable to. */
    notApplicable: Record<string, number>;
    /** policy name → messages of checks that touched unknown values. */
    unknown: Diagnostic[];
}

/**
 * Runs every policy over what a program registered: each resource policy over each custom
 * resource's inputs, each stack policy once over all resources' state (outputs), as
 * `pulumi preview --policy-pack` would. Component resources and providers are passed too.
 */
export async function runPack(
    policies: Policies,
    resources: RegisteredResource[],
    config: PackConfig,
    ctx: Omit<ArgsContext, "config"> = {},
): Promise<PackRun> {
    const run: PackRun = { diagnostics: [], notApplicable: {}, unknown: [] };
    const stackResources = resources.map((r) =>
        policyResource({ type: r.type, name: r.name, urn: r.urn, props: plain(r.state) as Record<string, unknown> }, ctx),
    );
    linkResources(stackResources, resources);
    for (const policy of policies) {
        const level = enforcementOf(policy, config);
        if (level === "disabled") continue;
        const policyConfig = policyConfigOf(policy, config);
        const record = (o: PolicyOutcome) => {
            for (const v of o.violations)
                run.diagnostics.push({ policyName: policy.name, enforcementLevel: level, message: v.message, urn: v.urn });
            if (o.unknown) run.unknown.push({ policyName: policy.name, enforcementLevel: "advisory", message: o.unknown });
            if (o.notApplicable !== undefined) run.notApplicable[policy.name] = (run.notApplicable[policy.name] ?? 0) + 1;
        };
        if (isStackPolicy(policy)) {
            record(await checkStack(policy, stackArgs(stackResources, { ...ctx, config: policyConfig })));
            continue;
        }
        for (const r of resources) {
            const args = resourceArgs(
                { type: r.type, name: r.name, urn: r.urn, props: plain(r.inputs) as Record<string, unknown> },
                { ...ctx, config: policyConfig },
            );
            const o = await checkResource(policy, args);
            for (const v of o.violations) v.urn = r.urn;
            record(o);
        }
    }
    return run;
}

export function mandatory(run: PackRun): Diagnostic[] {
    return run.diagnostics.filter((d) => d.enforcementLevel === "mandatory");
}

/** policy name → count, for reports and assertions. */
export function countByPolicy(ds: Diagnostic[]): Record<string, number> {
    const out: Record<string, number> = {};
    for (const d of ds) out[d.policyName] = (out[d.policyName] ?? 0) + 1;
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}
