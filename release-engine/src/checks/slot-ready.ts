/** The slot-ready check: the slot runs its replicas' ready endpoints of the version (Helm's atomic wait, or the local processes). */
import type { Check } from "../planner/types";
import { measureWithin } from "../gates/error-budget";
import type { CheckRunner } from "./check";

type SlotReadyCheck = Extract<Check, { kind: "slot-ready" }>;

export const slotReadyCheck: CheckRunner<SlotReadyCheck> = {
    describe: (check) => `slot-ready of ${check.slot}`,
    watchesCandidate: false,
    async run(check, _record, ctx) {
        const measured = await measureWithin(() => ctx.backend.slotReady(check.slot, check.version, check.replicas), {
            budget: ctx.config.errorBudget,
            retryMs: ctx.config.readiness.pollMs,
            what: `reading ${check.slot}'s readiness`,
            ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
        });
        if (!measured.ok)
            return {
                verdict: "inconclusive",
                detail: `slot-ready: ${measured.reason}`,
                inconclusive: { what: `the slot-ready check of ${check.slot}`, reason: measured.reason },
            };
        return { verdict: measured.value.ok ? "pass" : "fail", detail: `slot-ready: ${measured.value.detail}` };
    },
};
