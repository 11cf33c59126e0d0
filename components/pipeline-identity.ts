/**
 * The Azure DevOps pipeline identity, with no secret: a user-assigned managed identity and one
 * federated identity credential per workload-identity service connection.
 *
 * Azure rejects concurrent credential writes on one identity, so each credential depends on the
 * one before it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as managedidentity from "@pulumi/azure-native/managedidentity";
import { ADO_ISSUER, ADO_SUBJECT, FEDERATED_CREDENTIAL_NAME, ServiceConnection } from "./config-validation";

/** The audience Azure DevOps (and every Entra workload identity federation) presents. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

export interface PipelineIdentityArgs {
    /** Resource group of the identity. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region of the identity. */
    readonly location: pulumi.Input<string>;
    /** The managed identity's name. */
    readonly identityName: string;
    /** One federated credential each; issuer and subject are copied from the service connection's page. */
    readonly serviceConnections: ServiceConnection[];
    /** Tags on the identity. */
    readonly tags: Record<string, string>;
}

export class PipelineIdentity extends pulumi.ComponentResource {
    public readonly identity: managedidentity.UserAssignedIdentity;
    public readonly credentials: managedidentity.FederatedIdentityCredential[];
    public readonly clientId: pulumi.Output<string>;
    public readonly principalId: pulumi.Output<string>;
    public readonly tenantId: pulumi.Output<string>;
    public readonly identityId: pulumi.Output<string>;

    constructor(name: string, args: PipelineIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:identity:PipelineIdentity", name, {}, opts);
        const errors: { propertyPath: string; reason: string }[] = [];
        if (!/^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/.test(args.identityName)) {
            errors.push({ propertyPath: "identityName", reason: `expected 3–128 letters, digits, '-' or '_', got "${args.identityName}"` });
        }
        args.serviceConnections.forEach((c, i) => {
            if (!FEDERATED_CREDENTIAL_NAME.test(c.name))
                errors.push({
                    propertyPath: `serviceConnections[${i}].name`,
                    reason: `expected 3–120 letters, digits, '-' or '_', got "${c.name}"`,
                });
            if (!ADO_ISSUER.test(c.issuer))
                errors.push({
                    propertyPath: `serviceConnections[${i}].issuer`,
                    reason: `expected an Azure DevOps issuer URL, got "${c.issuer}"`,
                });
            if (!ADO_SUBJECT.test(c.subject))
                errors.push({
                    propertyPath: `serviceConnections[${i}].subject`,
                    reason: `expected sc://<organization>/<project>/<service connection>, got "${c.subject}"`,
                });
        });
        if (new Set(args.serviceConnections.map((c) => c.name)).size !== args.serviceConnections.length) {
            errors.push({ propertyPath: "serviceConnections", reason: "expected unique credential names" });
        }
        if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid PipelineIdentity "${name}"`, errors });

        this.identity = new managedidentity.UserAssignedIdentity(
            `${name}-identity`,
            { resourceGroupName: args.resourceGroupName, location: args.location, resourceName: args.identityName, tags: args.tags },
            { parent: this },
        );

        this.credentials = [];
        let previous: pulumi.Resource | undefined;
        for (const connection of args.serviceConnections) {
            const credential: managedidentity.FederatedIdentityCredential = new managedidentity.FederatedIdentityCredential(
                `${name}-fic-${connection.name}`,
                {
                    resourceGroupName: args.resourceGroupName,
                    resourceName: this.identity.name,
                    federatedIdentityCredentialResourceName: connection.name,
                    issuer: connection.issuer,
                    subject: connection.subject,
                    audiences: [TOKEN_EXCHANGE_AUDIENCE],
                },
                { parent: this, dependsOn: previous ? [previous] : [] },
            );
            this.credentials.push(credential);
            previous = credential;
        }

        this.clientId = this.identity.clientId;
        this.principalId = this.identity.principalId;
        this.tenantId = this.identity.tenantId;
        this.identityId = this.identity.id;
        this.registerOutputs({
            clientId: this.clientId,
            principalId: this.principalId,
            tenantId: this.tenantId,
            identityId: this.identityId,
        });
    }
}
