/**
 * Measures the HTTP gate's error rates and time-to-verdict against real app processes behind the
 * local router: candidates with a true error rate of 0 %, 1 % (the SPRT's "good" p0 for the dev
 * config), 5 % (the "bad" p1) and 20 %. Reports, per candidate, how often the gate accepted, the
 * median and p95 requests and milliseconds to a verdict.
 *
 *   node -r ts-node/register/transpile-only release-engine/scripts/gate-error-rates.ts [runs]
 */
import { LocalCluster } from "../src/backends/local/cluster";
import { APP_ENTRY, ensureAppBuilt } from "../src/demo/app-build";
import { runHttpGate } from "../src/gates/http-gate";
import { errorParams } from "../src/gates/http-gate";
import { percentile, sprtCapRule, sprtOperatingCharacteristic } from "../src/gates/stats";
import { validateReleaseState } from "@phoenix/release-model";
import { loadConfig } from "../src/settings/config";

async function main(): Promise<void> {
    const runs = Number(process.argv[2] ?? 100);
    ensureAppBuilt((s) => process.stdout.write(`${s}\n`));
    const gate = loadConfig("dev").gate;
    const cluster = new LocalCluster({
        appEntry: APP_ENTRY,
        appName: "calculator",
        host: "phoenix.local",
        headerName: "canary",
        drainMs: 200,
        readyTimeoutMs: 10_000,
        stopGraceMs: 2000,
        port: 0,
    });
    await cluster.start();
    const rates: Array<[string, number]> = [
        ["2.0.0", 0],
        ["2.0.1", 0.01],
        ["2.0.5", 0.05],
        ["2.2.0", 0.2],
    ];
    process.stdout.write(
        `dev gate: maxErrorRate ${gate.maxErrorRate} (SPRT p0 ${gate.maxErrorRate / 5}, p1 ${gate.maxErrorRate}), alpha ${gate.alpha}, beta ${gate.beta}, cap ${gate.maxRequests}, ${runs} runs each\n`,
    );
    const ep = errorParams(gate);
    const cap = sprtCapRule(ep, gate.maxRequests, gate.minRequests);
    process.stdout.write(
        `cap rule: accept an undecided candidate at ${gate.maxRequests} requests only with at most ${cap.rule.maxEventsAtCap} failed; exact P(accept | p1) ${(cap.acceptAtP1 * 100).toFixed(2)} %, P(reject | p0) ${(cap.rejectAtP0 * 100).toFixed(2)} %\n`,
    );
    process.stdout.write(
        "| candidate error rate | accepted | rejected | exact P(accept), error test | requests to verdict (median / p95) | ms to verdict (median / p95) |\n|---|---|---|---|---|---|\n",
    );
    try {
        for (const [version, rate] of rates) {
            cluster.setVersionEnv(version, { FAULT_ERROR_RATE: String(rate) });
            await cluster.apply(
                validateReleaseState({
                    slots: { blue: { role: "live", version: "1.0.0", replicas: 1 }, green: { role: "candidate", version, replicas: 2 } },
                }),
            );
            let accepted = 0;
            const n: number[] = [];
            const ms: number[] = [];
            for (let i = 0; i < runs; i++) {
                const r = await runHttpGate(
                    {
                        url: cluster.url,
                        preview: { header: "canary", value: "always" },
                        candidate: { slot: "green", version },
                        live: { slot: "blue", version: "1.0.0" },
                    },
                    gate,
                );
                if (r.verdict === "pass") accepted++;
                n.push(r.requests);
                ms.push(r.durationMs);
            }
            const exact = sprtOperatingCharacteristic(ep, cap.rule, rate).accept;
            process.stdout.write(
                `| ${(rate * 100).toFixed(0)} % | ${accepted}/${runs} | ${runs - accepted}/${runs} | ${(exact * 100).toFixed(2)} % | ${percentile(n, 0.5)} / ${percentile(n, 0.95)} | ${percentile(ms, 0.5)} / ${percentile(ms, 0.95)} |\n`,
            );
        }
    } finally {
        await cluster.stop();
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack}\n`);
    process.exit(1);
});
