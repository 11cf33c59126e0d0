/**
 * One rule for release versions (issue 14): semver without build metadata, because the version is also
 * the image tag and the chart version, and an image tag cannot hold "+". The CLI, the pipeline's scripts
 * and the chart's values schema must accept and refuse exactly the same versions.
 */
import { strict as assert } from "assert";
import Ajv from "ajv";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseCommandLine } from "../release-engine/src/cli/args";
import { RELEASE_VERSION_PATTERN } from "@phoenix/release-model";

const ROOT = path.join(__dirname, "..");
const VERSIONS = [
    "1.2.3",
    "0.0.1",
    "10.20.30",
    "1.2.3-rc.1",
    "1.2.3-build.5",
    "1.2.3-0a",
    "1.2.3-01",
    "1.2.3-rc.01",
    "1.2.3+build.5",
    "1.2.3-rc.1+sha.abc",
    "1.2",
    "01.2.3",
    "v1.2.3",
    "1.2.3-",
    "latest",
    "1.2.3_build",
];

function cliAccepts(v: string): boolean {
    try {
        parseCommandLine(["deploy", v], {});
        return true;
    } catch {
        return false;
    }
}

/** The regular expression a script's `[[ "$RELEASE_VERSION" =~ … ]]` uses, run by bash itself. */
function scriptAccepts(script: string, versions: string[]): boolean[] {
    const text = fs.readFileSync(path.join(ROOT, ".azuredevops", "scripts", script), "utf8");
    const re = /\[\[ "\$RELEASE_VERSION" =~ (\S+) \]\]/.exec(text)?.[1];
    assert.ok(re, `${script} checks RELEASE_VERSION with =~`);
    const r = spawnSync(
        "bash",
        ["-c", `re='${re}'; for v in "$@"; do if [[ "$v" =~ $re ]]; then echo yes; else echo no; fi; done`, "bash", ...versions],
        { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    return r.stdout
        .trim()
        .split("\n")
        .map((l) => l === "yes");
}

function chartAccepts(v: string): boolean {
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "app", "chart", "values.schema.json"), "utf8")) as {
        properties: Record<string, { properties?: Record<string, object> }>;
    };
    const ajv = new Ajv({ strict: false });
    return ajv.validate(schema.properties.version, v) && ajv.validate(schema.properties.image.properties?.tag ?? {}, v);
}

describe("release versions: one rule for the CLI, the pipeline and the chart", () => {
    it("build metadata is refused by the CLI with the reason and a usable alternative", () => {
        assert.throws(
            () => parseCommandLine(["release", "1.2.3+build.5"], {}),
            /build metadata \("\+build\.5"\) cannot be part of an image tag; use a pre-release such as 1\.2\.3-build\.5/,
        );
        assert.throws(
            () => parseCommandLine(["rollback"], { RELEASE_VERSION: "1.2.3+build.5" }),
            /RELEASE_VERSION "1\.2\.3\+build\.5": build metadata/,
        );
    });

    it("the CLI, both pipeline scripts and the chart schema agree on every sample version", () => {
        const expected = VERSIONS.map((v) => RELEASE_VERSION_PATTERN.test(v));
        assert.deepEqual(VERSIONS.map(cliAccepts), expected, "CLI");
        assert.deepEqual(scriptAccepts("build-image.sh", VERSIONS), expected, "build-image.sh");
        assert.deepEqual(scriptAccepts("publish-chart.sh", VERSIONS), expected, "publish-chart.sh");
        assert.deepEqual(VERSIONS.map(chartAccepts), expected, "chart values schema");
        assert.equal(RELEASE_VERSION_PATTERN.test("1.2.3+build.5"), false);
        assert.equal(RELEASE_VERSION_PATTERN.test("1.2.3-build.5"), true);
    });

    it("the comparison catches a component that still allows '+' (deliberately broken script regex)", () => {
        const broken = "^[0-9]+\\.[0-9]+\\.[0-9]+([-+][0-9A-Za-z.-]+)?$";
        const r = spawnSync("bash", ["-c", `re='${broken}'; [[ "1.2.3+build.5" =~ $re ]] && echo yes || echo no`], { encoding: "utf8" });
        assert.equal(r.stdout.trim(), "yes", "the old rule let build metadata through to the image tag");
    });
});
