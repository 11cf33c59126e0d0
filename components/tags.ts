/** The tags every taggable resource carries. Pure. */

export interface StandardTagArgs {
    /** Environment name (dev, prod): the `environment` tag. */
    readonly environment: string;
    /** The service's name: the `service` tag. */
    readonly service: string;
    /** Extra tags from config; they cannot override the standard three. */
    readonly extra?: Record<string, string>;
}

export const MANAGED_BY = "pulumi";

export function standardTags(args: StandardTagArgs): Record<string, string> {
    return { ...(args.extra ?? {}), environment: args.environment, service: args.service, "managed-by": MANAGED_BY };
}
