/**
 * A Kubernetes object as plain data, the one shape every layer shares: what the routers return and
 * read back, what the platform's Gateway API manifests are, what the policy pack rebuilds from a
 * registered resource and what the specs hand to schemas and CEL rules. `Spec` narrows `spec` where a
 * caller knows more (the platform's manifests: a JSON object).
 */

export interface KubeObjectMetadata {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    /** Only for age ordering in the models (the cluster sets it); objects earlier in a list are older when absent. */
    creationTimestamp?: string;
}

export interface KubeObject<Spec = unknown> {
    apiVersion: string;
    kind: string;
    metadata: KubeObjectMetadata;
    spec: Spec;
}
