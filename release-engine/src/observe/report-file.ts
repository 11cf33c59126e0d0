/**
 * Writes a release report (report.ts) to `<environment state folder>/reports/<time>-<what>.html`,
 * with Chart.js and its annotation plugin inlined from node_modules (the file then works offline).
 */
import * as fs from "fs";
import * as path from "path";
import { renderReport, type ChartLibraries, type ReportMeta } from "./report";
import type { TimelineData } from "./timeline";

let cached: ChartLibraries | undefined;

/** The minified UMD builds of the pinned chart libraries (package.json: chart.js, chartjs-plugin-annotation). */
export function chartLibraries(): ChartLibraries {
    // The packages' `exports` hide their dist folders; their main entries live beside the UMD builds.
    const dist = (pkg: string) => path.dirname(require.resolve(pkg));
    cached ??= {
        chartJs: fs.readFileSync(path.join(dist("chart.js"), "chart.umd.min.js"), "utf8"),
        annotation: fs.readFileSync(path.join(dist("chartjs-plugin-annotation"), "chartjs-plugin-annotation.min.js"), "utf8"),
    };
    return cached;
}

/** `2026-07-01T12-30-05Z`: sortable and valid in every file system. */
export function fileStamp(t: number): string {
    return new Date(t)
        .toISOString()
        .replace(/\.\d{3}Z$/, "Z")
        .replace(/:/g, "-");
}

export function writeReport(stateDir: string, label: string, data: TimelineData, meta: ReportMeta): string {
    const dir = path.join(stateDir, "reports");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${fileStamp(meta.generatedAt)}-${label.replace(/[^A-Za-z0-9._-]+/g, "_")}.html`);
    fs.writeFileSync(file, renderReport(data, meta, chartLibraries()));
    return file;
}
