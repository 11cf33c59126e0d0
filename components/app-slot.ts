/**
 * One release slot (blue or green): its namespace, the Secret that carries the App Insights
 * connection string to its pods, and — unless the slot is absent — the Helm release of the app chart
 * with the slot's fixed name (`<slot>-<app>`, the same as the namespace and the chart's Service).
 *
 * The namespace and Secret exist whatever the slot's role, so deploying into an empty slot or
 * removing a failed candidate only ever creates or deletes the Helm release.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import { isSemver, slotResourceName, type SlotName, type SlotState } from "@phoenix/release-model";

/** The key the chart reads the connection string from (`appInsights.secretKey`'s default). */
export const APP_INSIGHTS_SECRET_KEY = "connection-string";

/** The Secret holding the App Insights connection string in each slot namespace. */
export function appInsightsSecretName(appName: string): string {
    return `${appName}-appinsights`;
}

/** The chart values a slot's release gets (docs/contracts.md, "The chart values"). */
export interface SlotChartValues {
    image: { repository: string; tag: string; pullPolicy: "IfNotPresent" };
    replicaCount: number;
    slot: SlotName;
    version: string;
    appName: string;
    appInsights: { existingSecret: string; secretKey: string };
}

const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * The image tag for a version from a pattern such as `{version}` or `v{version}`. Semver build
 * metadata (`+`) is not allowed in image tags, so it becomes `_` (Helm's convention for OCI tags).
 */
export function imageTagFor(pattern: string, version: string): string {
    if (!pattern.includes("{version}")) throw new Error(`image tag pattern ${JSON.stringify(pattern)} must contain {version}`);
    const tag = pattern.split("{version}").join(version).replace(/\+/g, "_");
    if (!DOCKER_TAG.test(tag) || tag === "latest") {
        throw new Error(`image tag ${JSON.stringify(tag)} (from pattern ${JSON.stringify(pattern)}) is not a valid, pinned image tag`);
    }
    return tag;
}

/** Pure: the values for one slot's Helm release. */
export function slotChartValues(i: {
    slot: SlotName;
    appName: string;
    version: string;
    replicas: number;
    imageRepository: string;
    imageTag: string;
}): SlotChartValues {
    if (!isSemver(i.version)) throw new Error(`slot ${i.slot}: version ${JSON.stringify(i.version)} is not semver`);
    if (!Number.isInteger(i.replicas) || i.replicas < 0)
        throw new Error(`slot ${i.slot}: replicas must be an integer ≥ 0, got ${i.replicas}`);
    return {
        image: { repository: i.imageRepository, tag: i.imageTag, pullPolicy: "IfNotPresent" },
        replicaCount: i.replicas,
        slot: i.slot,
        version: i.version,
        appName: i.appName,
        appInsights: { existingSecret: appInsightsSecretName(i.appName), secretKey: APP_INSIGHTS_SECRET_KEY },
    };
}

export interface AppSlotArgs {
    /** Which slot this is (blue or green): names its namespace, release and Service. */
    readonly slot: SlotName;
    /** App name; namespace, release and Service are `<slot>-<appName>`. */
    readonly appName: string;
    /** The slot's role and version; `replicas` already resolved (state or the stack's default). */
    readonly state: SlotState & { replicas?: number };
    /** Pods when the state gives none. */
    readonly defaultReplicas: number;
    /** Chart: an `oci://` reference or an absolute path to a chart directory. */
    readonly chart: pulumi.Input<string>;
    /** Pinned chart version (undefined for a local chart directory). */
    readonly chartVersion?: pulumi.Input<string>;
    /** Image repository (`<loginServer>/<app>`). */
    readonly imageRepository: pulumi.Input<string>;
    /** Image tag pattern containing `{version}`. */
    readonly imageTagPattern: string;
    /** App Insights connection string (secret), stored in a Secret in the slot namespace. */
    readonly appInsightsConnectionString: pulumi.Input<string>;
    /** Helm timeout, seconds. */
    readonly helmTimeoutSeconds: number;
}

export class AppSlot extends pulumi.ComponentResource {
    public readonly slot: SlotName;
    /** `<slot>-<app>`: the namespace, the release and the chart's Service share it. */
    public readonly resourceName: string;
    public readonly namespace: kubernetes.core.v1.Namespace;
    public readonly appInsightsSecret: kubernetes.core.v1.Secret;
    /** Undefined when the slot is absent. */
    public readonly release?: kubernetes.helm.v3.Release;
    public readonly namespaceName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;

    constructor(name: string, args: AppSlotArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:release:AppSlot", name, {}, opts);
        this.slot = args.slot;
        this.resourceName = slotResourceName(args.slot, args.appName);
        if (!Number.isInteger(args.helmTimeoutSeconds) || args.helmTimeoutSeconds < 30) {
            throw new pulumi.ResourceError(`helmTimeoutSeconds must be an integer ≥ 30, got ${args.helmTimeoutSeconds}`, this);
        }
        const labels = {
            "app.kubernetes.io/part-of": args.appName,
            "app.kubernetes.io/managed-by": "phoenix",
            "phoenix/slot": args.slot,
        };
        this.namespace = new kubernetes.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: { name: this.resourceName, labels },
            },
            { parent: this },
        );

        this.appInsightsSecret = new kubernetes.core.v1.Secret(
            `${name}-appinsights`,
            {
                metadata: { name: appInsightsSecretName(args.appName), namespace: this.namespace.metadata.name, labels },
                type: "Opaque",
                stringData: { [APP_INSIGHTS_SECRET_KEY]: pulumi.secret(args.appInsightsConnectionString) },
            },
            { parent: this },
        );

        if (args.state.role !== "absent") {
            const version = args.state.version;
            if (version === undefined) throw new pulumi.ResourceError(`slot ${args.slot} is ${args.state.role} but has no version`, this);
            let values: SlotChartValues;
            try {
                const replicas = args.state.replicas ?? args.defaultReplicas;
                const tag = imageTagFor(args.imageTagPattern, version);
                values = slotChartValues({ slot: args.slot, appName: args.appName, version, replicas, imageRepository: "", imageTag: tag });
            } catch (e) {
                throw new pulumi.ResourceError((e as Error).message, this);
            }
            this.release = new kubernetes.helm.v3.Release(
                `${name}-release`,
                {
                    name: this.resourceName,
                    namespace: this.namespace.metadata.name,
                    chart: args.chart,
                    version: args.chartVersion,
                    values: pulumi
                        .output(args.imageRepository)
                        .apply((repository) => ({ ...values, image: { ...values.image, repository } })),
                    atomic: true,
                    cleanupOnFail: true,
                    timeout: args.helmTimeoutSeconds,
                    maxHistory: 10,
                    createNamespace: false,
                },
                { parent: this, dependsOn: [this.appInsightsSecret] },
            );
        }
        this.namespaceName = this.namespace.metadata.name;
        this.serviceName = pulumi.output(this.resourceName);
        this.registerOutputs({
            namespaceName: this.namespaceName,
            serviceName: this.serviceName,
            releaseStatus: this.release?.status,
        });
    }
}
