/**
 * The shared container registry: no admin user, no anonymous pull, name derived from a prefix plus a
 * stable random suffix and checked against Azure's rules before anything is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import { registryName, registryPrefixProblem } from "./naming";
import { randomSuffix } from "./random-suffix";
import { assignRole, grantKey, grantProblems, Grantee } from "./role-assignment";

export const REGISTRY_SKUS = ["Basic", "Standard", "Premium"] as const;
export type RegistrySku = (typeof REGISTRY_SKUS)[number];

export interface ContainerRegistryArgs {
    /** Resource group of the registry. */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region of the registry. */
    readonly location: pulumi.Input<string>;
    /** Name prefix; hyphens are dropped, a 5-character random suffix is appended (alphanumeric, 5–50 in all). */
    readonly namePrefix: string;
    /** Registry SKU. */
    readonly sku: RegistrySku;
    /** Principals that push images (AcrPush on the registry). */
    readonly pushers?: Grantee[];
    /** Principals that pull images (AcrPull on the registry). */
    readonly pullers?: Grantee[];
    /** Tags on the registry. */
    readonly tags: Record<string, string>;
}

export class ContainerRegistry extends pulumi.ComponentResource {
    public readonly registry: containerregistry.Registry;
    public readonly registryName: pulumi.Output<string>;
    public readonly registryId: pulumi.Output<string>;
    public readonly loginServer: pulumi.Output<string>;

    constructor(name: string, args: ContainerRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:registry:ContainerRegistry", name, {}, opts);
        const errors = [];
        const prefixProblem = registryPrefixProblem(args.namePrefix);
        if (prefixProblem) errors.push({ propertyPath: "namePrefix", reason: prefixProblem });
        if (!(REGISTRY_SKUS as readonly string[]).includes(args.sku)) {
            errors.push({ propertyPath: "sku", reason: `expected one of ${REGISTRY_SKUS.join(", ")}, got "${args.sku}"` });
        }
        errors.push(
            ...grantProblems(
                "pushers",
                (args.pushers ?? []).map((grantee) => ({ role: "AcrPush" as const, grantee })),
            ),
        );
        errors.push(
            ...grantProblems(
                "pullers",
                (args.pullers ?? []).map((grantee) => ({ role: "AcrPull" as const, grantee })),
            ),
        );
        if (errors.length > 0) throw new pulumi.InputPropertiesError({ message: `invalid ContainerRegistry "${name}"`, errors });

        const suffix = randomSuffix(`${name}-suffix`, { parent: this });
        this.registry = new containerregistry.Registry(
            `${name}-registry`,
            {
                resourceGroupName: args.resourceGroupName,
                location: args.location,
                registryName: suffix.result.apply((s) => registryName(args.namePrefix, s)),
                sku: { name: args.sku },
                adminUserEnabled: false,
                anonymousPullEnabled: false,
                tags: args.tags,
            },
            { parent: this },
        );
        this.registryName = this.registry.name;
        this.registryId = this.registry.id;
        this.loginServer = this.registry.loginServer;

        // Named by role and principal; the alias is the former list-index name (stacks deployed before keep theirs).
        (args.pushers ?? []).forEach((p, i) =>
            assignRole(
                `${name}-acrpush-${grantKey("AcrPush", p)}`,
                { ...p, scope: this.registry.id, role: "AcrPush" },
                { parent: this, aliases: [{ name: `${name}-acrpush-${i}` }] },
            ),
        );
        (args.pullers ?? []).forEach((p, i) =>
            assignRole(
                `${name}-acrpull-${grantKey("AcrPull", p)}`,
                { ...p, scope: this.registry.id, role: "AcrPull" },
                { parent: this, aliases: [{ name: `${name}-acrpull-${i}` }] },
            ),
        );

        this.registerOutputs({ registryName: this.registryName, registryId: this.registryId, loginServer: this.loginServer });
    }
}
