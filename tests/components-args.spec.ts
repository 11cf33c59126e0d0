/**
 * pulumi-eks style for every component's arguments: each field of an exported `…Args` interface in
 * components/ (and of the argument types those fields use, declared there) is `readonly` and has a
 * doc comment. Read from the source with the TypeScript parser; a spec case shows the check failing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const COMPONENTS = path.join(__dirname, "..", "components");

/** Fields of the interfaces named in `names` (or ending in Args) in `source` that lack readonly or a doc comment. */
export function argsFieldProblems(fileName: string, source: string, extraNames: ReadonlySet<string> = new Set()): string[] {
    const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
    const problems: string[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isInterfaceDeclaration(node) && (node.name.text.endsWith("Args") || extraNames.has(node.name.text))) {
            for (const m of node.members) {
                if (!ts.isPropertySignature(m)) continue;
                const name = `${fileName}: ${node.name.text}.${m.name.getText(sf)}`;
                if (!(m.modifiers ?? []).some((x) => x.kind === ts.SyntaxKind.ReadonlyKeyword)) problems.push(`${name} is not readonly`);
                const docs = (m as unknown as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
                if (!docs.some((d) => (typeof d.comment === "string" ? d.comment.trim() !== "" : (d.comment ?? []).length > 0)))
                    problems.push(`${name} has no doc comment`);
            }
        }
        ts.forEachChild(node, visit);
    };
    visit(sf);
    return problems;
}

/** Argument types used inside Args that are declared in components/ and so held to the same rule. */
const NESTED_ARG_TYPES = new Set(["SystemPoolArgs", "ClusterGrant", "Grantee", "AssignRoleArgs", "LiveSlotAlerts", "ServiceConnection"]);

function componentFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) =>
            e.isDirectory() ? componentFiles(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : [],
        );
}

describe("components: Args fields are readonly and documented (pulumi-eks style)", () => {
    it("holds for every component in components/", () => {
        const problems = componentFiles(COMPONENTS).flatMap((f) =>
            argsFieldProblems(path.relative(COMPONENTS, f), fs.readFileSync(f, "utf8"), NESTED_ARG_TYPES),
        );
        assert.deepEqual(problems, []);
    });

    it("the check finds a mutable field and an undocumented one", () => {
        const src =
            "export interface FooArgs {\n    /** Documented. */\n    name: string;\n    readonly size: number;\n    /** ok */\n    readonly fine: boolean;\n}\n";
        assert.deepEqual(argsFieldProblems("foo.ts", src), [
            "foo.ts: FooArgs.name is not readonly",
            "foo.ts: FooArgs.size has no doc comment",
        ]);
    });
});
