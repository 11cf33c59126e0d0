/**
 * The traffic-source port: where a weighted step's analysis reads the production counts of the
 * candidate and of live. Two adapters: the environment router's own per-slot, per-version counters
 * (the backend's `trafficCounts`: the local router), and App Insights `AppRequests` over the step's
 * window (gates/appinsights-compare.ts). `trafficSourceFor` is the one place that asks the backend
 * what it can see and chooses, once per run.
 */
import type { SlotTrafficCount, TrafficCount } from "@phoenix/release-model";
import { queryStepCounts } from "../gates/appinsights-compare";
import type { LogsQuerier } from "../gates/appinsights-gate";
import { emptyHistogram, LATENCY_BUCKETS_MS } from "../gates/compare";
import type { SlotVersionRef } from "../gates/gate";
import type { Backend } from "../engine/backend";
import type { EngineConfig } from "../settings/config";

export interface ArmsWindow {
    candidate: SlotVersionRef;
    live: SlotVersionRef;
    /** When the step's weight took effect (windowed sources count from here). */
    since: Date;
}

export interface TrafficSource {
    /** What counts, for messages: "the local router's counters", "App Insights AppRequests". */
    readonly name: string;
    /**
     * True: counts since any fixed origin (the analysis differences them against the step's start);
     * false: counts over the window from `since` (already the step's own).
     */
    readonly cumulative: boolean;
    /** Both arms' counts now; throws when they cannot be read (a failed measurement, retried within the error budget). */
    counts(arms: ArmsWindow): Promise<{ candidate: TrafficCount; live: TrafficCount }>;
}

/** The source chosen for a run, or why there is none. */
export type TrafficSourceChoice = { source: TrafficSource } | { source?: undefined; unavailable: string };

/** The router's counters as a source: each arm is its slot/version's running count (zero before its first request). */
export function routerCounters(read: () => Promise<SlotTrafficCount[]>, bucketsMs: readonly number[]): TrafficSource {
    const pick = (all: SlotTrafficCount[], who: SlotVersionRef): TrafficCount => {
        const c = all.find((x) => x.slot === who.slot && x.version === who.version);
        return c
            ? { requests: c.requests, failed: c.failed, totalMs: c.totalMs, latency: c.latency }
            : { requests: 0, failed: 0, totalMs: 0, latency: emptyHistogram(bucketsMs) };
    };
    return {
        name: "the router's counters",
        cumulative: true,
        async counts(arms) {
            const all = await read();
            return { candidate: pick(all, arms.candidate), live: pick(all, arms.live) };
        },
    };
}

/** App Insights as a source: both arms' `AppRequests` from the step's start to now. */
export function appInsightsCounts(
    client: LogsQuerier,
    source: { workspaceId: string; appName: string; bucketsMs: readonly number[] },
): TrafficSource {
    return {
        name: "App Insights AppRequests",
        cumulative: false,
        async counts(arms) {
            const r = await queryStepCounts(client, source, arms);
            return { candidate: r.candidate, live: r.live };
        },
    };
}

/**
 * The one choice of a run's traffic source, from what the backend can do: its router's counters when
 * it has them, else App Insights when configured, else none (a weighted step cannot be judged).
 */
export function trafficSourceFor(
    backend: Pick<Backend, "kind" | "capabilities">,
    config: Pick<EngineConfig, "appInsights" | "appName" | "progressive">,
    logsClient: LogsQuerier | undefined,
): TrafficSourceChoice {
    const bucketsMs = config.progressive.analysis.latency?.bucketsMs ?? LATENCY_BUCKETS_MS;
    const counters = backend.capabilities.traffic;
    if (counters) return { source: routerCounters(() => counters.trafficCounts(), bucketsMs) };
    if (config.appInsights && logsClient)
        return {
            source: appInsightsCounts(logsClient, { workspaceId: config.appInsights.workspaceId, appName: config.appName, bucketsMs }),
        };
    return {
        unavailable: `the ${backend.kind} backend counts no production per slot and App Insights is not configured; nothing can judge a weighted step (use --steps 100 for a direct switch)`,
    };
}
