/**
 * Which number a calculation request asks for: the JSON body's `number`, or the seed's `number`
 * header when there is no body. Pure; every rejection says what was wrong.
 */

export type NumberInput = { ok: true; value: number } | { ok: false; error: string };

const RANGE = `an integer from 2 to ${Number.MAX_SAFE_INTEGER}`;

function checkNumber(n: number, source: string): NumberInput {
    if (!Number.isFinite(n)) return { ok: false, error: `${source} must be ${RANGE}` };
    if (!Number.isInteger(n)) return { ok: false, error: `${source} must be an integer, got ${n}` };
    if (n < 2) return { ok: false, error: `${source} must be at least 2, got ${n}` };
    if (n > Number.MAX_SAFE_INTEGER) return { ok: false, error: `${source} is too large: the maximum is ${Number.MAX_SAFE_INTEGER}` };
    return { ok: true, value: n };
}

function describe(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "an array";
    return `a ${typeof v}`;
}

/**
 * @param body   the parsed request body (undefined when the request had none)
 * @param header the `number` header, if any
 */
export function parseNumberInput(body: unknown, header: string | string[] | undefined): NumberInput {
    if (body !== undefined && body !== null && !(typeof body === "string" && body === "")) {
        if (typeof body !== "object" || Array.isArray(body)) {
            return { ok: false, error: `the body must be a JSON object like {"number": 42}, got ${describe(body)}` };
        }
        const value = (body as Record<string, unknown>).number;
        if (value === undefined) return { ok: false, error: `the body has no "number" field: send {"number": 42}` };
        if (typeof value !== "number") return { ok: false, error: `"number" must be a JSON number, got ${describe(value)}` };
        return checkNumber(value, `"number"`);
    }
    if (header === undefined) {
        return { ok: false, error: `missing number: send {"number": 42} as JSON (or a "number" header)` };
    }
    const h = Array.isArray(header) ? header.join(",") : header.trim();
    if (!/^-?\d+(\.\d+)?$/.test(h))
        return { ok: false, error: `the "number" header must be ${RANGE}, got ${JSON.stringify(h.slice(0, 40))}` };
    return checkNumber(Number(h), `the "number" header`);
}
