/** Settings (Key Vault with a fake SecretClient, config files), CLI arguments and bad input, Azure DevOps output. */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "../release-engine/src/cli/args";
import { main } from "../release-engine/src/cli/main";
import { InputError } from "../release-engine/src/errors";
import { createReporter, vsoEscape } from "../release-engine/src/engine/reporter";
import { loadConfig } from "../release-engine/src/settings/config";
import { credentialKind, loadVaultSettings, VAULT_SECRETS, type SecretReader } from "../release-engine/src/settings/keyvault";

const CONN = "InstrumentationKey=00000000-aaaa;IngestionEndpoint=https://westeurope-1.in.applicationinsights.azure.com/";

function fakeVault(values: Record<string, string>, failWith?: Error & { statusCode?: number }): SecretReader & { asked: string[] } {
    const asked: string[] = [];
    return {
        asked,
        async getSecret(name: string) {
            asked.push(name);
            if (failWith) throw failWith;
            if (!(name in values))
                throw Object.assign(new Error(`A secret with (name/id) ${name} was not found in this key vault.`), {
                    statusCode: 404,
                    code: "SecretNotFound",
                });
            return { value: values[name] };
        },
    };
}

const FULL = {
    "phoenix-fqdn": "phoenix-dev.westeurope.cloudapp.azure.com",
    "phoenix-namespace": "calculator",
    "log-analytics-workspace-id": "11111111-2222-3333-4444-555555555555",
    "appinsights-app-id": "app-id",
    "appinsights-connection-string": CONN,
};

/** Runs `fn` with process.stdout/stderr writes (which console.* uses too) captured instead of printed. */
async function capturingOutput<T>(fn: () => Promise<T>): Promise<{ result: T; written: string }> {
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((s) => s.write);
    let written = "";
    for (const s of streams) {
        s.write = ((chunk: string | Uint8Array) => {
            written += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
            return true;
        }) as typeof s.write;
    }
    try {
        return { result: await fn(), written };
    } finally {
        streams.forEach((s, i) => (s.write = originals[i]));
    }
}

describe("engine settings: Key Vault", () => {
    it("never writes a secret value to stdout, stderr or the console while loading (or failing to)", async () => {
        const ok = await capturingOutput(() => loadVaultSettings("kv-phoenix-dev", fakeVault(FULL)));
        assert.equal(ok.result.secrets.appInsightsConnectionString, CONN, "the value was read");
        const { ["phoenix-fqdn"]: _gone, ...partial } = FULL;
        const failed = await capturingOutput(() => loadVaultSettings("kv-phoenix-dev", fakeVault(partial)).catch((e: Error) => e.message));
        assert.match(String(failed.result), /phoenix-fqdn/);
        for (const written of [ok.written, failed.written]) {
            // The message names the secret, never the captured text (a failure must not print the value either).
            for (const [name, value] of Object.entries(FULL))
                assert.ok(!written.includes(value), `the value of ${name} reached the output`);
        }
    });

    it("loads the contract's secret names into the config; the connection string stays out of the config", async () => {
        const client = fakeVault(FULL);
        const v = await loadVaultSettings("kv-phoenix-dev", client);
        assert.deepEqual(client.asked.sort(), Object.values(VAULT_SECRETS).sort());
        const cfg = loadConfig("dev", { vault: v.settings });
        assert.equal(cfg.host, FULL["phoenix-fqdn"]);
        assert.equal(cfg.publicUrl, `http://${FULL["phoenix-fqdn"]}`);
        assert.equal(cfg.appInsights?.workspaceId, FULL["log-analytics-workspace-id"]);
        assert.equal(cfg.appInsights?.appName, "calculator");
        assert.equal(v.secrets.appInsightsConnectionString, CONN);
        assert.ok(!JSON.stringify(cfg).includes("InstrumentationKey"));
        assert.ok(!v.read.join().includes("InstrumentationKey"), "only names are reported");
    });

    it("a missing secret is an input error naming it", async () => {
        const { ["log-analytics-workspace-id"]: _gone, ...partial } = FULL;
        await assert.rejects(
            loadVaultSettings("kv-phoenix-dev", fakeVault(partial)),
            (e: Error) => e instanceof InputError && /lacks required secret\(s\): log-analytics-workspace-id/.test(e.message),
        );
        await assert.rejects(loadVaultSettings("kv-phoenix-dev", fakeVault({ ...FULL, "phoenix-fqdn": "" })), /phoenix-fqdn/);
        await assert.rejects(loadVaultSettings("no_such vault", fakeVault(FULL)), /not a Key Vault name/);
    });

    it("other vault errors never echo what the SDK put in the message", async () => {
        const err = Object.assign(new Error(`forbidden: caller cannot read; value was ${CONN}`), { statusCode: 403, code: "Forbidden" });
        await assert.rejects(
            loadVaultSettings("kv-phoenix-dev", fakeVault(FULL, err)),
            (e: Error) => /Forbidden/.test(e.message) && !e.message.includes("InstrumentationKey"),
        );
    });

    it("uses AzurePipelinesCredential only in Azure DevOps with the service connection's variables", () => {
        const ado = {
            TF_BUILD: "True",
            AZURESUBSCRIPTION_TENANT_ID: "t",
            AZURESUBSCRIPTION_CLIENT_ID: "c",
            AZURESUBSCRIPTION_SERVICE_CONNECTION_ID: "s",
            SYSTEM_ACCESSTOKEN: "x",
        };
        assert.equal(credentialKind(ado), "azure-pipelines");
        assert.equal(credentialKind({ ...ado, SYSTEM_ACCESSTOKEN: "" }), "default");
        assert.equal(credentialKind({}), "default");
    });
});

describe("engine settings: config and CLI input", () => {
    it("per-environment files set the gate; bad values are refused", () => {
        assert.equal(loadConfig("prod").gate.maxErrorRate, 0.02);
        assert.equal(loadConfig("dev").gate.maxErrorRate, 0.05);
        assert.throws(() => loadConfig("staging"), /unknown environment "staging"/);
        assert.throws(
            () => loadConfig("dev", { overrides: { gate: { maxErrorRate: 2, concurrency: 0 } } }),
            /concurrency must be an integer >= 1[\s\S]*maxErrorRate must be in \(0,1\)/,
        );
    });

    it("parses commands and refuses bad input", () => {
        assert.deepEqual(parseArgs(["release", "1.2.0", "--env", "prod", "--backend=pulumi", "--json"], {}), {
            command: "release",
            version: "1.2.0",
            env: "prod",
            backend: "pulumi",
            vault: undefined,
            json: true,
            showSecrets: false,
        });
        assert.equal(parseArgs(["status"], { AZURE_KEYVAULT_NAME: "kv-x" }).vault, "kv-x");
        assert.equal(parseArgs(["rollback", "1.1.0"], {}).version, "1.1.0");
        assert.equal(
            parseArgs(["rollback"], { RELEASE_VERSION: "1.2.0" }).version,
            "1.2.0",
            "the pipeline's on: failure undoes its own release only",
        );
        assert.equal(parseArgs(["rollback"], {}).version, undefined);
        assert.equal(parseArgs(["deploy", "1.0.0"], { RELEASE_VERSION: "1.2.0" }).version, "1.0.0");
        assert.throws(() => parseArgs(["rollback"], { RELEASE_VERSION: "build-7" }), /RELEASE_VERSION "build-7" is not a semantic version/);
        for (const bad of [
            [],
            ["ship", "1.0.0"],
            ["release"],
            ["release", "1.0"],
            ["promote", "1.0.0"],
            ["status", "--backend", "helm"],
            ["status", "--what"],
            ["deploy", "1.0.0", "extra"],
        ]) {
            assert.throws(() => parseArgs(bad, {}), InputError, bad.join(" "));
        }
    });

    it("bad input exits 2 and changes nothing", async () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-cli-"));
        let err = "";
        const run = (argv: string[]) =>
            main(
                argv,
                { PHOENIX_HOME: home },
                () => undefined,
                (s) => (err += s),
            );
        assert.equal(await run(["release", "one.two"]), 2);
        assert.match(err, /"one\.two" is not a semantic version/);
        assert.equal(await run(["release", "1.0.0", "--env", "qa"]), 2);
        assert.match(err, /--env must be one of dev, prod, got "qa"/);
        assert.equal(await run(["frobnicate"]), 2);
        assert.deepEqual(fs.readdirSync(home), [], "no state, lock or process was created");
        fs.rmSync(home, { recursive: true, force: true });
    });

    it("--help prints the usage on stdout and exits 0; <command> --help prints that command's", async () => {
        let out = "";
        let err = "";
        assert.equal(
            await main(
                ["--help"],
                {},
                (s) => (out += s),
                (s) => (err += s),
            ),
            0,
        );
        assert.match(out, /^usage: phoenix-release <command>/);
        assert.equal(err, "");
        out = "";
        assert.equal(
            await main(
                ["release", "1.0.0", "--help"],
                {},
                (s) => (out += s),
                (s) => (err += s),
            ),
            0,
        );
        assert.match(out, /^usage: phoenix-release release <version> \[options\]/);
    });

    it("PHOENIX_CONFIG_DIR replaces release-engine/config; a missing environment file there is bad input", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-config-"));
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-cli-"));
        fs.writeFileSync(path.join(dir, "dev.json"), JSON.stringify({ replicas: 3 }));
        let out = "";
        let err = "";
        const env = { PHOENIX_HOME: home, PHOENIX_CONFIG_DIR: dir };
        assert.equal(
            await main(
                ["plan", "1.0.0", "--json"],
                env,
                (s) => (out += s),
                (s) => (err += s),
            ),
            0,
            err,
        );
        assert.match(out, /×3/, "the plan uses the replicas of the replaced config");
        assert.equal(
            await main(
                ["plan", "1.0.0", "--env", "prod"],
                env,
                () => undefined,
                (s) => (err += s),
            ),
            2,
        );
        assert.match(err, /prod\.json/);
        for (const d of [dir, home]) fs.rmSync(d, { recursive: true, force: true });
    });
});

describe("engine output under Azure DevOps", () => {
    it("failed steps become ##vso logissue lines; the summary is uploaded as markdown", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-ado-"));
        let out = "";
        const r = createReporter({ write: (s) => (out += s), tfBuild: true, summaryDir: dir });
        r.step({
            name: "deploy-candidate",
            description: "deploy 1.2.0",
            status: "failed",
            durationMs: 1234,
            details: ["http gate FAIL: error rate above 0.05 (100%)"],
        });
        r.summary("## summary\n");
        assert.match(out, /^✘ deploy-candidate +deploy 1\.2\.0 \(1\.23 s\)$/m);
        assert.match(out, /^##vso\[task\.logissue type=error\]deploy-candidate: http gate FAIL: error rate above 0\.05 \(100%AZP25\)$/m);
        const file = /##vso\[task\.uploadsummary\](.+)$/m.exec(out)?.[1];
        assert.ok(file && fs.readFileSync(file, "utf8") === "## summary\n");
        assert.equal(vsoEscape("a\nb"), "a%0Ab");
        let plain = "";
        createReporter({ write: (s) => (plain += s), tfBuild: false }).error("boom");
        assert.equal(plain, "error: boom\n");
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
