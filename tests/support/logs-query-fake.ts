/**
 * A loopback stand-in for the Log Analytics query API, driven by the real `LogsQueryClient`: HTTPS
 * with a throwaway certificate (the SDK sends its bearer token over TLS only), recording every query
 * it receives and answering one table chosen by the caller — or an error as the API answers one (an
 * HTTP status with `{ "error": { "code", "message" } }`), which the real client throws.
 */
import * as https from "https";
import type { AddressInfo } from "net";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { LogsQueryClient } from "@azure/monitor-query-logs";
import { throwawayCertificate } from "./throwaway-tls";

export interface ReceivedQuery {
    url: string;
    auth?: string;
    body: { query: string; timespan?: string };
}

export interface LogsTableAnswer {
    columns: Array<{ name: string; type: string }>;
    rows: unknown[][];
}

/** A failed query: the status and the API's error object. */
export interface LogsErrorAnswer {
    status: number;
    error: { code: string; message: string };
}

export interface LogsQueryFake {
    /** Every query received since the last `reset`. */
    readonly seen: ReceivedQuery[];
    reset(): void;
    /** A real client pointed at the stand-in, with a fixed token and no retries. */
    client(): LogsQueryClient;
    close(): Promise<void>;
}

const credential: TokenCredential = {
    getToken: async (): Promise<AccessToken> => ({ token: "fake-token", expiresOnTimestamp: Date.now() + 3600_000 }),
};

/** Starts the stand-in; `answer(n)` gives the table (or the error) for the n-th query (1-based). */
export async function startLogsQueryFake(answer: (n: number) => LogsTableAnswer | LogsErrorAnswer): Promise<LogsQueryFake> {
    const tls = throwawayCertificate();
    const seen: ReceivedQuery[] = [];
    const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            seen.push({ url: req.url ?? "", auth: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString()) });
            const table = answer(seen.length);
            if ("error" in table) {
                res.writeHead(table.status, { "content-type": "application/json" });
                res.end(JSON.stringify({ error: table.error }));
                return;
            }
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ tables: [{ name: "PrimaryResult", columns: table.columns, rows: table.rows }] }));
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return {
        seen,
        reset: () => void seen.splice(0),
        client: () =>
            new LogsQueryClient(credential, {
                endpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
                tlsOptions: { ca: tls.cert },
                retryOptions: { maxRetries: 0 },
            }),
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
}
