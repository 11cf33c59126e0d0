/**
 * Everything the CLI prints that it builds from what the engine returns: `status` from its record and
 * view, `plan` from its plan, the history, the interrupt message and its advice, the markdown summary,
 * the one-line reports of the commands the CLI runs itself, and every `--json` document. Pure: text in,
 * text out; cli/dispatch.ts writes it. (The engine streams a run's step lines through its Reporter.)
 */
import type { ReleaseState } from "@phoenix/release-model";
import type { Backend } from "../engine/backend";
import type { PlanView, RunResult, StatusView } from "../engine/engine";
import type { HistoryEntry } from "../engine/history";
import { formatDuration } from "../util/duration";
import { describeState } from "../planner/plan";
import type { EngineRecord } from "../planner/types";
import type { EngineConfig } from "../settings/config";
import type { CliArgs, Command } from "./args";

/** One `--json` document: the object, pretty-printed, on its own. */
export function jsonText(document: object): string {
    return `${JSON.stringify(document, null, 2)}\n`;
}

/** The state with the preview secret replaced, for output. */
function redact(state: ReleaseState | null): ReleaseState | null {
    if (!state || state.previewHeaderValue === undefined) return state;
    return { ...state, previewHeaderValue: "(secret)" };
}

/** The record as output shows it: its preview secret replaced. */
export function redactRecord(record: EngineRecord): EngineRecord {
    return { ...record, state: redact(record.state) };
}

/** "the candidate serves 25 % of production (step 2 of 4)". */
export function progressiveStep(weight: number, steps: number[]): string {
    const index = steps.filter((weightOfStep) => weightOfStep < 100).indexOf(weight);
    return `the candidate serves ${weight} % of production${index >= 0 ? ` (step ${index + 1} of ${steps.length})` : ""}`;
}

/** A ready shell line that sends one production request with the preview header (every value single-quoted for the shell). */
export function curlLine(url: string, header: string, value: string, requestPath: string): string {
    const quote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;
    return `curl -sS -H ${quote(`${header}: ${value}`)} -H 'content-type: application/json' -d '{"number":12}' ${quote(new URL(requestPath, url).toString())}`;
}

/** What `status` is rendered against besides the engine's result: the environment's settings and the backend. */
export interface StatusContext {
    config: Pick<EngineConfig, "env" | "router" | "progressive" | "gate">;
    backend: Backend["kind"];
    /** `--show-secrets`: the preview's secret value is in the view, and a curl line is printed. */
    showSecrets: boolean;
}

/** The status view's preview as output shows it: with a ready curl line when its value is shown and the URL known. */
function statusPreview(view: StatusView, context: StatusContext): (NonNullable<StatusView["preview"]> & { curl?: string }) | undefined {
    const preview = view.preview;
    if (!preview) return undefined;
    const shown = !preview.secret || context.showSecrets;
    return shown && view.url ? { ...preview, curl: curlLine(view.url, preview.header, preview.value, context.config.gate.path) } : preview;
}

/** The lines of `status`: environment and state, who holds the lock, the operation pending, the last run's verdict (rejected or could not be measured), whether it serves, its slots, URL and preview. */
export function statusLines(record: EngineRecord, view: StatusView, context: StatusContext): string[] {
    const lines = statusHeadLines(record, view.lock, context);
    if (view.lastRun) lines.push(view.lastRun);
    if (!record.state) return lines;
    return [...lines, ...statusServingLines(view, context)];
}

/** The first lines of `status`, from the record and the lock alone (all a status that then failed had seen). */
export function statusHeadLines(record: EngineRecord, lock: StatusView["lock"], context: StatusContext): string[] {
    const { config } = context;
    const lines = [`environment ${config.env} (${context.backend}, router ${config.router}): ${describeState(record.state)}`];
    const held = lock?.running === true;
    if (held)
        lines.push(
            `running: a release holds the lock (${lock.holder}${lock.since ? ` since ${lock.since}` : ""}${lock.expiresAt ? `; its lease runs to ${lock.expiresAt} unless renewed` : ""})`,
        );
    const weight = record.state?.candidateWeight;
    const stepText = record.state && weight !== undefined ? progressiveStep(weight, config.progressive.steps) : undefined;
    const operation = record.operation;
    if (operation?.kind === "release")
        lines.push(
            `${held ? "in progress" : "pending"}: release ${operation.version} in ${operation.slot}${stepText ? `; ${stepText}` : ""}`,
        );
    if (operation?.kind === "rollback")
        lines.push(`${held ? "in progress" : "pending"}: rollback ${operation.from.version} → ${operation.to.version}`);
    if (operation && !held)
        lines.push(
            operation.kind === "release"
                ? `interrupted: no release holds the lock; re-run "release ${operation.version}" or "promote" to go on, "abort" returns production to live at once`
                : `interrupted: no release holds the lock; re-run "rollback" to finish it`,
        );
    return lines;
}

/** The lines of `status` after the head, for a deployed environment: whether it serves, its slots, URL and preview. */
function statusServingLines(view: StatusView, context: StatusContext): string[] {
    const { config } = context;
    const lines: string[] = [];
    if (!view.running) {
        lines.push(
            `stopped: nothing is serving ${config.env}; the state above is the desired state, restored by the next release, deploy, promote, rollback or abort${view.detail ? ` (${view.detail})` : ""}`,
        );
    } else {
        if (view.slotsUnseen !== undefined) lines.push(`slots: not seen (${view.slotsUnseen})`);
        if (view.slots) {
            for (const slot of ["blue", "green"] as const) {
                const health = view.slots[slot];
                const warn = health.ready < health.desired ? "  ← not all ready" : "";
                lines.push(
                    `  ${slot}: ${health.ready}/${health.desired} ready${health.versions.length ? ` (${health.versions.join(", ")})` : ""}, restarts ${health.restarts}${warn}`,
                );
            }
        }
        lines.push(`url: ${view.url}  (production: POST ${config.gate.path})`);
    }
    const preview = statusPreview(view, context);
    if (preview) {
        const shown = !preview.secret || context.showSecrets;
        if (preview.curl) lines.push(`preview (reaches ${preview.slot} candidate ${preview.version}): ${preview.curl}`);
        else if (shown)
            lines.push(`preview: header "${preview.header}: ${preview.value}" reaches ${preview.slot} candidate ${preview.version}`);
        else
            lines.push(
                `preview: header "${preview.header}" with this release's secret value reaches ${preview.slot} candidate ${preview.version}; "status --show-secrets" prints it and a ready curl line`,
            );
    }
    return lines;
}

/**
 * The lines of `plan`: the current state, the planner's notes, then (for a plan that can run) each step
 * with the state it leads to and its checks. A plan that is invalid or blocked stops after the notes:
 * its reason is the run's error.
 */
export function planLines(view: PlanView): string[] {
    const { current, plan } = view;
    const lines = [`current: ${describeState(current.state)}${current.operation ? ` (pending: ${current.operation.kind})` : ""}`];
    for (const note of plan.notes) lines.push(`note: ${note}`);
    if (plan.outcome === "invalid" || plan.outcome === "blocked") return lines;
    plan.steps.forEach((step, index) => {
        lines.push(`${index + 1}. ${step.name}: ${step.description}`);
        lines.push(`   → ${describeState(step.record.state)}`);
        if (step.checks.length) lines.push(`   checks: ${step.checks.map((check) => check.kind).join(", ")}`);
    });
    if (plan.outcome === "noop") lines.push("nothing to do");
    return lines;
}

/** One history entry: time, action, version, outcome, production before → after, who; then its gates and detail. */
function historyEntryText(entry: HistoryEntry): string {
    const gates = entry.gates.map(
        (gate) =>
            `${gate.gate} gate ${gate.verdict}${gate.requests !== undefined ? ` (${gate.requests} requests, ${gate.errors ?? 0} errors${gate.p95Ms !== undefined ? `, p95 ${gate.p95Ms} ms` : ""})` : ""}: ${gate.reason}`,
    );
    const live =
        entry.liveBefore !== entry.liveAfter && (entry.liveBefore || entry.liveAfter)
            ? `; production ${entry.liveBefore ?? "none"} → ${entry.liveAfter ?? "none"}`
            : entry.liveAfter
              ? `; production ${entry.liveAfter}`
              : "";
    return [
        `${entry.at}  ${entry.action.padEnd(9)} ${(entry.version ?? "").padEnd(10)} ${entry.outcome}${live}${entry.by ? `  by ${entry.by}` : ""}`,
        ...gates.map((gate) => `    ${gate}`),
        ...(entry.detail ? [`    ${entry.detail}`] : []),
    ].join("\n");
}

/** `history` as text: one entry after another, or that there is none yet. */
export function historyText(entries: HistoryEntry[], env: string): string {
    if (entries.length === 0) return `no releases recorded in ${env} yet\n`;
    return entries.map((entry) => `${historyEntryText(entry)}\n`).join("");
}

/** What an interrupted command left, and what to run next. */
export function interruptAdvice(command: Command, record: EngineRecord | undefined, env: string): string {
    const flags = env === "dev" ? "" : ` --env ${env}`;
    const state = record ? describeState(record.state) : "unknown (the record could not be read)";
    const operation = record?.operation;
    if (operation?.kind === "release") {
        const live = record?.state && (record.state.slots[operation.slot].role === "live" ? "live" : "not live");
        return `the environment is ${state}; release ${operation.version} is pending in ${operation.slot} (${live}). Next: re-run "release ${operation.version}${flags}" to resume, or "abort${flags}" to remove the candidate`;
    }
    if (operation?.kind === "rollback")
        return `the environment is ${state}; rollback ${operation.from.version} → ${operation.to.version} is pending. Next: re-run "rollback${flags}" to finish it`;
    return `the environment is ${state}; nothing is pending${command === "release" || command === "deploy" ? ` (re-run "${command}" to start again)` : ""}`;
}

/** The error an interrupted command ends with: the signal, what it left and what to run next, and whether its lock was released. */
export function interruptMessage(
    signal: NodeJS.Signals,
    command: Command,
    record: EngineRecord | undefined,
    env: string,
    released: boolean,
): string {
    return `interrupted by ${signal} during ${command}: ${interruptAdvice(command, record, env)}${released ? "; the lock was released" : ""}`;
}

/** Said at once on an interrupt, before the engine has stopped: what happens next. */
export function stoppingLine(signal: NodeJS.Signals, command: Command): string {
    return `${signal}: stopping ${command} before its next step (the step in flight finishes first; another ${signal} ends the process at once)\n`;
}

/** The run's markdown summary (Azure DevOps' uploaded summary): outcome, state, one table row per step, the notes. */
export function markdownSummary(args: Pick<CliArgs, "command" | "version" | "env">, result: RunResult): string {
    const lines = [
        `## Phoenix release: \`${args.command}${args.version ? ` ${args.version}` : ""}\` on ${args.env}`,
        "",
        `**Outcome:** ${result.outcome} (exit ${result.exitCode})${result.message ? ` — ${result.message}` : ""}`,
        "",
        `**State:** ${describeState(result.record?.state ?? null)}`,
        "",
        "| step | status | duration | details |",
        "|---|---|---|---|",
        ...result.steps.map(
            (step) =>
                `| ${step.name} | ${step.status} | ${formatDuration(step.durationMs)} | ${step.details.join("<br>").replace(/\|/g, "\\|")} |`,
        ),
    ];
    for (const note of result.notes) lines.push("", `> ${note}`);
    return `${lines.join("\n")}\n`;
}

/** The head every `--json` document of a command opens with. */
export interface JsonHead {
    command: Command;
    version?: string;
    env: string;
    backend: CliArgs["backend"];
}

/**
 * An engine run's `--json` document: the head, the result as the engine returned it (without the plan's
 * rendering input), the URL `status` saw, and the record with its secret replaced unless shown.
 */
export function runResultJson(
    head: JsonHead,
    result: RunResult & { status?: StatusView; view?: PlanView; statusBeforeError?: unknown },
    context: StatusContext & { command: Command },
): Record<string, unknown> {
    const { view: _view, statusBeforeError: _seen, ...rest } = result;
    void _view;
    void _seen;
    const record = context.command === "status" && context.showSecrets ? result.record : result.record && redactRecord(result.record);
    const status = result.status && {
        ...result.status,
        ...(result.status.preview ? { preview: statusPreview(result.status, context) } : {}),
    };
    const url = result.status?.url;
    return { ...head, ...rest, ...(status ? { status } : {}), ...(url ? { url } : {}), record };
}

/** The one line a finished release, promote or rollback ends with: the environment's state. */
export function finalStateLine(env: string, record: EngineRecord | undefined): string {
    return `${env}: ${describeState(record?.state ?? null)}\n`;
}

/** `local-down`'s report. */
export function localDownLine(env: string, stopped: boolean): string {
    return stopped ? `local environment ${env} stopped\n` : `local environment ${env} was not running\n`;
}

/** What `import-record` or `restore-record` did to the shared record. */
export function recordCommandSummary(command: "import-record" | "restore-record", source: string, where: string): string {
    return command === "import-record" ? `imported ${source} into ${where}` : `restored ${where} from its last good version`;
}

/** `import-record` / `restore-record`'s one line: what was done and the state the record now holds. */
export function recordCommandLine(summary: string, record: EngineRecord): string {
    return `${summary}: ${describeState(record.state)}\n`;
}

/** Which settings came from the Key Vault (names only, never values). */
export function vaultSettingsLine(vault: string, names: string[]): string {
    return `settings from Key Vault ${vault}: ${names.join(", ")}\n`;
}

/** Where the local release report was written, or why it was not. */
export function reportLine(report: { path?: string; problem?: string }): string {
    return `${report.path ? `report: ${report.path}` : report.problem}\n`;
}
