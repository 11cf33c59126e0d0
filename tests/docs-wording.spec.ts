/**
 * The docs speak of the project alone (issue 14): no paths of a particular machine, no "this machine"
 * or "the VM", and the system Phoenix re-builds is "the original system" (defined once, in the README),
 * never "the seed".
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..");
const DOCS = [
    "README.md",
    ...fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => path.join("docs", f)),
];

const RULES: Array<[RegExp, string]> = [
    [/(^|[\s`(])\/(work|home|root|Users|mnt|srv)\/[\w.-]/m, "a path of a particular machine"],
    [/\bthis (machine|VM|box|host)\b/i, '"this machine"'],
    [/\b(the|a|our) (shared )?(\d-core )?(development )?VM\b(?! size)/i, "a particular VM"],
    [/\bthe seed\b|\bseed's\b/i, '"the seed" (say "the original system")'],
];

function problems(text: string): string[] {
    return RULES.filter(([re]) => re.test(text)).map(([, what]) => what);
}

describe("docs speak of the project alone", () => {
    for (const file of DOCS) {
        it(file, () => assert.deepEqual(problems(fs.readFileSync(path.join(ROOT, file), "utf8")), [], file));
    }

    it('"the original system" is defined once, in the README', () => {
        const defs = DOCS.filter((f) => /\*\*the original system\*\*/.test(fs.readFileSync(path.join(ROOT, f), "utf8")));
        assert.deepEqual(defs, ["README.md"]);
    });

    it("the rules catch each deliberate violation", () => {
        assert.deepEqual(problems("run `/work/shared/tools/validate` first"), ["a path of a particular machine"]);
        assert.deepEqual(problems("measured on this machine"), ['"this machine"']);
        assert.deepEqual(problems("Measured on the shared 2-core development VM"), ["a particular VM"]);
        assert.deepEqual(problems("the seed's four bash scripts"), ['"the seed" (say "the original system")']);
        assert.deepEqual(problems("System pool VM size, the VM size's default, the original system's router"), []);
    });
});
