/** The production check: answers without the preview header must all succeed and come from the expected slot. */
import { header, httpRequest, randomCalculationBody } from "../util/http";
import type { PublicEndpoint } from "../engine/backend";
import type { ProductionCheckConfig } from "../settings/config";
import type { Check } from "../planner/types";
import { measureWithin } from "../gates/error-budget";
import type { CheckRunner } from "./check";
import { throwIfInterrupted } from "../util/interrupt";

export interface ProductionCheckResult {
    ok: boolean;
    detail: string;
    requests: number;
}

/**
 * Sends production requests to `requestPath` (the API path the HTTP gate requests, `gate.path` in
 * the engine's config) until `requests` consecutive answers come from slot/version (the controller
 * applies a weight change within a second or so); any failed request fails the check.
 */
export async function checkProduction(
    ep: PublicEndpoint,
    expect: { slot: string; version: string },
    cfg: ProductionCheckConfig,
    requestPath: string,
    /** Cuts the check short: aborted, it throws InterruptedError (util/interrupt.ts). */
    signal?: AbortSignal,
): Promise<ProductionCheckResult> {
    const deadline = Date.now() + cfg.timeoutMs;
    let consecutive = 0;
    let n = 0;
    const url = new URL(requestPath, ep.url).toString();
    while (Date.now() < deadline) {
        throwIfInterrupted(signal);
        const r = await httpRequest(url, {
            method: "POST",
            headers: ep.hostHeader ? { host: ep.hostHeader } : {},
            body: randomCalculationBody(),
            timeoutMs: 5000,
        });
        n++;
        if (!r.ok) return { ok: false, requests: n, detail: `production request ${n} failed: ${r.error ?? `HTTP ${r.status}`}` };
        const slot = header(r.headers, "x-app-slot");
        const version = header(r.headers, "x-app-version");
        if (slot === expect.slot && version === expect.version) {
            if (++consecutive >= cfg.requests)
                return { ok: true, requests: n, detail: `${consecutive} consecutive production answers from ${slot} ${version}` };
        } else {
            consecutive = 0;
            await new Promise((res) => setTimeout(res, 50));
        }
    }
    return { ok: false, requests: n, detail: `production did not settle on ${expect.slot} ${expect.version} within ${cfg.timeoutMs} ms` };
}

type ProductionCheck = Extract<Check, { kind: "production" }>;

/** The production check as a runner: reaching the endpoint is the measurement (retried within the error budget); a failed answer is evidence. */
export const productionCheck: CheckRunner<ProductionCheck> = {
    describe: () => "the production check",
    watchesCandidate: false,
    async run(check, _record, ctx) {
        const { config } = ctx;
        const measured = await measureWithin(() => ctx.backend.endpoint(), {
            budget: config.errorBudget,
            retryMs: config.readiness.pollMs,
            what: "reaching the environment's endpoint",
            ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
        });
        if (!measured.ok)
            return {
                verdict: "inconclusive",
                detail: `production: ${measured.reason}`,
                inconclusive: { what: "the production check", reason: measured.reason },
            };
        const r = await checkProduction(measured.value, check, config.production, config.gate.path, ctx.signal);
        return { verdict: r.ok ? "pass" : "fail", detail: `production: ${r.detail}` };
    },
};
