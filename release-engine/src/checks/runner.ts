/**
 * The checks' registry and the one entry the engine calls: `runCheck` finds the runner of a check's
 * kind (one file each: slot-ready.ts, production.ts, gates.ts, analysis.ts) and runs it. A runner that
 * throws anyway (an endpoint that cannot be reached before a gate, a read the runner did not expect to
 * fail) has not measured anything: its check is inconclusive, never "apply failed". Errors about the run
 * itself (the lock, a missing tool) propagate.
 */
import type { Check, EngineRecord } from "../planner/types";
import { isRunError } from "../gates/error-budget";
import { analysisCheck } from "./analysis";
import type { CheckContext, CheckOutcome, CheckRunner } from "./check";
import { gatesCheck } from "./gates";
import { productionCheck } from "./production";
import { slotReadyCheck } from "./slot-ready";

type CheckKind = Check["kind"];

const RUNNERS: { [K in CheckKind]: CheckRunner<Extract<Check, { kind: K }>> } = {
    "slot-ready": slotReadyCheck,
    production: productionCheck,
    gates: gatesCheck,
    analysis: analysisCheck,
};

/** The runner of a check's kind. */
export function runnerOf<C extends Check>(check: C): CheckRunner<C> {
    // TypeScript cannot correlate the mapped type's key with C (microsoft/TypeScript#30581); the table's type guarantees it.
    return RUNNERS[check.kind] as unknown as CheckRunner<C>;
}

/** Runs one check: its verdict and detail; a throw is an inconclusive measurement. */
export async function runCheck(check: Check, record: EngineRecord, ctx: CheckContext): Promise<CheckOutcome> {
    const runner = runnerOf(check);
    try {
        return await runner.run(check, record, ctx);
    } catch (e) {
        if (isRunError(e)) throw e;
        const reason = `could not measure: ${(e as Error).message}`;
        return { verdict: "inconclusive", detail: `${check.kind}: ${reason}`, inconclusive: { what: runner.describe(check), reason } };
    }
}
