/**
 * The release state (`phoenix-release:state`): which slot is live, which holds a candidate, and
 * what each slot runs. Pure: parsing, validation and the router intent derived from a state.
 * Shared by the release stack (which turns it into Helm releases and Ingresses) and the release
 * engine (which plans transitions between states). See docs/contracts.md and docs/release-stack.md.
 *
 * The routing design (nginx) fixes the main Ingress on blue and the canary Ingress on green and
 * moves production only by `canary-weight`, so blue, the main-side slot, is always present with
 * at least one replica: ingress-nginx answers 503 to everyone when the main backend has no ready
 * endpoints, whichever slot is live.
 */

import { ANNOTATIONS } from "./routing";

export const SLOT_NAMES = ["blue", "green"] as const;
export type SlotName = (typeof SLOT_NAMES)[number];
export const SLOT_ROLES = ["live", "candidate", "standby", "absent"] as const;
export type SlotRole = (typeof SLOT_ROLES)[number];

/** The slot behind the main Ingress (never absent, never below one replica). */
export const MAIN_SIDE_SLOT: SlotName = "blue";
/** The slot behind the canary Ingress. */
export const CANARY_SIDE_SLOT: SlotName = "green";

export interface SlotState {
    role: SlotRole;
    /** Semver of the app in this slot; required unless the slot is absent. */
    version?: string;
    /** Pods; when omitted the release stack uses its `replicas` config. */
    replicas?: number;
}

export interface ReleaseState {
    slots: Record<SlotName, SlotState>;
    /** Optional per-release secret header value that reaches the candidate (nginx `canary-by-header-value`). */
    previewHeaderValue?: string;
}

/** A bad state; `problems` lists every problem found, the message joins them. */
export class ReleaseStateError extends Error {
    constructor(public readonly problems: string[]) {
        super(`invalid release state:\n  - ${problems.join("\n  - ")}`);
        this.name = "ReleaseStateError";
    }
}

// semver.org's regular expression (2.0.0), no leading "v".
const SEMVER =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Strict semantic version 2.0.0 (`1.2.3`, `1.2.3-rc.1`, `1.2.3+build.7`; not `v1.2.3`, not `1.2`). */
export function isSemver(v: string): boolean {
    return v.length <= 256 && SEMVER.test(v);
}

/** Characters allowed in a preview header value: URL-safe token characters. */
const PREVIEW_VALUE = /^[A-Za-z0-9._~-]{16,128}$/;
/** An HTTP header name nginx exposes as `$http_<name>` (no underscores: nginx drops those by default). */
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

export function isValidHeaderName(name: string): boolean {
    return HEADER_NAME.test(name);
}

function describe(v: unknown): string {
    if (v === undefined) return "nothing";
    if (typeof v === "string") return JSON.stringify(v);
    try {
        return JSON.stringify(v) ?? String(v);
    } catch {
        return String(v);
    }
}

function isRecord(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Validates a release state (already parsed from JSON/YAML) and returns it typed. Throws a
 * {@link ReleaseStateError} listing every problem. Never echoes `previewHeaderValue` (a secret).
 */
export function validateReleaseState(input: unknown): ReleaseState {
    const problems: string[] = [];
    if (!isRecord(input)) throw new ReleaseStateError([`the state must be an object with "slots", got ${describe(input)}`]);
    for (const k of Object.keys(input)) {
        if (k !== "slots" && k !== "previewHeaderValue") problems.push(`unknown key "${k}" (allowed: slots, previewHeaderValue)`);
    }
    const slotsIn = input.slots;
    const slots: Partial<Record<SlotName, SlotState>> = {};
    if (!isRecord(slotsIn)) {
        problems.push(`"slots" must be an object with "blue" and "green", got ${describe(slotsIn)}`);
    } else {
        for (const k of Object.keys(slotsIn)) {
            if (!(SLOT_NAMES as readonly string[]).includes(k)) problems.push(`unknown slot "${k}" (slots are blue and green)`);
        }
        for (const name of SLOT_NAMES) {
            const s = slotsIn[name];
            if (!isRecord(s)) {
                problems.push(`slot ${name} is missing or not an object (give at least { role: ... })`);
                continue;
            }
            for (const k of Object.keys(s)) {
                if (!["role", "version", "replicas"].includes(k)) problems.push(`slot ${name}: unknown key "${k}" (allowed: role, version, replicas)`);
            }
            const role = s.role;
            if (typeof role !== "string" || !(SLOT_ROLES as readonly string[]).includes(role)) {
                problems.push(`slot ${name}: role must be one of ${SLOT_ROLES.join(" | ")}, got ${describe(role)}`);
                continue;
            }
            const slot: SlotState = { role: role as SlotRole };
            if (role === "absent") {
                if (s.version !== undefined) problems.push(`slot ${name} is absent but has a version (${describe(s.version)}); an absent slot has no version`);
                if (s.replicas !== undefined) problems.push(`slot ${name} is absent but has replicas (${describe(s.replicas)}); an absent slot has no replicas`);
            } else {
                if (s.version === undefined) problems.push(`slot ${name} is ${role} but has no version`);
                else if (typeof s.version !== "string" || !isSemver(s.version)) problems.push(`slot ${name}: version must be semver (e.g. 1.4.2), got ${describe(s.version)}`);
                else slot.version = s.version;
                if (s.replicas !== undefined) {
                    const min = role === "standby" && name !== MAIN_SIDE_SLOT ? 0 : 1;
                    if (typeof s.replicas !== "number" || !Number.isInteger(s.replicas) || s.replicas < min || s.replicas > 100) {
                        const why = name === MAIN_SIDE_SLOT ? " (blue backs the main Ingress: zero ready endpoints there is a 503 for everyone)" : "";
                        problems.push(`slot ${name} (${role}): replicas must be an integer from ${min} to 100${why}, got ${describe(s.replicas)}`);
                    } else {
                        slot.replicas = s.replicas;
                    }
                }
            }
            slots[name] = slot;
        }
        const present = SLOT_NAMES.filter((n) => slots[n] !== undefined);
        if (present.length === SLOT_NAMES.length) {
            const lives = SLOT_NAMES.filter((n) => slots[n]!.role === "live");
            if (lives.length !== 1) problems.push(`exactly one slot must be live, found ${lives.length === 0 ? "none" : lives.join(" and ")}`);
            const candidates = SLOT_NAMES.filter((n) => slots[n]!.role === "candidate");
            if (candidates.length > 1) problems.push(`at most one slot may hold a candidate, found ${candidates.join(" and ")}`);
            if (slots[MAIN_SIDE_SLOT]!.role === "absent") {
                problems.push(
                    `slot ${MAIN_SIDE_SLOT} must not be absent: the main Ingress always points at ${MAIN_SIDE_SLOT}, and ingress-nginx ` +
                        `answers 404 without a main backend and 503 when it has no ready endpoints (make it live, standby or candidate)`,
                );
            }
        }
    }
    const phv = input.previewHeaderValue;
    let previewHeaderValue: string | undefined;
    if (phv !== undefined) {
        if (typeof phv !== "string" || !PREVIEW_VALUE.test(phv)) {
            problems.push("previewHeaderValue must be 16 to 128 characters from A-Z a-z 0-9 . _ ~ - (value not shown: it is a secret)");
        } else if (phv === "always" || phv === "never") {
            problems.push("previewHeaderValue must not be always or never");
        } else {
            previewHeaderValue = phv;
        }
    }
    if (problems.length > 0) throw new ReleaseStateError(problems);
    const state: ReleaseState = { slots: slots as Record<SlotName, SlotState> };
    if (previewHeaderValue !== undefined) state.previewHeaderValue = previewHeaderValue;
    return state;
}

/** Parses a state from its JSON text (as the CLI stores structured config) and validates it. */
export function parseReleaseState(text: string): ReleaseState {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (e) {
        throw new ReleaseStateError([`the state is not valid JSON: ${(e as Error).message}`]);
    }
    return validateReleaseState(parsed);
}

function slotsWithRole(s: ReleaseState, role: SlotRole): SlotName[] {
    return SLOT_NAMES.filter((n) => s.slots[n].role === role);
}

/** The live slot (a validated state has exactly one). */
export function liveSlot(s: ReleaseState): SlotName {
    const live = slotsWithRole(s, "live");
    if (live.length !== 1) throw new ReleaseStateError([`exactly one slot must be live, found ${live.length}`]);
    return live[0];
}

export function candidateSlot(s: ReleaseState): SlotName | undefined {
    return slotsWithRole(s, "candidate")[0];
}

export function standbySlot(s: ReleaseState): SlotName | undefined {
    return slotsWithRole(s, "standby")[0];
}

export function otherSlot(slot: SlotName): SlotName {
    return slot === "blue" ? "green" : "blue";
}

/** Slots that run a Helm release (every role but `absent`). */
export function presentSlots(s: ReleaseState): SlotName[] {
    return SLOT_NAMES.filter((n) => s.slots[n].role !== "absent");
}

/** The fixed Helm release name, namespace and Service name of a slot: `<slot>-<app>`. */
export function slotResourceName(slot: SlotName, appName: string): string {
    return `${slot}-${appName}`;
}

/** What the traffic router must express for a state. */
export interface RouterIntent {
    /** `canary-weight` of the canary (green) Ingress: 0 = blue serves production, 100 = green does. */
    canaryWeight: 0 | 100;
    /** `canary-by-header` of the canary Ingress. */
    headerName: string;
    /**
     * `canary-by-header-value` to set, or undefined for `always`/`never` semantics. Only set when the
     * candidate is on the canary side (green); with it, `never` would lose its meaning.
     */
    canaryHeaderValue?: string;
    /** How a request reaches the candidate, when there is one. */
    preview?: {
        header: string;
        value: string;
        target: SlotName;
        /** True when `value` is the per-release secret (`previewHeaderValue`), false for `always`/`never`. */
        secret: boolean;
    };
}

/**
 * The router settings for a state: production by weight (never by repointing the main Ingress),
 * the candidate by header. A blue candidate (green live, weight 100) is reached with `never`;
 * ingress-nginx offers no secret value for the main side, so such previews are guessable.
 */
export function routerIntent(state: ReleaseState, headerName: string): RouterIntent {
    if (!isValidHeaderName(headerName)) {
        throw new ReleaseStateError([`preview header name must be letters, digits and dashes (max 64), got ${describe(headerName)}`]);
    }
    const live = liveSlot(state);
    const canaryWeight = live === CANARY_SIDE_SLOT ? 100 : 0;
    const intent: RouterIntent = { canaryWeight, headerName };
    const candidate = candidateSlot(state);
    if (candidate === CANARY_SIDE_SLOT) {
        if (state.previewHeaderValue !== undefined) {
            intent.canaryHeaderValue = state.previewHeaderValue;
            intent.preview = { header: headerName, value: state.previewHeaderValue, target: candidate, secret: true };
        } else {
            intent.preview = { header: headerName, value: "always", target: candidate, secret: false };
        }
    } else if (candidate === MAIN_SIDE_SLOT) {
        intent.preview = { header: headerName, value: "never", target: candidate, secret: false };
    }
    return intent;
}

/**
 * The nginx router's annotations for an intent: the main Ingress (blue) carries only an explicit
 * `canary: "false"`; the canary Ingress (green) carries the weight and the preview header. The one
 * source for the release stack's router and the engine's model of it (planner, local proxy).
 */
export function nginxAnnotations(intent: RouterIntent): { main: Record<string, string>; canary: Record<string, string> } {
    const canary: Record<string, string> = {
        [ANNOTATIONS.canary]: "true",
        [ANNOTATIONS.canaryByHeader]: intent.headerName,
        [ANNOTATIONS.canaryWeight]: String(intent.canaryWeight),
    };
    if (intent.canaryHeaderValue !== undefined) canary[ANNOTATIONS.canaryByHeaderValue] = intent.canaryHeaderValue;
    return { main: { [ANNOTATIONS.canary]: "false" }, canary };
}
