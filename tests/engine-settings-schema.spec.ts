/**
 * The engine's settings have one strict schema (issue 21): a key that is not a setting is refused with its
 * JSON path (and the setting it is closest to), a wrong type or range names the value and what was
 * expected, every layer is checked before anything is merged, and `--steps` is judged by the planner's
 * own rule.
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseCommandLine, UsageError } from "../release-engine/src/cli/args";
import { InputError } from "../release-engine/src/errors";
import { stepsRuleBroken } from "../release-engine/src/planner/plan";
import { DEFAULT_SETTINGS, ENVIRONMENTS, loadConfig, loadSettings } from "../release-engine/src/settings/config";
import { ENGINE_SETTINGS } from "../release-engine/src/settings/schema";
import { describeExpected, partialSchema, schemaAt, type JsonSchema } from "../release-engine/src/settings/schema-builder";
import { closestName, settingsLayerProblems, settingsProblems } from "../release-engine/src/settings/validate";
import { settingsValidatorsSource, SETTINGS_VALIDATORS } from "../release-engine/scripts/settings-validators";

const CONFIG_DIR = path.join(__dirname, "..", "release-engine", "config");

/** Every leaf setting of a schema as a JSON pointer (objects open into their keys; a list is one setting). */
function leafPointers(schema: JsonSchema, at = ""): string[] {
    if (schema.type !== "object" || !schema.properties) return [at];
    return Object.entries(schema.properties).flatMap(([key, child]) => leafPointers(child, `${at}/${key}`));
}

/** A folder holding `<env>.json` with `settings`, removed after `fn`. */
function withConfigFile<T>(env: string, settings: unknown, fn: (dir: string, file: string) => T): T {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-settings-"));
    const file = path.join(dir, `${env}.json`);
    fs.writeFileSync(file, JSON.stringify(settings));
    try {
        return fn(dir, file);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The message of the InputError `fn` throws (fails when it throws nothing or something else). */
function inputErrorOf(fn: () => unknown): string {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof InputError, `expected an InputError, got ${String(e)}`);
        return e.message;
    }
    assert.fail("expected an InputError, nothing was thrown");
}

describe("engine settings: one strict schema", () => {
    it("a misspelled top-level key in a settings file is refused with its path and the setting meant; nothing is loaded", () => {
        const prod = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, "prod.json"), "utf8")) as Record<string, unknown>;
        const { progressive, ...rest } = prod;
        const misspelled = { ...rest, progresive: progressive };
        const message = withConfigFile("prod", misspelled, (dir, file) =>
            inputErrorOf(() => loadConfig("prod", { configDir: dir })).replace(file, "<file>"),
        );
        assert.match(
            message,
            /^invalid configuration for prod:\n {2}- <file>: \/progresive is not a setting; did you mean \/progressive\?$/,
        );
        // Without the schema the misspelling fell back to the defaults' single step: the real file's steps are not [100].
        assert.notDeepEqual(loadConfig("prod").progressive.steps, DEFAULT_SETTINGS.progressive.steps);
    });

    it("the built-in files are named as the repository spells them", () => {
        // The overrides are a layer of their own; the shipped file is valid, so only the overrides are named.
        const message = inputErrorOf(() => loadConfig("prod", { overrides: { gate: { alpah: 0.01 } } }));
        assert.match(message, /overrides: \/gate\/alpah is not a setting; did you mean \/gate\/alpha\?/);
        assert.doesNotMatch(message, /release-engine\/config\/prod\.json/);
    });

    it("a nested unknown key with no close setting lists the keys there are", () => {
        const message = inputErrorOf(() => loadConfig("dev", { overrides: { readiness: { frobnicate: 1 } } }));
        const keys = Object.keys(ENGINE_SETTINGS.schema.properties?.readiness.properties ?? {});
        assert.ok(keys.length > 0);
        assert.ok(message.includes(`/readiness/frobnicate is not a setting; expected one of: ${keys.join(", ")}`), message);
    });

    it("a wrong type or range names the path, the value and what the schema expects", () => {
        const cases: Array<[unknown, string, unknown]> = [
            [{ replicas: "3" }, "/replicas", "3"],
            [{ replicas: 0 }, "/replicas", 0],
            [{ router: "traefik" }, "/router", "traefik"],
            [{ secretPreview: "yes" }, "/secretPreview", "yes"],
            [{ gate: { maxErrorRate: 1 } }, "/gate/maxErrorRate", 1],
            [{ progressive: { steps: [5, "x", 100] } }, "/progressive/steps/1", "x"],
            [{ progressive: { pollMs: 10 } }, "/progressive/pollMs", 10],
            [{ local: { port: 70000 } }, "/local/port", 70000],
            [{ appName: "Not_A_Label" }, "/appName", "Not_A_Label"],
        ];
        for (const [overrides, pointer, value] of cases) {
            const message = inputErrorOf(() => loadConfig("dev", { overrides }));
            const expected = describeExpected(schemaAt(ENGINE_SETTINGS.schema, pointer) as JsonSchema);
            assert.ok(message.includes(`overrides: ${pointer} must be ${expected}, got ${JSON.stringify(value)}`), message);
        }
        assert.equal(describeExpected(schemaAt(ENGINE_SETTINGS.schema, "/replicas") as JsonSchema), "an integer from 1 to 100");
        assert.equal(describeExpected(schemaAt(ENGINE_SETTINGS.schema, "/router") as JsonSchema), "one of: gateway-api, nginx");
        assert.equal(describeExpected(schemaAt(ENGINE_SETTINGS.schema, "/gate/maxErrorRate") as JsonSchema), "in (0,1)");
    });

    it("every problem of every layer is reported at once, each with its source", () => {
        const message = withConfigFile("dev", { replicas: -1, progresive: {} }, (dir, file) =>
            inputErrorOf(() => loadConfig("dev", { configDir: dir, overrides: { local: { port: -1 } }, vault: { appName: "UPPER" } }))
                .split(file)
                .join("<file>"),
        );
        const problems = message.split("\n").slice(1);
        assert.deepEqual(
            problems.map((line) => line.replace(/: \/.*$/, "")),
            ["  - <file>", "  - <file>", "  - overrides", "  - Key Vault (phoenix-namespace, phoenix-fqdn)"],
            message,
        );
        assert.match(message, /<file>: \/progresive is not a setting/);
        assert.match(message, /<file>: \/replicas must be an integer from 1 to 100, got -1/);
        assert.match(message, /overrides: \/local\/port must be an integer from 0 to 65535, got -1/);
        assert.match(message, /Key Vault \(phoenix-namespace, phoenix-fqdn\): \/appName must be a DNS label/);
    });

    it("a settings file must be an object; null is a wrong type, not a way back to the default", () => {
        for (const bad of [[], 3, "x"])
            assert.match(
                inputErrorOf(() => loadConfig("dev", { overrides: bad })),
                /overrides: the settings must be an object/,
            );
        assert.match(
            inputErrorOf(() => loadConfig("dev", { overrides: { gate: null } })),
            /overrides: \/gate must be an object with keys maxRequests/,
        );
    });

    it("rules across fields run on the merged settings: the planner's steps rule, the gate's own checks", () => {
        assert.match(
            inputErrorOf(() => loadConfig("dev", { overrides: { progressive: { steps: [50, 20, 100] } } })),
            /\/progressive\/steps must rise strictly, got \[50,20,100\]/,
        );
        // The file sets minRequests 30; an override of maxRequests below it is only wrong once merged.
        assert.match(
            inputErrorOf(() => loadConfig("dev", { overrides: { gate: { maxRequests: 10 } } })),
            /minRequests \(30\) must not exceed maxRequests \(10\)/,
        );
    });

    it("the defaults are a complete set of settings; each shipped file is a valid layer whose merge is one too", () => {
        assert.deepEqual(settingsProblems(DEFAULT_SETTINGS), []);
        for (const env of ENVIRONMENTS) {
            const file = JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${env}.json`), "utf8")) as unknown;
            assert.deepEqual(settingsLayerProblems(file), [], env);
            assert.deepEqual(settingsProblems(loadSettings(env)), [], env);
        }
    });

    it("a layer may be any part of the settings; the complete schema requires every setting but the optional ones", () => {
        assert.deepEqual(settingsLayerProblems({}), []);
        assert.deepEqual(settingsLayerProblems({ gate: { alpha: 0.02 } }), []);
        const missing = settingsProblems({});
        const topLevel = Object.keys(ENGINE_SETTINGS.schema.properties ?? {});
        assert.deepEqual(
            missing,
            topLevel.map(
                (key) => `/${key} is missing (expected ${describeExpected(ENGINE_SETTINGS.schema.properties?.[key] as JsonSchema)})`,
            ),
        );
        const required = (schema: JsonSchema): number =>
            (schema.required?.length ?? 0) + Object.values(schema.properties ?? {}).reduce((sum, child) => sum + required(child), 0);
        assert.ok(required(ENGINE_SETTINGS.schema) > topLevel.length);
        assert.equal(required(partialSchema(ENGINE_SETTINGS.schema)), 0);
        const { noTrafficMs: _noTraffic, latency: _latency, ...analysis } = DEFAULT_SETTINGS.progressive.analysis;
        assert.deepEqual(settingsProblems({ ...DEFAULT_SETTINGS, progressive: { ...DEFAULT_SETTINGS.progressive, analysis } }), []);
    });

    it("every setting has a description (the docs' table shows it)", () => {
        const undescribed = leafPointers(ENGINE_SETTINGS.schema).filter(
            (pointer) => !schemaAt(ENGINE_SETTINGS.schema, pointer)?.description,
        );
        assert.deepEqual(undescribed, []);
    });

    it("Key Vault's values replace the app name and host; the workspace id turns the App Insights gate on with the file's tunables", () => {
        const config = loadConfig("prod", {
            overrides: { appInsights: { minRequests: 75 } },
            vault: { appName: "shop", fqdn: "shop.example.com", logAnalyticsWorkspaceId: "ws" },
        });
        assert.equal(config.appName, "shop");
        assert.equal(config.host, "shop.example.com");
        assert.equal(config.publicUrl, "http://shop.example.com");
        assert.deepEqual(config.appInsights, { ...DEFAULT_SETTINGS.appInsights, minRequests: 75, workspaceId: "ws", appName: "shop" });
        assert.equal(
            loadConfig("prod", { overrides: { appInsights: { minRequests: 75 } } }).appInsights,
            undefined,
            "no workspace, no gate",
        );
    });

    it("a suggestion is the closest known name within a third of its letters, or none", () => {
        assert.equal(closestName("progresive", ["progressive", "production"]), "progressive");
        assert.equal(closestName("Replicas", ["replicas"]), "replicas");
        assert.equal(closestName("alpah", ["alpha", "beta"]), "alpha");
        assert.equal(closestName("banana", ["alpha", "beta"]), undefined);
    });
});

describe("--steps is judged by the planner's rule", () => {
    /** Any lists of whole numbers (mostly broken ones) … */
    const ANY_WEIGHTS = fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 1, maxLength: 24 });
    /** … and rising lists ending with 100, up to 25 long (valid up to 20). */
    const RISING_TO_100 = fc
        .uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 24 })
        .map((weights) => [...weights.sort((a, b) => a - b), 100]);

    it("the CLI accepts a list exactly when the planner's rule does, and says which part it breaks", () => {
        fc.assert(
            fc.property(fc.oneof(ANY_WEIGHTS, RISING_TO_100), (weights) => {
                const flag = weights.join(",");
                const broken = stepsRuleBroken(weights);
                try {
                    const parsed = parseCommandLine(["plan", "1.0.0", "--steps", flag], {});
                    return broken === undefined && parsed.kind === "run" && JSON.stringify(parsed.steps) === JSON.stringify(weights);
                } catch (e) {
                    return broken !== undefined && e instanceof UsageError && e.message.endsWith(`got "${flag}": the weights ${broken}`);
                }
            }),
        );
    });

    it("a list longer than the planner takes is refused at the command line (it used to pass the CLI and fail in the plan)", () => {
        const weights = [...Array.from({ length: 20 }, (_, index) => index + 1), 100];
        assert.ok(stepsRuleBroken(weights));
        assert.throws(
            () => parseCommandLine(["plan", "1.0.0", "--steps", weights.join(",")], {}),
            /--steps must be rising whole percents ending with 100 .*got "1,2,.*,20,100": the weights must be a list of 1 to 20 percents/,
        );
        assert.throws(
            () => parseCommandLine(["plan", "1.0.0", "--steps", "5,x,100"], {}),
            /the weights must be whole percents from 1 to 100/,
        );
    });
});

describe("engine settings: the validators compiled ahead of time", () => {
    it("the generated module is what ajv compiles the schema to now (npm run settings:validators), and it requires no package", () => {
        const committed = fs.readFileSync(SETTINGS_VALIDATORS, "utf8");
        assert.ok(committed === settingsValidatorsSource(), "settings-validators.generated.ts is stale: run npm run settings:validators");
        assert.doesNotMatch(committed, /require\(/);
    });

    it("refuses what the schema refuses, with ajv's own errors (a type, a range, an unknown key)", () => {
        assert.deepEqual(settingsLayerProblems({ gate: { concurrency: 2 } }), []);
        assert.deepEqual(settingsLayerProblems({ gate: { concurrency: "2" } }), ['/gate/concurrency must be an integer >= 1, got "2"']);
        assert.deepEqual(settingsLayerProblems({ gate: { concurrency: 0 } }), ["/gate/concurrency must be an integer >= 1, got 0"]);
        assert.match(settingsLayerProblems({ progresive: {} })[0], /^\/progresive is not a setting; did you mean \/progressive\?/);
        assert.deepEqual(settingsProblems(DEFAULT_SETTINGS), []);
        assert.match(settingsProblems({ ...DEFAULT_SETTINGS, appName: undefined }).join("\n"), /\/appName is missing/);
    });
});
