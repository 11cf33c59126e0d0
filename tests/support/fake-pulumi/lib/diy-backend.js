// The self-managed ("DIY") backend at PULUMI_BACKEND_URL=file://<dir>, laid out as the real CLI's
// (pkg/backend/diy): `.pulumi/meta.yaml`; per stack the checkpoint `.pulumi/stacks/<project>/<stack>.json`
// (resources with their outputs, the secrets provider's state), the update history
// `.pulumi/history/<project>/<stack>/<stack>-<unix ns>.history.json` (each with the config the update
// used, secure values still encrypted) plus a `.checkpoint.json` copy, and while an update runs its
// lock `.pulumi/locks/organization/<project>/<stack>/<lock id>.json`. Config is never kept here: it is
// in the working directory's Pulumi.<stack>.yaml.
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");

/** The backend named by PULUMI_BACKEND_URL (file:// only: the stand-in has no Pulumi Cloud). */
function openBackend(env) {
    const url = env.PULUMI_BACKEND_URL;
    if (!url) throw new Error("PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions");
    if (!url.startsWith("file://")) throw new Error(`the stand-in supports file:// backends only, got PULUMI_BACKEND_URL=${url}`);
    const root = url.slice("file://".length).replace(/^~(?=\/|$)/, os.homedir());
    if (!fs.existsSync(root)) throw new Error(`unable to open bucket ${url}: the directory does not exist`);
    const meta = path.join(root, ".pulumi", "meta.yaml");
    if (!fs.existsSync(meta)) {
        fs.mkdirSync(path.dirname(meta), { recursive: true });
        fs.writeFileSync(meta, "version: 1\n");
    }
    return { url, root, lockId: crypto.randomUUID() };
}

/** `[organization/][project/]stack` → the stack's reference in project mode. */
function stackRef(project, name) {
    const parts = name.split("/");
    if (parts.length > 3 || parts.some((p) => p === "")) throw new Error(`invalid stack name "${name}"`);
    if (parts.length === 3 && parts[0] !== "organization") throw new Error(`organization name must be 'organization', got "${parts[0]}"`);
    const stack = parts[parts.length - 1];
    const proj = parts.length >= 2 ? parts[parts.length - 2] : project;
    if (proj !== project) throw new Error(`provided project name "${proj}" doesn't match Pulumi.yaml`);
    return { project: proj, stack, fqn: `organization/${proj}/${stack}` };
}

const checkpointPath = (b, ref) => path.join(b.root, ".pulumi", "stacks", ref.project, `${ref.stack}.json`);
const historyDir = (b, ref) => path.join(b.root, ".pulumi", "history", ref.project, ref.stack);
const lockDir = (b, ref) => path.join(b.root, ".pulumi", "locks", "organization", ref.project, ref.stack);

const stackExists = (b, ref) => fs.existsSync(checkpointPath(b, ref));

function writeJson(file, value) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(value, null, 4));
    fs.renameSync(tmp, file);
}

/** A new stack: a checkpoint with no deployment yet. */
function createStack(b, ref) {
    if (stackExists(b, ref)) throw new Error(`stack '${ref.fqn}' already exists`);
    writeJson(checkpointPath(b, ref), { version: 3, checkpoint: { stack: ref.fqn, latest: null } });
}

function readCheckpoint(b, ref) {
    return JSON.parse(fs.readFileSync(checkpointPath(b, ref), "utf8"));
}

/** The root stack resource's outputs of the last update ({} before the first or after a destroy). */
function latestOutputs(b, ref) {
    const resources = readCheckpoint(b, ref).checkpoint.latest?.resources ?? [];
    return resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
}

/** The secrets provider state the last update recorded (`config refresh` restores it). */
function latestSecretsProvider(b, ref) {
    return readCheckpoint(b, ref).checkpoint.latest?.secrets_providers;
}

/** Writes the deployment and adds the update to the history (with a copy of the checkpoint). */
function saveUpdate(b, ref, deployment, update) {
    writeJson(checkpointPath(b, ref), { version: 3, checkpoint: { stack: ref.fqn, latest: deployment } });
    const prefix = path.join(historyDir(b, ref), `${ref.stack}-${BigInt(Date.now()) * 1000000n + (process.hrtime.bigint() % 1000000n)}`);
    writeJson(`${prefix}.history.json`, update);
    fs.copyFileSync(checkpointPath(b, ref), `${prefix}.checkpoint.json`);
}

/** The updates, most recent first, paged as `stack history --page-size N --page P`. */
function history(b, ref, pageSize, page) {
    const dir = historyDir(b, ref);
    const files = fs.existsSync(dir)
        ? fs
              .readdirSync(dir)
              .filter((f) => f.endsWith(".history.json"))
              .sort()
              .reverse()
        : [];
    const start = pageSize > 0 ? (Math.max(page, 1) - 1) * pageSize : 0;
    const end = pageSize > 0 ? start + pageSize : files.length;
    return files.slice(start, end).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
}

/** The CLI's refusal when another process holds the stack's lock (its text is what the Automation API matches). */
function lockedError(b, ref, others) {
    const lines = others.map((f) => {
        let l = { username: "unknown", hostname: "unknown", pid: 0, timestamp: "unknown" };
        try {
            l = JSON.parse(fs.readFileSync(path.join(lockDir(b, ref), f), "utf8"));
        } catch {
            /* released meanwhile */
        }
        const rel = path.posix.join(".pulumi", "locks", "organization", ref.project, ref.stack, f);
        return `\n  ${b.url.replace(/\/$/, "")}/${rel}: created by ${l.username}@${l.hostname} (pid ${l.pid}) at ${l.timestamp.replace(/\.\d+Z$/, "Z")}`;
    });
    return new Error(
        `the stack is currently locked by ${others.length} lock(s). Either wait for the other process(es) to end or delete the lock file with \`pulumi cancel\`.${lines.join("")}`,
    );
}

/** Takes the stack's update lock as the CLI does: refuse if another exists, write ours, check again. */
function lock(b, ref) {
    const dir = lockDir(b, ref);
    const mine = `${b.lockId}.json`;
    const others = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".json") && f !== mine) : []);
    if (others().length) throw lockedError(b, ref, others());
    let username = "unknown";
    try {
        username = os.userInfo().username;
    } catch {
        /* no passwd entry */
    }
    writeJson(path.join(dir, mine), { pid: process.pid, username, hostname: os.hostname(), timestamp: new Date().toISOString() });
    const after = others();
    if (after.length) {
        unlock(b, ref);
        throw lockedError(b, ref, after);
    }
}

function unlock(b, ref) {
    fs.rmSync(path.join(lockDir(b, ref), `${b.lockId}.json`), { force: true });
}

module.exports = {
    openBackend,
    stackRef,
    stackExists,
    createStack,
    latestOutputs,
    latestSecretsProvider,
    saveUpdate,
    history,
    lock,
    unlock,
};
