/**
 * Admission rules of the HTTPRoute and ReferenceGrant CRDs (standard channel, v1.x
 * `apis/v1/httproute_types.go`, `shared_types.go`, `apis/v1beta1/referencegrant_types.go`) that the
 * policy pack runs at deploy time (`gateway-route-objects-admitted`), written as code. Each names the
 * CRD text it encodes; an empty list means admitted.
 *
 * Why this copy stays while the suite evaluates the CRDs' own CEL rules (tests/support/crd-cel.ts): the
 * policy pack reviews real previews, whose routes carry the release state's weights and config's host,
 * path and header name — values the suite cannot enumerate — and a route the API server refuses fails
 * `pulumi up` after other resources of the update applied. The pack is published on its own, without
 * the CRDs or a CEL evaluator, so it keeps these few rules; tests/gateway-crd-cel.spec.ts ties them to
 * the CRDs' rules (the routes Phoenix registers pass both; the broken routes the CRDs refuse for the
 * rules carried here are refused here too). The CRDs' other CEL rules (filters, timeouts, parentRef
 * section names) guard fields Phoenix's routes never set.
 */
import type { KubeObject } from "../../kube-object";

export interface AdmissionRule {
    /** The CRD's validation message or field doc this rule encodes. */
    crdText: string;
    check: (obj: KubeObject) => string[];
}

interface BackendRefLike {
    group?: string;
    kind?: string;
    name?: string;
    namespace?: string;
    port?: number;
    weight?: number;
}
interface MatchLike {
    path?: { type?: string; value?: string };
    headers?: Array<{ type?: string; name?: string; value?: string }>;
}
interface RuleLike {
    matches?: MatchLike[];
    backendRefs?: BackendRefLike[];
}

function rulesOf(obj: KubeObject): RuleLike[] {
    const spec = (obj.spec ?? {}) as { rules?: RuleLike[] };
    return Array.isArray(spec.rules) ? spec.rules : [];
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const HTTPROUTE_RULES: AdmissionRule[] = [
    {
        crdText:
            "Must have port for Service reference (backendRef: `(size(self.group) == 0 && self.kind == 'Service') ? has(self.port) : true`)",
        check: (o) =>
            rulesOf(o).flatMap((r, i) =>
                (r.backendRefs ?? [])
                    .filter((b) => (b.group ?? "") === "" && (b.kind ?? "Service") === "Service" && b.port === undefined)
                    .map((b) => `rule ${i}: backend Service ${b.name} has no port`),
            ),
    },
    {
        crdText: "weight: Minimum=0, Maximum=1000000",
        check: (o) =>
            rulesOf(o).flatMap((r, i) =>
                (r.backendRefs ?? [])
                    .filter((b) => b.weight !== undefined && !(Number.isInteger(b.weight) && b.weight >= 0 && b.weight <= 1_000_000))
                    .map((b) => `rule ${i}: backend ${b.name} weight ${String(b.weight)} is outside 0..1000000`),
            ),
    },
    {
        crdText:
            "value must be an absolute path and start with '/' when type one of ['Exact', 'PathPrefix']; must not contain '//', '/./', '/../', '%2f', '%2F', '#'; must not end with '/..' or '/.'",
        check: (o) =>
            rulesOf(o).flatMap((r, i) =>
                (r.matches ?? []).flatMap((m) => {
                    // CEL: `(self.type in ['Exact','PathPrefix']) ? … : true` (the CRD default type is PathPrefix).
                    if (!["Exact", "PathPrefix"].includes(m.path?.type ?? "PathPrefix")) return [];
                    const v = m.path?.value ?? "/";
                    const bad =
                        !v.startsWith("/") ||
                        ["//", "/./", "/../", "%2f", "%2F", "#"].some((x) => v.includes(x)) ||
                        v.endsWith("/..") ||
                        v.endsWith("/.");
                    return bad ? [`rule ${i}: path ${JSON.stringify(v)} is not a clean absolute path`] : [];
                }),
            ),
    },
    {
        crdText: "header match name: HTTP header name (RFC 7230 token); Exact or RegularExpression type",
        check: (o) =>
            rulesOf(o).flatMap((r, i) =>
                (r.matches ?? []).flatMap((m) =>
                    (m.headers ?? [])
                        .filter((h) => !HEADER_NAME.test(h.name ?? "") || !["Exact", "RegularExpression", undefined].includes(h.type))
                        .map((h) => `rule ${i}: header match ${JSON.stringify(h.name)} (${String(h.type)}) is not valid`),
                ),
            ),
    },
    {
        crdText:
            "While 16 rules and 64 matches per rule are allowed, the total number of matches across all rules in a route must be less than 128",
        check: (o) => {
            const rules = rulesOf(o);
            const total = rules.reduce((n, r) => n + (r.matches?.length ?? 1), 0);
            // The CEL rule is `… <= 128` (its message says "less than 128"): 128 is admitted.
            return rules.length > 16 || total > 128 ? [`${rules.length} rules with ${total} matches`] : [];
        },
    },
    {
        crdText: "hostnames: each a Hostname (RFC 1123, optional leading '*.'), at most 16",
        check: (o) => {
            const hostnames = ((o.spec ?? {}) as { hostnames?: string[] }).hostnames ?? [];
            return [
                ...(hostnames.length > 16 ? ["more than 16 hostnames"] : []),
                ...hostnames.filter((h) => !HOSTNAME.test(h) || h.length > 253).map((h) => `hostname ${JSON.stringify(h)} is not valid`),
            ];
        },
    },
    {
        crdText: "parentRefs: at most 32; a route without parents is attached to nothing",
        check: (o) => {
            const parents = ((o.spec ?? {}) as { parentRefs?: unknown[] }).parentRefs ?? [];
            return parents.length === 0
                ? ["no parentRefs: the route attaches to no Gateway"]
                : parents.length > 32
                  ? ["more than 32 parentRefs"]
                  : [];
        },
    },
];

export const REFERENCE_GRANT_RULES: AdmissionRule[] = [
    {
        crdText: "from: MinItems=1, MaxItems=16; to: MinItems=1, MaxItems=16",
        check: (o) => {
            const spec = (o.spec ?? {}) as { from?: unknown[]; to?: unknown[] };
            const out: string[] = [];
            for (const k of ["from", "to"] as const) {
                const n = spec[k]?.length ?? 0;
                if (n < 1 || n > 16) out.push(`${k} has ${n} entries (1..16)`);
            }
            return out;
        },
    },
];

/** Every admission problem of a Gateway API route object (HTTPRoute, ReferenceGrant); other kinds: none. */
export function routeObjectProblems(obj: KubeObject): string[] {
    const rules = obj.kind === "HTTPRoute" ? HTTPROUTE_RULES : obj.kind === "ReferenceGrant" ? REFERENCE_GRANT_RULES : [];
    return rules.flatMap((r) =>
        r.check(obj).map((p) => `${obj.kind} ${obj.metadata.namespace ?? ""}/${obj.metadata.name}: ${p} [${r.crdText}]`),
    );
}
