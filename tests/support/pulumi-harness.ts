/**
 * Runs a Pulumi program under the SDK's mock runtime with a stack's real config and
 * captures every resource it registers (the awsx pattern, see pulumi-azure.md).
 *
 * The CLI applies `Pulumi.yaml` config defaults; the SDK does not. So this harness reads
 * the project's declared defaults and overlays the stack file, exactly as `pulumi up` would.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

export interface RegisteredResource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** URN of the parent as the mock saw it; undefined for top-level resources. */
    parent?: string;
    provider?: string;
    urn: string;
    id: string;
    state: Record<string, unknown>;
    /** Resource options the mock monitor saw (the SDK's mocks do not pass them to newResource). */
    options?: RegisteredOptions;
}

export interface RegisteredOptions {
    ignoreChanges: string[];
    /** URNs of explicit and implicit dependencies. */
    dependencies: string[];
    /** URN of the parent (`pulumi:pulumi:Stack` for top-level resources). */
    parent: string;
}

export interface InvokeCall {
    token: string;
    args: Record<string, unknown>;
}

export interface MockHooks {
    /** Return extra state for a resource (merged over its inputs). */
    newResource?: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown> | undefined;
    /** Return the result of an invoke; undefined falls back to the defaults below. */
    call?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown> | undefined;
}

export interface RunOptions {
    /** Directory holding the project's Pulumi.yaml. */
    projectDir: string;
    /** Stack name; `Pulumi.<stack>.yaml` is loaded from projectDir when it exists. */
    stack: string;
    /** Config overrides, keyed `namespace:key`, applied after the stack file (values as the CLI stores them). */
    configOverrides?: Record<string, unknown>;
    /** Keys (`namespace:key`) to drop from the loaded config. */
    configRemovals?: string[];
    /** Keys to mark as secret in addition to those the stack file marks `secure:`. */
    secretKeys?: string[];
    hooks?: MockHooks;
    /**
     * When false, `Error.stackTraceLimit` is 0 while the program runs (restored afterwards). The SDK
     * captures a stack trace for every internal promise, and with ts-node's source-map support that
     * dominates a large program's run time (about 4× here). Errors the program throws then carry
     * their message but no stack. Default true.
     */
    captureStackTraces?: boolean;
    /** The program: the same function the stack's index.ts exports. */
    program: () => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;
}

export interface RunResult {
    resources: RegisteredResource[];
    invokes: InvokeCall[];
    /** Resolved outputs (secrets unwrapped). */
    outputs: Record<string, unknown>;
    /** Names of outputs that were secret. */
    secretOutputs: string[];
    /** The config the run saw, as strings (the CLI passes every value as a string). */
    config: Record<string, string>;
    /**
     * Every URN the run registered, as the engine computes it (`…::<parent type>$<type>::<name>`), sorted:
     * a change to a name, a type or a parent shows up here as a replacement.
     */
    urns: string[];
    /** URNs each resource's `aliases` option names (computed as the engine would), keyed by the resource's URN. */
    aliases: Record<string, string[]>;
}

/** The slice of the SDK's MockMonitor the harness reads and wraps (the real URNs, parent chain included). */
interface MockMonitorLike {
    getRegisteredResources(): Map<string, { urn: string }>;
    registerResource(req: RegisterRequestLike, callback: (err: unknown, res: unknown) => void): unknown;
}

/** The slice of the SDK's RegisterResourceRequest (protobuf) the harness reads. */
interface RegisterRequestLike {
    getType(): string;
    getName(): string;
    getParent(): string;
    getIgnorechangesList(): string[];
    getDependenciesList(): string[];
    getAliasesList(): Array<{
        getUrn(): string;
        hasSpec(): boolean;
        getSpec(): { getName(): string; getType(): string; getParenturn(): string; getNoparent(): boolean } | undefined;
    }>;
}

/** The URN the engine gives a resource: the parent's type chain, `$`, its own type. */
function urnOf(stack: string, project: string, type: string, name: string, parentUrn: string): string {
    const chain = parentUrn ? `${parentUrn.split("::")[2]}$${type}` : type;
    return `urn:pulumi:${stack}::${project}::${chain}::${name}`;
}

/**
 * Name inputs per resource type: the mock maps the first one present to `state.name` so `x.name`
 * resolves. Most specific first: child resources also carry their parent's name (a Secret has
 * `vaultName`, a federated credential the identity's `resourceName`, everything `resourceGroupName`),
 * so the group name comes last.
 */
const NAME_INPUTS = [
    "name",
    "federatedIdentityCredentialResourceName",
    "secretName",
    "containerName",
    "blobServicesName",
    "vaultName",
    "registryName",
    "workspaceName",
    "publicIpAddressName",
    "identityName",
    "actionGroupName",
    "ruleName",
    "accountName",
    "resourceName",
    "resourceGroupName",
];

export const MOCK_TENANT_ID = "00000000-0000-0000-0000-00000000aaaa";
export const MOCK_SUBSCRIPTION_ID = "00000000-0000-0000-0000-00000000bbbb";
export const MOCK_DEPLOYER_OBJECT_ID = "00000000-0000-0000-0000-00000000cccc";
/** A kubeconfig whose content tests can search for in plain outputs. */
export const MOCK_KUBECONFIG = "apiVersion: v1\nkind: Config\nusers:\n- name: mock\n  user:\n    token: MOCK-KUBE-TOKEN-do-not-leak\n";

interface ProjectConfigDecl {
    type?: string;
    default?: unknown;
    description?: string;
    secret?: boolean;
}

/** Reads `Pulumi.yaml` and returns the project name and its declared config. */
export function readProject(projectDir: string): { name: string; config: Record<string, ProjectConfigDecl> } {
    const doc = YAML.parse(fs.readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as {
        name: string;
        config?: Record<string, ProjectConfigDecl | string | number | boolean>;
    };
    const config: Record<string, ProjectConfigDecl> = {};
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        config[k] = typeof v === "object" && v !== null ? (v as ProjectConfigDecl) : { default: v };
    }
    return { name: doc.name, config };
}

function qualify(project: string, key: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

function asConfigString(v: unknown): string {
    return typeof v === "string" ? v : JSON.stringify(v);
}

/** Loads declared defaults, then the stack file, as the CLI would hand them to the program. */
export function loadStackConfig(
    projectDir: string,
    stack: string,
): { project: string; config: Record<string, string>; secretKeys: string[] } {
    const project = readProject(projectDir);
    const out: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [k, decl] of Object.entries(project.config)) {
        if (decl.default !== undefined) out[qualify(project.name, k)] = asConfigString(decl.default);
    }
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (fs.existsSync(stackFile)) {
        const doc = YAML.parse(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> };
        for (const [k, v] of Object.entries(doc.config ?? {})) {
            const key = qualify(project.name, k);
            if (v && typeof v === "object" && "secure" in (v as Record<string, unknown>)) {
                // Encrypted values cannot be decrypted offline; tests supply them via configOverrides.
                secretKeys.push(key);
                continue;
            }
            out[key] = asConfigString(v);
        }
    }
    return { project: project.name, config: out, secretKeys };
}

/**
 * What the Pulumi CLI refuses before a program even starts, which the SDK under mocks never checks:
 * a declared key without a default that the stack file does not set is required ("Stack is missing
 * configuration values"), and a `secret: true` key may not have a plain default ("must be encrypted").
 */
export function cliConfigProblems(projectDir: string, stack: string): string[] {
    const project = readProject(projectDir);
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    const doc = fs.existsSync(stackFile) ? (YAML.parse(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> }) : {};
    const set = new Set(Object.keys(doc.config ?? {}).map((k) => qualify(project.name, k)));
    const problems: string[] = [];
    for (const [k, decl] of Object.entries(project.config)) {
        const key = qualify(project.name, k);
        if (decl.default === undefined && !set.has(key))
            problems.push(`${key} has no default and Pulumi.${stack}.yaml does not set it (the CLI refuses to run)`);
        if (decl.secret && decl.default !== undefined) problems.push(`${key} is declared secret with a plain default (the CLI refuses it)`);
    }
    return problems;
}

async function resolve<T>(o: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
    const value = await new Promise<T>((r) =>
        o.apply((v) => {
            r(v);
            return v;
        }),
    );
    const secret = await (o as unknown as { isSecret: Promise<boolean> }).isSecret;
    return { value, secret };
}

/** Runs `program` under mocks with the stack's config and returns what it registered. */
export async function runProgram(opts: RunOptions): Promise<RunResult> {
    const loaded = loadStackConfig(opts.projectDir, opts.stack);
    const config = { ...loaded.config };
    for (const k of opts.configRemovals ?? []) delete config[qualify(loaded.project, k)];
    for (const [k, v] of Object.entries(opts.configOverrides ?? {})) config[qualify(loaded.project, k)] = asConfigString(v);
    const secretKeys = [...loaded.secretKeys, ...(opts.secretKeys ?? []).map((k) => qualify(loaded.project, k))];

    const resources: RegisteredResource[] = [];
    const invokes: InvokeCall[] = [];
    const mocks: pulumi.runtime.Mocks = {
        newResource(args) {
            const extra = opts.hooks?.newResource?.(args);
            const state: Record<string, unknown> = { ...args.inputs };
            const nameInput = NAME_INPUTS.map((k) => args.inputs[k]).find((v) => typeof v === "string");
            state.name = nameInput ?? args.name;
            if (args.type === "pulumi:pulumi:StackReference") {
                state.outputs = extra?.outputs ?? {};
            }
            Object.assign(state, extra ?? {});
            const id = typeof state.id === "string" ? state.id : `${args.name}-id`;
            resources.push({
                type: args.type,
                name: args.name,
                inputs: args.inputs as Record<string, unknown>,
                urn: `urn:pulumi:${opts.stack}::${loaded.project}::${args.type}::${args.name}`,
                id,
                state,
                provider: args.provider,
                options: seenOptions.get(`${args.type}::${args.name}`),
            });
            return { id, state };
        },
        call(args) {
            invokes.push({ token: args.token, args: args.inputs as Record<string, unknown> });
            const custom = opts.hooks?.call?.(args);
            if (custom) return custom;
            switch (args.token) {
                case "azure-native:authorization:getClientConfig":
                    return {
                        clientId: "mock-client-id",
                        objectId: MOCK_DEPLOYER_OBJECT_ID,
                        subscriptionId: MOCK_SUBSCRIPTION_ID,
                        tenantId: MOCK_TENANT_ID,
                    };
                case "azure-native:containerservice:listManagedClusterUserCredentials":
                    return { kubeconfigs: [{ name: "clusterUser", value: Buffer.from(MOCK_KUBECONFIG).toString("base64") }] };
                default:
                    return args.inputs as Record<string, unknown>;
            }
        },
    };
    await pulumi.runtime.setMocks(mocks, loaded.project, opts.stack, false);
    pulumi.runtime.setAllConfig(config, secretKeys);
    // Options (ignoreChanges, dependencies, parent, aliases) reach the monitor in the register request,
    // not in the mock's arguments: record them there, before the mock monitor hands it to newResource.
    const seenOptions = new Map<string, RegisteredOptions>();
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
    const aliases: Record<string, string[]> = {};
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        seenOptions.set(`${req.getType()}::${req.getName()}`, {
            ignoreChanges: req.getIgnorechangesList(),
            dependencies: req.getDependenciesList(),
            parent: req.getParent(),
        });
        const own = urnOf(opts.stack, loaded.project, req.getType(), req.getName(), req.getParent());
        const named = req.getAliasesList().map((a) => {
            const spec = a.hasSpec() ? a.getSpec() : undefined;
            if (!spec) return a.getUrn();
            const parent = spec.getNoparent() ? "" : spec.getParenturn() || req.getParent();
            return urnOf(opts.stack, loaded.project, spec.getType() || req.getType(), spec.getName() || req.getName(), parent);
        });
        if (named.length > 0) aliases[own] = named;
        return register(req, callback);
    };

    const stackTraceLimit = Error.stackTraceLimit;
    if (opts.captureStackTraces === false) Error.stackTraceLimit = 0;
    try {
        const ret = await opts.program();
        const outputs: Record<string, unknown> = {};
        const secretOutputs: string[] = [];
        for (const [k, v] of Object.entries(ret ?? {})) {
            if (pulumi.Output.isInstance(v)) {
                const r = await resolve(v as pulumi.Output<unknown>);
                outputs[k] = r.value;
                if (r.secret) secretOutputs.push(k);
            } else {
                outputs[k] = v;
            }
        }
        // Let every registration settle so the capture is complete.
        await new Promise((r) => setTimeout(r, 0));
        const urns = [...monitor.getRegisteredResources().keys()].sort();
        return { resources, invokes, outputs, secretOutputs, config, urns, aliases };
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
    }
}

/** Resource type → count, sorted, for inventories in notes and assertions. */
export function inventory(resources: RegisteredResource[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

export function byType(resources: RegisteredResource[], type: string): RegisteredResource[] {
    return resources.filter((r) => r.type === type);
}

export function one(resources: RegisteredResource[], type: string, name?: string): RegisteredResource {
    const found = resources.filter((r) => r.type === type && (name === undefined || r.name === name));
    if (found.length !== 1) {
        throw new Error(
            `expected exactly one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((f) => f.name).join(", ")}`,
        );
    }
    return found[0];
}
