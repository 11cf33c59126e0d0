/**
 * registry/shared under the mock runtime with stacks/registry/Pulumi.shared.yaml and the
 * Pulumi.yaml defaults: the shared registry, the pipeline identity without a secret, AcrPush,
 * the contract outputs (docs/contracts.md) and the refusal of bad config before any resource.
 */
import { strict as assert } from "assert";
import { MOCK_SUBSCRIPTION_ID, MOCK_TENANT_ID, byType, inventory, one, readProject, RunResult } from "./support/pulumi-harness";
import * as path from "path";
import { readRegistryConfig } from "../stacks/registry/config";
import {
    azureResources,
    declarationProblems,
    documentedKeys,
    expectConfigFailure,
    isTaggable,
    keysRead,
    REGISTRY_DIR,
    runRegistry,
    stackFileValues,
} from "./support/phoenix-stacks";

const RA = "azure-native:authorization:RoleAssignment";
const FIC = "azure-native:managedidentity:FederatedIdentityCredential";
const ROLE_ID = /^\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/;

export const REGISTRY_CONTRACT_OUTPUTS = [
    "resourceGroupName",
    "registryName",
    "registryId",
    "loginServer",
    "pipelineIdentityClientId",
    "pipelineIdentityPrincipalId",
    "pipelineIdentityTenantId",
    "pipelineIdentityId",
];

describe("registry stack (registry/shared)", () => {
    let run: RunResult;
    before(async () => {
        run = await runRegistry();
    });

    it("registers exactly the shared resources (inventory)", () => {
        assert.deepEqual(inventory(run.resources), {
            "azure-native:authorization:RoleAssignment": 1,
            "azure-native:containerregistry:Registry": 1,
            "azure-native:managedidentity:FederatedIdentityCredential": 2,
            "azure-native:managedidentity:UserAssignedIdentity": 1,
            "azure-native:resources:ResourceGroup": 1,
            "phoenix:identity:PipelineIdentity": 1,
            "phoenix:registry:ContainerRegistry": 1,
            "random:index/randomString:RandomString": 1,
        });
    });

    it("puts the registry in its own resource group, named from the prefix, in the configured region", () => {
        const rg = one(run.resources, "azure-native:resources:ResourceGroup");
        assert.equal(rg.inputs.resourceGroupName, "phoenix-shared-rg");
        assert.equal(rg.inputs.location, "westeurope");
        const acr = one(run.resources, "azure-native:containerregistry:Registry");
        assert.equal(acr.inputs.resourceGroupName, "phoenix-shared-rg");
        assert.equal(acr.inputs.location, "westeurope");
    });

    it("makes the registry Standard by default, with no admin user and no anonymous pull", () => {
        const acr = one(run.resources, "azure-native:containerregistry:Registry");
        assert.deepEqual(acr.inputs.sku, { name: "Standard" });
        assert.equal(acr.inputs.adminUserEnabled, false);
        assert.equal(acr.inputs.anonymousPullEnabled, false);
    });

    it("names the registry <prefix without hyphens><5 random>, alphanumeric and 5–50 long", () => {
        const name = one(run.resources, "azure-native:containerregistry:Registry").inputs.registryName as string;
        assert.match(name, /^phoenix[a-z0-9]{5}$/);
        const suffix = one(run.resources, "random:index/randomString:RandomString");
        assert.equal(suffix.inputs.length, 5);
        assert.equal(suffix.inputs.special, false);
        assert.equal(suffix.inputs.upper, false);
        assert.equal(name, `phoenix${suffix.state.result as string}`);
    });

    it("takes the SKU from config; Pulumi.yaml and the code default agree on Standard", async () => {
        const premium = await runRegistry({ configOverrides: { registrySku: "Premium" } });
        assert.deepEqual(one(premium.resources, "azure-native:containerregistry:Registry").inputs.sku, { name: "Premium" });
        assert.equal(readProject(REGISTRY_DIR).config.registrySku.default, "Standard");
        const dflt = await runRegistry({ configRemovals: ["registrySku"] });
        assert.deepEqual(one(dflt.resources, "azure-native:containerregistry:Registry").inputs.sku, { name: "Standard" });
    });

    it("creates the pipeline identity as a user-assigned managed identity (no secret anywhere)", () => {
        const id = one(run.resources, "azure-native:managedidentity:UserAssignedIdentity");
        assert.equal(id.inputs.resourceName, "phoenix-pipeline-id");
        assert.equal(id.inputs.resourceGroupName, "phoenix-shared-rg");
        assert.ok(
            !run.resources.some((r) => /Application|ServicePrincipalPassword|Secret/.test(r.type)),
            "no app registration, password or secret",
        );
    });

    it("adds one federated credential per configured service connection, issuer and subject from config, audience api://AzureADTokenExchange", () => {
        const fics = byType(run.resources, FIC);
        assert.deepEqual(fics.map((f) => [f.inputs.federatedIdentityCredentialResourceName, f.inputs.subject]).sort(), [
            ["ado-contoso-phoenix-phoenix-dev", "sc://contoso/phoenix/phoenix-dev"],
            ["ado-contoso-phoenix-phoenix-prod", "sc://contoso/phoenix/phoenix-prod"],
        ]);
        for (const f of fics) {
            assert.equal(f.inputs.issuer, "https://vstoken.dev.azure.com/5f3b2c1d-8e7a-4b6c-9d0e-1a2b3c4d5e6f");
            assert.deepEqual(f.inputs.audiences, ["api://AzureADTokenExchange"]);
            assert.equal(f.inputs.resourceName, "phoenix-pipeline-id");
            assert.equal(f.inputs.resourceGroupName, "phoenix-shared-rg");
        }
    });

    it("grants the pipeline identity AcrPush on the registry, subscription-qualified, as a ServicePrincipal, with a provider-made name", () => {
        const ra = one(run.resources, RA);
        const acr = one(run.resources, "azure-native:containerregistry:Registry");
        const id = one(run.resources, "azure-native:managedidentity:UserAssignedIdentity");
        assert.equal(
            ra.inputs.roleDefinitionId,
            `/subscriptions/${MOCK_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/8311e382-0749-4cb8-b61a-304f252e45ec`,
        );
        assert.match(ra.inputs.roleDefinitionId as string, ROLE_ID);
        assert.equal(ra.inputs.scope, acr.id);
        assert.equal(ra.inputs.principalId, id.state.principalId);
        assert.equal(ra.inputs.principalType, "ServicePrincipal");
        assert.equal(ra.inputs.roleAssignmentName, undefined);
    });

    it("exports the contract outputs, matching the resources", () => {
        assert.deepEqual(Object.keys(run.outputs).sort(), [...REGISTRY_CONTRACT_OUTPUTS].sort());
        const acr = one(run.resources, "azure-native:containerregistry:Registry");
        const id = one(run.resources, "azure-native:managedidentity:UserAssignedIdentity");
        assert.equal(run.outputs.registryName, acr.inputs.registryName);
        assert.equal(run.outputs.registryId, acr.id);
        assert.equal(run.outputs.loginServer, `${acr.inputs.registryName as string}.azurecr.io`);
        assert.equal(run.outputs.pipelineIdentityClientId, id.state.clientId);
        assert.equal(run.outputs.pipelineIdentityPrincipalId, id.state.principalId);
        assert.equal(run.outputs.pipelineIdentityTenantId, MOCK_TENANT_ID);
        assert.equal(run.outputs.pipelineIdentityId, id.id);
        assert.equal(run.outputs.resourceGroupName, "phoenix-shared-rg");
        assert.deepEqual(run.secretOutputs, []);
    });

    it("tags every taggable Azure resource with environment=shared, service, managed-by and the config tags", () => {
        const taggable = azureResources(run.resources).filter((r) => isTaggable(r.type));
        assert.ok(taggable.length >= 3);
        for (const r of taggable) {
            assert.deepEqual(
                r.inputs.tags,
                {
                    environment: "shared",
                    service: "calculator",
                    "managed-by": "pulumi",
                    "cost-center": "platform-1234",
                    owner: "platform-team",
                },
                `${r.type} ${r.name}`,
            );
        }
        assert.equal(isTaggable(FIC), false);
        assert.equal(isTaggable(RA), false);
    });

    it("reads exactly the keys Pulumi.yaml declares (types the CLI accepts, stack values of those types), all documented", () => {
        const declared = readProject(REGISTRY_DIR).config;
        assert.deepEqual(keysRead(readRegistryConfig, run.config, "phoenix-registry"), Object.keys(declared).sort());
        assert.deepEqual(
            declarationProblems(declared, stackFileValues(path.join(REGISTRY_DIR, "Pulumi.shared.yaml"), "phoenix-registry")),
            [],
        );
        assert.deepEqual(documentedKeys("phoenix-registry"), Object.keys(declared).sort());
    });

    describe("refuses invalid config before registering anything", () => {
        const cases: { what: string; overrides?: Record<string, unknown>; removals?: string[]; key: string; expect: RegExp }[] = [
            {
                what: "a prefix that yields a registry name over 50 characters",
                overrides: { prefix: `p${"x".repeat(45)}` },
                key: "phoenix-registry:prefix",
                expect: /valid registry name.*5–50/,
            },
            {
                what: "a prefix with characters a registry name cannot have",
                overrides: { prefix: "phoenix_shared" },
                key: "phoenix-registry:prefix",
                expect: /letters, digits and single hyphens/,
            },
            {
                what: "an unknown registry SKU",
                overrides: { registrySku: "Gold" },
                key: "phoenix-registry:registrySku",
                expect: /one of Basic, Standard, Premium, got "Gold"/,
            },
            {
                what: "a malformed federated subject",
                overrides: { serviceConnectionSubjects: ["contoso/phoenix/phoenix-dev"] },
                key: "phoenix-registry:serviceConnectionSubjects[0]",
                expect: /sc:\/\/<organization>\/<project>\/<service connection>/,
            },
            {
                what: "a non-https issuer",
                overrides: { federationIssuer: "http://vstoken.dev.azure.com/5f3b2c1d-8e7a-4b6c-9d0e-1a2b3c4d5e6f" },
                key: "phoenix-registry:federationIssuer",
                expect: /vstoken\.dev\.azure\.com\/<organization id>/,
            },
            {
                what: "no service connection",
                overrides: { serviceConnectionSubjects: [] },
                key: "phoenix-registry:serviceConnectionSubjects",
                expect: /at least one/,
            },
            {
                what: "the same service connection twice",
                overrides: { serviceConnectionSubjects: ["sc://contoso/phoenix/x", "sc://contoso/phoenix/x"] },
                key: "phoenix-registry:serviceConnectionSubjects[1]",
                expect: /each service connection once/,
            },
            { what: "a missing location", removals: ["location"], key: "phoenix-registry:location", expect: /required/ },
            { what: "a malformed tag", overrides: { tags: ["no-equals-sign"] }, key: "phoenix-registry:tags[0]", expect: /name=value/ },
        ];
        for (const c of cases) {
            it(c.what, async () => {
                const { message, registered } = await expectConfigFailure((hooks) =>
                    runRegistry({ configOverrides: c.overrides, configRemovals: c.removals, hooks }),
                );
                assert.equal(registered, 0, "no resource may be registered");
                const line = message.split("\n").find((l) => l.includes(`${c.key}:`));
                assert.ok(line, `the error names ${c.key}: ${message}`);
                assert.match(line, c.expect);
            });
        }

        it("lists every problem at once", async () => {
            const { message } = await expectConfigFailure((hooks) =>
                runRegistry({ configOverrides: { registrySku: "Gold", prefix: "9bad" }, hooks }),
            );
            assert.match(message, /2 problems/);
            assert.match(message, /phoenix-registry:registrySku/);
            assert.match(message, /phoenix-registry:prefix/);
        });
    });
});
