/** Azure role assignment policies. */
import { resourcePolicy, TYPES } from "./define";
import { asString, show } from "./util";

const GUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const QUALIFIED_ROLE_ID = new RegExp(`^/subscriptions/[^/]+/providers/Microsoft\\.Authorization/roleDefinitions/(${GUID})$`, "i");

/** Built-in roles that own or hand out access; never at subscription scope or above. */
export const PRIVILEGED_ROLES: Record<string, string> = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
};

/** The role GUID at the end of a role definition id, qualified or not. */
export function roleGuid(roleDefinitionId: string): string | undefined {
    const m = new RegExp(`(${GUID})$`, "i").exec(roleDefinitionId);
    return m?.[1].toLowerCase();
}

/** Root, management group or subscription scope (no resource group). */
export function isSubscriptionOrBroaderScope(scope: string): boolean {
    const s = scope.replace(/\/+$/, "");
    return s === "" || /^\/subscriptions\/[^/]+$/i.test(s) || /^\/providers\/Microsoft\.Management\/managementGroups\/[^/]+$/i.test(s);
}

export const roleAssignmentPrincipalType = resourcePolicy({
    name: "role-assignment-principal-type",
    description:
        "Role assignments must state principalType, so Azure does not fail on a just-created identity that has not replicated yet.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: 'Set `principalType: "ServicePrincipal"` for managed identities ("User" or "Group" for people).',
    resourceTypes: [TYPES.roleAssignment],
    check: (props, { report }) => {
        const t = asString(props.principalType);
        if (!t) report(`principalType is ${show(props.principalType)}; expected ServicePrincipal, User, Group, ForeignGroup or Device.`);
    },
});

export const roleAssignmentQualifiedRoleId = resourcePolicy({
    name: "role-assignment-qualified-role-id",
    description: "Role assignments must use the subscription-qualified role definition id, or the provider diffs them forever.",
    enforcementLevel: "mandatory",
    severity: "low",
    remediationSteps:
        "Use `/subscriptions/<subscription id>/providers/Microsoft.Authorization/roleDefinitions/<role guid>` (subscription id from getClientConfig).",
    resourceTypes: [TYPES.roleAssignment],
    check: (props, { report }) => {
        const id = asString(props.roleDefinitionId);
        if (!id || !QUALIFIED_ROLE_ID.test(id))
            report(
                `roleDefinitionId is ${show(props.roleDefinitionId)}; expected /subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>.`,
            );
    },
});

export const roleAssignmentNoPrivilegedAtSubscription = resourcePolicy({
    name: "role-assignment-no-privileged-at-subscription",
    description: "Owner, Contributor and User Access Administrator must never be granted at subscription scope or above.",
    enforcementLevel: "mandatory",
    severity: "critical",
    remediationSteps:
        "Grant the narrowest built-in role (AcrPush, Key Vault Secrets User, AKS RBAC roles…) on the resource or resource group that needs it.",
    resourceTypes: [TYPES.roleAssignment],
    check: (props, { report }) => {
        // Read the role first: the scope (often another resource's id) is only read when the role is
        // privileged, so an unknown scope during preview does not downgrade harmless assignments.
        const guid = roleGuid(asString(props.roleDefinitionId) ?? "");
        const role = guid ? PRIVILEGED_ROLES[guid] : undefined;
        if (!role) return;
        const scope = asString(props.scope);
        if (scope === undefined || isSubscriptionOrBroaderScope(scope)) {
            report(`${role} is granted at scope ${show(props.scope)}; privileged roles are not allowed at subscription scope or above.`);
        }
    },
});

export const roleAssignmentPrivilegedRoles = resourcePolicy({
    name: "role-assignment-privileged-roles",
    description: "Owner, Contributor and User Access Administrator grants at any scope should be reviewed and replaced by a narrower role.",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps: "Replace the grant with the narrowest built-in role that does the job.",
    resourceTypes: [TYPES.roleAssignment],
    check: (props, { report }) => {
        const guid = roleGuid(asString(props.roleDefinitionId) ?? "");
        const role = guid ? PRIVILEGED_ROLES[guid] : undefined;
        if (role) report(`${role} is granted at scope ${show(props.scope)}.`);
    },
});

export const roleAssignmentPolicies = [
    roleAssignmentPrincipalType,
    roleAssignmentQualifiedRoleId,
    roleAssignmentNoPrivilegedAtSubscription,
    roleAssignmentPrivilegedRoles,
];
