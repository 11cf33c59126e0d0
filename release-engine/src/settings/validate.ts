/**
 * Checks settings against the schema (settings/schema.ts) with ajv and words every problem with its JSON
 * path, the value and what was expected:
 *   `/progresive is not a setting; did you mean /progressive?`
 *   `/gate/concurrency must be an integer >= 1, got 0`
 * A layer (a settings file, overrides, the Key Vault values) is any part of the settings; the result of
 * merging them onto the defaults must be complete.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { ENGINE_SETTINGS, type EngineSettings } from "./schema";
import { describeExpected, schemaAt } from "./schema-builder";

/**
 * The schema compiled ahead of time by ajv (`npm run settings:validators`; a spec keeps the file equal to
 * what the schema compiles to), so a command's start loads no ajv. Loaded with require: the generated
 * module is plain JavaScript under @ts-nocheck and declares no types of its own.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the generated module is untyped (see above)
const compiled = require("./settings-validators.generated") as { layer: ValidateFunction; complete: ValidateFunction };

/** Problems with one layer of settings (any part of them; empty when it is well formed). */
export function settingsLayerProblems(layer: unknown): string[] {
    const validate = compiled.layer;
    return validate(layer) ? [] : describeErrors(validate.errors ?? [], layer);
}

/** Problems with a complete set of settings (empty when it is one). */
export function settingsProblems(settings: unknown): string[] {
    const validate = compiled.complete;
    return validate(settings) ? [] : describeErrors(validate.errors ?? [], settings);
}

/** Narrows a value `settingsProblems` found nothing wrong with. */
export function isEngineSettings(settings: unknown): settings is EngineSettings {
    return compiled.complete(settings);
}

/** One message per offending value, in the schema's order; the type error wins over range errors on the same value. */
function describeErrors(errors: readonly ErrorObject[], value: unknown): string[] {
    const messages = new Map<string, string>();
    for (const error of errors) {
        if (error.keyword === "additionalProperties") {
            const key = String((error.params as { additionalProperty: string }).additionalProperty);
            const pointer = `${error.instancePath}/${escapePointer(key)}`;
            messages.set(pointer, unknownKeyMessage(pointer, error.instancePath, key));
        } else if (error.keyword === "required") {
            const key = String((error.params as { missingProperty: string }).missingProperty);
            const pointer = `${error.instancePath}/${escapePointer(key)}`;
            messages.set(pointer, `${pointer} is missing (expected ${expectedAt(pointer)})`);
        } else if (!messages.has(error.instancePath)) {
            const shown = JSON.stringify(valueAt(value, error.instancePath)) ?? "nothing";
            messages.set(
                error.instancePath,
                `${error.instancePath || "the settings"} must be ${expectedAt(error.instancePath)}, got ${shown}`,
            );
        }
    }
    return [...messages.values()];
}

function expectedAt(pointer: string): string {
    const schema = schemaAt(ENGINE_SETTINGS.schema, pointer);
    return schema ? describeExpected(schema) : "a known setting";
}

function unknownKeyMessage(pointer: string, parent: string, key: string): string {
    const known = Object.keys(schemaAt(ENGINE_SETTINGS.schema, parent)?.properties ?? {});
    const closest = closestName(key, known);
    return `${pointer} is not a setting; ${closest ? `did you mean ${parent}/${closest}?` : `expected one of: ${known.join(", ")}`}`;
}

/** The known name a misspelling is closest to (at most a third of its letters off), if any. */
export function closestName(name: string, known: readonly string[]): string | undefined {
    let best: { name: string; distance: number } | undefined;
    for (const candidate of known) {
        const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
        if (distance <= Math.max(1, Math.floor(candidate.length / 3)) && (!best || distance < best.distance))
            best = { name: candidate, distance };
    }
    return best?.name;
}

/** Edit distance with adjacent transpositions (optimal string alignment): "alpah" is 1 from "alpha". */
function editDistance(from: string, to: string): number {
    const distances = Array.from({ length: from.length + 1 }, (_, row) =>
        Array.from({ length: to.length + 1 }, (_, column) => (row === 0 ? column : column === 0 ? row : 0)),
    );
    for (let row = 1; row <= from.length; row++) {
        for (let column = 1; column <= to.length; column++) {
            const cost = from[row - 1] === to[column - 1] ? 0 : 1;
            distances[row][column] = Math.min(
                distances[row - 1][column] + 1,
                distances[row][column - 1] + 1,
                distances[row - 1][column - 1] + cost,
            );
            if (row > 1 && column > 1 && from[row - 1] === to[column - 2] && from[row - 2] === to[column - 1])
                distances[row][column] = Math.min(distances[row][column], distances[row - 2][column - 2] + 1);
        }
    }
    return distances[from.length][to.length];
}

function escapePointer(key: string): string {
    return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function valueAt(value: unknown, pointer: string): unknown {
    let at = value;
    for (const token of pointer.split("/").slice(1)) {
        const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
        at = typeof at === "object" && at !== null ? (at as Record<string, unknown>)[key] : undefined;
    }
    return at;
}
