/**
 * The report of one `release` on the local backend: the router's production answers (kept by the
 * local daemon) merged with the engine's switches and gate verdicts, written under the
 * environment's state folder. A report that cannot be written never fails the release.
 */
import { writeReport } from "./report-file";
import { Timeline, type TimelineData } from "./timeline";

export interface LocalReportArgs {
    /** The daemon's router traffic since a time. */
    traffic: (since: number) => Promise<TimelineData>;
    /** `.phoenix/<service>/<env>`. */
    stateDir: string;
    env: string;
    version: string;
    /** When the release started (ms). */
    since: number;
    /** The engine's events (engineObserver). */
    events: Timeline;
    outcome: string;
}

/** Writes the report; returns its path, or a sentence saying why there is none. */
export async function writeLocalReleaseReport(a: LocalReportArgs): Promise<{ path?: string; problem?: string }> {
    try {
        const merged = new Timeline();
        merged.merge(await a.traffic(a.since - 5000));
        merged.merge(a.events.data());
        const path = writeReport(a.stateDir, a.version, merged.data(), {
            title: `Phoenix: release ${a.version} on ${a.env}`,
            env: a.env,
            what: `release ${a.version}`,
            outcome: a.outcome,
            generatedAt: Date.now(),
            source: "the local router (API requests without the preview header)",
        });
        return { path };
    } catch (e) {
        return { problem: `no report: ${(e as Error).message}` };
    }
}
