// Phoenix's architecture as dependency-cruiser rules: which folder may import what. `npm test` runs these
// over the repository (tests/architecture.spec.ts) and proves each rule fires on a deliberate violation
// (tests/architecture-rules.spec.ts). docs/architecture.md ("Rules") says why this tool.
"use strict";
/* global module */

/** Node built-ins that do I/O (file system, network, processes, threads). Matched with or without `node:`. */
const IO_BUILTINS = [
    "fs",
    "fs/promises",
    "http",
    "https",
    "http2",
    "net",
    "tls",
    "dgram",
    "dns",
    "dns/promises",
    "child_process",
    "cluster",
    "worker_threads",
    "readline",
    "readline/promises",
    "inspector",
];
const IO_BUILTIN_PATH = `^(node:)?(${IO_BUILTINS.map((m) => m.replace("/", "\\/")).join("|")})$`;

/** Cloud SDKs: anything under these scopes talks to Azure or drives Pulumi's engine. */
const SDK_PATH = "(^|/)node_modules/@(pulumi|azure)/";

/** An installed package (a workspace package resolves to its folder in the repository instead). */
const NPM_PACKAGE = "(^|/)node_modules/";

/** The engine's pure core: the planner and the gate statistics. */
const ENGINE_PURE_CORE = "^release-engine/src/(planner/|gates/stats\\.ts$)";

/** @type {import('dependency-cruiser').IForbiddenRuleType[]} */
const forbidden = [
    {
        name: "release-model-self-contained",
        comment:
            "release-model is the bottom of the house: it imports nothing of the repository outside itself, " +
            "so every layer above can use it without dragging another one in.",
        severity: "error",
        from: { path: "^release-model/src/" },
        to: { dependencyTypesNot: ["core"], pathNot: ["^release-model/src/", NPM_PACKAGE] },
    },
    {
        name: "release-model-no-sdk-or-io",
        comment:
            "release-model is pure: no Pulumi or Azure SDK and no I/O built-in (file system, network, processes), " +
            "so the planner, the local backend, the components, the policy pack and the tests run the same rules.",
        severity: "error",
        from: { path: "^release-model/src/" },
        to: { path: [SDK_PATH, IO_BUILTIN_PATH] },
    },
    {
        name: "components-not-engine",
        comment:
            "components/ are Pulumi building blocks; the release contract they need comes from @phoenix/release-model, " +
            "never from the engine's source.",
        severity: "error",
        from: { path: "^components/" },
        to: { path: "^release-engine/" },
    },
    {
        name: "engine-pure-core-no-io",
        comment:
            "The planner and the gate statistics are pure: no file system, network, process, Azure or Pulumi SDK, directly " +
            "or through another module they import.",
        severity: "error",
        from: { path: ENGINE_PURE_CORE },
        to: { path: [IO_BUILTIN_PATH, SDK_PATH], reachable: true },
    },
    {
        name: "app-isolated",
        comment: "app/ is the service Phoenix releases; it ships on its own and imports nothing of the rest of the repository.",
        severity: "error",
        from: { path: "^app/" },
        to: { dependencyTypesNot: ["core"], pathNot: ["^app/", NPM_PACKAGE] },
    },
    {
        name: "stacks-independent",
        comment:
            "stacks/platform, stacks/registry and stacks/release are separate Pulumi projects; they share code through " +
            "components/ and @phoenix/release-model, never by importing each other.",
        severity: "error",
        from: { path: "^stacks/([^/]+)/" },
        to: { path: "^stacks/", pathNot: "^stacks/$1/" },
    },
    {
        name: "policy-no-stack-or-component",
        comment: "The policy pack reviews stacks from the outside; it imports no stack and no component.",
        severity: "error",
        from: { path: "^policy/" },
        to: { path: "^(stacks|components)/" },
    },
    {
        name: "policy-model-by-name",
        comment:
            "The policy pack is published on its own (pulumi policy publish): it reaches the model only as the " +
            "dependency @phoenix/release-model, never by a relative path into the repository.",
        severity: "error",
        from: { path: "^policy/" },
        to: { path: "^release-model/", dependencyTypesNot: ["aliased-workspace"] },
    },
    {
        name: "no-circular",
        comment:
            "No module reaches itself through its imports (type-only imports included). A cycle makes load order matter " +
            "(one side sees the other half-initialised), ties both modules into one unit that can only change together, " +
            "and hides which side is the port. Break one by putting the port in its own file that both sides import and " +
            "letting the composition root inject the adapter (release-engine/src/backends/pulumi/automation-port.ts).",
        severity: "error",
        from: {},
        to: { circular: true },
    },
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
    forbidden,
    options: {
        // Type-only imports are dependencies of the architecture too.
        tsPreCompilationDeps: true,
        // Read package.json files up to the root, so a workspace package imported by name (the root
        // manifest lists the workspaces) is classified "aliased-workspace".
        combinedDependencies: true,
        tsConfig: { fileName: "tsconfig.json" },
        doNotFollow: { path: ["node_modules", "(^|/)dist/"] },
        // The whole repository is cruised; these are not its source: installed packages, build output, local state.
        exclude: { path: ["^\\.phoenix/", "^\\.git/"] },
        // Resolve workspace packages by their names (@phoenix/release-model → release-model/).
        enhancedResolveOptions: {
            exportsFields: ["exports"],
            conditionNames: ["require", "node", "default", "types"],
            mainFields: ["main", "types"],
        },
        reporterOptions: {},
    },
};
