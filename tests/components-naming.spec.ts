/**
 * The pure parts of components/: naming rules (checked exhaustively at the boundaries and by
 * property: validating with the placeholder suffix gives the same verdict as any real suffix),
 * the config reader, federated credential subjects, kubeconfig login rewriting, role ids and tags.
 */
import { strict as assert } from "assert";
import * as fc from "fast-check";
import * as YAML from "yaml";
import * as naming from "../components/naming";
import { ConfigReader, ConfigValidationError, credentialNameForSubject, readServiceConnections } from "../components/config-validation";
import { decodeKubeconfig, withKubeloginMode } from "../components/kubeconfig";
import { BuiltInRoles, roleDefinitionId } from "../components/role-assignment";
import { standardTags } from "../components/tags";

const suffixArb = fc.stringMatching(naming.SUFFIX_PATTERN);
const prefixArb = fc.stringMatching(/^[a-zA-Z0-9_-]{0,30}$/);

describe("components: naming", () => {
    it("Key Vault names: 3–24 characters, letters/digits/hyphens, letter first, no trailing or double hyphen", () => {
        assert.equal(naming.vaultNameProblem("abc"), undefined);
        assert.equal(naming.vaultNameProblem("a".repeat(24)), undefined);
        assert.match(naming.vaultNameProblem("ab") ?? "", /3–24/);
        assert.match(naming.vaultNameProblem("a".repeat(25)) ?? "", /3–24.*25/);
        assert.match(naming.vaultNameProblem("1abc") ?? "", /starts with a letter/);
        assert.match(naming.vaultNameProblem("abc-") ?? "", /ends with a letter or digit/);
        assert.match(naming.vaultNameProblem("ab--c") ?? "", /consecutive hyphens/);
        assert.match(naming.vaultNameProblem("ab_c") ?? "", /letters, digits and hyphens/);
    });

    it("registry names: alphanumeric, 5–50 characters; the prefix loses hyphens and case", () => {
        assert.equal(naming.registryNameProblem("abcde"), undefined);
        assert.equal(naming.registryNameProblem("a".repeat(50)), undefined);
        assert.match(naming.registryNameProblem("abcd") ?? "", /5–50/);
        assert.match(naming.registryNameProblem("a".repeat(51)) ?? "", /5–50/);
        assert.match(naming.registryNameProblem("ab-cde") ?? "", /alphanumeric/);
        assert.equal(naming.registryName("Phoenix-Shared", "ab12c"), "phoenixsharedab12c");
    });

    it("storage account names: 3–24 lower-case letters and digits; the prefix loses hyphens and case and gains `st`", () => {
        assert.equal(naming.storageAccountNameProblem("abc"), undefined);
        assert.equal(naming.storageAccountNameProblem("a".repeat(24)), undefined);
        assert.match(naming.storageAccountNameProblem("ab") ?? "", /3–24.*"ab" has 2/);
        assert.match(naming.storageAccountNameProblem("a".repeat(25)) ?? "", /3–24.* has 25/);
        assert.match(naming.storageAccountNameProblem("Abcde") ?? "", /lower-case letters and digits only; got "Abcde"/);
        assert.match(naming.storageAccountNameProblem("ab-cde") ?? "", /lower-case letters and digits only/);
        assert.equal(naming.storageAccountName("Phoenix-Dev", "ab12c"), "phoenixdevstab12c");
        // 17 characters of prefix + environment (hyphens dropped) is the most: 17 + "st" + 5 = 24.
        assert.equal(naming.storageAccountPrefixProblem("phoenixabcd-prod12"), undefined);
        assert.match(naming.storageAccountPrefixProblem("phoenixabcd-prod123") ?? "", /3–24.* has 25/);
    });

    it("blob container names: 3–63 lower-case letters, digits and single hyphens, letter or digit at both ends", () => {
        for (const ok of ["abc", "release-records", "r2-d2", "a".repeat(63), "123"])
            assert.equal(naming.blobContainerNameProblem(ok), undefined, ok);
        for (const bad of [
            "ab",
            "a".repeat(64),
            "Release-records",
            "-records",
            "records-",
            "release--records",
            "release_records",
            "release.records",
            "",
        ]) {
            assert.match(naming.blobContainerNameProblem(bad) ?? "", new RegExp(`3–63 .*got "${bad.replace(/\./g, "\\.")}"`), bad);
        }
    });

    it("DNS labels: 3–63 lower-case letters/digits/hyphens, letter first, no trailing hyphen; FQDN in cloudapp.azure.com", () => {
        assert.equal(naming.dnsLabelProblem("abc"), undefined);
        assert.equal(naming.dnsLabelProblem(`a${"b".repeat(62)}`), undefined);
        for (const bad of ["ab", `a${"b".repeat(63)}`, "Abc", "1bc", "ab-", "a_b"]) assert.ok(naming.dnsLabelProblem(bad), bad);
        assert.equal(naming.cloudappFqdn("phoenix-dev-ab12c", "westeurope"), "phoenix-dev-ab12c.westeurope.cloudapp.azure.com");
    });

    it("resource group, cluster and secret names", () => {
        assert.equal(naming.resourceGroupNameProblem("rg_(x).y"), undefined);
        assert.ok(naming.resourceGroupNameProblem("rg."));
        assert.ok(naming.resourceGroupNameProblem("x".repeat(91)));
        assert.ok(naming.resourceGroupNameProblem("a b"));
        assert.equal(naming.clusterNameProblem("phoenix-dev_aks"), undefined);
        assert.ok(naming.clusterNameProblem("-aks"));
        assert.ok(naming.clusterNameProblem("x".repeat(64)));
        assert.equal(naming.secretNameProblem("appinsights-connection-string"), undefined);
        assert.ok(naming.secretNameProblem("bad_name"));
        assert.ok(naming.secretNameProblem(""));
    });

    it("property: a prefix valid with the placeholder suffix is valid with every real suffix, and invalid with none", () => {
        fc.assert(
            fc.property(prefixArb, suffixArb, (prefix, suffix) => {
                assert.equal(!naming.vaultPrefixProblem(prefix), !naming.vaultNameProblem(naming.vaultName(prefix, suffix)));
                assert.equal(!naming.registryPrefixProblem(prefix), !naming.registryNameProblem(naming.registryName(prefix, suffix)));
                assert.equal(!naming.dnsLabelPrefixProblem(prefix), !naming.dnsLabelProblem(naming.dnsLabel(prefix, suffix)));
                assert.equal(
                    !naming.storageAccountPrefixProblem(prefix),
                    !naming.storageAccountNameProblem(naming.storageAccountName(prefix, suffix)),
                );
            }),
            { numRuns: 300 },
        );
    });

    it("derives environment names from prefix and environment", () => {
        assert.deepEqual(naming.environmentNames("phoenix", "dev"), {
            resourceGroup: "phoenix-dev-rg",
            cluster: "phoenix-dev-aks",
            dnsPrefix: "phoenix-dev",
            logAnalytics: "phoenix-dev-logs",
            appInsights: "phoenix-dev-appi",
            vaultPrefix: "phoenix-dev",
            recordAccountPrefix: "phoenix-dev",
            dnsLabelPrefix: "phoenix-dev",
        });
        // 18 characters of prefix-environment is the most a vault name can take.
        assert.equal(naming.vaultPrefixProblem("phoenixabcd-prod12"), undefined);
        assert.ok(naming.vaultPrefixProblem("phoenixabcd-prod123"));
    });
});

describe("components: config reader", () => {
    const reader = (values: Record<string, string>) => new ConfigReader("proj", (k) => values[k]);

    it("reads typed values with defaults, and collects every problem before failing once", () => {
        const r = reader({ n: "5", b: "false", s: "x", e: "b", bad: "1.5", list: '["a","b"]' });
        assert.equal(r.integer("n", { min: 1, max: 9 }), 5);
        assert.equal(r.integer("missing", { default: 3 }), 3);
        assert.equal(r.boolean("b"), false);
        assert.equal(r.boolean("missing", true), true);
        assert.equal(r.string("s"), "x");
        assert.equal(r.string("missing", { default: "d" }), "d");
        assert.equal(r.oneOf("e", ["a", "b"] as const), "b");
        assert.deepEqual(r.stringList("list"), ["a", "b"]);
        assert.doesNotThrow(() => r.done());
        r.integer("bad");
        r.string("required");
        r.oneOf("e2", ["a"] as const, "z" as "a");
        try {
            r.done();
            assert.fail("expected a ConfigValidationError");
        } catch (e) {
            assert.ok(e instanceof ConfigValidationError);
            assert.deepEqual(
                e.problems.map((p) => p.key),
                ["proj:bad", "proj:required", "proj:e2"],
            );
            assert.match(e.message, /3 problems/);
            assert.match(e.message, /proj:bad: expected an integer, got "1\.5"/);
        }
    });

    it('treats an empty string as unset, so Pulumi.yaml `default: ""` means derive', () => {
        assert.equal(reader({ rg: "" }).string("rg", { default: "derived" }), "derived");
    });

    it("parses tags from name=value strings and refuses malformed ones", () => {
        const r = reader({ tags: '["a=1"," b = two ","c=x=y"]' });
        assert.deepEqual(r.tags("tags"), { a: "1", b: "two", c: "x=y" });
        const bad = reader({ tags: '["noequals","=v","a/b=1","d=1","d=2"]' });
        bad.tags("tags");
        assert.deepEqual(
            bad.problems.map((p) => p.key),
            ["proj:tags[0]", "proj:tags[1]", "proj:tags[2]", "proj:tags[4]"],
        );
        const notList = reader({ tags: '{"a":"b"}' });
        notList.tags("tags");
        assert.match(notList.problems[0].expected, /list of strings/);
    });

    it("standard tags cannot be overridden by config tags", () => {
        assert.deepEqual(standardTags({ environment: "dev", service: "calc", extra: { environment: "x", owner: "me" } }), {
            environment: "dev",
            service: "calc",
            "managed-by": "pulumi",
            owner: "me",
        });
    });

    it("names federated credentials after the service connection and validates issuer and subjects", () => {
        assert.equal(credentialNameForSubject("sc://contoso/phoenix/phoenix-prod"), "ado-contoso-phoenix-phoenix-prod");
        assert.equal(credentialNameForSubject("sc://my org/my project/conn.1"), "ado-my-org-my-project-conn-1");
        const eid = "/eid1/c/pub/t/AbC_dE-f/a/xYz/sc/5f3b2c1d-8e7a-4b6c-9d0e-1a2b3c4d5e6f/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
        assert.equal(credentialNameForSubject(eid), "ado-0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0");
        const ok = reader({
            iss: "https://login.microsoftonline.com/5f3b2c1d-8e7a-4b6c-9d0e-1a2b3c4d5e6f/v2.0",
            subs: JSON.stringify(["sc://contoso/phoenix/dev", eid]),
        });
        assert.equal(readServiceConnections(ok, "iss", "subs").length, 2);
        assert.deepEqual(ok.problems, []);
        const bad = reader({
            iss: "https://evil.example.com/x",
            subs: JSON.stringify(["sc://contoso/phoenix", "sc://a/b/c", "sc://a/b/c"]),
        });
        assert.equal(readServiceConnections(bad, "iss", "subs").length, 1);
        assert.deepEqual(
            bad.problems.map((p) => p.key),
            ["proj:iss", "proj:subs[0]", "proj:subs[2]"],
        );
    });
});

describe("components: kubeconfig", () => {
    const execKubeconfig = YAML.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: "c", cluster: { server: "https://c.hcp.westeurope.azmk8s.io:443" } }],
        users: [
            {
                name: "clusterUser_rg_c",
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: "kubelogin",
                        args: [
                            "get-token",
                            "--login",
                            "devicecode",
                            "--server-id",
                            "6dae42f8-4368-4678-94ff-3960e28e3630",
                            "--client-id",
                            "80faf920-1908-4b52-b5ef-a8e7bedfc67a",
                            "--tenant-id",
                            "t",
                            "--environment",
                            "AzurePublicCloud",
                        ],
                    },
                },
            },
        ],
    });

    it("rewrites kubelogin's interactive device-code login to an unattended mode, keeping server id, tenant and environment", () => {
        for (const mode of ["azurecli", "workloadidentity", "msi"] as const) {
            const out = YAML.parse(withKubeloginMode(execKubeconfig, mode)) as { users: { user: { exec: { args: string[] } } }[] };
            const args = out.users[0].user.exec.args;
            assert.deepEqual(args, [
                "get-token",
                "--server-id",
                "6dae42f8-4368-4678-94ff-3960e28e3630",
                "--tenant-id",
                "t",
                "--environment",
                "AzurePublicCloud",
                "--login",
                mode,
            ]);
        }
        assert.equal(withKubeloginMode(execKubeconfig, "devicecode"), execKubeconfig);
    });

    it("leaves kubeconfigs without a kubelogin user unchanged", () => {
        const token = "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: abc\n";
        assert.equal(withKubeloginMode(token, "azurecli"), token);
        assert.equal(withKubeloginMode("", "azurecli"), "");
    });

    it("decodes the first credential and refuses an empty result", () => {
        assert.equal(decodeKubeconfig({ kubeconfigs: [{ name: "x", value: Buffer.from("hello").toString("base64") }] }), "hello");
        assert.throws(() => decodeKubeconfig({ kubeconfigs: [] }), /no kubeconfig/);
    });
});

describe("components: role ids", () => {
    it("writes subscription-qualified role definition ids", () => {
        assert.equal(
            roleDefinitionId("sub", "AcrPush"),
            "/subscriptions/sub/providers/Microsoft.Authorization/roleDefinitions/8311e382-0749-4cb8-b61a-304f252e45ec",
        );
        for (const guid of Object.values(BuiltInRoles))
            assert.match(guid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.equal(new Set(Object.values(BuiltInRoles)).size, Object.keys(BuiltInRoles).length);
    });
});
