/** A minimal HTTP client over node:http (no keep-alive: a fresh connection per request, so a draining backend never hands us a stale socket). */
import * as http from "http";

export interface HttpResult {
    ok: boolean;
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
    /** Milliseconds from send to the last byte (or to the error). */
    ms: number;
    /** Set when no HTTP answer arrived (connection refused, reset, timeout). */
    error?: string;
}

export interface HttpRequestOptions {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs: number;
}

const agent = new http.Agent({ keepAlive: false });

export function httpRequest(url: string, opts: HttpRequestOptions): Promise<HttpResult> {
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    return new Promise((resolve) => {
        let settled = false;
        const done = (r: Omit<HttpResult, "ms">) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            resolve({ ...r, ms: elapsed() });
        };
        const headers: Record<string, string> = { ...(opts.headers ?? {}) };
        if (opts.body !== undefined) {
            headers["content-type"] ??= "application/json";
            headers["content-length"] = String(Buffer.byteLength(opts.body));
        }
        const req = http.request(url, { method: opts.method ?? "GET", headers, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const status = res.statusCode ?? 0;
                done({ ok: status >= 200 && status < 300, status, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
            });
            res.on("error", (e) => done({ ok: false, status: 0, headers: {}, body: "", error: e.message }));
        });
        const timer = setTimeout(() => {
            done({ ok: false, status: 0, headers: {}, body: "", error: `timeout after ${opts.timeoutMs} ms` });
            req.destroy();
        }, opts.timeoutMs);
        req.on("error", (e) => done({ ok: false, status: 0, headers: {}, body: "", error: e.message }));
        if (opts.body !== undefined) req.write(opts.body);
        req.end();
    });
}

export function header(h: http.IncomingHttpHeaders, name: string): string | undefined {
    const v = h[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
}

/** A random valid calculator input (2 .. 10^9): cheap, and never the same request twice in a row. */
export function randomCalculationBody(): string {
    return JSON.stringify({ number: 2 + Math.floor(Math.random() * 1e9) });
}
