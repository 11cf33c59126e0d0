/**
 * Built-in Azure role ids and one way to assign them.
 *
 * Role definition ids are written subscription-qualified
 * (`/subscriptions/<sub>/providers/Microsoft.Authorization/roleDefinitions/<guid>`): the short form
 * makes azure-native diff forever. The assignment's name is left to the provider (a GUID).
 *
 * A list of grants is named by content, not position: `<prefix>-<8 hex of SHA-1(role + principal)>`
 * (as pulumi-eks names children with its `sha1hash`), so reordering or shortening a list touches no
 * other assignment. Lists were once named by index: callers give each grant an `aliases` entry with
 * its former `<prefix>-<index>` name, so stacks deployed before keep their assignments.
 */
import { createHash } from "crypto";
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
    StorageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
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
    /** Entra object id of the principal. */
    readonly principalId: pulumi.Input<string>;
    /** `ServicePrincipal` for managed identities and service principals (avoids replication-delay failures). */
    readonly principalType: PrincipalType;
    /**
     * A stable name for the principal, required when `principalId` is not a plain string (another
     * resource's output is unknown when the assignment is named); the name then hashes this instead.
     */
    readonly key?: string;
}

export interface AssignRoleArgs extends Grantee {
    /** Resource id the role is granted on. */
    readonly scope: pulumi.Input<string>;
    /** The built-in role granted. */
    readonly role: BuiltInRole;
    /** Free text Azure keeps with the assignment. */
    readonly description?: string;
}

/** 8 hex characters of SHA-1: a short name part that follows content (pulumi-eks's `sha1hash`). Pure. */
export function shortHash(text: string): string {
    return createHash("sha1").update(text).digest("hex").slice(0, 8);
}

/** What tells a grant apart from its siblings: its role and its principal (or the principal's `key`). */
function grantIdentity(role: BuiltInRole, grantee: Grantee): string | undefined {
    if (grantee.key !== undefined) return `${role}/key:${grantee.key}`;
    return typeof grantee.principalId === "string" ? `${role}/${grantee.principalId}` : undefined;
}

/** The stable name part of a grant: {@link shortHash} of role and principal. Check {@link grantProblems} first. */
export function grantKey(role: BuiltInRole, grantee: Grantee): string {
    const id = grantIdentity(role, grantee);
    if (id === undefined) throw new Error(`grant of ${role}: principalId is not a plain string and no key is given`);
    return shortHash(id);
}

/**
 * Problems with a list of grants, as `{ propertyPath, reason }` for `InputPropertiesError`: a principal
 * known only at deploy time without a `key`, an empty `key`, the same role and principal twice (one
 * name; Azure rejects the duplicate too). `path` is the Args field. Pure.
 */
export function grantProblems(
    path: string,
    grants: ReadonlyArray<{ readonly role: BuiltInRole; readonly grantee: Grantee }>,
): { propertyPath: string; reason: string }[] {
    const problems: { propertyPath: string; reason: string }[] = [];
    const seen = new Map<string, number>();
    grants.forEach(({ role, grantee }, i) => {
        if (grantee.key !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(grantee.key)) {
            problems.push({
                propertyPath: `${path}[${i}].key`,
                reason: `expected 1–63 letters, digits, '.', '_' or '-', got ${JSON.stringify(grantee.key)}`,
            });
            return;
        }
        const id = grantIdentity(role, grantee);
        if (id === undefined) {
            problems.push({
                propertyPath: `${path}[${i}]`,
                reason: "expected a plain principalId or a stable key (the assignment is named after its principal; an output is unknown then)",
            });
            return;
        }
        const first = seen.get(id);
        if (first !== undefined)
            problems.push({
                propertyPath: `${path}[${i}]`,
                reason: `expected each principal once per role, got the same ${role} grant as ${path}[${first}]`,
            });
        else seen.set(id, i);
    });
    return problems;
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
