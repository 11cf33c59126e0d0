/**
 * Each architecture rule of .dependency-cruiser.cjs shown firing: a small repository-shaped tree in a
 * temp dir holds the imports the architecture allows and one deliberate violation per rule (two for
 * the rules with two ways to break them), and is cruised with the very same rules. The violations
 * found must be exactly the planted ones: a rule that stops firing, or one that fires on an allowed
 * import, fails this spec (the allowed imports sit beside the violations, so exact equality also
 * proves the rules do not over-fire).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CruiseResult, RULE_NAMES, cruise, violationLines } from "./support/depcruise";

/** path → file content of the fixture tree (TypeScript sources and package manifests). */
const TREE: Record<string, string> = {
    "package.json": JSON.stringify({ name: "fixture", private: true, workspaces: ["release-model", "app", "policy"] }),
    "tsconfig.json": JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node", strict: true } }),
    "node_modules/@pulumi/pulumi/package.json": JSON.stringify({ name: "@pulumi/pulumi", version: "3.0.0", main: "index.js" }),
    "node_modules/@pulumi/pulumi/index.js": "exports.x = 1;\n",
    "node_modules/@azure/identity/package.json": JSON.stringify({ name: "@azure/identity", version: "4.0.0", main: "index.js" }),
    "node_modules/@azure/identity/index.js": "exports.x = 1;\n",
    "node_modules/fastify/package.json": JSON.stringify({ name: "fastify", version: "5.0.0", main: "index.js" }),
    "node_modules/fastify/index.js": "exports.x = 1;\n",

    // release-model: imports itself only (allowed), then one import of the repository, one SDK, one I/O built-in.
    "release-model/package.json": JSON.stringify({ name: "@phoenix/release-model", version: "0.1.0", main: "src/index.ts" }),
    "release-model/src/index.ts": 'export * from "./state";\n',
    "release-model/src/state.ts": 'export const SLOTS = ["blue", "green"];\n',
    "release-model/src/reaches-out.ts": 'import { plan } from "../../release-engine/src/planner/plan";\nexport const p = plan;\n',
    "release-model/src/uses-sdk.ts": 'import * as pulumi from "@pulumi/pulumi";\nexport const p = pulumi;\n',
    // "node:fs" is reported as the built-in "fs"; the rules match both spellings.
    "release-model/src/reads-files.ts": 'import * as fs from "node:fs";\nexport const f = fs;\n',

    // engine: the planner uses the model (allowed) and reaches the network through a helper; the gate
    // statistics import the Azure SDK; a backend may do I/O (allowed).
    "release-engine/src/planner/plan.ts":
        'import { SLOTS } from "@phoenix/release-model";\nimport { probe } from "../util/probe";\nexport const plan = () => [SLOTS, probe];\n',
    "release-engine/src/util/probe.ts": 'import * as net from "net";\nexport const probe = net;\n',
    "release-engine/src/gates/stats.ts":
        'import { DefaultAzureCredential } from "@azure/identity";\nexport const c = DefaultAzureCredential;\n',
    "release-engine/src/backends/store.ts":
        'import * as fs from "fs";\nimport { plan } from "../planner/plan";\nexport const s = [fs, plan];\n',
    // A backend and its adapter: the port in its own file, imported by both, the adapter handed in (allowed);
    // a second pair where the backend and the adapter import each other, the adapter only for a type (not).
    "release-engine/src/backends/port.ts": "export interface Stack {\n    up(): void;\n}\n",
    "release-engine/src/backends/backend.ts":
        'import type { Stack } from "./port";\nexport const backend = (stack: Stack) => stack.up();\n',
    "release-engine/src/backends/adapter.ts":
        'import type { Stack } from "./port";\nexport const adapter: Stack = { up: () => undefined };\n',
    "release-engine/src/backends/tangled-backend.ts":
        'import { adapter } from "./tangled-adapter";\nexport interface Stack {\n    up(): void;\n}\nexport const b = adapter;\n',
    "release-engine/src/backends/tangled-adapter.ts":
        'import type { Stack } from "./tangled-backend";\nexport const adapter: Stack = { up: () => undefined };\n',

    // components: the model by name and the SDK (allowed), the engine's source (not).
    "components/slot.ts":
        'import * as pulumi from "@pulumi/pulumi";\nimport { SLOTS } from "@phoenix/release-model";\nexport const s = [pulumi, SLOTS];\n',
    "components/router.ts": 'import { plan } from "../release-engine/src/planner/plan";\nexport const r = plan;\n',

    // app: its own modules, packages and built-ins (allowed), the model by name and by path (not).
    "app/package.json": JSON.stringify({ name: "@phoenix/calculator", version: "1.0.0", main: "src/server.ts" }),
    "app/src/server.ts":
        'import * as http from "http";\nimport * as fastify from "fastify";\nimport { port } from "./config";\nexport const s = [http, fastify, port];\n',
    "app/src/config.ts": 'import { SLOTS } from "@phoenix/release-model";\nexport const port = SLOTS.length;\n',
    "app/bench/bench.ts": 'import { SLOTS } from "../../release-model/src/state";\nexport const b = SLOTS;\n',

    // stacks: components and their own modules (allowed), another stack (not).
    "stacks/platform/config.ts": 'export const poolName = "system";\n',
    "stacks/platform/index.ts":
        'import { s } from "../../components/slot";\nimport { poolName } from "./config";\nexport const out = [s, poolName];\n',
    "stacks/release/index.ts": 'import { poolName } from "../platform/config";\nexport const out = poolName;\n',

    // policy: the model by name (allowed), a component and the model by a relative path (not).
    "policy/package.json": JSON.stringify({ name: "@phoenix/policy", version: "0.1.0", main: "index.ts" }),
    "policy/index.ts": 'import { SLOTS } from "@phoenix/release-model";\nimport { r } from "./src/router";\nexport const p = [SLOTS, r];\n',
    "policy/src/router.ts": 'import { SLOTS } from "../../release-model/src/state";\nexport const r = SLOTS;\n',
    "policy/src/slots.ts": 'import { s } from "../../components/slot";\nexport const x = s;\n',
};

/** Exactly what the rules must report on the tree: "rule: from → to". */
const EXPECTED = [
    "release-model-self-contained: release-model/src/reaches-out.ts → release-engine/src/planner/plan.ts",
    "release-model-no-sdk-or-io: release-model/src/uses-sdk.ts → node_modules/@pulumi/pulumi/index.js",
    "release-model-no-sdk-or-io: release-model/src/reads-files.ts → fs",
    "engine-pure-core-no-io: release-engine/src/planner/plan.ts → net",
    "engine-pure-core-no-io: release-engine/src/gates/stats.ts → node_modules/@azure/identity/index.js",
    "components-not-engine: components/router.ts → release-engine/src/planner/plan.ts",
    "app-isolated: app/src/config.ts → release-model/src/index.ts",
    "app-isolated: app/bench/bench.ts → release-model/src/state.ts",
    "stacks-independent: stacks/release/index.ts → stacks/platform/config.ts",
    "policy-no-stack-or-component: policy/src/slots.ts → components/slot.ts",
    "policy-model-by-name: policy/src/router.ts → release-model/src/state.ts",
    // A cycle is reported once, from one module on it (the next test reads the whole cycle).
    "no-circular: release-engine/src/backends/tangled-adapter.ts → release-engine/src/backends/tangled-backend.ts",
].sort();

function writeTree(root: string): void {
    for (const [rel, content] of Object.entries(TREE)) {
        const file = path.join(root, rel);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, content);
    }
    // The workspace link npm makes: @phoenix/release-model → release-model/.
    fs.mkdirSync(path.join(root, "node_modules", "@phoenix"), { recursive: true });
    fs.symlinkSync(path.join("..", "..", "release-model"), path.join(root, "node_modules", "@phoenix", "release-model"), "dir");
}

describe("architecture rules: each one fires on a deliberate violation", function () {
    this.timeout(60000);
    let root: string;
    let result: CruiseResult;
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-arch-"));
        writeTree(root);
        result = cruise(root, ["release-model", "release-engine", "components", "app", "stacks", "policy"]);
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("reports exactly the planted violations, and none on the allowed imports", () => {
        assert.deepEqual(violationLines(result), EXPECTED, result.report);
    });

    for (const rule of RULE_NAMES) {
        it(`${rule} fires`, () => {
            const fired = violationLines(result).filter((l) => l.startsWith(`${rule}:`));
            assert.ok(fired.length > 0, `${rule} found nothing in:\n${result.report}`);
            assert.ok(result.summary.error >= fired.length);
        });
    }

    it("no-circular names the whole cycle, through a type-only import too", () => {
        const cycles = result.summary.violations.filter((x) => x.rule.name === "no-circular");
        assert.equal(cycles.length, 1, result.report);
        assert.deepEqual((cycles[0].cycle ?? []).map((x) => x.name).sort(), [
            "release-engine/src/backends/tangled-adapter.ts",
            "release-engine/src/backends/tangled-backend.ts",
        ]);
        assert.ok(
            (cycles[0].cycle ?? []).some((x) => x.dependencyTypes.includes("type-only")),
            "the adapter's import of the backend is type-only, and still closes the cycle",
        );
    });

    it("the planner's I/O is found through the module it imports (reachability), naming the path", () => {
        const v = result.summary.violations.find((x) => x.rule.name === "engine-pure-core-no-io" && x.from.endsWith("plan.ts"));
        assert.ok(v !== undefined);
        assert.deepEqual(
            (v.via ?? []).map((x) => x.name),
            ["release-engine/src/util/probe.ts", "net"],
        );
    });
});
