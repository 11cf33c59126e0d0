/**
 * Output: one line per step with its duration; under Azure DevOps (TF_BUILD) failures also become
 * `##vso[task.logissue type=error]` lines and a markdown summary is attached with
 * `##vso[task.uploadsummary]`. Nothing secret is ever passed here (the preview header value is not).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { formatDuration } from "../util/duration";

export interface StepReport {
    name: string;
    description: string;
    status: "ok" | "failed" | "skipped";
    durationMs: number;
    details: string[];
}

export interface Reporter {
    line(text: string): void;
    step(r: StepReport): void;
    error(text: string): void;
    /** Writes the markdown summary (Azure DevOps only). */
    summary(markdown: string): void;
}

/** Escapes text for a ##vso logging command's message (%, CR and LF). */
export function vsoEscape(s: string): string {
    return s.replace(/%/g, "%AZP25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

export function createReporter(opts: {
    write: (s: string) => void;
    writeError?: (s: string) => void;
    tfBuild: boolean;
    summaryDir?: string;
}): Reporter {
    const { write, tfBuild } = opts;
    const writeError = opts.writeError ?? write;
    return {
        line: (t) => write(`${t}\n`),
        step: (r) => {
            const mark = r.status === "ok" ? "✔" : r.status === "failed" ? "✘" : "·";
            write(`${mark} ${r.name.padEnd(16)} ${r.description} (${formatDuration(r.durationMs)})\n`);
            for (const d of r.details) write(`    ${d}\n`);
            if (r.status === "failed" && tfBuild)
                write(`##vso[task.logissue type=error]${vsoEscape(`${r.name}: ${r.details.join("; ") || r.description}`)}\n`);
        },
        error: (t) => {
            writeError(`error: ${t}\n`);
            if (tfBuild) write(`##vso[task.logissue type=error]${vsoEscape(t)}\n`);
        },
        summary: (md) => {
            if (!tfBuild) return;
            const dir = opts.summaryDir ?? process.env.AGENT_TEMPDIRECTORY ?? os.tmpdir();
            const file = path.join(dir, `phoenix-release-${Date.now()}.md`);
            fs.writeFileSync(file, md);
            write(`##vso[task.uploadsummary]${file}\n`);
        },
    };
}
