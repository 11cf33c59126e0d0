/**
 * Production traffic as counted per slot and version: what a router's per-backend counters (the local
 * router) or telemetry (App Insights `AppRequests`) report, and what a weighted step's comparison judges.
 * One shape for the router, the backends, the traffic sources and the comparison. Pure types.
 */
import type { SlotName } from "./release-state";

/** Production responses one arm (a slot's version) answered, cumulative or over a window. */
export interface TrafficCount {
    /** Production requests this arm answered. */
    readonly requests: number;
    /** Of those, failed (5xx or no answer). */
    readonly failed: number;
    /** Sum of response times in ms (optional; reported as the mean). */
    readonly totalMs?: number;
    /**
     * Requests per latency bucket, one entry per bucket edge plus an overflow entry: entry i counts
     * latencies in (edges[i−1], edges[i]] (entry 0 from 0), the last those above the last edge. Sums
     * to `requests`. Required where latency is judged.
     */
    readonly latency?: readonly number[];
}

/** A router's running count of one slot and version (slot `none`: the router's own errors); the router increments it in place. */
export interface SlotTrafficCount extends TrafficCount {
    slot: SlotName | "none";
    version: string;
    requests: number;
    failed: number;
    totalMs: number;
    latency: number[];
}
