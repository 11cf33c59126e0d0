/**
 * The traffic router: decides where production and preview traffic go, separately from the slots.
 *
 * One implementation per router kind. `nginx` (ingress-nginx canary annotations) is the only one
 * today; a Gateway API implementation would satisfy the same {@link TrafficRouter} interface with
 * one `HTTPRoute` (a header `matches` rule for previews + weighted `backendRefs` for production,
 * a `ReferenceGrant` for the cross-namespace Services).
 *
 * The nginx router never reloads nginx and never opens a 404 window: both Ingress objects are fixed
 * (main → blue Service, canary → green Service, same host/path/pathType, explicit `canary`
 * annotation on both) and production moves only by the canary's `canary-weight` (0 ↔ 100), which
 * ingress-nginx applies to its Lua balancer dynamically. See docs/release-stack.md.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import { CANARY_SIDE_SLOT, MAIN_SIDE_SLOT, RouterIntent, SlotName, isValidHeaderName, nginxAnnotations } from "../release-engine/src/model/release-state";

/** Router kinds this repo implements. */
export const ROUTER_KINDS = ["nginx"] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

export function isRouterKind(v: string): v is RouterKind {
    return (ROUTER_KINDS as readonly string[]).includes(v);
}

/** A slot's Service as the router sees it. */
export interface SlotBackend {
    namespace: pulumi.Input<string>;
    /** Service name (the chart names it after the release: `<slot>-<app>`). */
    serviceName: pulumi.Input<string>;
    /** Service port; the chart's Service listens on 80. */
    port?: number;
}

/** What every router kind is given. */
export interface TrafficRouterArgs {
    /** The public host name requests arrive for (the platform's FQDN). */
    host: pulumi.Input<string>;
    /** Path served; default `/` (pathType Prefix). */
    path?: string;
    /** Ingress class of the controller; default `nginx`. */
    ingressClassName?: pulumi.Input<string>;
    /** The Service of each slot. Both are referenced whether or not the slot is deployed. */
    backends: Record<SlotName, SlotBackend>;
    /** Weights and preview header for the current release state (from `routerIntent`). */
    intent: RouterIntent;
    /** Resources the routing change must wait for (the slots' Helm releases). */
    dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** What every router kind reports; a Gateway API router implements the same. */
export interface TrafficRouter {
    readonly kind: RouterKind;
    /** Share of production traffic (percent) per slot. */
    readonly weights: pulumi.Output<Record<SlotName, number>>;
    /** The header that previews the candidate. */
    readonly previewHeaderName: pulumi.Output<string>;
    /** The header value that reaches the candidate (secret when it is a per-release value), or undefined without a candidate. */
    readonly previewHeaderValue: pulumi.Output<string | undefined>;
    /** The slot a preview request reaches, or undefined without a candidate. */
    readonly previewTarget: pulumi.Output<SlotName | undefined>;
}

/** Production weights for an intent: everything on one slot, never a split. */
export function weightsFor(intent: RouterIntent): Record<SlotName, number> {
    return { [MAIN_SIDE_SLOT]: 100 - intent.canaryWeight, [CANARY_SIDE_SLOT]: intent.canaryWeight } as Record<SlotName, number>;
}

/** The canary Ingress's annotations for an intent; the header value is kept secret when present. */
export function canaryAnnotations(intent: RouterIntent): pulumi.Output<Record<string, string>> {
    const { canary } = nginxAnnotations(intent);
    return intent.canaryHeaderValue === undefined ? pulumi.output(canary) : pulumi.secret(canary);
}

/**
 * ingress-nginx router: two fixed Ingress objects, the main one in the blue namespace and the canary
 * one in the green namespace, each pointing at its own slot's Service.
 */
export class NginxTrafficRouter extends pulumi.ComponentResource implements TrafficRouter {
    public readonly kind: RouterKind = "nginx";
    public readonly mainIngress: kubernetes.networking.v1.Ingress;
    public readonly canaryIngress: kubernetes.networking.v1.Ingress;
    public readonly weights: pulumi.Output<Record<SlotName, number>>;
    public readonly previewHeaderName: pulumi.Output<string>;
    public readonly previewHeaderValue: pulumi.Output<string | undefined>;
    public readonly previewTarget: pulumi.Output<SlotName | undefined>;

    constructor(name: string, args: TrafficRouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:router:NginxTrafficRouter", name, {}, opts);
        if (!isValidHeaderName(args.intent.headerName)) {
            throw new pulumi.ResourceError(`preview header name ${JSON.stringify(args.intent.headerName)} is not valid: expected letters, digits and dashes`, this);
        }
        if (args.intent.canaryWeight !== 0 && args.intent.canaryWeight !== 100) {
            throw new pulumi.ResourceError(`canaryWeight must be 0 or 100 (production is never split), got ${String(args.intent.canaryWeight)}`, this);
        }
        const path = args.path ?? "/";
        if (!path.startsWith("/")) throw new pulumi.ResourceError(`path must start with "/", got ${JSON.stringify(path)}`, this);
        const ingressClassName = args.ingressClassName ?? "nginx";

        const spec = (b: SlotBackend): kubernetes.types.input.networking.v1.IngressSpec => ({
            ingressClassName,
            rules: [{
                host: args.host,
                http: { paths: [{ path, pathType: "Prefix", backend: { service: { name: b.serviceName, port: { number: b.port ?? 80 } } } }] },
            }],
        });
        const labels = { "app.kubernetes.io/managed-by": "phoenix", "app.kubernetes.io/component": "traffic-router" };
        const childOpts = { parent: this, dependsOn: args.dependsOn };
        const main = args.backends[MAIN_SIDE_SLOT];
        const canary = args.backends[CANARY_SIDE_SLOT];

        // Explicit canary "false": the admission webhook then never confuses this with a second main.
        this.mainIngress = new kubernetes.networking.v1.Ingress(`${name}-main`, {
            metadata: { name: main.serviceName, namespace: main.namespace, labels, annotations: nginxAnnotations(args.intent).main },
            spec: spec(main),
        }, childOpts);
        this.canaryIngress = new kubernetes.networking.v1.Ingress(`${name}-canary`, {
            metadata: { name: canary.serviceName, namespace: canary.namespace, labels, annotations: canaryAnnotations(args.intent) },
            spec: spec(canary),
        }, childOpts);

        const preview = args.intent.preview;
        this.weights = pulumi.output(weightsFor(args.intent));
        this.previewHeaderName = pulumi.output(args.intent.headerName);
        this.previewHeaderValue = preview === undefined
            ? pulumi.output<string | undefined>(undefined)
            : preview.secret ? pulumi.secret<string | undefined>(preview.value) : pulumi.output<string | undefined>(preview.value);
        this.previewTarget = pulumi.output<SlotName | undefined>(preview?.target);
        this.registerOutputs({
            kind: this.kind,
            weights: this.weights,
            previewHeaderName: this.previewHeaderName,
            previewHeaderValue: this.previewHeaderValue,
            previewTarget: this.previewTarget,
        });
    }
}

/**
 * Creates the router of the given kind. Validate `kind` with {@link isRouterKind} before registering
 * anything; this throws for kinds without an implementation.
 */
export function createTrafficRouter(kind: string, name: string, args: TrafficRouterArgs, opts?: pulumi.ComponentResourceOptions): TrafficRouter & pulumi.ComponentResource {
    if (!isRouterKind(kind)) {
        throw new pulumi.RunError(`router kind ${JSON.stringify(kind)} is not supported; expected one of: ${ROUTER_KINDS.join(", ")} (a Gateway API HTTPRoute router is not implemented yet)`);
    }
    return new NginxTrafficRouter(name, args, opts);
}
