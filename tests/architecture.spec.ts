/**
 * The architecture rules (.dependency-cruiser.cjs) over the whole repository: no violation, every
 * import resolved (an unresolved import could slip past a rule), every layer the rules name actually
 * cruised. Prints the tool's summary and the import graph between the layers. That each rule fires
 * on a violation is shown in architecture-rules.spec.ts.
 */
import { strict as assert } from "assert";
import { CruiseResult, REPO_ROOT, RULE_NAMES, cruise, violationLines } from "./support/depcruise";

/** The layer a module belongs to, for the folder-level graph ("components", "stacks/release", …). */
export function layerOf(source: string): string | undefined {
    const m = /^(release-model|release-engine|components|app|policy|tests|dashboards)\/|^(stacks\/[^/]+)\//.exec(source);
    return m === null ? undefined : (m[1] ?? m[2]);
}

/** Edges "from → to (count)" between layers, sorted. */
export function layerGraph(result: CruiseResult): string[] {
    const edges = new Map<string, number>();
    for (const mod of result.modules) {
        const from = layerOf(mod.source);
        if (from === undefined) continue;
        for (const dep of mod.dependencies) {
            const to = layerOf(dep.resolved);
            if (to === undefined || to === from) continue;
            const key = `${from} → ${to}`;
            edges.set(key, (edges.get(key) ?? 0) + 1);
        }
    }
    return [...edges].map(([k, n]) => `${k} (${n})`).sort();
}

describe("architecture: the repository keeps its dependency rules", function () {
    this.timeout(60000);
    let result: CruiseResult;
    before(() => {
        result = cruise(REPO_ROOT, ["."]);
        console.log(`      ${result.report.split("\n").join("\n      ")}`);
        console.log(
            `      layers (outside tests): ${layerGraph(result)
                .filter((e) => !e.startsWith("tests"))
                .join("; ")}`,
        );
    });

    it("runs every rule of the architecture", () => {
        assert.deepEqual(result.summary.ruleSetUsed.forbidden.map((r) => r.name).sort(), [...RULE_NAMES].sort());
    });

    it("finds no violation", () => {
        assert.deepEqual(violationLines(result), [], result.report);
        assert.equal(result.summary.error, 0);
    });

    it("resolves every import (an unresolved one would escape the rules)", () => {
        const unresolved = result.modules.flatMap((m) =>
            m.dependencies.filter((d) => d.couldNotResolve).map((d) => `${m.source} → ${d.module}`),
        );
        assert.deepEqual(unresolved, []);
    });

    it("cruises every layer the rules speak of", () => {
        const sources = result.modules.map((m) => m.source);
        for (const layer of [
            "release-model/src/",
            "release-engine/src/planner/",
            "release-engine/src/gates/stats.ts",
            "components/",
            "stacks/platform/",
            "stacks/registry/",
            "stacks/release/",
            "app/src/",
            "policy/src/",
        ]) {
            assert.ok(
                sources.some((s) => s.startsWith(layer)),
                `no module under ${layer} was cruised`,
            );
        }
        assert.ok(result.summary.totalCruised > 150, `only ${result.summary.totalCruised} modules cruised`);
    });

    it("sees @phoenix/release-model as the workspace package (what policy-model-by-name relies on)", () => {
        const byName = result.modules.flatMap((m) =>
            m.dependencies.filter((d) => d.module === "@phoenix/release-model").map((d) => ({ from: m.source, d })),
        );
        assert.ok(
            byName.some((x) => x.from.startsWith("policy/")),
            "the policy pack imports the model by name",
        );
        for (const { from, d } of byName) {
            assert.ok(
                d.dependencyTypes.includes("aliased-workspace") && d.resolved.startsWith("release-model/"),
                `${from}: ${d.resolved} ${d.dependencyTypes.join(",")}`,
            );
        }
    });
});
