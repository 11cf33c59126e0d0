/**
 * A fresh copy of the project, as an Azure DevOps deployment hook gets one (each hook is its own job,
 * possibly on another agent, with the `phoenix` artifact downloaded afresh): the files git tracks, read
 * from the working tree (so uncommitted edits count; a new file counts once it is `git add`ed), with
 * their modification times, in a new temporary folder.
 *
 * What `npm ci` would produce is borrowed from the checkout instead of rebuilt: every `node_modules`
 * folder and built `dist` folder is a symlink to the checkout's, except `release-engine/dist`, which is
 * copied: the engine finds the repository (stacks/release, policy/) from its own compiled file's
 * location, and Node resolves a symlinked module to its real path, so a link would run the engine on
 * the checkout's files instead of the copy's. Call {@link ensureEngineBuilt} once first so that copy is
 * current (the CLI would otherwise rebuild it in every copy).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Built output copied rather than linked (see the module comment). */
const COPIED_BUILDS = ["release-engine/dist"];

export interface ProjectCopy {
    /** The copy's root (what `$(Pipeline.Workspace)/phoenix` is to a hook). */
    dir: string;
    /** How long making the copy took. */
    copyMs: number;
    files: number;
    remove(): void;
}

/** The checkout's tracked files that exist in the working tree (a file deleted there is left out, as in a commit of it). */
export function trackedFiles(root = REPO_ROOT): string[] {
    return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
        .split("\0")
        .filter((f) => f !== "" && fs.existsSync(path.join(root, f)));
}

function copyWithTimes(from: string, to: string): void {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
    const st = fs.statSync(from);
    fs.utimesSync(to, st.atime, st.mtime);
}

function copyTree(from: string, to: string): void {
    for (const e of fs.readdirSync(from, { withFileTypes: true })) {
        const src = path.join(from, e.name);
        if (e.isDirectory()) copyTree(src, path.join(to, e.name));
        else if (e.isFile()) copyWithTimes(src, path.join(to, e.name));
    }
}

/** `node_modules` and `dist` folders at the top and one level down (the workspaces'). */
function builtFolders(root: string): string[] {
    const out: string[] = [];
    for (const top of [
        "",
        ...fs
            .readdirSync(root, { withFileTypes: true })
            .filter((e) => e.isDirectory() && e.name !== "node_modules" && !e.name.startsWith("."))
            .map((e) => e.name),
    ]) {
        for (const name of ["node_modules", "dist"]) {
            const rel = path.posix.join(top, name);
            if (fs.existsSync(path.join(root, rel))) out.push(rel);
        }
    }
    return out;
}

/** Builds the release engine in the checkout if its build is missing or older than its sources. */
export function ensureEngineBuilt(root = REPO_ROOT): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the engine's own CommonJS build script
    (require(path.join(root, "release-engine", "bin", "build.js")) as { ensureBuilt(): void }).ensureBuilt();
}

export function copyProject(root = REPO_ROOT): ProjectCopy {
    const t0 = process.hrtime.bigint();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-copy-"));
    const files = trackedFiles(root);
    for (const f of files) copyWithTimes(path.join(root, f), path.join(dir, f));
    for (const rel of builtFolders(root)) {
        const target = path.join(dir, rel);
        if (COPIED_BUILDS.includes(rel)) copyTree(path.join(root, rel), target);
        else {
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.symlinkSync(path.join(root, rel), target, "dir");
        }
    }
    const copyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return { dir, copyMs, files: files.length, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
