/** The registry stack's config, read and validated before any resource exists. Pure. */
import {
    AZURE_REGION,
    ConfigReader,
    NAME_PREFIX,
    RawConfig,
    readServiceConnections,
    ServiceConnection,
} from "../../components/config-validation";
import { REGISTRY_SKUS, RegistrySku } from "../../components/container-registry";
import { registryPrefixProblem, resourceGroupNameProblem } from "../../components/naming";

export const REGISTRY_PROJECT = "phoenix-registry";

export interface RegistryConfig {
    location: string;
    prefix: string;
    resourceGroupName: string;
    registrySku: RegistrySku;
    pipelineIdentityName: string;
    serviceConnections: ServiceConnection[];
    service: string;
    tags: Record<string, string>;
}

export function readRegistryConfig(raw: RawConfig): RegistryConfig {
    const r = new ConfigReader(REGISTRY_PROJECT, raw);
    const location = r.string("location", { pattern: AZURE_REGION, patternText: "an Azure region name such as westeurope" });
    const prefix = r.string("prefix", {
        pattern: NAME_PREFIX,
        patternText: "a letter followed by letters, digits and single hyphens",
        check: (p) => {
            const problem = registryPrefixProblem(p);
            return problem && `a prefix that yields a valid registry name (prefix without hyphens + 5 random characters): ${problem}`;
        },
    });
    const resourceGroupName = r.string("resourceGroupName", { default: `${prefix}-shared-rg`, check: resourceGroupNameProblem });
    const registrySku = r.oneOf("registrySku", REGISTRY_SKUS, "Standard");
    const pipelineIdentityName = r.string("pipelineIdentityName", {
        default: `${prefix}-pipeline-id`,
        pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/,
        patternText: "3–128 letters, digits, '-' or '_'",
    });
    const serviceConnections = readServiceConnections(r, "federationIssuer", "serviceConnectionSubjects");
    const service = r.string("service", { default: "calculator", pattern: /^[a-z][a-z0-9-]{0,62}$/, patternText: "a lower-case name" });
    const tags = r.tags("tags");
    r.done();
    return { location, prefix, resourceGroupName, registrySku, pipelineIdentityName, serviceConnections, service, tags };
}
