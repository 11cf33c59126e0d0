// Builds the release model (tsc -p release-model → release-model/dist) and the release engine
// (tsc -p release-engine → release-engine/dist) when the build is missing or older than any source
// file of either; `node build.js --force` always builds (the root `prepare` script).
"use strict";
const fs = require("fs");
const path = require("path");

const ENGINE = path.join(__dirname, "..");
const SRC = path.join(ENGINE, "src");
const MODEL = path.join(ENGINE, "..", "release-model");
const STAMP = path.join(ENGINE, "dist", ".build-stamp");

/** Newest modification time of the sources (and of the build's tsconfig). */
function newestSource(dir = SRC) {
    let newest = fs.statSync(path.join(ENGINE, "tsconfig.json")).mtimeMs;
    const walk = (d) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (e.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
        }
    };
    walk(dir);
    newest = Math.max(newest, fs.statSync(path.join(MODEL, "tsconfig.json")).mtimeMs);
    walk(path.join(MODEL, "src"));
    return newest;
}

function isFresh() {
    try {
        return fs.statSync(STAMP).mtimeMs >= newestSource();
    } catch {
        return false;
    }
}

function build() {
    let tsc;
    try {
        tsc = require.resolve("typescript/bin/tsc");
    } catch {
        throw new Error("the release engine is not built and TypeScript is not installed: run npm ci in the repository");
    }
    // Loaded only to build: every CLI start comes through here, and most find the build fresh.
    const { spawnSync } = require("child_process");
    for (const [what, dir] of [
        ["release model", MODEL],
        ["release engine", ENGINE],
    ]) {
        const r = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], { stdio: ["ignore", "inherit", "inherit"] });
        if (r.status !== 0) throw new Error(`building the ${what} failed (tsc exit ${r.status})`);
    }
    fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** Builds unless the build is up to date. */
function ensureBuilt() {
    if (!isFresh()) build();
}

module.exports = { ensureBuilt, build, isFresh };

if (require.main === module) {
    try {
        if (process.argv.includes("--force")) build();
        else ensureBuilt();
    } catch (e) {
        process.stderr.write(`${e.message}\n`);
        process.exit(1);
    }
}
