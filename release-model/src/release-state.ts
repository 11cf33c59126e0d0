/**
 * The release state (`phoenix-release:state`): which slot is live, which holds a candidate, and
 * what each slot runs. Pure and router-neutral: parsing and validation. What a particular router
 * additionally requires of a state (nginx: blue, behind the main Ingress, is never absent) lives
 * with that router (`routers/<kind>/`, `RouterModel.stateProblems`).
 *
 * Shared by the release stack (which turns it into Helm releases and routes) and the release
 * engine (which plans transitions between states). See docs/contracts.md and docs/release-stack.md.
 */
import { isRecord } from "./plain-object";

export const SLOT_NAMES = ["blue", "green"] as const;
export type SlotName = (typeof SLOT_NAMES)[number];
export const SLOT_ROLES = ["live", "candidate", "standby", "absent"] as const;
export type SlotRole = (typeof SLOT_ROLES)[number];

export interface SlotState {
    role: SlotRole;
    /** Semver of the app in this slot; required unless the slot is absent. */
    version?: string;
    /** Pods; when omitted the environment's configured default applies (see {@link replicasOf}). */
    replicas?: number;
}

export interface ReleaseState {
    slots: Record<SlotName, SlotState>;
    /** Optional per-release secret header value that reaches the candidate (the preview route's header match). */
    previewHeaderValue?: string;
    /**
     * Progressive delivery: the percent of production (1–99) the candidate serves while production moves
     * to it in steps; the live slot serves the rest. Absent: production is entirely on the live slot.
     */
    candidateWeight?: number;
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

/**
 * Validates a release state (already parsed from JSON/YAML) and returns it typed. Throws a
 * {@link ReleaseStateError} listing every problem. Never echoes `previewHeaderValue` (a secret).
 */
export function validateReleaseState(input: unknown): ReleaseState {
    const problems: string[] = [];
    if (!isRecord(input)) throw new ReleaseStateError([`the state must be an object with "slots", got ${describe(input)}`]);
    for (const k of Object.keys(input)) {
        if (k !== "slots" && k !== "previewHeaderValue" && k !== "candidateWeight")
            problems.push(`unknown key "${k}" (allowed: slots, previewHeaderValue, candidateWeight)`);
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
                if (!["role", "version", "replicas"].includes(k))
                    problems.push(`slot ${name}: unknown key "${k}" (allowed: role, version, replicas)`);
            }
            const role = s.role;
            if (typeof role !== "string" || !(SLOT_ROLES as readonly string[]).includes(role)) {
                problems.push(`slot ${name}: role must be one of ${SLOT_ROLES.join(" | ")}, got ${describe(role)}`);
                continue;
            }
            const slot: SlotState = { role: role as SlotRole };
            if (role === "absent") {
                if (s.version !== undefined)
                    problems.push(`slot ${name} is absent but has a version (${describe(s.version)}); an absent slot has no version`);
                if (s.replicas !== undefined)
                    problems.push(`slot ${name} is absent but has replicas (${describe(s.replicas)}); an absent slot has no replicas`);
            } else {
                if (s.version === undefined) problems.push(`slot ${name} is ${role} but has no version`);
                else if (typeof s.version !== "string" || !isSemver(s.version))
                    problems.push(`slot ${name}: version must be semver (e.g. 1.4.2), got ${describe(s.version)}`);
                else slot.version = s.version;
                if (s.replicas !== undefined) {
                    const min = role === "standby" ? 0 : 1;
                    if (typeof s.replicas !== "number" || !Number.isInteger(s.replicas) || s.replicas < min || s.replicas > 100) {
                        problems.push(
                            `slot ${name} (${role}): replicas must be an integer from ${min} to 100, got ${describe(s.replicas)}`,
                        );
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
            if (lives.length !== 1)
                problems.push(`exactly one slot must be live, found ${lives.length === 0 ? "none" : lives.join(" and ")}`);
            const candidates = SLOT_NAMES.filter((n) => slots[n]!.role === "candidate");
            if (candidates.length > 1) problems.push(`at most one slot may hold a candidate, found ${candidates.join(" and ")}`);
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
    const cw = input.candidateWeight;
    if (cw !== undefined) {
        if (typeof cw !== "number" || !Number.isInteger(cw) || cw < 1 || cw > 99) {
            problems.push(`candidateWeight must be an integer from 1 to 99 (percent of production on the candidate), got ${describe(cw)}`);
        } else if (isRecord(slotsIn) && !SLOT_NAMES.some((n) => slots[n]?.role === "candidate")) {
            problems.push("candidateWeight needs a candidate slot to carry it");
        } else if (isRecord(slotsIn) && SLOT_NAMES.some((n) => slots[n]?.role === "candidate" && slots[n]?.replicas === 0)) {
            problems.push("candidateWeight needs a candidate with at least one replica");
        }
    }
    if (problems.length > 0) throw new ReleaseStateError(problems);
    const state: ReleaseState = { slots: slots as Record<SlotName, SlotState> };
    if (previewHeaderValue !== undefined) state.previewHeaderValue = previewHeaderValue;
    if (cw !== undefined) state.candidateWeight = cw as number;
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

/** The live slot of a state, or undefined when there is no state (nothing released) or no live slot. */
export function findLiveSlot(s: ReleaseState | null): SlotName | undefined {
    if (!s) return undefined;
    const live = slotsWithRole(s, "live");
    return live.length === 1 ? live[0] : undefined;
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

/**
 * A slot's pods: 0 when absent, else its `replicas`, else `defaultReplicas` — the environment's
 * configured default (the engine's `replicas` setting, the release stack's `replicas` config). The
 * one place a missing replica count is resolved.
 */
export function replicasOf(s: SlotState | undefined, defaultReplicas: number): number {
    if (!s || s.role === "absent") return 0;
    return s.replicas ?? defaultReplicas;
}

/** The version a slot runs, or undefined when it is absent. */
export function versionOf(s: SlotState | undefined): string | undefined {
    return s && s.role !== "absent" ? s.version : undefined;
}

/** Exported for messages elsewhere in the model: a value as it should appear in an error. */
export { describe as describeValue };
