/**
 * The static public IP a front door's load balancer uses (ingress-nginx or a Gateway): Standard SKU,
 * IPv4, with a DNS label `<prefix>-<5 random>` kept stable by a random suffix. Both children are
 * parented to the calling component and named from it (`<name>-suffix`, `<name>-ip`), so the front
 * doors share the code without changing any URN.
 */
import * as pulumi from "@pulumi/pulumi";
import * as network from "@pulumi/azure-native/network";
import { dnsLabel } from "./naming";
import { randomSuffix } from "./random-suffix";

export interface StaticPublicIpArgs {
    /** Resource group the IP lives in (the environment's). */
    readonly resourceGroupName: pulumi.Input<string>;
    /** Azure region. */
    readonly location: pulumi.Input<string>;
    /** DNS label prefix; the label is `<prefix>-<5 random>` (validated by the caller). */
    readonly dnsLabelPrefix: string;
    /** Tags for the IP. */
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

export interface StaticPublicIp {
    readonly publicIp: network.PublicIPAddress;
    /** The address ("" until Azure assigns it). */
    readonly ipAddress: pulumi.Output<string>;
    /** `<label>.<location>.cloudapp.azure.com`. */
    readonly fqdn: pulumi.Output<string>;
}

/** Registers the IP and its suffix as children of `parent`. */
export function staticPublicIp(name: string, args: StaticPublicIpArgs, parent: pulumi.Resource): StaticPublicIp {
    const suffix = randomSuffix(`${name}-suffix`, { parent });
    const publicIp = new network.PublicIPAddress(
        `${name}-ip`,
        {
            resourceGroupName: args.resourceGroupName,
            location: args.location,
            sku: { name: "Standard", tier: "Regional" },
            publicIPAllocationMethod: "Static",
            publicIPAddressVersion: "IPv4",
            dnsSettings: { domainNameLabel: suffix.result.apply((s) => dnsLabel(args.dnsLabelPrefix, s)) },
            tags: args.tags,
        },
        { parent },
    );
    return { publicIp, ipAddress: publicIp.ipAddress.apply((ip) => ip ?? ""), fqdn: publicIp.dnsSettings.apply((d) => d?.fqdn ?? "") };
}
