// The project (Pulumi.yaml, found upwards from the working directory as the CLI does) and the stack's
// settings file `Pulumi.<stack>.yaml` next to it: the stack's config (plain values, secure values as
// `secure: <ciphertext>`) and its passphrase `encryptionsalt`. Edits keep the file's comments (yaml
// Document API).
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");

/** The project whose Pulumi.yaml is in `cwd` or the nearest folder above it. */
function findProject(cwd) {
    for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
        for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
            const file = path.join(dir, name);
            if (fs.existsSync(file)) {
                const doc = YAML.parse(fs.readFileSync(file, "utf8")) ?? {};
                if (typeof doc.name !== "string" || doc.name === "") throw new Error(`${file}: project is missing a 'name' attribute`);
                return { dir, file, name: doc.name, declared: doc.config && typeof doc.config === "object" ? doc.config : {} };
            }
        }
        if (path.dirname(dir) === dir)
            throw new Error(
                `no Pulumi.yaml project file found (searching upwards from ${path.resolve(cwd)}). If you have not created a project yet, use \`pulumi new\` to do so: no project file found`,
            );
    }
}

/** `key` as the CLI stores it: `<namespace>:<name>`, the project's name when no namespace is given. */
function qualify(project, key) {
    return key.includes(":") ? key : `${project.name}:${key}`;
}

/** The stack's settings file, loaded (an empty one when it does not exist yet). */
function loadSettings(project, stack) {
    const file = path.join(project.dir, `Pulumi.${stack}.yaml`);
    const doc = fs.existsSync(file) ? YAML.parseDocument(fs.readFileSync(file, "utf8")) : new YAML.Document({});
    if (doc.errors.length) throw new Error(`could not parse ${file}: ${doc.errors[0].message}`);
    if (doc.contents === null) doc.contents = doc.createNode({});
    return { file, doc };
}

function saveSettings(settings) {
    fs.writeFileSync(settings.file, settings.doc.toString());
}

/**
 * The settings file's config: key → `{ value, secret }` for a plain value (scalars as text, maps and
 * lists as JSON with `objectValue`) or `{ secure }` for an encrypted one.
 */
function readConfig(settings) {
    const cfg = settings.doc.toJS()?.config ?? {};
    const out = {};
    for (const [k, v] of Object.entries(cfg)) {
        if (v && typeof v === "object" && !Array.isArray(v) && typeof v.secure === "string" && Object.keys(v).length === 1)
            out[k] = { secure: v.secure };
        else if (v !== null && typeof v === "object") out[k] = { value: JSON.stringify(v), objectValue: v, secret: false };
        else out[k] = { value: v === null || v === undefined ? "" : String(v), secret: false };
    }
    return out;
}

/** Sets one plain value or one `{ secure }` value in the settings file (not yet saved). */
function setConfig(settings, key, entry) {
    settings.doc.setIn(["config", key], entry.secure !== undefined ? settings.doc.createNode({ secure: entry.secure }) : entry.value);
}

function removeConfig(settings, key) {
    if (settings.doc.hasIn(["config", key])) settings.doc.deleteIn(["config", key]);
}

/** Replaces the whole config (`pulumi config refresh`). */
function replaceConfig(settings, config) {
    settings.doc.setIn(["config"], settings.doc.createNode({}));
    for (const [k, v] of Object.entries(config)) setConfig(settings, k, v);
}

const getSalt = (settings) => settings.doc.get("encryptionsalt");
const setSalt = (settings, salt) => settings.doc.set("encryptionsalt", salt);

/**
 * The config an operation sees: the settings file's, plus the defaults of keys the project declares
 * and the stack leaves unset; a declared key with neither is the CLI's "missing configuration value".
 */
function effectiveConfig(project, stack, stackConfig) {
    const out = { ...stackConfig };
    const missing = [];
    for (const [name, decl] of Object.entries(project.declared)) {
        const key = qualify(project, name);
        if (out[key] !== undefined) continue;
        const def = decl && typeof decl === "object" && !Array.isArray(decl) ? decl.default : decl;
        if (def === undefined) missing.push(name);
        else
            out[key] =
                typeof def === "object" && def !== null
                    ? { value: JSON.stringify(def), objectValue: def, secret: false }
                    : { value: String(def), secret: false };
    }
    return { config: out, missing };
}

/** The CLI's message for required config the stack does not set. */
function missingMessage(stack, missing) {
    const names = missing.map((m) => `'${m}'`);
    const list = names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
    return `Stack '${stack}' is missing configuration value${missing.length === 1 ? "" : "s"} ${list}`;
}

module.exports = {
    findProject,
    qualify,
    loadSettings,
    saveSettings,
    readConfig,
    setConfig,
    removeConfig,
    replaceConfig,
    getSalt,
    setSalt,
    effectiveConfig,
    missingMessage,
};
