/**
 * The port between the Pulumi backend and the Automation API: the slice of `automation.Stack` the
 * backend drives, with secret config set apart (never in argv). The backend (pulumi-backend.ts) is
 * written against it; the real adapter over `LocalWorkspace` (pulumi-automation.ts) implements it,
 * and the composition root (cli/main.ts) hands that adapter to the backend, so neither file imports
 * the other. The specs hand it fakes.
 */
import type { ConfigEntry } from "@phoenix/release-model";

export type ConfigValueLike = ConfigEntry;

export interface OutputValueLike {
    value: unknown;
    secret: boolean;
}

/** One update of the stack's history (`pulumi stack history --json`; the Automation API's UpdateSummary). */
export interface UpdateSummaryLike {
    kind: string;
    startTime: Date | string;
    endTime?: Date | string;
    message?: string;
    result?: string;
    config?: Record<string, ConfigValueLike>;
}

/** The engine events the backend reads from `up` (the Automation API's EngineEvent, the fields used). */
export interface EngineEventLike {
    diagnosticEvent?: { severity?: string; message?: string };
    summaryEvent?: { resourceChanges?: Record<string, number> };
}

/** The slice of `automation.Stack` the backend uses, with secret config set apart (never in argv). */
export interface AutomationStack {
    getAllConfig(): Promise<Record<string, ConfigValueLike>>;
    /** Plain values only. */
    setAllConfig(config: Record<string, ConfigValueLike>): Promise<void>;
    /** One secret value, passed on stdin (never as a command-line argument). */
    setSecretConfig(key: string, value: string): Promise<void>;
    removeConfig(key: string): Promise<void>;
    up(opts: {
        onOutput: (out: string) => void;
        onEvent?: (e: EngineEventLike) => void;
        message?: string;
        policyPacks?: string[];
        policyPackConfigs?: string[];
    }): Promise<unknown>;
    destroy(opts: { onOutput: (out: string) => void; message?: string }): Promise<unknown>;
    outputs(): Promise<Record<string, OutputValueLike>>;
    /** Newest first; `pageSize` limits it to the newest updates. */
    history(pageSize?: number): Promise<UpdateSummaryLike[]>;
}

/** Opens (creating it when missing) the stack `stackName` of the project in `workDir`. */
export type StackFactory = (args: { stackName: string; workDir: string }) => Promise<AutomationStack>;
