/**
 * The pack's shape: every policy carries the metadata the issue asks for, names are unique,
 * config schemas compile and the sample configs (policy/config/*.json, the files
 * `--policy-pack-config` takes) validate against them; index.ts only constructs the pack.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import Ajv, { ValidateFunction } from "ajv";
import type { Policies } from "@pulumi/policy";
import * as YAML from "yaml";
import { policies, PACK_NAME } from "../policy/src/policies";
import { enforcementOf, isStackPolicy, PackConfig } from "./support/policy-harness";

const POLICY_DIR = path.join(__dirname, "..", "policy");
const LEVELS = ["advisory", "mandatory", "remediate", "disabled"];

const ajv = new Ajv({ strict: false });
const validators = new Map<string, ValidateFunction>();
/** The policy's config schema as the CLI applies it (no unknown properties), compiled once. */
function schemaValidator(p: Policies[number]): ValidateFunction {
    let v = validators.get(p.name);
    if (!v) {
        v = ajv.compile({ type: "object", additionalProperties: false, ...(p.configSchema ?? { properties: {} }) });
        validators.set(p.name, v);
    }
    return v;
}

export function loadPackConfig(env: string): PackConfig {
    return JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "config", `${env}.json`), "utf8")) as PackConfig;
}

describe("policy pack: layout and metadata", () => {
    it("PulumiPolicy.yaml, package.json (with a version) and an index.ts that only constructs the pack", () => {
        const project = YAML.parse(fs.readFileSync(path.join(POLICY_DIR, "PulumiPolicy.yaml"), "utf8")) as {
            runtime: string;
            description: string;
        };
        assert.equal(project.runtime, "nodejs");
        assert.ok(project.description.length > 20);
        const pkg = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")) as {
            version: string;
            dependencies: Record<string, string>;
        };
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.equal(pkg.dependencies["@pulumi/policy"], "1.21.0");
        const index = fs.readFileSync(path.join(POLICY_DIR, "index.ts"), "utf8");
        const code = index.split("\n").filter((l) => !l.trim().startsWith("//") && l.trim() !== "");
        assert.equal((index.match(/new PolicyPack\(/g) ?? []).length, 1);
        assert.deepEqual(
            code.filter((l) => l.startsWith("import")),
            ['import { PolicyPack } from "@pulumi/policy";', 'import { PACK_NAME, policies } from "./src/policies";'],
        );
        assert.ok(!/validateResource|validateStack/.test(index), "no policy logic in index.ts");
        assert.match(PACK_NAME, /^[A-Za-z0-9_.-]+$/);
    });

    it("every policy has a unique kebab-case name, one-sentence description, enforcement level, severity and remediation steps", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, "unique names");
        for (const p of policies) {
            assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, p.name);
            assert.notEqual(p.name, "all");
            assert.match(p.description, /^[A-Z].*\.$/, `${p.name}: description is a sentence`);
            assert.equal(p.description.replace(/\b(e\.g|i\.e|etc)\./g, "").match(/\.(\s|$)/g)?.length, 1, `${p.name}: one sentence`);
            assert.ok(p.enforcementLevel && ["advisory", "mandatory"].includes(p.enforcementLevel), p.name);
            assert.ok(p.severity && ["low", "medium", "high", "critical"].includes(p.severity), p.name);
            assert.ok((p.remediationSteps ?? "").length > 20, `${p.name}: remediation steps`);
            assert.ok(isStackPolicy(p) || typeof (p as { validateResource?: unknown }).validateResource === "function", p.name);
        }
    });

    it("covers every mandatory rule of the issue", () => {
        const mandatory = policies
            .filter((p) => p.enforcementLevel === "mandatory")
            .map((p) => p.name)
            .sort();
        assert.deepEqual(mandatory, [
            "acr-admin-user-disabled",
            "acr-anonymous-pull-disabled",
            "aks-container-insights",
            "aks-entra-azure-rbac",
            "aks-managed-identity",
            "aks-rbac-enabled",
            "aks-system-pool-autoscaling",
            "alerts-enabled-in-prod",
            "appinsights-workspace-based",
            "gateway-api-crds-ownership",
            "gateway-chart-pinned",
            "gateway-listeners-restrict-routes",
            "gateway-no-all-zero-rule",
            "gateway-preview-route-separate",
            "gateway-production-route-both-slots",
            "gateway-reference-grant-for-cross-namespace-backend",
            "gateway-route-objects-admitted",
            "gateway-weight-on-ready-slot",
            "helm-app-release-atomic",
            "helm-chart-version-pinned",
            "helm-image-tag-pinned",
            "keyvault-purge-protection-in-prod",
            "keyvault-rbac-authorization",
            "keyvault-soft-delete-retention",
            "release-record-storage-hardened",
            "release-service-claims",
            "required-tags",
            "role-assignment-no-privileged-at-subscription",
            "role-assignment-principal-type",
            "role-assignment-qualified-role-id",
            "router-canary-has-main",
            "router-canary-weight-range",
            "router-explicit-canary-annotation",
            "router-main-slot-replicas",
            "router-single-canary-per-host-path",
        ]);
    });

    it("config schemas compile, never declare enforcementLevel (the SDK refuses it), and give every property a default", () => {
        for (const p of policies) {
            if (!p.configSchema) continue;
            assert.ok(!("enforcementLevel" in p.configSchema.properties), p.name);
            assert.ok(schemaValidator(p)({}), `${p.name}: empty config is valid`);
            for (const [k, prop] of Object.entries(p.configSchema.properties)) {
                assert.notEqual((prop as { default?: unknown }).default, undefined, `${p.name}.${k} has a default`);
            }
        }
    });

    for (const env of ["dev", "prod"]) {
        it(`policy/config/${env}.json names only real policies and validates against their schemas`, () => {
            const cfg = loadPackConfig(env);
            for (const [name, value] of Object.entries(cfg)) {
                if (typeof value === "string") {
                    assert.ok(LEVELS.includes(value), `${name}: ${value}`);
                    continue;
                }
                if (name === "all") {
                    assert.ok(value.enforcementLevel === undefined || LEVELS.includes(value.enforcementLevel));
                    continue;
                }
                const p = policies.find((x) => x.name === name);
                assert.ok(p, `${env}.json configures unknown policy ${name}`);
                const { enforcementLevel, ...props } = value;
                if (enforcementLevel !== undefined) assert.ok(LEVELS.includes(enforcementLevel), `${name}.enforcementLevel`);
                const validate = schemaValidator(p);
                assert.ok(validate(props), `${env}.json ${name}: ${ajv.errorsText(validate.errors)}`);
            }
            // Every mandatory rule of the issue stays mandatory under the sample config.
            for (const p of policies.filter((x) => x.enforcementLevel === "mandatory")) {
                assert.equal(enforcementOf(p, cfg), "mandatory", `${env}.json keeps ${p.name} mandatory`);
            }
        });
    }

    it("docs/policy.md documents every policy with its enforcement level", () => {
        const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "policy.md"), "utf8");
        for (const p of policies) {
            const row = doc.split("\n").find((l) => l.includes(`\`${p.name}\``) && l.startsWith("|"));
            assert.ok(row, `docs/policy.md has a row for ${p.name}`);
            assert.ok(row.includes(p.enforcementLevel as string), `${p.name} row states ${p.enforcementLevel}`);
        }
    });
});
