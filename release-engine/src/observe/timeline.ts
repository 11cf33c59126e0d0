/**
 * What a release looked like from production: responses per second by slot and version, each
 * switch of production, each gate verdict with its sample. Pure (time is passed in), bounded
 * (per-second buckets, oldest dropped past `maxSeconds`).
 *
 * The narrow interface callers use is {@link ReleaseObserver}: the demo's load generator and the
 * local router report `response`, the engine reports `switch` and `gate` (through engineObserver).
 * The report (report.ts) and the live page's split read {@link TimelineData} / {@link split}.
 */
import type { Verdict } from "../gates/gate";
import type { GateReport } from "../gates/gate-registry";
import { findLiveSlot as findLive } from "@phoenix/release-model";
import type { EngineRecord } from "../planner/types";

export interface SwitchEvent {
    t: number;
    /** "blue 1.0.0", or undefined for the first release. */
    from?: string;
    to: string;
}

export interface GateEvent {
    t: number;
    gate: string;
    verdict: Verdict;
    reason: string;
    /** The candidate's sample, flat for display. */
    sample: Record<string, string | number>;
}

export interface ReleaseObserver {
    /** One production answer; slot "none" when nobody answered (connection error, router error). */
    response(slot: string, version: string, ok: boolean, t: number): void;
    switch(e: SwitchEvent): void;
    gate(e: GateEvent): void;
}

export interface SecondBucket {
    /** Start of the second, ms since the epoch. */
    t: number;
    /** "blue 1.0.0" → counts. */
    series: Record<string, { ok: number; failed: number }>;
}

export interface TimelineData {
    buckets: SecondBucket[];
    switches: SwitchEvent[];
    gates: GateEvent[];
}

export interface SplitRow {
    series: string;
    slot: string;
    version: string;
    ok: number;
    failed: number;
    /** Share of all answers in the window, 0–1. */
    share: number;
}

export function seriesKey(slot: string, version: string): string {
    return version ? `${slot} ${version}` : slot;
}

export class Timeline implements ReleaseObserver {
    private readonly buckets = new Map<number, SecondBucket>();
    private readonly switches: SwitchEvent[] = [];
    private readonly gates: GateEvent[] = [];

    constructor(private readonly maxSeconds = 3600) {}

    response(slot: string, version: string, ok: boolean, t: number): void {
        this.add(slot, version, ok ? 1 : 0, ok ? 0 : 1, t);
    }

    private add(slot: string, version: string, ok: number, failed: number, t: number): void {
        const sec = Math.floor(t / 1000) * 1000;
        let b = this.buckets.get(sec);
        if (!b) {
            b = { t: sec, series: {} };
            this.buckets.set(sec, b);
            const oldest = sec - this.maxSeconds * 1000;
            for (const k of this.buckets.keys()) if (k < oldest) this.buckets.delete(k);
        }
        const key = seriesKey(slot, version);
        const c = (b.series[key] ??= { ok: 0, failed: 0 });
        c.ok += ok;
        c.failed += failed;
    }

    switch(e: SwitchEvent): void {
        this.switches.push({ ...e });
    }

    gate(e: GateEvent): void {
        this.gates.push({ ...e, sample: { ...e.sample } });
    }

    /** Everything from `since` (ms) on, buckets in time order. */
    data(since = 0): TimelineData {
        return {
            buckets: [...this.buckets.values()]
                .filter((b) => b.t + 1000 > since)
                .sort((a, b) => a.t - b.t)
                .map((b) => ({ t: b.t, series: structuredClone(b.series) })),
            switches: this.switches.filter((s) => s.t >= since),
            gates: this.gates.filter((g) => g.t >= since),
        };
    }

    /** Adds another timeline's data (the router's responses to the engine's events). */
    merge(d: TimelineData): void {
        for (const b of d.buckets) {
            for (const [key, c] of Object.entries(b.series)) {
                const [slot, version = ""] = key.split(" ");
                this.add(slot, version, c.ok, c.failed, b.t);
            }
        }
        for (const s of d.switches) this.switch(s);
        for (const g of d.gates) this.gate(g);
    }
}

/** Answers per slot/version over the `windowMs` before `now`, biggest first. */
export function split(d: TimelineData, now: number, windowMs = 60_000): SplitRow[] {
    const totals = new Map<string, { ok: number; failed: number }>();
    for (const b of d.buckets) {
        if (b.t < now - windowMs || b.t > now) continue;
        for (const [key, c] of Object.entries(b.series)) {
            const t = totals.get(key) ?? { ok: 0, failed: 0 };
            t.ok += c.ok;
            t.failed += c.failed;
            totals.set(key, t);
        }
    }
    const all = [...totals.values()].reduce((n, c) => n + c.ok + c.failed, 0);
    return [...totals.entries()]
        .map(([series, c]) => {
            const [slot, version = ""] = series.split(" ");
            return { series, slot, version, ...c, share: all === 0 ? 0 : (c.ok + c.failed) / all };
        })
        .sort((a, b) => b.ok + b.failed - (a.ok + a.failed) || a.series.localeCompare(b.series));
}

/** The engine's hooks (EngineDeps.observer) turned into switch and gate events. */
export interface EngineObserver {
    /** A step's record was applied (`before` → `after`). */
    applied(before: EngineRecord, after: EngineRecord, t: number): void;
    gate(report: GateReport, t: number): void;
}

export function engineObserver(observer: Pick<ReleaseObserver, "switch" | "gate">): EngineObserver {
    const liveOf = (r: EngineRecord | undefined): string | undefined => {
        const slot = findLive(r?.state ?? null);
        return slot && r?.state ? seriesKey(slot, r.state.slots[slot].version ?? "") : undefined;
    };
    return {
        applied(before, after, t) {
            const from = liveOf(before);
            const to = liveOf(after);
            if (to !== undefined && to !== from) observer.switch({ t, from, to });
        },
        gate(report, t) {
            const sample: Record<string, string | number> =
                report.gate === "http"
                    ? {
                          requests: report.requests,
                          errors: report.errors,
                          errorRatePercent: +(report.errorRate * 100).toFixed(2),
                          p50Ms: report.p50Ms,
                          p95Ms: report.p95Ms,
                          wrongVersion: report.wrongVersion,
                          productionRequests: report.production.requests,
                          productionFailures: report.production.failures,
                      }
                    : {
                          requests: report.candidate.requests,
                          failed: report.candidate.failed,
                          p95Ms: report.candidate.p95Ms,
                          polls: report.polls,
                      };
            observer.gate({ t, gate: report.gate, verdict: report.verdict, reason: report.reason, sample });
        },
    };
}
