/**
 * Every Phoenix policy, in one list. `index.ts` hands this to `new PolicyPack(...)`; tests import
 * it from here (constructing the pack starts the analyzer's gRPC server).
 */
import type { Policies } from "@pulumi/policy";
import { aksPolicies } from "./aks";
import { alertPolicies } from "./alerts";
import { appInsightsPolicies } from "./app-insights";
import { frontDoorSupportPolicies } from "./front-door-support";
import { gatewayPolicies } from "./gateway";
import { gatewayRoutePolicies } from "./gateway-routes";
import { helmReleasePolicies } from "./helm-releases";
import { keyVaultPolicies } from "./key-vault";
import { registryPolicies } from "./registry";
import { roleAssignmentPolicies } from "./role-assignments";
import { routerPolicies } from "./router";
import { serviceClaimPolicies } from "./service-claims";
import { storagePolicies } from "./storage";
import { tagPolicies } from "./tags";

export const policies: Policies = [
    ...registryPolicies,
    ...keyVaultPolicies,
    ...storagePolicies,
    ...aksPolicies,
    ...appInsightsPolicies,
    ...roleAssignmentPolicies,
    ...tagPolicies,
    ...helmReleasePolicies,
    ...routerPolicies,
    ...gatewayPolicies,
    ...gatewayRoutePolicies,
    ...serviceClaimPolicies,
    ...frontDoorSupportPolicies,
    ...alertPolicies,
];

export const PACK_NAME = "phoenix";
