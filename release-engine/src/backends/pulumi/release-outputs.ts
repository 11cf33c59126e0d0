/**
 * The routers the release stack reports in its outputs (docs/contracts.md): `routers`, the kinds it
 * registers in order (`["gateway-api", "nginx"]` while an environment migrates). Pure.
 *
 * A stack last updated by a program from before the list reports `routerKind` instead, with
 * `legacyNginxRoutes: true` while it also registered the nginx Ingresses; that is read as the same
 * list, so the first run of this engine against such a stack still plans for both routers. The next
 * update writes `routers`.
 */
import type { OutputValueLike } from "./automation-port";

/** The list, or undefined when the stack reports none (never updated); a malformed list is returned as found, for the engine to refuse. */
export function routersFromOutputs(outputs: Record<string, OutputValueLike>): string[] | undefined {
    const listed = outputs.routers?.value;
    if (Array.isArray(listed)) return listed.map((kind) => String(kind));
    const single = outputs.routerKind?.value;
    if (typeof single !== "string" || single === "") return undefined;
    return outputs.legacyNginxRoutes?.value === true && single !== "nginx" ? [single, "nginx"] : [single];
}
