/**
 * The Azure DevOps pipelines, read as Azure DevOps compiles them (templates expanded with their
 * parameters), checked for what matters: stage order, the engine command of each deployment hook, the
 * policy pack on every Pulumi run, no secret in any command line, no `latest`. Each check is also shown
 * to fail on a broken copy.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { expandPipeline, PipelineTemplateError } from "./support/azure-pipeline-template";
import {
    Doc,
    engineCommands,
    isRecord,
    latestMentions,
    pulumiRunProblems,
    pulumiRuns,
    secretReferences,
    secretsInArguments,
    stageGraph,
    stages,
    stepSites,
} from "./support/pipeline-checks";

const ROOT = path.resolve(__dirname, "..");
const ADO = path.join(ROOT, ".azuredevops");
const load = (file: string): unknown => parse(fs.readFileSync(file, "utf8"));
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function yamlFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? yamlFiles(path.join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [path.join(dir, e.name)] : []));
}

const PIPELINES = {
    calculator: path.join(ADO, "calculator_build_deploy.yaml"),
    "second service (example)": path.join(ADO, "examples", "second-service.yaml"),
};
const EXPECTED_STAGES = ["Validate", "Build", "Registry", "Deploy_dev", "Deploy_prod"];
const HOOKS: Record<string, RegExp> = {
    deploy: /^deploy "\$RELEASE_VERSION" /,
    routeTraffic: /^verify /,
    "on.success": /^promote /,
    "on.failure": /^rollback "\$RELEASE_VERSION" /,
};

function expand(file: string) {
    return expandPipeline(file, load, { phoenix: ROOT });
}

function stage(doc: Doc, id: string): Doc {
    const s = stages(doc).find((x) => x.stage === id);
    assert.ok(s, `stage ${id} exists`);
    return s;
}

/** Problems with the per-environment stages: the deployment job, its hooks and the stage variables. */
function environmentProblems(doc: Doc): string[] {
    const problems: string[] = [];
    for (const env of ["dev", "prod"]) {
        const s = stages(doc).find((x) => x.stage === `Deploy_${env}`);
        if (!s) {
            problems.push(`no Deploy_${env}`);
            continue;
        }
        const vars = Array.isArray(s.variables) ? s.variables.filter(isRecord) : [];
        if (!vars.some((v) => v.name === "AZURE_KEYVAULT_NAME" && typeof v.value === "string" && v.value !== "")) {
            problems.push(`Deploy_${env}: no AZURE_KEYVAULT_NAME stage variable`);
        }
        const jobs = Array.isArray(s.jobs) ? s.jobs.filter(isRecord) : [];
        const platform = jobs.find((j) => j.job === "Platform");
        const release = jobs.find((j) => j.deployment !== undefined);
        if (!platform) problems.push(`Deploy_${env}: no platform job`);
        if (!release) {
            problems.push(`Deploy_${env}: no deployment job`);
            continue;
        }
        if (release.environment !== env) problems.push(`Deploy_${env}: deployment environment is ${String(release.environment)}`);
        if (release.dependsOn !== "Platform") problems.push(`Deploy_${env}: release does not wait for the platform job`);
        const sites = stepSites(doc).filter((x) => x.stage === `Deploy_${env}` && x.job === release.deployment);
        for (const [hook, expected] of Object.entries(HOOKS)) {
            const engine = sites.filter((x) => x.hook === hook && engineCommands(x).length > 0);
            if (engine.length !== 1) {
                problems.push(`Deploy_${env} ${hook}: ${engine.length} engine steps`);
                continue;
            }
            const [site] = engine;
            const [cmd] = engineCommands(site);
            if (!expected.test(cmd)) problems.push(`Deploy_${env} ${hook}: runs "${cmd}"`);
            if (!/--env "\$PHOENIX_ENV" --backend pulumi --vault "\$AZURE_KEYVAULT_NAME"$/.test(cmd))
                problems.push(`Deploy_${env} ${hook}: options "${cmd}"`);
            const inputs = isRecord(site.step.inputs) ? site.step.inputs : {};
            if (site.step.task !== "AzureCLI@2" || inputs.addSpnToEnvironment !== true)
                problems.push(`Deploy_${env} ${hook}: not AzureCLI@2 with addSpnToEnvironment`);
            const before = site.siblings.slice(0, site.index);
            if (!before.some((b) => b.download === "current" && b.artifact === "phoenix"))
                problems.push(`Deploy_${env} ${hook}: engine not from this run's artifact`);
            if (!before.some((b) => b.script === "npm ci")) problems.push(`Deploy_${env} ${hook}: no npm ci`);
            const env_ = isRecord(site.step.env) ? site.step.env : {};
            if (env_.PHOENIX_ENV !== "$(PHOENIX_ENV)") problems.push(`Deploy_${env} ${hook}: PHOENIX_ENV not mapped`);
        }
    }
    return problems;
}

describe("Azure DevOps pipelines", () => {
    for (const [label, file] of Object.entries(PIPELINES)) {
        describe(label, () => {
            const { pipeline, templates } = expand(file);

            it("runs Validate → Build → Registry → dev → prod, each stage after the one before", () => {
                const graph = stageGraph(pipeline);
                assert.deepEqual(
                    graph.map((g) => g.id),
                    EXPECTED_STAGES,
                );
                assert.deepEqual(
                    graph.map((g) => g.dependsOn),
                    [[], ["Validate"], ["Build"], ["Registry"], ["Deploy_dev"]],
                );
            });

            it("builds and deploys only from main, never from a pull request", () => {
                const build = stageGraph(pipeline).find((g) => g.id === "Build");
                assert.match(build?.condition ?? "", /ne\(variables\['Build\.Reason'\], 'PullRequest'\)/);
                assert.match(build?.condition ?? "", /eq\(variables\['Build\.SourceBranch'\], 'refs\/heads\/main'\)/);
                // Every later stage depends (transitively) on Build with the default succeeded() condition.
                for (const g of stageGraph(pipeline).slice(2)) assert.equal(g.condition, undefined, `${g.id} overrides its condition`);
            });

            it("calls the right engine command in each deployment hook of each environment", () => {
                assert.deepEqual(environmentProblems(pipeline), []);
            });

            it("reviews every Pulumi preview and up with the policy pack and the stack's policy config", () => {
                const runs = pulumiRuns(pipeline);
                assert.deepEqual(runs.flatMap(pulumiRunProblems), []);
                const previews = runs
                    .filter((r) => r.command === "preview")
                    .map((r) => r.stack)
                    .sort();
                assert.deepEqual(previews, ["dev", "prod", "shared"]);
                const ups = runs.filter((r) => r.command === "up").map((r) => `${r.site.stage}:${r.stack}`);
                assert.deepEqual(ups, ["Registry:shared", "Deploy_dev:dev", "Deploy_prod:prod"]);
                for (const r of runs.filter((x) => x.stack !== "shared")) {
                    assert.ok(r.policyConfig?.endsWith(`/policy/config/${r.stack}.json`), `${r.stack} uses ${r.policyConfig}`);
                }
            });

            it("builds the image with az acr build and pushes the chart as OCI with the same version", () => {
                const build = stepSites(pipeline)
                    .filter((s) => s.stage === "Build")
                    .map((s) => s.step);
                const scripts = build.map((s) => (isRecord(s.inputs) ? String(s.inputs.scriptPath ?? "") : ""));
                assert.ok(scripts.some((p) => p.endsWith("/.azuredevops/scripts/build-image.sh")));
                assert.ok(scripts.some((p) => p.endsWith("/.azuredevops/scripts/publish-chart.sh")));
                assert.ok(build.some((s) => s.task === "HelmInstaller@1"));
                assert.ok(
                    build.some((s) => s.task === "PublishPipelineArtifact@1" && isRecord(s.inputs) && s.inputs.artifact === "phoenix"),
                );
                const vars = (stage(pipeline, "Build").variables as Doc[]).find((v) => v.name === "RELEASE_VERSION");
                assert.match(String(vars?.value), /^\d+\.\d+\.\$\(Build\.BuildId\)$/);
            });

            it("passes no secret in any script or argument (secrets only through env:)", () => {
                assert.deepEqual(secretsInArguments(pipeline), []);
            });

            it("pins every version: no `latest`, exact Node, Pulumi and Helm versions", () => {
                assert.deepEqual(latestMentions(pipeline), []);
                for (const s of stepSites(pipeline).map((x) => x.step)) {
                    const inputs = isRecord(s.inputs) ? s.inputs : {};
                    for (const k of ["versionSpec", "helmVersionToInstall"]) {
                        if (k in inputs) assert.match(String(inputs[k]), /^\d+\.\d+\.\d+$/, `${String(s.task)} ${k}`);
                    }
                }
                for (const s of stages(pipeline)) {
                    const pool = isRecord(s.pool) ? s.pool : {};
                    assert.match(String(pool.vmImage), /^ubuntu-\d+\.\d+$/);
                }
            });

            it("references only templates that exist, passing only parameters they declare", () => {
                assert.ok(templates.length >= 5);
                for (const t of templates) assert.ok(fs.existsSync(t.file), t.file);
            });
        });
    }

    describe("every YAML file and script under .azuredevops", () => {
        it("mentions no `latest` and keeps one pinned version of each tool across templates", () => {
            const pins = new Map<string, Set<string>>();
            for (const file of yamlFiles(ADO)) {
                const doc = load(file) as Doc;
                assert.deepEqual(latestMentions(doc), [], file);
                for (const p of Array.isArray(doc.parameters) ? doc.parameters.filter(isRecord) : []) {
                    if (/Version$|^vmImage$/.test(String(p.name)) && p.default !== undefined) {
                        const set = pins.get(String(p.name)) ?? new Set<string>();
                        set.add(String(p.default));
                        pins.set(String(p.name), set);
                    }
                }
            }
            assert.deepEqual([...pins.keys()].sort(), ["helmVersion", "nodeVersion", "pulumiVersion", "vmImage"]);
            for (const [name, values] of pins) assert.equal(values.size, 1, `${name}: ${[...values].join(", ")}`);
        });

        it("scripts are strict bash and read no secret variable", () => {
            const dir = path.join(ADO, "scripts");
            for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".sh"))) {
                const text = fs.readFileSync(path.join(dir, f), "utf8");
                assert.match(text, /^#!\/usr\/bin\/env bash\n/, f);
                assert.match(text, /\nset -euo pipefail\n/, f);
                assert.deepEqual(secretReferences(text), [], f);
            }
            // The registry token goes from az to helm through a pipe, never through argv.
            const publish = fs.readFileSync(path.join(dir, "publish-chart.sh"), "utf8");
            assert.match(
                publish,
                /az acr login [^\n]*--expose-token[^\n]*\\\n\s*\| helm registry login [^\n]*\\\n[^\n]*\\\n\s*--password-stdin/,
            );
        });
    });

    describe("the checks fail when the pipeline breaks", () => {
        const { pipeline } = expand(PIPELINES.calculator);
        const hookStep = (doc: Doc, env: string, hook: string): Doc => {
            const site = stepSites(doc).find((s) => s.stage === `Deploy_${env}` && s.hook === hook && engineCommands(s).length > 0);
            assert.ok(site);
            return site.step;
        };

        it("a secret macro or shell variable in a script is found", () => {
            const broken = clone(pipeline);
            const step = hookStep(broken, "dev", "deploy");
            (step.inputs as Doc).inlineScript += " --token $(PULUMI_ACCESS_TOKEN)";
            const broken2 = clone(pipeline);
            const build = stepSites(broken2).find((s) => s.stage === "Build" && typeof s.step.script === "string");
            assert.ok(build);
            build.step.script = 'helm registry login x --password "$ACR_PASSWORD"';
            const broken3 = clone(pipeline);
            const env = hookStep(broken3, "prod", "on.success").env as Doc;
            env.PULUMI_ACCESS_TOKEN = "pul-0123456789";
            assert.equal(secretsInArguments(broken).length, 1);
            assert.equal(secretsInArguments(broken2).length, 1);
            assert.equal(secretsInArguments(broken3).length, 1);
            assert.deepEqual(secretReferences("echo $AZURE_KEYVAULT_NAME $(System.AccessToken) ${APPINSIGHTS_CONNECTION_STRING}"), [
                "System.AccessToken",
                "APPINSIGHTS_CONNECTION_STRING",
            ]);
        });

        it("swapped hooks, a missing hook and a missing vault variable are found", () => {
            const swapped = clone(pipeline);
            const a = hookStep(swapped, "prod", "on.success").inputs as Doc;
            const b = hookStep(swapped, "prod", "on.failure").inputs as Doc;
            [a.inlineScript, b.inlineScript] = [b.inlineScript, a.inlineScript];
            assert.equal(environmentProblems(swapped).length, 2);
            const noVault = clone(pipeline);
            const s = stage(noVault, "Deploy_dev");
            s.variables = (s.variables as Doc[]).filter((v) => v.name !== "AZURE_KEYVAULT_NAME");
            assert.deepEqual(environmentProblems(noVault), ["Deploy_dev: no AZURE_KEYVAULT_NAME stage variable"]);
        });

        it("a Pulumi run without the policy pack, --yes or npm ci is found", () => {
            const broken = clone(pipeline);
            const [up] = pulumiRuns(broken).filter((r) => r.command === "up");
            const inputs = up.site.step.inputs as Doc;
            inputs.args = String(inputs.args)
                .replace("--yes ", "")
                .replace(/--policy-pack \S+ /, "");
            for (const s of up.site.siblings.slice(0, up.site.index)) if (s.script === "npm ci") s.script = "npm install";
            const problems = pulumiRuns(broken).flatMap(pulumiRunProblems);
            assert.equal(problems.length, 3, problems.join("\n"));
        });

        it("`latest` anywhere is found", () => {
            const broken = clone(pipeline);
            hookStep(broken, "dev", "deploy");
            const node = stepSites(broken).find((s) => s.step.task === "NodeTool@0");
            assert.ok(node);
            (node.step.inputs as Doc).versionSpec = "latest";
            assert.equal(latestMentions(broken).length, 1);
        });

        it("stage order is read with Azure DevOps' default dependency", () => {
            const broken = clone(pipeline);
            const s = broken.stages as Doc[];
            delete s[4].dependsOn; // prod without dependsOn still follows the stage before it: dev
            assert.deepEqual(
                stageGraph(broken).map((g) => g.dependsOn),
                stageGraph(pipeline).map((g) => g.dependsOn),
            );
            [s[3], s[4]] = [s[4], s[3]]; // listed before dev, prod would run right after Registry
            assert.deepEqual(
                stageGraph(broken).map((g) => g.id),
                ["Validate", "Build", "Registry", "Deploy_prod", "Deploy_dev"],
            );
            assert.deepEqual(
                stageGraph(broken)
                    .map((g) => g.dependsOn)
                    .slice(3),
                [["Registry"], ["Registry"]],
            );
        });

        it("a missing template, an unknown or missing parameter and an unsupported expression are refused", () => {
            const files: Record<string, unknown> = {
                "/p/main.yaml": { stages: [{ template: "t.yaml", parameters: { a: "x" } }] },
                "/p/t.yaml": {
                    parameters: [
                        { name: "a", type: "string" },
                        { name: "b", type: "string", default: "d" },
                    ],
                    stages: [{ stage: "S_${{ parameters.a }}_${{ parameters.b }}" }],
                },
                "/p/typo.yaml": { stages: [{ template: "t.yaml", parameters: { a: "x", c: "y" } }] },
                "/p/missing.yaml": { stages: [{ template: "t.yaml" }] },
                "/p/gone.yaml": { stages: [{ template: "nope.yaml" }] },
                "/p/cond.yaml": { stages: [{ template: "c.yaml" }] },
                "/p/c.yaml": { stages: [{ "${{ if true }}": [{ stage: "A" }] }] },
            };
            const fake = (f: string): unknown => {
                if (!(f in files)) throw new Error("ENOENT");
                return clone(files[f]);
            };
            assert.deepEqual(expandPipeline("/p/main.yaml", fake).pipeline, { stages: [{ stage: "S_x_d" }] });
            assert.throws(
                () => expandPipeline("/p/typo.yaml", fake),
                (e: Error) => e instanceof PipelineTemplateError && /unknown parameter "c"/.test(e.message),
            );
            assert.throws(() => expandPipeline("/p/missing.yaml", fake), /required parameter "a"/);
            assert.throws(() => expandPipeline("/p/gone.yaml", fake), /cannot be read/);
            assert.throws(() => expandPipeline("/p/cond.yaml", fake), /unsupported template key/);
        });
    });
});
