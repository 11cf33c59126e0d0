/**
 * The preview-gates check: the candidate, reached through the environment's router by its preview
 * header (a first release: by production's own path), measured by each configured gate in order
 * (gates/gate-registry.ts). The first gate that fails rejects the candidate; the first that cannot
 * measure makes the check inconclusive; all passing passes.
 */
import { findLiveSlot, routerModel, type SlotName } from "@phoenix/release-model";
import type { Check } from "../planner/types";
import type { GateSubject } from "../gates/gate";
import { failed, passed, type CheckRunner } from "./check";

type GatesCheck = Extract<Check, { kind: "gates" }>;

export const gatesCheck: CheckRunner<GatesCheck> = {
    describe: () => "the gate",
    watchesCandidate: true,
    async run(check, record, ctx) {
        const { backend, config } = ctx;
        const state = record.state;
        if (!state) return failed("gates: nothing is deployed");
        const live = findLiveSlot(state) as SlotName;
        const endpoint = await backend.endpoint();
        const intent = routerModel(config.router).intent(state, endpoint.headerName ?? config.headerName);
        // A candidate is reached by its preview header; a first release (live itself) by production's own path.
        const target = intent.preview?.target ?? live;
        if (target !== check.slot) return failed(`gates: the router sends previews to ${target}, not ${check.slot}`);
        const subject: GateSubject = {
            endpoint: { url: endpoint.url, ...(endpoint.hostHeader ? { hostHeader: endpoint.hostHeader } : {}) },
            ...(intent.preview ? { preview: { header: intent.preview.header, value: intent.preview.value } } : {}),
            candidate: { slot: check.slot, version: check.version },
            live: { slot: live, version: state.slots[live].version as string },
            ...(ctx.signal ? { signal: ctx.signal } : {}),
        };
        const details: string[] = [];
        for (const gate of ctx.gates) {
            const r = await gate.run(subject);
            ctx.onGateReport?.(r.report);
            details.push(r.summary);
            const detail = details.join("\n    ");
            if (r.verdict === "fail") return { verdict: "fail", detail, rejection: { gate: gate.kind, reason: r.reason } };
            if (r.verdict === "inconclusive")
                return { verdict: "inconclusive", detail, inconclusive: { what: `the ${gate.kind} gate`, reason: r.reason } };
        }
        return passed(details.join("\n    "));
    },
};
