/**
 * Browser test (`npm run test:browser`; not part of `npm test`): Chromium (Debian's `chromium`, or
 * CHROMIUM_PATH) driven by playwright-core. A local release 1.0.0 → 1.1.0 on the embedded backend:
 *  - the live page's rows turn from the live slot's colour (blue) to the candidate's (green) at
 *    promotion, never before, and its last-minute split shows green;
 *  - the release report (the same file `release` writes) renders its chart: canvas drawn, Chart.js
 *    instance with the slots' datasets and the switch/gate annotations, no console error.
 * Screenshots go to PHOENIX_SCREENSHOT_DIR (default: a temporary folder; the paths are printed).
 */
// The page.evaluate callbacks run in the browser.
/// <reference lib="dom" />
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import { chromium, type Browser, type Page } from "playwright-core";
import type { LocalCluster } from "../../release-engine/src/backends/local/cluster";
import { LocalBackend } from "../../release-engine/src/backends/local/local-backend";
import { runIntent, type EngineDeps } from "../../release-engine/src/engine/engine";
import { createReporter } from "../../release-engine/src/engine/reporter";
import { writeLocalReleaseReport } from "../../release-engine/src/observe/local-report";
import { engineObserver, Timeline } from "../../release-engine/src/observe/timeline";
import { loadConfig } from "../../release-engine/src/settings/config";
import { startCluster, TEST_GATE } from "../support/engine-fixtures";

const CHROMIUM = process.env.CHROMIUM_PATH || ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => fs.existsSync(p));

/** Newest row's class and the time it was read. */
async function newestRow(page: Page): Promise<string | null> {
    return page.evaluate(() => document.querySelector("#rows tr")?.className ?? null);
}

describe("browser: live page and release report (Chromium)", function () {
    this.timeout(180_000);
    let browser: Browser;
    let cluster: LocalCluster;
    let root: string;
    const shots = process.env.PHOENIX_SCREENSHOT_DIR || fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-shots-"));

    before(async function () {
        if (!CHROMIUM) throw new Error("no Chromium: apt-get install -y chromium, or set CHROMIUM_PATH");
        browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
        cluster = await startCluster();
        root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-browser-"));
        fs.mkdirSync(shots, { recursive: true });
    });
    after(async () => {
        await browser?.close();
        await cluster?.stop();
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("live page: rows change from blue to green at promotion; the report's chart renders without console errors", async () => {
        const config = loadConfig("dev", {
            overrides: {
                gate: TEST_GATE,
                production: { requests: 10, timeoutMs: 10_000 },
                local: { drainMs: 200, readyTimeoutMs: 10_000, stopGraceMs: 2000, port: 0 },
            },
        });
        const backend = new LocalBackend({ env: "dev", root, cluster });
        const reporter = createReporter({ write: () => undefined, tfBuild: false });
        assert.equal((await runIntent({ backend, config, reporter }, { kind: "release", version: "1.0.0" })).exitCode, 0);
        // As the CLI does: one timeline of engine events per release.
        const events = new Timeline();
        const deps: EngineDeps = { backend, config, reporter, observer: engineObserver(events) };

        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const consoleErrors: string[] = [];
        page.on("console", (m) => {
            if (m.type() === "error") consoleErrors.push(m.text());
        });
        page.on("pageerror", (e) => consoleErrors.push(e.message));
        // The router routes by host like ingress-nginx: the page is opened with the Ingress host.
        await page.route("**/*", (route) => route.continue({ headers: { ...route.request().headers(), host: config.host } }));
        await page.goto(`${cluster.url}/`);
        await page.waitForFunction(() => document.querySelectorAll("#rows tr.slot-blue").length >= 3, undefined, { timeout: 20_000 });
        assert.equal(await newestRow(page), "slot-blue");

        // Release 1.1.0 while the page watches: sample the newest row until production moves.
        const since = Date.now();
        const seen: Array<{ t: number; cls: string | null }> = [];
        let done = false;
        const release = runIntent(deps, { kind: "release", version: "1.1.0" }).finally(() => (done = true));
        while (!done) {
            seen.push({ t: Date.now(), cls: await newestRow(page) });
            await page.waitForTimeout(100);
        }
        const r = await release;
        assert.equal(r.exitCode, 0, JSON.stringify(r.steps));
        await page.waitForFunction(() => document.querySelector("#rows tr")?.className === "slot-green", undefined, { timeout: 10_000 });
        const sw = events.data().switches.find((s) => s.to === "green 1.1.0");
        assert.ok(sw, "the engine reported the switch to green");
        const firstGreen = seen.find((s) => s.cls === "slot-green");
        assert.ok(
            seen.some((s) => s.cls === "slot-blue"),
            "blue rows while the candidate was deployed and gated",
        );
        // A row is drawn when its answer arrives; a request sent just before the switch may still come from blue.
        assert.ok(!firstGreen || firstGreen.t >= sw.t - 1000, `green rows appeared ${sw.t - (firstGreen?.t ?? 0)} ms before promotion`);
        assert.ok(
            seen.filter((s) => s.t < sw.t - 1000).every((s) => s.cls === "slot-blue"),
            "only blue rows before promotion",
        );
        await page.waitForFunction(() => Array.from(document.querySelectorAll("#split-rows tr.slot-green")).length === 1, undefined, {
            timeout: 10_000,
        });
        const splitSource = await page.textContent("#split-source");
        assert.match(splitSource ?? "", /counted by the router/);
        const liveShot = path.join(shots, "live-page.png");
        await page.screenshot({ path: liveShot, fullPage: false });

        // The report `release` writes on the local backend: router traffic + engine events.
        const written = await writeLocalReleaseReport({
            traffic: async (s) => cluster.traffic.data(s),
            stateDir: path.join(root, "dev"),
            env: "dev",
            version: "1.1.0",
            since,
            events,
            outcome: r.outcome,
        });
        assert.ok(written.path, written.problem);
        const report = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
        const reportErrors: string[] = [];
        report.on("console", (m) => {
            if (m.type() === "error") reportErrors.push(m.text());
        });
        report.on("pageerror", (e) => reportErrors.push(e.message));
        const requests: string[] = [];
        report.on("request", (q) => requests.push(q.url()));
        await report.goto(pathToFileURL(written.path).toString());
        await report.waitForSelector("body[data-chart=rendered]", { timeout: 10_000 });
        const chart = await report.evaluate(() => {
            const c = (
                window as unknown as {
                    Chart: {
                        getChart(id: string): {
                            data: { datasets: Array<{ label: string; data: unknown[] }> };
                            options: { plugins: { annotation: { annotations: Record<string, unknown> } } };
                        };
                    };
                }
            ).Chart.getChart("timeline");
            const canvas = document.getElementById("timeline") as HTMLCanvasElement;
            const pixels = canvas.getContext("2d")?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return {
                datasets: c.data.datasets.map((d) => ({ label: d.label, points: d.data.length })),
                annotations: Object.keys(c.options.plugins.annotation.annotations),
                width: canvas.width,
                height: canvas.height,
                painted,
                events: document.querySelectorAll("#events tbody tr").length,
            };
        });
        const labels = chart.datasets.map((d) => d.label);
        assert.ok(labels.includes("blue 1.0.0") && labels.includes("green 1.1.0"), JSON.stringify(chart.datasets));
        assert.ok(chart.datasets.filter((d) => d.label !== "failed").every((d) => d.points > 0));
        assert.ok(
            chart.annotations.some((a) => a.startsWith("switch")) && chart.annotations.some((a) => a.startsWith("gate")),
            JSON.stringify(chart.annotations),
        );
        assert.ok(chart.width > 300 && chart.height > 200 && chart.painted > 1000, JSON.stringify(chart));
        assert.ok(chart.events >= 2);
        assert.deepEqual(reportErrors, [], "no console error in the report");
        assert.deepEqual(
            requests.filter((u) => !u.startsWith("file:")),
            [],
            "the report loads nothing from the network",
        );
        const reportShot = path.join(shots, "report.png");
        await report.screenshot({ path: reportShot, fullPage: true });
        assert.deepEqual(consoleErrors, [], "no console error on the live page");
        process.stdout.write(`      screenshots: ${liveShot}, ${reportShot}\n      report: ${written.path}\n`);
    });
});
