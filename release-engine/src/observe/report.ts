/**
 * The release report: one self-contained HTML file (works offline) with a chart of production
 * responses per second by slot and version (Chart.js, stacked bars; failures as red points), each
 * switch and gate verdict as an annotation (chartjs-plugin-annotation), the gates' samples and
 * decisions, and totals. Pure: the chart libraries' source comes in as text (report-file.ts reads
 * them from node_modules).
 */
import { split, type TimelineData } from "./timeline";

export interface ReportMeta {
    title: string;
    env: string;
    /** What ran: "release 1.1.0", "demo". */
    what: string;
    outcome: string;
    generatedAt: number;
    /** Where the responses were counted ("the demo's production load", "the local router"). */
    source: string;
}

export interface ChartLibraries {
    chartJs: string;
    annotation: string;
}

const BLUES = ["#1f6fd1", "#7fb2f0", "#0b3d91", "#4a90e2"];
const GREENS = ["#1a9e4a", "#7fd19b", "#0c5e2a", "#3cba6a"];

/** A colour per series: shades of blue / green by slot, in order of appearance; grey otherwise. */
export function seriesColours(series: string[]): Record<string, string> {
    const used: Record<string, number> = { blue: 0, green: 0 };
    const out: Record<string, string> = {};
    for (const s of series) {
        const slot = s.split(" ")[0];
        if (slot === "blue" || slot === "green") out[s] = (slot === "blue" ? BLUES : GREENS)[used[slot]++ % 4];
        else out[s] = "#888888";
    }
    return out;
}

function esc(s: string): string {
    return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);
}

/** Text safe inside a <script> element. */
function scriptText(s: string): string {
    return s.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/** The chart's configuration (plain data, no functions), built here so it is testable. */
export function chartConfig(d: TimelineData): { config: unknown; series: string[]; t0: number } {
    const t0 = Math.min(...d.buckets.map((b) => b.t), ...d.switches.map((s) => s.t), ...d.gates.map((g) => g.t), Date.now());
    const series = [...new Set(d.buckets.flatMap((b) => Object.keys(b.series)))].sort((a, b) => {
        const first = (k: string) => d.buckets.find((x) => x.series[k])?.t ?? 0;
        return first(a) - first(b) || a.localeCompare(b);
    });
    const colours = seriesColours(series);
    const sec = (t: number) => Math.round((t - t0) / 100) / 10;
    const datasets: unknown[] = series.map((s) => ({
        type: "bar",
        label: s,
        // Each bar covers its second: drawn at the second's middle.
        data: d.buckets.filter((b) => b.series[s]?.ok).map((b) => ({ x: sec(b.t + 500), y: b.series[s].ok })),
        backgroundColor: colours[s],
        stack: "answers",
        barPercentage: 1,
        categoryPercentage: 1,
    }));
    const failures = d.buckets
        .map((b) => ({ x: sec(b.t + 500), y: Object.values(b.series).reduce((n, c) => n + c.failed, 0) }))
        .filter((p) => p.y > 0);
    datasets.push({
        type: "scatter",
        label: "failed",
        data: failures,
        backgroundColor: "#d62728",
        borderColor: "#d62728",
        pointRadius: 6,
        pointStyle: "crossRot",
    });
    const annotations: Record<string, unknown> = {};
    d.switches.forEach((s, i) => {
        annotations[`switch${i}`] = {
            type: "line",
            xMin: sec(s.t),
            xMax: sec(s.t),
            borderColor: "#333",
            borderWidth: 2,
            label: {
                display: true,
                content: `switch: ${s.from ?? "nothing"} → ${s.to}`,
                position: "start",
                backgroundColor: "rgba(40,40,40,0.85)",
                font: { size: 11 },
            },
        };
    });
    d.gates.forEach((g, i) => {
        annotations[`gate${i}`] = {
            type: "line",
            xMin: sec(g.t),
            xMax: sec(g.t),
            borderColor: g.verdict === "pass" ? "#1a9e4a" : g.verdict === "inconclusive" ? "#b07d00" : "#d62728",
            borderWidth: 2,
            borderDash: [6, 4],
            label: {
                display: true,
                content: `${g.gate} gate ${g.verdict.toUpperCase()}`,
                position: "end",
                backgroundColor:
                    g.verdict === "pass"
                        ? "rgba(26,158,74,0.9)"
                        : g.verdict === "inconclusive"
                          ? "rgba(176,125,0,0.9)"
                          : "rgba(214,39,40,0.9)",
                font: { size: 11 },
            },
        };
    });
    const config = {
        data: { datasets },
        options: {
            animation: false,
            responsive: true,
            maintainAspectRatio: false,
            parsing: true,
            scales: {
                x: { type: "linear", stacked: true, title: { display: true, text: "seconds since the start" } },
                y: { stacked: true, beginAtZero: true, title: { display: true, text: "production responses per second" } },
            },
            plugins: { annotation: { annotations }, legend: { position: "bottom" } },
        },
    };
    return { config, series, t0 };
}

export function renderReport(d: TimelineData, meta: ReportMeta, libs: ChartLibraries): string {
    const { config, series, t0 } = chartConfig(d);
    const colours = seriesColours(series);
    const totals = split(d, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const total = totals.reduce((n, r) => n + r.ok + r.failed, 0);
    const failed = totals.reduce((n, r) => n + r.failed, 0);
    const at = (t: number) => `${new Date(t).toISOString().slice(11, 19)} (+${((t - t0) / 1000).toFixed(1)} s)`;
    const rows = totals
        .map(
            (r) =>
                `<tr><td><span class="swatch" style="background:${colours[r.series] ?? "#888"}"></span>${esc(r.series)}</td><td>${r.ok}</td><td>${r.failed}</td><td>${(r.share * 100).toFixed(1)} %</td></tr>`,
        )
        .join("");
    const events = [
        ...d.switches.map((s) => ({ t: s.t, html: `<td>switch</td><td>${esc(s.from ?? "nothing")} → <b>${esc(s.to)}</b></td>` })),
        ...d.gates.map((g) => ({
            t: g.t,
            html: `<td>${esc(g.gate)} gate</td><td class="${g.verdict}"><b>${g.verdict.toUpperCase()}</b>: ${esc(g.reason)}<br><small>sample: ${Object.entries(
                g.sample,
            )
                .map(([k, v]) => `${esc(k)} ${esc(String(v))}`)
                .join(" · ")}</small></td>`,
        })),
    ]
        .sort((a, b) => a.t - b.t)
        .map((e) => `<tr><td>${at(e.t)}</td>${e.html}</tr>`)
        .join("");
    return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(meta.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
.meta { color: #555; margin: 0 0 1rem; }
.chart { position: relative; height: 420px; }
table { border-collapse: collapse; margin: 1rem 0; }
td, th { border-bottom: 1px solid #ddd; padding: .3rem .6rem; text-align: left; vertical-align: top; }
.swatch { display: inline-block; width: .9rem; height: .9rem; margin-right: .4rem; vertical-align: middle; }
.pass { color: #116b32; } .fail { color: #a11d1e; } .inconclusive { color: #7a5600; }
.verdict { font-weight: bold; }
</style>
</head>
<body>
<h1>${esc(meta.title)}</h1>
<p class="meta">${esc(meta.what)} on <b>${esc(meta.env)}</b> · outcome <b>${esc(meta.outcome)}</b> · ${new Date(meta.generatedAt).toISOString()} · responses counted by ${esc(meta.source)}</p>
<p class="verdict ${failed === 0 ? "pass" : "fail"}" id="summary">production responses: ${total}, failed: ${failed}</p>
<div class="chart"><canvas id="timeline" role="img" aria-label="production responses per second by slot and version"></canvas></div>
<h2>Answers by slot and version</h2>
<table id="totals"><thead><tr><th>slot version</th><th>ok</th><th>failed</th><th>share</th></tr></thead><tbody>${rows}</tbody></table>
<h2>Switches and gate verdicts</h2>
<table id="events"><thead><tr><th>time</th><th>event</th><th>detail</th></tr></thead><tbody>${events}</tbody></table>
<script id="chart-config" type="application/json">${scriptText(JSON.stringify(config))}</script>
<script>${scriptText(libs.chartJs)}</script>
<script>${scriptText(libs.annotation)}</script>
<script>
"use strict";
(function () {
  var config = JSON.parse(document.getElementById("chart-config").textContent);
  var chart = new Chart(document.getElementById("timeline"), config);
  document.body.setAttribute("data-chart", chart.data.datasets.length > 0 ? "rendered" : "empty");
})();
</script>
</body>
</html>
`;
}
