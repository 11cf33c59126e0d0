/**
 * Built-in Azure role ids and one way to assign them.
 *
 * Role definition ids are written subscription-qualified
 * (`/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>`): the short form
 * makes azure-native diff forever. The assignment's name is left to the provider (a GUID).
 */
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";

/** Built-in role definition GUIDs (identical in every Azure public cloud tenant). */
export const BuiltInRoles = {
    AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
    KeyVaultSecretsUser: "4633458b-17de-408a-b874-0445c86b69e6",
    KeyVaultSecretsOfficer: "b86a8fe4-44ce-4948-aee5-eccb2c155cd7",
    AksRbacClusterAdmin: "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    AksRbacAdmin: "3498e952-d568-435e-9b2c-8d77e338d7f7",
    AksRbacWriter: "a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb",
    AksRbacReader: "7f6c6a51-bcf8-42ba-9220-52d62157d7db",
    NetworkContributor: "4d97b98b-1d4f-4787-a291-c67834d212e7",
} as const;

export type BuiltInRole = keyof typeof BuiltInRoles;

/** The AKS RBAC roles a principal may get on a cluster, by the short name config uses. */
export const AksRbacRoles = {
    "cluster-admin": "AksRbacClusterAdmin",
    admin: "AksRbacAdmin",
    writer: "AksRbacWriter",
    reader: "AksRbacReader",
} as const satisfies Record<string, BuiltInRole>;

export type AksRbacRoleName = keyof typeof AksRbacRoles;

export const PRINCIPAL_TYPES = ["User", "Group", "ServicePrincipal"] as const;
export type PrincipalType = (typeof PRINCIPAL_TYPES)[number];

/** `/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>`. */
export function roleDefinitionId(subscriptionId: string, role: BuiltInRole): string {
    return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${BuiltInRoles[role]}`;
}

/** A principal to grant a role to. */
export interface Grantee {
    principalId: pulumi.Input<string>;
    /** `ServicePrincipal` for managed identities and service principals (avoids replication-delay failures). */
    principalType: PrincipalType;
}

export interface AssignRoleArgs extends Grantee {
    scope: pulumi.Input<string>;
    role: BuiltInRole;
    description?: string;
}

/**
 * Registers one role assignment. The subscription comes from the provider's client config, so the
 * role id is always subscription-qualified; `opts.parent` should be the calling component.
 */
export function assignRole(name: string, args: AssignRoleArgs, opts: pulumi.CustomResourceOptions): authorization.RoleAssignment {
    const client = authorization.getClientConfigOutput({ parent: opts.parent });
    return new authorization.RoleAssignment(
        name,
        {
            scope: args.scope,
            principalId: args.principalId,
            principalType: args.principalType,
            roleDefinitionId: client.subscriptionId.apply((sub) => roleDefinitionId(sub, args.role)),
            description: args.description,
        },
        opts,
    );
}
