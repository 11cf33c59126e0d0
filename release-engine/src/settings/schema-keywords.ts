/** The schema keywords that are documentation only (ajv's strict mode refuses unknown keywords otherwise). */
export const DOC_KEYWORDS = ["x-expected"] as const;
