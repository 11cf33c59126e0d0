/** Records and corrupt record files shared by the local store's specs. */
import type { EngineRecord } from "../../release-engine/src/planner/types";

/** A preview secret: must never appear in an error about a corrupt file. */
export const SECRET = "s3cret-preview-value-0123456789";
export const V1: EngineRecord = { state: { slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } } };
export const V2: EngineRecord = {
    state: {
        slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "candidate", version: "1.1.0", replicas: 2 } },
        previewHeaderValue: SECRET,
    },
    operation: { kind: "release", version: "1.1.0", slot: "green", before: V1.state },
};
/** The file's text as writeRecord writes it. */
export const recordText = (r: EngineRecord) => `${JSON.stringify(r, null, 2)}\n`;

/** Corrupt variants of a record file: garbage, empty, truncated JSON (cut just after the secret), wrong shape. */
export const CORRUPT: Record<string, string> = {
    garbage: "garbage{{\n",
    empty: "",
    truncated: recordText(V2).slice(0, recordText(V2).indexOf(SECRET) + SECRET.length + 3),
    "wrong shape": JSON.stringify({ state: { slots: { blue: { role: "live", version: "one" } } } }),
};
