/**
 * The gate factory (Flagger's `providers.Factory`, the routers' `routerModel` in release-model): one
 * provider per gate kind, typed so that a new kind in `GATE_KINDS` does not compile until it has a
 * provider and a report type. `gatesFor` lists the gates an environment's settings configure, in the
 * order a release runs them.
 */
import { appInsightsGate, type AppInsightsGateConfig, type AppInsightsReport, type LogsQuerier } from "./appinsights-gate";
import { GATE_KINDS, isGateKind, type Gate, type GateKind } from "./gate";
import { httpGate, type GateProgress, type HttpGateConfig, type HttpGateReport } from "./http-gate";

/** Each gate kind's report. */
export interface GateReports {
    http: HttpGateReport;
    appinsights: AppInsightsReport;
}
/** Any gate's report (what a run collects, the history summarises and the observer shows). */
export type GateReport = GateReports[GateKind];

/** What the providers are built from: the engine's gate settings and clients. */
export interface GateSettings {
    gate: HttpGateConfig;
    /** Present when the App Insights gate is configured (a workspace id is known). */
    appInsights?: AppInsightsGateConfig & { windowMs: number };
    /** Failed measurements in a row each gate retries (gates/error-budget.ts). */
    errorBudget: number;
    /** Wait before re-running a gate whose run threw (ms). */
    retryMs: number;
}

export interface GateClients {
    /** The Log Analytics query client, when the App Insights gate can run. */
    logsClient?: LogsQuerier;
    /** Shown the HTTP gate's running statistics; `done` when it ends. */
    progress?: { update(p: GateProgress): void; done(): void };
}

/** A provider: the gate of its kind, or undefined when the settings do not configure it. */
type Provider<K extends GateKind> = (settings: GateSettings, clients: GateClients) => Gate<GateReports[K]> | undefined;

const PROVIDERS: { [K in GateKind]: Provider<K> } = {
    http: (settings, clients) =>
        httpGate(settings.gate, {
            errorBudget: settings.errorBudget,
            retryMs: settings.retryMs,
            ...(clients.progress
                ? { onProgress: (p: GateProgress) => clients.progress?.update(p), onDone: () => clients.progress?.done() }
                : {}),
        }),
    appinsights: (settings, clients) =>
        settings.appInsights && clients.logsClient
            ? appInsightsGate(settings.appInsights, clients.logsClient, { errorBudget: settings.errorBudget })
            : undefined,
};

/** The gate of one kind; throws, naming the kinds there are, for anything else. Undefined when not configured. */
export function gateOf(kind: string, settings: GateSettings, clients: GateClients): Gate<GateReport> | undefined {
    if (!isGateKind(kind)) throw new Error(`gate kind ${JSON.stringify(kind)} is not supported; expected one of: ${GATE_KINDS.join(", ")}`);
    return (PROVIDERS[kind] as Provider<GateKind>)(settings, clients);
}

/** The configured gates, in the order a release runs them (the HTTP gate always; App Insights when configured). */
export function gatesFor(settings: GateSettings, clients: GateClients): Array<Gate<GateReport>> {
    return GATE_KINDS.map((kind) => gateOf(kind, settings, clients)).filter((g): g is Gate<GateReport> => g !== undefined);
}
