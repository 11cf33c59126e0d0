/**
 * The release engine's settings as one JSON schema (release-engine/config/<env>.json, the overrides a
 * caller passes, the Key Vault values): the source of the settings' types ({@link EngineSettings} is
 * derived from it), of the validation (settings/validate.ts, with ajv) and of the docs' settings table
 * (`npm run docs:settings`). The gates' own config interfaces (gates/) are proven identical to their
 * sections below at compile time, so a field added to one and not the other fails the type check.
 * Rules across fields (the planner's steps rule, SPRT bounds, minRequests ≤ maxRequests) stay with the
 * modules that own them and run after the schema (settings/config.ts).
 */
import { ROUTER_KINDS } from "@phoenix/release-model";
import type { AppInsightsGateConfig } from "../gates/appinsights-gate";
import type { ComparisonConfig } from "../gates/compare";
import type { HttpGateConfig } from "../gates/http-gate";
import { MAX_ERROR_BUDGET } from "../gates/error-budget";
import { array, boolean, integer, number, object, oneOf, readonlyArray, string, type Infer } from "./schema-builder";

/** Strictly between 0 and 1. */
const FRACTION = { exclusiveMinimum: 0, exclusiveMaximum: 1 } as const;

const HTTP_GATE = object(
    {
        maxRequests: integer({
            minimum: 1,
            description: "Sample cap N of candidate requests (sized so that both alpha and beta hold at the cap).",
        }),
        minRequests: integer({
            minimum: 1,
            description: "Never accept before this many candidate requests (p95 needs a sample); at most maxRequests.",
        }),
        concurrency: integer({ minimum: 1, description: "Candidate requests in flight at once." }),
        timeoutMs: integer({ minimum: 1, description: "Time limit of one request (ms)." }),
        maxErrorRate: number({ ...FRACTION, description: "SPRT H1 (bad) error rate; H0 (good) is a fifth of it." }),
        maxP95Ms: integer({ minimum: 1, description: "p95 bound (ms): SPRT on P(latency > bound), H0 2 %, H1 10 %." }),
        alpha: number({ ...FRACTION, description: "False-reject bound (SPRT alpha)." }),
        beta: number({ ...FRACTION, description: "False-accept bound (SPRT beta)." }),
        productionIntervalMs: integer({ minimum: 0, description: "Production probes run alongside, concurrency 1, this many ms apart." }),
        path: string({ pattern: "^/", expected: "a path starting with /", description: "API path requested (POST with a JSON number)." }),
    },
    { description: "The HTTP preview gate (gates/http-gate.ts): Wald's SPRT on error rate and slowness." },
);

const APP_INSIGHTS = object(
    {
        minRequests: integer({
            minimum: 1,
            description: "The candidate needs at least this many requests (sum of ItemCount) in the window.",
        }),
        maxWaitMs: integer({ minimum: 0, description: "How long to keep polling for the minimum sample (ingestion delay), ms." }),
        pollIntervalMs: integer({ minimum: 1, description: "How often the workspace is queried while waiting, ms." }),
        maxFailureRateIncrease: number({
            minimum: 0,
            exclusiveMaximum: 1,
            description: "Fail when the candidate's failure rate exceeds live's by more than this (absolute).",
        }),
        maxP95Ratio: number({
            minimum: 1,
            description: "Fail when the candidate's p95 exceeds live's × this (and by more than latencySlackMs).",
        }),
        latencySlackMs: number({ minimum: 0, description: "Latency difference (ms) never counted as slower." }),
        windowMs: integer({ minimum: 1, description: "How far back the gate's query looks, ms." }),
    },
    { description: "The App Insights gate (gates/appinsights-gate.ts); on when Key Vault gives a workspace id." },
);

const ANALYSIS = object(
    {
        minBakeMs: integer({ minimum: 0, description: "A step never passes before it has run this long (ms)." }),
        minRequests: integer({ minimum: 1, description: "A step never passes before the candidate has served this many requests in it." }),
        maxDurationMs: integer({
            minimum: 1,
            description: "Undecided this long after the step began (ms): the step fails. Above minBakeMs.",
        }),
        noTrafficMs: integer({
            minimum: 1000,
            description:
                "No production request reached the candidate this long after the step began (ms): production returns to live, the candidate stays pending (exit 1). Below maxDurationMs; omit to wait up to maxDurationMs.",
        }),
        alpha: number({ ...FRACTION, description: "False-reject bound of the comparison (split over its two tests)." }),
        beta: number({ ...FRACTION, description: "False-accept bound of the comparison." }),
        failureRate: object(
            {
                tolerance: number({ minimum: 0, exclusiveMaximum: 1, description: "H0 (good): candidate failure rate ≤ live's + this." }),
                margin: number({ ...FRACTION, description: "H1 (bad): candidate failure rate ≥ live's + this; above tolerance." }),
            },
            { description: "The failure-rate test's hypotheses (absolute rates)." },
        ),
        latency: object(
            {
                bucketsMs: readonlyArray(number({ exclusiveMinimum: 0, description: "A bucket's upper edge (ms)." }), {
                    minItems: 2,
                    description: "Histogram bucket upper edges (ms), strictly ascending; the traffic sources count with the same edges.",
                }),
                maxP95IncreaseMs: number({ minimum: 0, description: "Allowed p95 increase over live, ms …" }),
                maxP95IncreaseRatio: number({ minimum: 0, description: "… or as a fraction of live's p95, whichever is larger." }),
                margin: number({ ...FRACTION, description: "H1 (bad): candidate share of slow requests ≥ live's + this." }),
            },
            { description: "The latency test; omit to judge failures only." },
        ),
    },
    {
        optional: ["noTrafficMs", "latency"],
        description: "How each weighted step is judged against live (gates/compare.ts, docs/progressive-analysis.md).",
    },
);

/** The schema of a complete set of settings (defaults included); a settings file or an override is any part of it. */
export const ENGINE_SETTINGS = object(
    {
        appName: string({
            pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
            expected: "a DNS label (lower-case letters, digits and inner dashes)",
            description: "The app's name: slots are <slot>-<app>; Key Vault's phoenix-namespace replaces it.",
        }),
        host: string({ minLength: 1, description: "The Ingress host (the public FQDN); Key Vault's phoenix-fqdn replaces it." }),
        headerName: string({
            minLength: 1,
            description: "Preview header (letters, digits and dashes; the Pulumi backend uses the stack's previewHeader output).",
        }),
        router: oneOf(ROUTER_KINDS, {
            description:
                "The environment's traffic router: where candidates go, where production rests, which plans are safe, and the model the local proxy routes with (docs/gateway-migration.md).",
        }),
        replicas: integer({ minimum: 1, maximum: 100, description: "Pods of the first release (later releases copy the live slot's)." }),
        secretPreview: boolean({ description: "A random per-release preview header value (green candidates only on nginx)." }),
        gate: HTTP_GATE,
        production: object(
            {
                requests: integer({ minimum: 1, description: "Consecutive answers from the new live slot/version needed after a switch." }),
                timeoutMs: integer({
                    minimum: 1,
                    description: "Give up (fail) after this long (ms): covers the controller's propagation of a weight change.",
                }),
            },
            { description: "The production check after every switch." },
        ),
        appInsights: APP_INSIGHTS,
        progressive: object(
            {
                steps: array(integer({ description: "A production weight, percent." }), {
                    description:
                        "Production weights after the preview gate: rising whole percents 1–100 ending with 100, at most 20 (the planner's rule); each below 100 is a shift step judged against live; [100] switches at once. --steps overrides it per run.",
                }),
                analysis: ANALYSIS,
                pollMs: integer({ minimum: 50, maximum: 60_000, description: "How often a step's counts are read (ms)." }),
            },
            { description: "Progressive delivery after the preview gate." },
        ),
        readiness: object(
            {
                settleMs: integer({
                    minimum: 0,
                    maximum: 600_000,
                    description:
                        "A candidate must pass its readiness guard (all replicas ready, no restart since deployed) this long in a row before production moves to it (ms).",
                }),
                waitMs: integer({
                    minimum: 0,
                    maximum: 3_600_000,
                    description: "How long a guard waits for a slot to become ready before its step fails, nothing applied (ms).",
                }),
                pollMs: integer({
                    minimum: 10,
                    maximum: 60_000,
                    description:
                        "How often slot health is read while a guard waits or settles, and while a candidate's gate or step analysis runs (ms).",
                }),
            },
            { description: "Readiness before weight (engine/readiness.ts)." },
        ),
        errorBudget: integer({
            minimum: 0,
            maximum: MAX_ERROR_BUDGET,
            description:
                'Failed measurements in a row (a Log Analytics query that errors, router counters or an endpoint that cannot be read) a check retries, each after its own poll interval, before it is inconclusive: "could not be measured", never a rejection (Argo Rollouts\' consecutiveErrorLimit); 0: the first failure is final.',
        }),
        local: object(
            {
                drainMs: integer({ minimum: 0, description: "Local backend: the app's SHUTDOWN_DRAIN_MS." }),
                readyTimeoutMs: integer({
                    minimum: 1,
                    description: "Local backend: how long a slot's processes get to become ready (ms).",
                }),
                stopGraceMs: integer({ minimum: 0, description: "Local backend: time after the drain before SIGKILL (ms)." }),
                port: integer({
                    minimum: 0,
                    maximum: 65_535,
                    description:
                        "Local router port; 0: a free port the first time, then the same one at every restart (.phoenix/<service>/<env>/router-port).",
                }),
            },
            { description: "The local backend." },
        ),
    },
    { description: "The release engine's settings: defaults, then release-engine/config/<env>.json, then Key Vault." },
);

/** A complete set of settings, as the schema describes it. */
export type EngineSettings = Infer<typeof ENGINE_SETTINGS>;

/** The App Insights gate's tunables (the workspace and the app name come from Key Vault and `appName`). */
export type AppInsightsSettings = EngineSettings["appInsights"];

// ---- compile-time proof that the gates' interfaces and their sections of the schema are the same types ----

/** `T` with every `readonly` removed, at any depth (JSON has no read-only values). */
type Plain<T> = T extends readonly (infer Item)[] ? Plain<Item>[] : T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;

/** True only when X and Y are the same type (optional keys and extra keys included). */
type Same<X, Y> = (<T>() => T extends Plain<X> ? 1 : 2) extends <T>() => T extends Plain<Y> ? 1 : 2 ? true : false;

/** Fails to compile unless its argument is `true`. */
type Proven<Check extends true> = Check;

/** Each entry fails to compile when a gate's config interface and its section of the schema differ. */
export type SchemaMatchesGateTypes = [
    Proven<Same<Infer<typeof HTTP_GATE>, HttpGateConfig>>,
    Proven<Same<Infer<typeof ANALYSIS>, ComparisonConfig>>,
    Proven<Same<AppInsightsSettings, Omit<AppInsightsGateConfig, "workspaceId" | "appName"> & { windowMs: number }>>,
];
