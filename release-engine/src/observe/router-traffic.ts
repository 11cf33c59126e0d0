/**
 * The local router's side of the timeline: it records every production answer (API requests
 * without the preview header) when the response finishes, and answers `GET /_phoenix/traffic`
 * itself with the split of the last minute (the live page shows it). Kept here so the router
 * (backends/local/cluster.ts) only calls two functions.
 */
import type * as http from "http";
import { split, type Timeline } from "./timeline";

export const TRAFFIC_PATH = "/_phoenix/traffic";

/**
 * Records the answer to `req` once `res` finishes. The router passes the upstream's headers to the
 * returned function (headers given to writeHead are not readable from `res` afterwards).
 */
export function trafficRecorder(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    previewHeader: string,
    traffic: Timeline,
): (upstream: http.IncomingHttpHeaders) => void {
    let who: http.IncomingHttpHeaders = {};
    if (!(req.url ?? "").startsWith("/api/") || req.headers[previewHeader.toLowerCase()] !== undefined) return () => undefined;
    const done = (ok: boolean) => {
        const slot = who["x-app-slot"];
        const version = who["x-app-version"];
        traffic.response(typeof slot === "string" ? slot : "none", typeof version === "string" ? version : "", ok, Date.now());
    };
    res.once("finish", () => done(res.statusCode < 500));
    res.once("close", () => {
        if (!res.writableFinished) done(false);
    });
    return (upstream) => {
        who = upstream;
    };
}

/** Answers `GET /_phoenix/traffic[?since=ms]`; false for any other request. */
export function serveTraffic(req: http.IncomingMessage, res: http.ServerResponse, traffic: Timeline): boolean {
    const url = new URL(req.url ?? "/", "http://router");
    if (url.pathname !== TRAFFIC_PATH) return false;
    req.resume();
    const now = Date.now();
    const since = Number(url.searchParams.get("since") ?? now - 60_000);
    const data = traffic.data(Number.isFinite(since) ? since : now - 60_000);
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify({ now, windowMs: 60_000, split: split(data, now, 60_000), ...data }));
    return true;
}
