/**
 * The URN of every resource each stack registers under the mock runtime (type, name and parent
 * chain, as the engine computes it), compared with a committed snapshot: a refactor that renames a
 * resource, changes its type or moves it under another parent would make `pulumi up` replace it.
 * A URN missing from the run passes only when a resource of the run names it in `aliases`.
 *
 * The snapshot is regenerated on purpose (and reviewed in the diff) with
 *   PHOENIX_UPDATE_URN_SNAPSHOT=1 npx mocha tests/stack-urns.spec.ts
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { runPlatform, runRegistry } from "./support/phoenix-stacks";
import { MOCK_KUBECONFIG, RunResult, runProgram } from "./support/pulumi-harness";
import { main as releaseMain } from "../stacks/release/program";

const SNAPSHOT = path.join(__dirname, "snapshots", "stack-urns.json");
const FQDN = "phoenix-dev.westeurope.cloudapp.azure.com";

type Snapshot = Record<string, string[]>;

/** What one stack registered compared with its snapshot: URNs gone (with the alias that covers each, if any) and URNs new. */
export function compareUrns(
    expected: string[],
    run: Pick<RunResult, "urns" | "aliases">,
): { missing: string[]; aliased: Record<string, string>; added: string[] } {
    const now = new Set(run.urns);
    const coveredBy = new Map<string, string>();
    for (const [urn, names] of Object.entries(run.aliases)) for (const n of names) coveredBy.set(n, urn);
    const missing: string[] = [];
    const aliased: Record<string, string> = {};
    for (const u of expected) {
        if (now.has(u)) continue;
        const by = coveredBy.get(u);
        if (by !== undefined) aliased[u] = by;
        else missing.push(u);
    }
    const renamedTo = new Set(Object.values(aliased));
    const before = new Set(expected);
    const added = run.urns.filter((u) => !before.has(u) && !renamedTo.has(u));
    return { missing, aliased, added };
}

async function runAll(): Promise<Record<string, RunResult>> {
    const out: Record<string, RunResult> = {};
    out["registry/shared"] = await runRegistry();
    for (const stack of ["dev", "prod"] as const) out[`platform/${stack}`] = await runPlatform(stack, out["registry/shared"].outputs);
    for (const stack of ["dev", "prod"] as const) {
        out[`release/${stack}`] = await runProgram({
            projectDir: path.join(__dirname, "..", "stacks", "release"),
            stack,
            captureStackTraces: false,
            hooks: {
                newResource: (a) =>
                    a.type === "pulumi:pulumi:StackReference"
                        ? {
                              outputs: {
                                  ...out[`platform/${stack}`].outputs,
                                  kubeconfig: MOCK_KUBECONFIG,
                                  publicFqdn: FQDN,
                                  publicUrl: `http://${FQDN}`,
                              },
                          }
                        : undefined,
            },
            program: releaseMain,
        });
    }
    return out;
}

describe("stack URNs (no resource replaced by a refactor)", function () {
    this.timeout(60000);
    let runs: Record<string, RunResult>;
    before(async () => {
        runs = await runAll();
        if (process.env.PHOENIX_UPDATE_URN_SNAPSHOT === "1") {
            const snap: Snapshot = Object.fromEntries(Object.entries(runs).map(([k, r]) => [k, r.urns]));
            fs.mkdirSync(path.dirname(SNAPSHOT), { recursive: true });
            fs.writeFileSync(SNAPSHOT, `${JSON.stringify(snap, null, 2)}\n`);
        }
    });

    it("every stack registers exactly the snapshot's URNs (or aliases the missing ones)", () => {
        const snap = JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")) as Snapshot;
        assert.deepEqual(Object.keys(runs).sort(), Object.keys(snap).sort());
        const report: string[] = [];
        for (const [stack, expected] of Object.entries(snap)) {
            const d = compareUrns(expected, runs[stack]);
            for (const m of d.missing) report.push(`${stack}: gone without an alias (would be replaced or deleted): ${m}`);
            for (const a of d.added) report.push(`${stack}: new, not in the snapshot: ${a}`);
        }
        assert.deepEqual(report, [], report.join("\n"));
    });

    it("the list children renamed from index to role + principal are exactly the aliased ones", () => {
        const snap = JSON.parse(fs.readFileSync(SNAPSHOT, "utf8")) as Snapshot;
        const renames: string[] = [];
        for (const [stack, expected] of Object.entries(snap)) {
            for (const [from, to] of Object.entries(compareUrns(expected, runs[stack]).aliased))
                renames.push(`${stack}: ${from.split("::").pop()} → ${to.split("::").pop()}`);
        }
        console.log(`      aliased renames:\n        ${renames.join("\n        ")}`);
        const shape = renames.map((r) => r.replace(/-[0-9a-f]{8}$/, "-<hash>"));
        assert.deepEqual(shape.sort(), [
            "platform/dev: aks-rbac-cluster-admin-0 → aks-rbac-cluster-admin-<hash>",
            "platform/dev: aks-rbac-cluster-admin-1 → aks-rbac-cluster-admin-<hash>",
            "platform/dev: vault-secrets-officer-0 → vault-secrets-officer-<hash>",
            "platform/dev: vault-secrets-user-0 → vault-secrets-user-<hash>",
            "platform/prod: aks-rbac-cluster-admin-0 → aks-rbac-cluster-admin-<hash>",
            "platform/prod: aks-rbac-cluster-admin-1 → aks-rbac-cluster-admin-<hash>",
            "platform/prod: vault-secrets-officer-0 → vault-secrets-officer-<hash>",
            "platform/prod: vault-secrets-user-0 → vault-secrets-user-<hash>",
            "registry/shared: acr-acrpush-0 → acr-acrpush-<hash>",
        ]);
    });

    it("the comparison catches a renamed resource and accepts it when an alias names the old URN", () => {
        const old = "urn:pulumi:dev::p::phoenix:x:Parent$azure-native:authorization:RoleAssignment::ra-0";
        const renamed = "urn:pulumi:dev::p::phoenix:x:Parent$azure-native:authorization:RoleAssignment::ra-acrpull-abc";
        assert.deepEqual(compareUrns([old], { urns: [renamed], aliases: {} }).missing, [old]);
        assert.deepEqual(compareUrns([old], { urns: [renamed], aliases: {} }).added, [renamed]);
        const ok = compareUrns([old], { urns: [renamed], aliases: { [renamed]: [old] } });
        assert.deepEqual(ok, { missing: [], aliased: { [old]: renamed }, added: [] });
    });
});
