/**
 * registry/shared: the shared container registry in its own resource group, and the Azure DevOps
 * pipeline identity (user-assigned managed identity + federated credentials, AcrPush on the registry).
 */
import * as pulumi from "@pulumi/pulumi";
import * as resources from "@pulumi/azure-native/resources";
import { ContainerRegistry } from "../../components/container-registry";
import { PipelineIdentity } from "../../components/pipeline-identity";
import { standardTags } from "../../components/tags";
import { readRegistryConfig } from "./config";

export async function main(): Promise<Record<string, unknown>> {
    const cfg = new pulumi.Config();
    // Validate everything first: nothing is registered when config is wrong.
    const config = readRegistryConfig((k) => cfg.get(k));
    const tags = standardTags({ environment: "shared", service: config.service, extra: config.tags });

    const group = new resources.ResourceGroup("shared", { resourceGroupName: config.resourceGroupName, location: config.location, tags });

    const pipeline = new PipelineIdentity("pipeline", {
        resourceGroupName: group.name,
        location: config.location,
        identityName: config.pipelineIdentityName,
        serviceConnections: config.serviceConnections,
        tags,
    });

    const registry = new ContainerRegistry("acr", {
        resourceGroupName: group.name,
        location: config.location,
        namePrefix: config.prefix,
        sku: config.registrySku,
        // The identity is created here, so its id is unknown when the assignment is named: a stable key instead.
        pushers: [{ principalId: pipeline.principalId, principalType: "ServicePrincipal", key: "pipeline-identity" }],
        tags,
    });

    return {
        resourceGroupName: group.name,
        registryName: registry.registryName,
        registryId: registry.registryId,
        loginServer: registry.loginServer,
        pipelineIdentityClientId: pipeline.clientId,
        pipelineIdentityPrincipalId: pipeline.principalId,
        pipelineIdentityTenantId: pipeline.tenantId,
        pipelineIdentityId: pipeline.identityId,
    };
}
