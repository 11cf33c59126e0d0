/**
 * Runs dependency-cruiser (an ES module) as its own CLI in a child process with the repository's rules
 * (.dependency-cruiser.cjs) and returns its JSON result, so specs can check the architecture of the
 * repository or of a small fixture tree with the very same rules.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const RULES_FILE = path.join(REPO_ROOT, ".dependency-cruiser.cjs");
const PACKAGE_DIR = path.join(REPO_ROOT, "node_modules", "dependency-cruiser");
const CRUISE_BIN = path.join(PACKAGE_DIR, "bin", "dependency-cruise.mjs");
const FORMAT_BIN = path.join(PACKAGE_DIR, "bin", "depcruise-fmt.mjs");

/** The rules the repository must keep (a rule dropped from the config fails this spec). */
export const RULE_NAMES = [
    "release-model-self-contained",
    "release-model-no-sdk-or-io",
    "components-not-engine",
    "engine-pure-core-no-io",
    "app-isolated",
    "stacks-independent",
    "policy-no-stack-or-component",
    "policy-model-by-name",
    "no-circular",
] as const;

/** The part of a dependency-cruiser JSON result the specs read. */
export interface CruiseViolation {
    readonly type: string;
    readonly from: string;
    readonly to: string;
    readonly rule: { readonly name: string; readonly severity: string };
    readonly via?: ReadonlyArray<{ readonly name: string }>;
    /** For a `no-circular` violation: the modules of the cycle, each with how it imports the next. */
    readonly cycle?: ReadonlyArray<{ readonly name: string; readonly dependencyTypes: readonly string[] }>;
}
export interface CruiseDependency {
    readonly module: string;
    readonly resolved: string;
    readonly couldNotResolve: boolean;
    readonly dependencyTypes: readonly string[];
}
export interface CruiseModule {
    readonly source: string;
    readonly coreModule?: boolean;
    readonly dependencies: readonly CruiseDependency[];
}
export interface CruiseResult {
    readonly modules: readonly CruiseModule[];
    readonly summary: {
        readonly violations: readonly CruiseViolation[];
        readonly error: number;
        readonly totalCruised: number;
        readonly totalDependenciesCruised: number;
        readonly ruleSetUsed: { readonly forbidden: ReadonlyArray<{ readonly name: string }> };
    };
    /** The tool's own one-screen report (its `err` output type) of this result. */
    readonly report: string;
}

/** Cruises `targets` (paths relative to `cwd`) with the repository's rules. */
export function cruise(cwd: string, targets: readonly string[]): CruiseResult {
    const run = spawnSync(process.execPath, [CRUISE_BIN, "--config", RULES_FILE, "--output-type", "json", ...targets], {
        cwd,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
    });
    // The CLI exits with the number of errors it found; a crash leaves no JSON on stdout.
    if (run.error !== undefined || !run.stdout.trimStart().startsWith("{")) {
        throw new Error(`dependency-cruiser did not run in ${cwd} (exit ${String(run.status)}): ${run.error?.message ?? run.stderr}`);
    }
    const result = JSON.parse(run.stdout) as Omit<CruiseResult, "report">;
    return { ...result, report: format(run.stdout) };
}

/** The tool's `err` report of a JSON result (violations, then "N modules, M dependencies cruised"). */
function format(json: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-depcruise-"));
    try {
        const file = path.join(dir, "result.json");
        fs.writeFileSync(file, json);
        const run = spawnSync(process.execPath, [FORMAT_BIN, "--output-type", "err", file], { encoding: "utf8" });
        return run.stdout.trim();
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** "rule: from → to" for each violation, sorted: what a spec compares. */
export function violationLines(result: CruiseResult): string[] {
    return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}
