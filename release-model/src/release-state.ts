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
export function isSemver(version: string): boolean {
    return version.length <= 256 && SEMVER.test(version);
}

/** Characters allowed in a preview header value: URL-safe token characters. */
const PREVIEW_VALUE = /^[A-Za-z0-9._~-]{16,128}$/;
/** An HTTP header name nginx exposes as `$http_<name>` (no underscores: nginx drops those by default). */
const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

export function isValidHeaderName(name: string): boolean {
    return HEADER_NAME.test(name);
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    if (typeof value === "string") return JSON.stringify(value);
    try {
        return JSON.stringify(value) ?? String(value);
    } catch {
        return String(value);
    }
}

/**
 * Validates a release state (already parsed from JSON/YAML) and returns it typed. Throws a
 * {@link ReleaseStateError} listing every problem. Never echoes `previewHeaderValue` (a secret).
 */
export function validateReleaseState(input: unknown): ReleaseState {
    const problems: string[] = [];
    if (!isRecord(input)) throw new ReleaseStateError([`the state must be an object with "slots", got ${describe(input)}`]);
    for (const key of Object.keys(input)) {
        if (key !== "slots" && key !== "previewHeaderValue" && key !== "candidateWeight")
            problems.push(`unknown key "${key}" (allowed: slots, previewHeaderValue, candidateWeight)`);
    }
    const slotsIn = input.slots;
    const slots: Partial<Record<SlotName, SlotState>> = {};
    if (!isRecord(slotsIn)) {
        problems.push(`"slots" must be an object with "blue" and "green", got ${describe(slotsIn)}`);
    } else {
        for (const key of Object.keys(slotsIn)) {
            if (!(SLOT_NAMES as readonly string[]).includes(key)) problems.push(`unknown slot "${key}" (slots are blue and green)`);
        }
        for (const name of SLOT_NAMES) {
            const slotIn = slotsIn[name];
            if (!isRecord(slotIn)) {
                problems.push(`slot ${name} is missing or not an object (give at least { role: ... })`);
                continue;
            }
            for (const key of Object.keys(slotIn)) {
                if (!["role", "version", "replicas"].includes(key))
                    problems.push(`slot ${name}: unknown key "${key}" (allowed: role, version, replicas)`);
            }
            const role = slotIn.role;
            if (typeof role !== "string" || !(SLOT_ROLES as readonly string[]).includes(role)) {
                problems.push(`slot ${name}: role must be one of ${SLOT_ROLES.join(" | ")}, got ${describe(role)}`);
                continue;
            }
            const slot: SlotState = { role: role as SlotRole };
            if (role === "absent") {
                if (slotIn.version !== undefined)
                    problems.push(`slot ${name} is absent but has a version (${describe(slotIn.version)}); an absent slot has no version`);
                if (slotIn.replicas !== undefined)
                    problems.push(`slot ${name} is absent but has replicas (${describe(slotIn.replicas)}); an absent slot has no replicas`);
            } else {
                if (slotIn.version === undefined) problems.push(`slot ${name} is ${role} but has no version`);
                else if (typeof slotIn.version !== "string" || !isSemver(slotIn.version))
                    problems.push(`slot ${name}: version must be semver (e.g. 1.4.2), got ${describe(slotIn.version)}`);
                else slot.version = slotIn.version;
                if (slotIn.replicas !== undefined) {
                    const min = role === "standby" ? 0 : 1;
                    if (
                        typeof slotIn.replicas !== "number" ||
                        !Number.isInteger(slotIn.replicas) ||
                        slotIn.replicas < min ||
                        slotIn.replicas > 100
                    ) {
                        problems.push(
                            `slot ${name} (${role}): replicas must be an integer from ${min} to 100, got ${describe(slotIn.replicas)}`,
                        );
                    } else {
                        slot.replicas = slotIn.replicas;
                    }
                }
            }
            slots[name] = slot;
        }
        const present = SLOT_NAMES.filter((slot) => slots[slot] !== undefined);
        if (present.length === SLOT_NAMES.length) {
            const lives = SLOT_NAMES.filter((slot) => slots[slot]!.role === "live");
            if (lives.length !== 1)
                problems.push(`exactly one slot must be live, found ${lives.length === 0 ? "none" : lives.join(" and ")}`);
            const candidates = SLOT_NAMES.filter((slot) => slots[slot]!.role === "candidate");
            if (candidates.length > 1) problems.push(`at most one slot may hold a candidate, found ${candidates.join(" and ")}`);
        }
    }
    const previewIn = input.previewHeaderValue;
    let previewHeaderValue: string | undefined;
    if (previewIn !== undefined) {
        if (typeof previewIn !== "string" || !PREVIEW_VALUE.test(previewIn)) {
            problems.push("previewHeaderValue must be 16 to 128 characters from A-Z a-z 0-9 . _ ~ - (value not shown: it is a secret)");
        } else if (previewIn === "always" || previewIn === "never") {
            problems.push("previewHeaderValue must not be always or never");
        } else {
            previewHeaderValue = previewIn;
        }
    }
    const weightIn = input.candidateWeight;
    if (weightIn !== undefined) {
        if (typeof weightIn !== "number" || !Number.isInteger(weightIn) || weightIn < 1 || weightIn > 99) {
            problems.push(
                `candidateWeight must be an integer from 1 to 99 (percent of production on the candidate), got ${describe(weightIn)}`,
            );
        } else if (isRecord(slotsIn) && !SLOT_NAMES.some((slot) => slots[slot]?.role === "candidate")) {
            problems.push("candidateWeight needs a candidate slot to carry it");
        } else if (isRecord(slotsIn) && SLOT_NAMES.some((slot) => slots[slot]?.role === "candidate" && slots[slot]?.replicas === 0)) {
            problems.push("candidateWeight needs a candidate with at least one replica");
        }
    }
    if (problems.length > 0) throw new ReleaseStateError(problems);
    const state: ReleaseState = { slots: slots as Record<SlotName, SlotState> };
    if (previewHeaderValue !== undefined) state.previewHeaderValue = previewHeaderValue;
    if (weightIn !== undefined) state.candidateWeight = weightIn as number;
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

function slotsWithRole(state: ReleaseState, role: SlotRole): SlotName[] {
    return SLOT_NAMES.filter((slot) => state.slots[slot].role === role);
}

/** The live slot of a state, or undefined when there is no state (nothing released) or no live slot. */
export function findLiveSlot(state: ReleaseState | null): SlotName | undefined {
    if (!state) return undefined;
    const live = slotsWithRole(state, "live");
    return live.length === 1 ? live[0] : undefined;
}

/** The live slot (a validated state has exactly one). */
export function liveSlot(state: ReleaseState): SlotName {
    const live = slotsWithRole(state, "live");
    if (live.length !== 1) throw new ReleaseStateError([`exactly one slot must be live, found ${live.length}`]);
    return live[0];
}

export function candidateSlot(state: ReleaseState): SlotName | undefined {
    return slotsWithRole(state, "candidate")[0];
}

export function standbySlot(state: ReleaseState): SlotName | undefined {
    return slotsWithRole(state, "standby")[0];
}

export function otherSlot(slot: SlotName): SlotName {
    return slot === "blue" ? "green" : "blue";
}

/** Slots that run a Helm release (every role but `absent`). */
export function presentSlots(state: ReleaseState): SlotName[] {
    return SLOT_NAMES.filter((slot) => state.slots[slot].role !== "absent");
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
export function replicasOf(slotState: SlotState | undefined, defaultReplicas: number): number {
    if (!slotState || slotState.role === "absent") return 0;
    return slotState.replicas ?? defaultReplicas;
}

/** The version a slot runs, or undefined when it is absent. */
export function versionOf(slotState: SlotState | undefined): string | undefined {
    return slotState && slotState.role !== "absent" ? slotState.version : undefined;
}

/** Exported for messages elsewhere in the model: a value as it should appear in an error. */
export { describe as describeValue };
