#!/usr/bin/env node
// The release engine's CLI (TypeScript run through ts-node's transpile-only mode: no build step, fast start).
"use strict";
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "..", "tsconfig.json") });
require("../src/cli/main.ts").cli();
