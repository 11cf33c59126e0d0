import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import { cliConfigProblems, runProgram } from "./support/pulumi-harness";

describe("pulumi mock harness", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-harness-"));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: harness-test\nruntime: nodejs\nconfig:\n  prefix:\n    type: string\n    default: dflt\n",
    );
    fs.writeFileSync(path.join(dir, "Pulumi.s1.yaml"), "config:\n  harness-test:other: from-stack\n");

    it("applies Pulumi.yaml defaults, the stack file and overrides, and captures registrations", async () => {
        for (const [stack, expected] of [
            ["s1", "dflt"],
            ["s2", "over"],
        ] as const) {
            const r = await runProgram({
                projectDir: dir,
                stack,
                configOverrides: stack === "s2" ? { prefix: "over" } : {},
                program: () => {
                    const cfg = new pulumi.Config();
                    const rg = new resources.ResourceGroup("rg", { resourceGroupName: `${cfg.require("prefix")}-rg` });
                    return { rgName: rg.name, other: cfg.get("other") ?? "none" };
                },
            });
            assert.equal(r.outputs.rgName, `${expected}-rg`);
            assert.equal(r.outputs.other, stack === "s1" ? "from-stack" : "none");
            assert.equal(r.resources.length, 1);
            assert.equal(r.resources[0].type, "azure-native:resources:ResourceGroup");
        }
    });
});

describe("stack config as the Pulumi CLI checks it", () => {
    const ROOT = path.join(__dirname, "..");
    const STACKS: Array<[string, string]> = [
        [ROOT, "dev"],
        [ROOT, "prod"],
        [path.join(ROOT, "stacks", "registry"), "shared"],
        [path.join(ROOT, "stacks", "release"), "dev"],
        [path.join(ROOT, "stacks", "release"), "prod"],
    ];
    for (const [dir, stack] of STACKS) {
        it(`${path.relative(ROOT, dir) || "."} ${stack}: every declared key without a default is set, no secret has a plain default`, () => {
            assert.deepEqual(cliConfigProblems(dir, stack), []);
        });
    }

    it("flags a required key the stack file leaves unset and a secret with a default", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-cli-config-"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            "name: p\nruntime: nodejs\nconfig:\n  needed:\n    type: string\n  token:\n    type: string\n    secret: true\n    default: x\n  fine:\n    type: string\n    default: y\n",
        );
        fs.writeFileSync(path.join(dir, "Pulumi.s.yaml"), "config:\n  p:fine: z\n");
        assert.deepEqual(cliConfigProblems(dir, "s"), [
            "p:needed has no default and Pulumi.s.yaml does not set it (the CLI refuses to run)",
            "p:token is declared secret with a plain default (the CLI refuses it)",
        ]);
    });
});
