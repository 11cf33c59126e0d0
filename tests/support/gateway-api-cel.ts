/**
 * The pinned Gateway API CRDs' CEL rules (tests/fixtures/gateway-api-crd-cel.json, reduced by crd-cel.ts
 * from the standard-channel CRDs of v1.2.1 and v1.6.1), evaluated over one object: what the API server
 * of a cluster with that bundle would refuse. Other kinds (EnvoyProxy, Namespace…): no rules here.
 */
import * as fs from "fs";
import * as path from "path";
import { gatewayApi, type KubeObject } from "@phoenix/release-model";
import { celViolations, type CelSchema, type CelViolation } from "./crd-cel";

export const CEL_FIXTURE = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "fixtures", "gateway-api-crd-cel.json"), "utf8"),
) as Record<string, Record<string, CelSchema> | string>;

/** The oldest bundle Phoenix supports and the newest it installs (the bundles of the schema fixture too). */
export const CEL_BUNDLES: readonly string[] = [gatewayApi.OLDEST_SUPPORTED_BUNDLE, gatewayApi.ENVOY_GATEWAY_RELEASES[0].requiresBundle];

/** The reduced schemas of a bundle, by `<kind>/<version>`. */
export function bundleSchemas(bundle: string): Record<string, CelSchema> {
    const schemas = CEL_FIXTURE[bundle];
    if (typeof schemas !== "object") throw new Error(`the CEL fixture has no bundle ${bundle}`);
    return schemas;
}

/** The reduced schema of an object's kind and version in a bundle, or undefined when the CRDs do not define it. */
export function celSchemaFor(bundle: string, obj: Pick<KubeObject, "apiVersion" | "kind">): CelSchema | undefined {
    const [group, version] = obj.apiVersion.split("/");
    if (group !== gatewayApi.GATEWAY_API_GROUP) return undefined;
    return bundleSchemas(bundle)[`${obj.kind}/${version}`];
}

/** Every CEL violation of an object in a bundle (`old`: the stored object, for transition rules); empty when admitted. */
export function gatewayCelViolations(bundle: string, obj: KubeObject, old?: KubeObject): CelViolation[] {
    const schema = celSchemaFor(bundle, obj);
    return schema ? celViolations(schema, obj, old) : [];
}
