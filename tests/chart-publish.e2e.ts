/**
 * The chart's publishing path against a real OCI registry: Debian's `docker-registry` (the CNCF
 * distribution registry) on loopback with a throwaway TLS certificate (openssl) and htpasswd auth,
 * .azuredevops/scripts/publish-chart.sh run unchanged with a stand-in `az` that answers only the login
 * server and a token, then the pushed chart pulled and rendered by the exact `oci://…/helm/<app>`
 * reference and version the release stack builds. Helm trusts the certificate through SSL_CERT_FILE.
 *
 * Not part of `npm test` (it needs the Debian package): `npm run test:chart-publish`, which .ci/run
 * calls after installing docker-registry. Prints a short transcript of publish → pull → template.
 */
import { strict as assert } from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { objectNames, parseRendered, appContainer } from "./support/chart-checks";
import { HELM_VERSION, helm, helmBinary, helmEnv } from "./support/helm";
import { strictSchemaProblems } from "./support/k8s-strict";
import { releaseStackView } from "./support/release-slots";
import { freePort } from "./support/free-port";

const ROOT = path.join(__dirname, "..");
const SCRIPT = path.join(ROOT, ".azuredevops", "scripts", "publish-chart.sh");
const ACR_NAME = "phoenixshared";
const TOKEN_USER = "00000000-0000-0000-0000-000000000000";
const VERSION = "1.0.4711";

const transcript: string[] = [];
const say = (line: string): void => {
    transcript.push(line);
};

function which(cmd: string): string | undefined {
    const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/** GET /v2/ over TLS trusting only `ca`; the status code, or undefined while nothing listens. */
function probe(port: number, ca: Buffer): Promise<number | undefined> {
    return new Promise((resolve) => {
        const req = https.get({ host: "127.0.0.1", port, path: "/v2/", ca, timeout: 1000 }, (res) => {
            res.resume();
            resolve(res.statusCode);
        });
        req.on("error", () => resolve(undefined));
        req.on("timeout", () => {
            req.destroy();
            resolve(undefined);
        });
    });
}

/** A bcrypt htpasswd line made with the system's crypt(3) through perl; the secret goes by env, not argv. */
function htpasswdLine(user: string, secret: string): string {
    const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    const salt = Array.from(crypto.randomBytes(22), (b) => alphabet[b % 64]).join("");
    const r = spawnSync("perl", ["-e", "print crypt($ENV{PHOENIX_SECRET}, $ENV{PHOENIX_SALT})"], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, PHOENIX_SECRET: secret, PHOENIX_SALT: `$2b$05$${salt}` },
    });
    if (r.status !== 0 || !r.stdout.startsWith("$2b$05$") || r.stdout.length !== 60)
        throw new Error(`crypt(3) gave no bcrypt hash: ${r.stdout}${r.stderr}`);
    return `${user}:${r.stdout}\n`;
}

describe(`chart publishing: publish-chart.sh → docker-registry (TLS, htpasswd) → helm ${HELM_VERSION} template oci://`, function () {
    this.timeout(120000);
    let dir: string;
    let registry: ChildProcess | undefined;
    let registryLog = "";
    let port: number;
    let loginServer: string;
    let token: string;
    let env: Record<string, string>;

    before(async function () {
        const bin = which("docker-registry");
        assert.ok(bin, "docker-registry is not installed: apt-get install -y docker-registry (.ci/run does this)");
        assert.ok(which("openssl"), "openssl is required for the throwaway certificate");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-publish-"));
        port = await freePort();
        loginServer = `127.0.0.1:${port}`;
        token = crypto.randomBytes(24).toString("base64url");

        const cert = path.join(dir, "cert.pem");
        const key = path.join(dir, "key.pem");
        const ssl = spawnSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                key,
                "-out",
                cert,
            ],
            { encoding: "utf8" },
        );
        assert.equal(ssl.status, 0, ssl.stderr);
        fs.writeFileSync(path.join(dir, "htpasswd"), htpasswdLine(TOKEN_USER, token), { mode: 0o600 });
        fs.writeFileSync(
            path.join(dir, "config.yml"),
            [
                "version: 0.1",
                "log: { level: warn, accesslog: { disabled: true } }",
                `storage: { filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, "data"))} } }`,
                `http: { addr: "${loginServer}", tls: { certificate: ${JSON.stringify(cert)}, key: ${JSON.stringify(key)} } }`,
                `auth: { htpasswd: { realm: phoenix-test, path: ${JSON.stringify(path.join(dir, "htpasswd"))} } }`,
                "",
            ].join("\n"),
        );
        registry = spawn(bin, ["serve", path.join(dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
        registry.stdout?.on("data", (b: Buffer) => {
            registryLog += b.toString();
        });
        registry.stderr?.on("data", (b: Buffer) => {
            registryLog += b.toString();
        });
        const ca = fs.readFileSync(cert);
        let status: number | undefined;
        for (let i = 0; i < 100 && status === undefined && registry.exitCode === null; i++) {
            status = await probe(port, ca);
            if (status === undefined) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, 401, `the registry answers /v2/ with 401 (auth required); log:\n${registryLog}`);
        say(
            `registry: docker-registry ${spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout.trim().split(" ").pop()} on https://${loginServer} (self-signed, htpasswd)`,
        );

        // The stand-in az and helm on PATH for the script; the token is read from a file, never in argv.
        const binDir = path.join(dir, "bin");
        fs.mkdirSync(binDir);
        fs.symlinkSync(helmBinary(), path.join(binDir, "helm"));
        fs.writeFileSync(path.join(dir, "token"), token, { mode: 0o600 });
        fs.writeFileSync(
            path.join(binDir, "az"),
            [
                "#!/usr/bin/env bash",
                "# Stand-in for the Azure CLI: answers only the two questions publish-chart.sh asks.",
                "set -euo pipefail",
                'printf "%s\\n" "$*" >> "$AZ_CALLS"',
                'case "$*" in',
                `  "acr show --name ${ACR_NAME} --query loginServer --output tsv") echo "$AZ_LOGIN_SERVER" ;;`,
                `  "acr login --name ${ACR_NAME} --expose-token --output tsv --query accessToken") cat "$AZ_TOKEN_FILE" ;;`,
                '  *) echo "az stand-in: unexpected arguments: $*" >&2; exit 2 ;;',
                "esac",
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
        env = helmEnv({
            PATH: `${binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
            SSL_CERT_FILE: cert,
            AZ_CALLS: path.join(dir, "az-calls.log"),
            AZ_LOGIN_SERVER: loginServer,
            AZ_TOKEN_FILE: path.join(dir, "token"),
        });
    });

    after(() => {
        registry?.kill("SIGTERM");
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        if (transcript.length > 0) console.log(transcript.map((l) => `      ${l}`).join("\n"));
    });

    const publish = (extra: Record<string, string> = {}) =>
        spawnSync("bash", [SCRIPT], {
            cwd: ROOT,
            encoding: "utf8",
            env: {
                ...env,
                ACR_NAME,
                CHART_PATH: "app/chart",
                RELEASE_VERSION: VERSION,
                CHART_OUTPUT_DIR: path.join(dir, "chart-out"),
                ...extra,
            },
        });

    it("publish-chart.sh refuses to push with a wrong token (the registry really checks it)", () => {
        fs.writeFileSync(path.join(dir, "wrong-token"), "not-the-token");
        const r = publish({ AZ_TOKEN_FILE: path.join(dir, "wrong-token"), CHART_OUTPUT_DIR: path.join(dir, "wrong-out") });
        assert.notEqual(r.status, 0);
        const status = /response status code (\d+): (\w+)/.exec(r.stderr);
        assert.ok(status && status[1] === "401", r.stderr);
        say(`publish-chart.sh with a wrong token: exit ${r.status}, helm registry login got ${status[1]} ${status[2]}`);
    });

    it("publish-chart.sh, unchanged, packages and pushes oci://<login server>/helm/calculator:<version>", () => {
        fs.writeFileSync(env.AZ_CALLS, "");
        const r = publish();
        assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
        const out = `${r.stdout}${r.stderr}`;
        assert.match(out, new RegExp(`Pushed: ${loginServer.replace(/\./g, "\\.")}/helm/calculator:${VERSION.replace(/\./g, "\\.")}`));
        assert.ok(!out.includes(token), "the token is never printed");
        const calls = fs.readFileSync(env.AZ_CALLS, "utf8").trim().split("\n");
        assert.deepEqual(calls, [
            `acr show --name ${ACR_NAME} --query loginServer --output tsv`,
            `acr login --name ${ACR_NAME} --expose-token --output tsv --query accessToken`,
        ]);
        say(`$ ACR_NAME=${ACR_NAME} CHART_PATH=app/chart RELEASE_VERSION=${VERSION} publish-chart.sh`);
        for (const line of out.split("\n").filter((l) => /^(Successfully packaged|Login Succeeded|Pushed|Digest|Removing login)/.test(l)))
            say(`  ${line.trim()}`);
    });

    it("the pushed chart is private: without a login Helm cannot pull it (publish-chart.sh logged out)", () => {
        const r = helm(["show", "chart", `oci://${loginServer}/helm/calculator`, "--version", VERSION], {
            env: { SSL_CERT_FILE: env.SSL_CERT_FILE },
        });
        assert.notEqual(r.code, 0);
        assert.match(r.stderr, /401|unauthorized|basic credential not found/i);
        say(`helm show chart without a login: exit ${r.code}, ${r.stderr.trim().replace(/^.*: /s, "")}`);
    });

    it("helm template of the exact oci:// reference and version the release stack builds renders the slot", async () => {
        const view = await releaseStackView(
            "dev",
            { slots: { blue: { role: "live", version: VERSION }, green: { role: "absent" } } },
            loginServer,
        );
        assert.equal(view.releases.length, 1);
        const rel = view.releases[0];
        assert.equal(rel.chart, `oci://${loginServer}/helm/calculator`);
        assert.equal(rel.version, VERSION);

        const login = helm(["registry", "login", loginServer, "--username", TOKEN_USER, "--password-stdin"], {
            env: { SSL_CERT_FILE: env.SSL_CERT_FILE },
            input: token,
        });
        assert.equal(login.code, 0, login.stderr);
        const pulled = fs.mkdtempSync(path.join(dir, "pulled-"));
        const pull = helm(["pull", rel.chart, "--version", rel.version ?? "", "--destination", pulled], {
            env: { SSL_CERT_FILE: env.SSL_CERT_FILE },
        });
        assert.equal(pull.code, 0, pull.stderr);
        const pushed = fs.readFileSync(path.join(dir, "chart-out", `calculator-${VERSION}.tgz`));
        assert.deepEqual(
            fs.readFileSync(path.join(pulled, `calculator-${VERSION}.tgz`)),
            pushed,
            "the pulled package is byte for byte the one publish-chart.sh packaged",
        );
        say(`$ helm pull ${rel.chart} --version ${rel.version}   # ${pushed.length} bytes, identical to the pushed package`);

        const values = path.join(dir, "values.json");
        fs.writeFileSync(values, JSON.stringify(rel.values));
        const t = helm(["template", rel.name, rel.chart, "--version", rel.version ?? "", "--namespace", rel.namespace, "-f", values], {
            env: { SSL_CERT_FILE: env.SSL_CERT_FILE },
        });
        assert.equal(t.code, 0, t.stderr);
        const objects = parseRendered(t.stdout);
        assert.deepEqual(objectNames(objects), [
            "Deployment/blue-calculator",
            "PodDisruptionBudget/blue-calculator",
            "Service/blue-calculator",
            "ServiceAccount/blue-calculator",
        ]);
        for (const o of objects) assert.deepEqual(strictSchemaProblems(o), [], `${o.kind}/${o.metadata.name}`);
        assert.equal(appContainer(objects)?.image, `${loginServer}/calculator:${VERSION}`);
        for (const o of objects) assert.equal(o.metadata.labels?.["helm.sh/chart"], `calculator-${VERSION}`);
        say(`$ helm template ${rel.name} ${rel.chart} --version ${rel.version} -n ${rel.namespace} -f <the stack's values>`);
        say(`  ${objectNames(objects).join(", ")}; image ${appContainer(objects)?.image}`);
        helm(["registry", "logout", loginServer], { env: { SSL_CERT_FILE: env.SSL_CERT_FILE } });
    });
});
