/**
 * Pure config validation: read raw config strings (as the Pulumi CLI hands them to a program),
 * collect every problem, and fail once with a message that names each key and what was expected.
 *
 * Stack programs read all their config through a {@link ConfigReader} and call `done()` before
 * they register any resource, so invalid config never leaves a half-made environment.
 */
import * as pulumi from "@pulumi/pulumi";

export interface ConfigProblem {
    /** Fully qualified key, `namespace:key`. */
    key: string;
    /** What a valid value looks like. */
    expected: string;
    /** The offending value, when showing it helps (never used for secret keys). */
    got?: string;
}

/** Raised for invalid config. A RunError, so the CLI prints the message without a stack trace. */
export class ConfigValidationError extends pulumi.RunError {
    readonly problems: ConfigProblem[];
    constructor(problems: ConfigProblem[]) {
        super(
            `invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${p.key}: expected ${p.expected}${p.got === undefined ? "" : `, got ${p.got}`}`).join("\n"),
        );
        this.name = "ConfigValidationError";
        this.problems = problems;
    }
}

/** How a raw value is looked up: `key` without namespace; undefined when unset. */
export type RawConfig = (key: string) => string | undefined;

function show(v: unknown): string {
    const s = typeof v === "string" ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export interface StringRule {
    /** Used when the key is unset; without it the key is required. */
    default?: string;
    pattern?: RegExp;
    /** Human wording of `pattern`. */
    patternText?: string;
    /** An extra check returning a problem text, e.g. a naming rule from naming.ts. */
    check?: (value: string) => string | undefined;
}

export interface NumberRule {
    default?: number;
    min?: number;
    max?: number;
}

/** Collects problems while reading; `done()` throws them all at once. */
export class ConfigReader {
    readonly problems: ConfigProblem[] = [];

    constructor(
        readonly namespace: string,
        private readonly raw: RawConfig,
    ) {}

    key(k: string): string {
        return `${this.namespace}:${k}`;
    }

    problem(key: string, expected: string, got?: unknown): void {
        this.problems.push({ key: this.key(key), expected, got: got === undefined ? undefined : show(got) });
    }

    private value(key: string): string | undefined {
        const v = this.raw(key);
        return v === undefined || v === "" ? undefined : v;
    }

    /** A string; required unless `rule.default` is given. Returns "" after recording a problem. */
    string(key: string, rule: StringRule = {}): string {
        const v = this.value(key) ?? rule.default;
        if (v === undefined) {
            this.problem(key, `a value (required${rule.patternText ? `: ${rule.patternText}` : ""})`);
            return "";
        }
        if (rule.pattern && !rule.pattern.test(v)) {
            this.problem(key, rule.patternText ?? `a string matching ${rule.pattern}`, v);
            return v;
        }
        const p = rule.check?.(v);
        if (p) this.problem(key, p);
        return v;
    }

    /** A string or undefined when unset; validated only when set. */
    optionalString(key: string, rule: Omit<StringRule, "default"> = {}): string | undefined {
        return this.value(key) === undefined ? undefined : this.string(key, rule);
    }

    /** One of a fixed set of strings (exact match). */
    oneOf<T extends string>(key: string, allowed: readonly T[], defaultValue?: T): T {
        const v = this.value(key) ?? defaultValue;
        if (v === undefined) {
            this.problem(key, `one of ${allowed.join(", ")} (required)`);
            return allowed[0];
        }
        if (!(allowed as readonly string[]).includes(v)) {
            this.problem(key, `one of ${allowed.join(", ")}`, v);
            return allowed[0];
        }
        return v as T;
    }

    integer(key: string, rule: NumberRule = {}): number {
        const raw = this.value(key);
        const range = `an integer${rule.min !== undefined ? ` ≥ ${rule.min}` : ""}${rule.max !== undefined ? `${rule.min !== undefined ? " and" : ""} ≤ ${rule.max}` : ""}`;
        if (raw === undefined) {
            if (rule.default !== undefined) return rule.default;
            this.problem(key, `${range} (required)`);
            return rule.min ?? 0;
        }
        const n = Number(raw);
        if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
            this.problem(key, range, raw);
            return rule.default ?? rule.min ?? 0;
        }
        if ((rule.min !== undefined && n < rule.min) || (rule.max !== undefined && n > rule.max)) {
            this.problem(key, range, n);
        }
        return n;
    }

    boolean(key: string, defaultValue?: boolean): boolean {
        const raw = this.value(key);
        if (raw === undefined) {
            if (defaultValue !== undefined) return defaultValue;
            this.problem(key, "true or false (required)");
            return false;
        }
        if (raw === "true") return true;
        if (raw === "false") return false;
        this.problem(key, "true or false", raw);
        return defaultValue ?? false;
    }

    /** A JSON value (objects and arrays arrive from the CLI as JSON text). */
    json(key: string, defaultValue?: unknown): unknown {
        const raw = this.value(key);
        if (raw === undefined) {
            if (defaultValue === undefined) this.problem(key, "a value (required)");
            return defaultValue;
        }
        try {
            return JSON.parse(raw) as unknown;
        } catch {
            this.problem(key, "a YAML object or list (set with `pulumi config set --path` or in the stack file)", raw);
            return defaultValue;
        }
    }

    /**
     * Extra Azure tags as a list of `name=value` strings (Pulumi.yaml config types have no maps):
     * names 1–512 characters without `<>%&\\?/`, values at most 256 characters.
     */
    tags(key: string): Record<string, string> {
        const out: Record<string, string> = {};
        this.stringList(key).forEach((entry, i) => {
            const eq = entry.indexOf("=");
            const k = eq < 0 ? "" : entry.slice(0, eq).trim();
            const val = eq < 0 ? "" : entry.slice(eq + 1).trim();
            if (eq < 0 || k.length === 0 || k.length > 512 || /[<>%&\\?/]/.test(k)) {
                this.problem(`${key}[${i}]`, "name=value with a tag name of 1–512 characters without < > % & \\ ? /", entry);
            } else if (val.length > 256) {
                this.problem(`${key}[${i}]`, "a tag value of at most 256 characters");
            } else if (k in out) {
                this.problem(`${key}[${i}]`, `each tag name once ("${k}" repeats)`);
            } else {
                out[k] = val;
            }
        });
        return out;
    }

    /** A list of strings, each checked by `item`. */
    stringList(key: string, item: StringRule = {}, defaultValue: string[] = []): string[] {
        const v = this.json(key, defaultValue);
        if (!Array.isArray(v)) {
            this.problem(key, "a list of strings", v);
            return [];
        }
        const out: string[] = [];
        v.forEach((x, i) => {
            if (typeof x !== "string") {
                this.problem(`${key}[${i}]`, "a string", x);
            } else if (item.pattern && !item.pattern.test(x)) {
                this.problem(`${key}[${i}]`, item.patternText ?? `a string matching ${item.pattern}`, x);
            } else {
                out.push(x);
            }
        });
        return out;
    }

    /** Records a cross-key rule. */
    require(condition: boolean, key: string, expected: string, got?: unknown): void {
        if (!condition) this.problem(key, expected, got);
    }

    /** Throws every recorded problem at once. */
    done(): void {
        if (this.problems.length > 0) throw new ConfigValidationError(this.problems);
    }
}

/** GUIDs as Entra ID object and tenant ids use them. */
export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** An Azure region's programmatic name (`westeurope`, `eastus2`). */
export const AZURE_REGION = /^[a-z]+[a-z0-9]*$/;

/** A name prefix: starts with a letter, letters/digits/single hyphens, no trailing hyphen. */
export const NAME_PREFIX = /^[a-zA-Z](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9]))*$/;

/** Azure DevOps workload identity federation: issuer and subject as the service connection shows them. */
export const ADO_ISSUER = /^https:\/\/(vstoken\.dev\.azure\.com\/[0-9a-fA-F-]{36}|login\.microsoftonline\.com\/[0-9a-fA-F-]{36}\/v2\.0)$/;
/**
 * Classic subject `sc://<organization>/<project>/<service connection>`, or the Entra-issuer form
 * `/eid1/c/pub/t/<tenant>/a/<app>/sc/<organization id>/<service connection id>` of newer connections.
 */
export const ADO_SUBJECT =
    /^(sc:\/\/[^/\s]+\/[^/\s]+\/[^/\s]+|\/eid1\/c\/pub\/t\/[^/\s]+\/a\/[^/\s]+\/sc\/[0-9a-fA-F-]{36}\/[0-9a-fA-F-]{36})$/;
/** A federated identity credential's name: 3–120 characters, alphanumeric, `-` or `_`, starting alphanumeric. */
export const FEDERATED_CREDENTIAL_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,119}$/;

export interface ServiceConnection {
    /** Name of the federated credential (usually the service connection's name). */
    readonly name: string;
    /** Issuer shown on the Azure DevOps service connection page. */
    readonly issuer: string;
    /** Subject identifier shown there: `sc://<organization>/<project>/<service connection>`. */
    readonly subject: string;
}

/**
 * A federated credential's name derived from its subject: `ado-<org>-<project>-<connection>` for
 * classic subjects, `ado-<connection id>` for Entra-issuer subjects; other characters become `-`.
 */
export function credentialNameForSubject(subject: string): string {
    const classic = /^sc:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(subject);
    const raw = classic ? `ado-${classic[1]}-${classic[2]}-${classic[3]}` : `ado-${subject.split("/").pop() ?? ""}`;
    return raw
        .replace(/[^a-zA-Z0-9_-]/g, "-")
        .replace(/-{2,}/g, "-")
        .slice(0, 120)
        .replace(/[-_]+$/, "");
}

/**
 * Reads the Azure DevOps workload identity federation settings: one issuer (the organization's) and
 * a list of service connection subjects, one federated credential each.
 */
export function readServiceConnections(reader: ConfigReader, issuerKey: string, subjectsKey: string): ServiceConnection[] {
    const issuer = reader.string(issuerKey, {
        pattern: ADO_ISSUER,
        patternText:
            "the issuer shown on the Azure DevOps service connection: https://vstoken.dev.azure.com/<organization id> or https://login.microsoftonline.com/<tenant id>/v2.0",
    });
    const list = reader.json(subjectsKey, []);
    if (!Array.isArray(list)) {
        reader.problem(subjectsKey, "a list of service connection subject identifiers", list);
        return [];
    }
    if (list.length === 0) reader.problem(subjectsKey, "at least one Azure DevOps service connection subject");
    const out: ServiceConnection[] = [];
    const names = new Set<string>();
    list.forEach((subject: unknown, i) => {
        const name = typeof subject === "string" ? credentialNameForSubject(subject) : "";
        if (typeof subject !== "string" || !ADO_SUBJECT.test(subject)) {
            reader.problem(
                `${subjectsKey}[${i}]`,
                "a service connection subject identifier, sc://<organization>/<project>/<service connection> (or /eid1/c/pub/t/…/sc/<organization id>/<connection id>)",
                subject,
            );
        } else if (!FEDERATED_CREDENTIAL_NAME.test(name)) {
            reader.problem(`${subjectsKey}[${i}]`, "a subject whose connection part yields a credential name of 3–120 characters", subject);
        } else if (names.has(name)) {
            reader.problem(`${subjectsKey}[${i}]`, "each service connection once", subject);
        } else {
            names.add(name);
            out.push({ name, issuer, subject });
        }
    });
    return out;
}
