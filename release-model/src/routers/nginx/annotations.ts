/**
 * The nginx router's annotations for an intent: the main Ingress (blue) carries only an explicit
 * `canary: "false"` (so the admission webhook never takes it for a second main); the canary Ingress
 * (green) carries the weight and the preview header. The one source for the release stack's router
 * and the engine's model of it (planner, local proxy, policy pack).
 */
import type { RouterIntent } from "../../intent";
import { ANNOTATIONS } from "./rules";

/** The slot behind the main Ingress (never absent, never below one replica). */
export const MAIN_SIDE_SLOT = "blue" as const;
/** The slot behind the canary Ingress. */
export const CANARY_SIDE_SLOT = "green" as const;

export function nginxAnnotations(intent: RouterIntent): { main: Record<string, string>; canary: Record<string, string> } {
    const canary: Record<string, string> = {
        [ANNOTATIONS.canary]: "true",
        [ANNOTATIONS.canaryByHeader]: intent.headerName,
        [ANNOTATIONS.canaryWeight]: String(intent.weights[CANARY_SIDE_SLOT]),
    };
    // Only a canary-side preview can use a secret value: with it set, `never` loses its meaning.
    if (intent.preview?.secret && intent.preview.target === CANARY_SIDE_SLOT)
        canary[ANNOTATIONS.canaryByHeaderValue] = intent.preview.value;
    return { main: { [ANNOTATIONS.canary]: "false" }, canary };
}
