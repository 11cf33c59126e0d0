/**
 * `npm run docs:settings`: rewrites the settings table of docs/release-engine.md from the settings schema
 * (release-engine/src/settings/schema.ts), the defaults and each environment's file
 * (release-engine/config/<env>.json). The table is generated only: tests/engine-settings-docs.spec.ts
 * fails when the docs differ from what {@link documentWithSettingsTable} makes of them.
 */
import * as fs from "fs";
import * as path from "path";
import { DEFAULT_SETTINGS, ENVIRONMENTS, loadSettings } from "../src/settings/config";
import { ENGINE_SETTINGS } from "../src/settings/schema";
import { settingsTable, withSettingsTable } from "../src/settings/settings-table";

/** The document the table lives in. */
export const SETTINGS_DOC = path.join(__dirname, "..", "..", "docs", "release-engine.md");

/** `document` with its settings table as the schema, the defaults and the environments' files make it now. */
export function documentWithSettingsTable(document: string): string {
    const environments = Object.fromEntries(ENVIRONMENTS.map((env) => [env, loadSettings(env)]));
    return withSettingsTable(document, settingsTable(ENGINE_SETTINGS.schema, DEFAULT_SETTINGS, environments));
}

if (require.main === module) {
    const before = fs.readFileSync(SETTINGS_DOC, "utf8");
    const after = documentWithSettingsTable(before);
    if (after !== before) fs.writeFileSync(SETTINGS_DOC, after);
    console.log(
        `docs/release-engine.md: the settings table ${after === before ? "was already up to date" : "was rewritten from the schema"}`,
    );
}
