/** Builds the app (app/dist) when it is missing or older than its sources, so the demo needs only `npm ci`. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const APP_ENTRY = path.join(REPO_ROOT, "app", "dist", "main.js");

function newestMtime(dir: string): number {
    let newest = 0;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
    }
    return newest;
}

export function appIsStale(): boolean {
    if (!fs.existsSync(APP_ENTRY)) return true;
    const src = path.join(REPO_ROOT, "app", "src");
    return fs.existsSync(src) && newestMtime(src) > fs.statSync(APP_ENTRY).mtimeMs;
}

export function ensureAppBuilt(log: (s: string) => void): void {
    if (!appIsStale()) return;
    log("building the app (app/dist is missing or stale): npm run build -w app");
    execFileSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "build", "-w", "app"], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "ignore", "inherit"],
    });
}
