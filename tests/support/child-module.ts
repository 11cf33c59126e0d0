/**
 * Compiles a source module and the relative modules it imports to plain JavaScript in a temp dir, so
 * that specs can start many real node processes on it quickly (ts-node costs about a second of CPU
 * per process; a plain require costs milliseconds). Package imports resolve from the repo's
 * node_modules through NODE_PATH (see {@link childEnv}).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const REPO_ROOT = path.resolve(__dirname, "..", "..");

function resolveTs(fromFile: string, spec: string): string | undefined {
    const base = path.resolve(path.dirname(fromFile), spec);
    for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (fs.existsSync(candidate)) return candidate;
    return undefined;
}

/**
 * Writes `entry` (a .ts file in the repo) and its relative imports, transpiled, under a new temp dir
 * mirroring the repo layout, and returns the path of the entry's .js file. Call {@link removeChildModules} after.
 */
export function compileForChild(entry: string): string {
    const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-child-"));
    const seen = new Set<string>();
    const visit = (file: string): void => {
        if (seen.has(file)) return;
        seen.add(file);
        const out = ts.transpileModule(fs.readFileSync(file, "utf8"), {
            compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
            fileName: file,
        }).outputText;
        const target = path.join(outRoot, path.relative(REPO_ROOT, file)).replace(/\.ts$/, ".js");
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, out);
        for (const m of out.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
            const dep = resolveTs(file, m[1]);
            if (dep) visit(dep);
        }
    };
    visit(path.resolve(entry));
    return path.join(outRoot, path.relative(REPO_ROOT, path.resolve(entry))).replace(/\.ts$/, ".js");
}

/** Removes the temp tree {@link compileForChild} made for `jsEntry`. */
export function removeChildModules(jsEntry: string): void {
    const rel = path.relative(os.tmpdir(), jsEntry).split(path.sep)[0];
    if (rel.startsWith("phoenix-child-")) fs.rmSync(path.join(os.tmpdir(), rel), { recursive: true, force: true });
}

/** Environment for a child running compiled modules: package imports resolve from the repo. */
export function childEnv(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, NODE_PATH: path.join(REPO_ROOT, "node_modules") };
}
