/** The one guard for "a mapping" in parsed JSON or YAML, shared by every validator of the model and the engine. */

/** True for an object that is neither null nor an array: what parsing JSON or YAML gives for a mapping. */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}
