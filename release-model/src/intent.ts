/**
 * The router intent: what any traffic router must express for a release state — the share of
 * production each slot gets, and which slot a preview request reaches with what header and value.
 * Router-neutral; each router decides the preview value it can express (`RouterModel.intent`).
 */
import {
    ReleaseStateError,
    candidateSlot,
    describeValue,
    isValidHeaderName,
    liveSlot,
    type ReleaseState,
    type SlotName,
} from "./release-state";

/** How a request reaches the candidate. */
export interface PreviewRoute {
    header: string;
    value: string;
    target: SlotName;
    /** True when `value` is the per-release secret (`previewHeaderValue`); false for a fixed, guessable value. */
    secret: boolean;
}

export interface RouterIntent {
    /** Percent of production each slot receives; the two add up to 100. */
    weights: Record<SlotName, number>;
    /** The preview header's name (also set without a candidate, so routers keep a stable shape). */
    headerName: string;
    /** Present when the state has a candidate. */
    preview?: PreviewRoute;
}

/** Production weights: the candidate's `candidateWeight` during a progressive step, the rest (else everything) on the live slot. */
export function productionWeights(state: ReleaseState): Record<SlotName, number> {
    const live = liveSlot(state);
    const candidate = candidateSlot(state);
    const candidateWeight = candidate !== undefined ? (state.candidateWeight ?? 0) : 0;
    const weights = { blue: 0, green: 0 };
    weights[live] = 100 - candidateWeight;
    if (candidate !== undefined) weights[candidate] = candidateWeight;
    return weights;
}

/** Throws a {@link ReleaseStateError} for a header name no router can match on. */
export function checkHeaderName(headerName: string): void {
    if (!isValidHeaderName(headerName)) {
        throw new ReleaseStateError([`preview header name must be letters, digits and dashes (max 64), got ${describeValue(headerName)}`]);
    }
}

/**
 * The intent shared by every router: weights from the live slot, and the candidate reached by the
 * per-release secret when the state has one, else by `fallbackValue(candidate)`.
 */
export function baseIntent(state: ReleaseState, headerName: string, fallbackValue: (candidate: SlotName) => string): RouterIntent {
    checkHeaderName(headerName);
    const intent: RouterIntent = { weights: productionWeights(state), headerName };
    const candidate = candidateSlot(state);
    if (candidate !== undefined) {
        intent.preview =
            state.previewHeaderValue !== undefined
                ? { header: headerName, value: state.previewHeaderValue, target: candidate, secret: true }
                : { header: headerName, value: fallbackValue(candidate), target: candidate, secret: false };
    }
    return intent;
}
