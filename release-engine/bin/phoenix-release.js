#!/usr/bin/env node
// The release engine's CLI: runs the compiled JavaScript in release-engine/dist (built by the root
// `prepare` script on npm ci, or here on first use / when the sources are newer than the build).
"use strict";
try {
    require("./build.js").ensureBuilt();
} catch (e) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exit(2);
}
require("../dist/cli/main.js").cli();
