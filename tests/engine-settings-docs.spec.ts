/**
 * The docs' settings table is generated from the settings schema (issue 21): docs/release-engine.md holds
 * exactly what `npm run docs:settings` writes, one row per setting, with the defaults and each
 * environment's values as the engine loads them.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import { documentWithSettingsTable, SETTINGS_DOC } from "../release-engine/scripts/settings-docs";
import { DEFAULT_SETTINGS, ENVIRONMENTS, loadSettings } from "../release-engine/src/settings/config";
import { ENGINE_SETTINGS } from "../release-engine/src/settings/schema";
import { integer, object, string } from "../release-engine/src/settings/schema-builder";
import { settingsTable, TABLE_END, TABLE_START, withSettingsTable } from "../release-engine/src/settings/settings-table";

/** The table rows of a generated table (header and separator dropped), split into cells. */
function tableRows(table: string): string[][] {
    return table
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .map((line) =>
            line
                .slice(2, -2)
                .split(/(?<!\\) \| /)
                .map((text) => text.trim()),
        );
}

describe("docs: the settings table is the schema's", () => {
    it("docs/release-engine.md holds the table npm run docs:settings generates (run it after changing a setting)", () => {
        const doc = fs.readFileSync(SETTINGS_DOC, "utf8");
        assert.ok(doc.includes(TABLE_START) && doc.includes(TABLE_END), "the markers are in the docs");
        assert.equal(doc, documentWithSettingsTable(doc), "the docs' settings table differs from the schema's: run npm run docs:settings");
    });

    it("the table has one row per setting of the schema, with the default and each environment's value", () => {
        const doc = fs.readFileSync(SETTINGS_DOC, "utf8");
        const table = doc.slice(doc.indexOf(TABLE_START), doc.indexOf(TABLE_END));
        const rows = tableRows(table);
        const settings = Object.fromEntries(ENVIRONMENTS.map((env) => [env, loadSettings(env)]));
        const replicas = rows.find((cells) => cells[0] === "`replicas`");
        assert.ok(replicas, "replicas has a row");
        assert.deepEqual(replicas.slice(2, 3 + ENVIRONMENTS.length), [
            `\`${DEFAULT_SETTINGS.replicas}\``,
            ...ENVIRONMENTS.map((env) => `\`${settings[env].replicas}\``),
        ]);
        const steps = rows.find((cells) => cells[0] === "`progressive.steps`");
        assert.ok(steps?.includes(`\`[${settings.prod.progressive.steps.join(", ")}]\``), "prod's steps are shown");
        const leaves = (schema: typeof ENGINE_SETTINGS.schema, at: string[] = []): string[] =>
            schema.type === "object" && schema.properties
                ? Object.entries(schema.properties).flatMap(([key, child]) => leaves(child, [...at, key]))
                : [at.join(".")];
        assert.deepEqual(
            rows.map((cells) => cells[0].replace(/`/g, "")),
            leaves(ENGINE_SETTINGS.schema),
        );
    });

    it("a new setting appears in the generated table; the docs without the markers are refused", () => {
        const schema = object(
            {
                replicas: integer({ minimum: 1, maximum: 9, description: "Pods | per slot <n>." }),
                local: object({ host: string({ minLength: 1, description: "Where." }) }, { description: "Local.", optional: ["host"] }),
            },
            { description: "Test settings." },
        ).schema;
        const table = settingsTable(schema, { replicas: 2, local: {} }, { dev: { replicas: 3, local: { host: "a" } } });
        assert.deepEqual(tableRows(table), [
            ["`replicas`", "an integer from 1 to 9", "`2`", "`3`", "Pods \\| per slot &lt;n>."],
            ["`local.host`", "a non-empty string (optional)", "—", "`a`", "Where."],
        ]);
        assert.equal(withSettingsTable(`a\n${TABLE_START}\nold\n${TABLE_END}\nb`, "NEW"), "a\nNEW\nb");
        assert.throws(() => withSettingsTable("no markers here", "NEW"), /markers are missing/);
    });
});
