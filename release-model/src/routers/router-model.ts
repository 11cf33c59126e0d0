/**
 * The router provider interface (the shape of Flagger's `pkg/router`): one implementation per traffic
 * layer, each in its own folder (`nginx/`, `gateway-api/`), all pure. The release stack registers the
 * objects a router returns; the planner asks it where candidates go and which states are safe; the
 * local backend's proxy and the tests ask it where each request goes — so every part of Phoenix runs
 * the same rules.
 */
import type { ReleaseState, SlotName } from "../release-state";
import type { RouterIntent } from "../intent";
import type { KubeObject } from "../kube-object";

/** Router kinds Phoenix implements. `gateway-api` is the default; `nginx` (ingress-nginx) is legacy. */
export const ROUTER_KINDS = ["gateway-api", "nginx"] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

export function isRouterKind(v: string): v is RouterKind {
    return (ROUTER_KINDS as readonly string[]).includes(v);
}

/** Where a router's objects attach and what they match. */
export interface RouterSettings {
    /** The app name: slots are `<slot>-<app>` (namespace, Helm release and Service). */
    appName: string;
    /** The public host requests arrive for. */
    host: string;
    /** The preview header's name. */
    headerName: string;
    /** Path prefix served; default `/`. */
    path?: string;
    /** nginx: the controller's ingress class (default `nginx`). */
    ingressClassName?: string;
    /** gateway-api: the platform's Gateway the routes attach to. */
    gateway?: { name: string; namespace: string };
    /** Port of each slot's Service (the chart's Service listens on 80). */
    servicePort?: number;
}

/**
 * What an object does for its router, the same in every release state (nginx: the main and the canary
 * Ingress; Gateway API: each slot's ReferenceGrant, the production and the preview route). The release
 * stack names an object's Pulumi resource after its role, so a state that adds or drops an object never
 * renames another one.
 */
export type RouterObjectRole = "main" | "canary" | `grant-${SlotName}` | "production" | "preview";

/** An object a router registers, with its role. */
export interface RoleObject {
    role: RouterObjectRole;
    object: KubeObject;
}

/** A Service a route can reach. */
export interface ServiceRef {
    namespace: string;
    name: string;
}

/**
 * Ready endpoints per Service, keyed by {@link serviceKey}. A key with 0 is a Service without ready
 * endpoints; a missing key is a Service that does not exist (the Gateway API answers 500 for it,
 * ingress-nginx treats both alike).
 */
export type ReadyEndpoints = Record<string, number>;

export interface RouteRequest {
    host: string;
    /** Request path; a query string is ignored. */
    path: string;
    method?: string;
    /** Header names in any case. */
    headers?: Record<string, string | undefined>;
    /** Cookie name → value (names are case-sensitive). */
    cookies?: Record<string, string | undefined>;
}

export interface SampledRequest extends RouteRequest {
    /** A number in [0, 1) standing in for the proxy's per-request random draw. */
    random: number;
}

/** Where one request ends: a Service, or the status code the client gets and why. */
export type RouteOutcome =
    { kind: "served"; service: ServiceRef; reason: string } | { kind: "error"; status: 404 | 500 | 503; reason: string };

export interface WeightedOutcome {
    outcome: RouteOutcome;
    probability: number;
}

export interface RouterModel {
    readonly kind: RouterKind;
    /**
     * The slot production must rest on between operations, or undefined when either slot may. nginx:
     * blue (behind the main Ingress, whose drained backend is a 503 for everyone, so only the live
     * version may sit there); Gateway API: undefined (every route lists both slots, only weights move).
     */
    readonly homeSlot: SlotName | undefined;
    /** The slot a new candidate goes to, given the state the release starts from (live at rest). */
    candidateSlot(state: ReleaseState): SlotName;
    /** What the router must express for a state: production weights, the preview header and value. */
    intent(state: ReleaseState, headerName: string): RouterIntent;
    /** What this router requires of a state beyond the neutral validation (empty: fine). */
    stateProblems(state: ReleaseState): string[];
    /** The Kubernetes objects the router registers for an intent (null: nothing is released, no objects). */
    objects(intent: RouterIntent | null, settings: RouterSettings): KubeObject[];
    /** The same objects, in the same order, each with its role. */
    roleObjects(intent: RouterIntent | null, settings: RouterSettings): RoleObject[];
    /** Where one request goes, its random draw fixed by `request.random`. */
    route(objects: KubeObject[], ready: ReadyEndpoints, request: SampledRequest): RouteOutcome;
    /** Every outcome a request can have over all draws, with probabilities (zero-probability ones left out). */
    distribution(objects: KubeObject[], ready: ReadyEndpoints, request: RouteRequest): WeightedOutcome[];
}

/** `namespace/name`: the key of {@link ReadyEndpoints}. */
export function serviceKey(s: ServiceRef): string {
    return `${s.namespace}/${s.name}`;
}

/** A slot's Service (the chart names it after the release, in the slot's own namespace). */
export function slotService(slot: SlotName, appName: string): ServiceRef {
    const n = `${slot}-${appName}`;
    return { namespace: n, name: n };
}

export function slotServiceKey(slot: SlotName, appName: string): string {
    return serviceKey(slotService(slot, appName));
}

/** The slot a Service belongs to, or undefined for any other Service. */
export function slotOfService(s: ServiceRef, appName: string): SlotName | undefined {
    const k = serviceKey(s);
    if (k === slotServiceKey("blue", appName)) return "blue";
    if (k === slotServiceKey("green", appName)) return "green";
    return undefined;
}

/** A one-line summary of a distribution, e.g. `green-calculator/green-calculator 100%` or `503 100%`. */
export function describeOutcomes(outcomes: WeightedOutcome[]): string {
    return outcomes
        .map(({ outcome, probability }) => {
            const what = outcome.kind === "served" ? serviceKey(outcome.service) : String(outcome.status);
            return `${what} ${Math.round(probability * 1000) / 10}%`;
        })
        .join(", ");
}

/** The single Service every draw reaches, or undefined when the outcome is split or an error. */
export function soleService(outcomes: WeightedOutcome[]): ServiceRef | undefined {
    if (outcomes.length !== 1) return undefined;
    const o = outcomes[0].outcome;
    return o.kind === "served" ? o.service : undefined;
}

/** Header lookup with the name compared case-insensitively (HTTP). */
export function headerValue(headers: RouteRequest["headers"], name: string): string | undefined {
    if (!headers) return undefined;
    const want = name.toLowerCase();
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === want && v !== undefined) return v;
    return undefined;
}

/** Lower-case host without port or trailing dot. */
export function normaliseHost(h: string): string {
    return h.trim().toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
}
