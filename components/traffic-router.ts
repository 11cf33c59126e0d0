/**
 * The traffic router: decides where production and preview traffic go, separately from the slots.
 *
 * One component per router kind, both registering exactly the Kubernetes objects their model in
 * `@phoenix/release-model` returns for the release state's intent — the same objects the planner's
 * safety model, the local backend's proxy and the policy pack reason about:
 * - `gateway-api` (default): a production HTTPRoute whose one rule always lists both slot Services
 *   (only weights change), a preview HTTPRoute of its own while there is a candidate, a ReferenceGrant
 *   in each slot namespace, and the labelled routes namespace the platform's Gateway admits;
 * - `nginx` (legacy): the fixed main (blue) and canary (green) Ingresses, production by `canary-weight`.
 * A per-release preview value is kept secret in every object that carries it. See docs/release-stack.md.
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import {
    GATEWAY_ACCESS_LABEL,
    ROUTER_KINDS,
    isRouterKind,
    isValidHeaderName,
    routerModel,
    routesNamespace as routesNamespaceOf,
    type RouterIntent,
    type RouterObjectRole,
    type RouterKind,
    type RouterSettings,
    type SlotName,
} from "@phoenix/release-model";

/** The platform's Gateway the routes attach to (Gateway API router). */
export interface GatewayRef {
    readonly name: string;
    readonly namespace: string;
}

/** What every router kind is given. */
export interface TrafficRouterArgs {
    /** The app name: slots are `<slot>-<app>` (namespace, Helm release, Service). */
    readonly appName: string;
    /** The public host name requests arrive for (the platform's FQDN). */
    readonly host: pulumi.Input<string>;
    /** Path served; default `/` (prefix). */
    readonly path?: string;
    /** Weights and preview header for the current release state (the router model's `intent`). */
    readonly intent: RouterIntent;
    /** nginx: the controller's ingress class; default `nginx`. */
    readonly ingressClassName?: pulumi.Input<string>;
    /** gateway-api: the platform's Gateway (required for that kind). */
    readonly gateway?: pulumi.Input<GatewayRef>;
    /** Resources the routing change must wait for (the slots' Helm releases). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** What every router kind reports. */
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

function validateIntent(intent: RouterIntent, path: string, parent: pulumi.Resource): void {
    if (!isValidHeaderName(intent.headerName)) {
        throw new pulumi.ResourceError(
            `preview header name ${JSON.stringify(intent.headerName)} is not valid: expected letters, digits and dashes`,
            parent,
        );
    }
    const w = intent.weights;
    if (![w.blue, w.green].every((x) => Number.isInteger(x) && x >= 0 && x <= 100) || w.blue + w.green !== 100) {
        throw new pulumi.ResourceError(
            `production weights must be integers from 0 to 100 adding up to 100, got blue ${w.blue}, green ${w.green}`,
            parent,
        );
    }
    if (!path.startsWith("/")) throw new pulumi.ResourceError(`path must start with "/", got ${JSON.stringify(path)}`, parent);
}

/** Settings with placeholders for the values that are only known as outputs (they never change an object's shape). */
const SHAPE_SETTINGS = { host: "shape.invalid", ingressClassName: "shape", gateway: { name: "shape", namespace: "shape" } };

/** The child resource of an object: named `<router>-<role>`, so its URN follows what it does, never where it sits. */
export function routerChildName(routerName: string, role: RouterObjectRole): string {
    return `${routerName}-${role}`;
}

/**
 * Registers a router model's objects as children: each named after its role, values
 * (host, class, Gateway) are filled in from outputs, and an object carrying the per-release preview
 * value is registered with its metadata and spec secret.
 */
abstract class ModelRouter extends pulumi.ComponentResource implements TrafficRouter {
    public abstract readonly kind: RouterKind;
    public readonly weights: pulumi.Output<Record<SlotName, number>>;
    public readonly previewHeaderName: pulumi.Output<string>;
    public readonly previewHeaderValue: pulumi.Output<string | undefined>;
    public readonly previewTarget: pulumi.Output<SlotName | undefined>;

    protected constructor(type: string, name: string, args: TrafficRouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super(type, name, {}, opts);
        const path = args.path ?? "/";
        validateIntent(args.intent, path, this);
        const preview = args.intent.preview;
        this.weights = pulumi.output({ ...args.intent.weights });
        this.previewHeaderName = pulumi.output(args.intent.headerName);
        this.previewHeaderValue =
            preview === undefined
                ? pulumi.output<string | undefined>(undefined)
                : preview.secret
                  ? pulumi.secret<string | undefined>(preview.value)
                  : pulumi.output<string | undefined>(preview.value);
        this.previewTarget = pulumi.output<SlotName | undefined>(preview?.target);
    }

    protected register(
        kind: RouterKind,
        name: string,
        args: TrafficRouterArgs,
        extraDependsOn: pulumi.Resource[] = [],
    ): Map<RouterObjectRole, pulumi.CustomResource> {
        const model = routerModel(kind);
        const path = args.path ?? "/";
        const base = { appName: args.appName, headerName: args.intent.headerName, path };
        const settings: pulumi.Output<RouterSettings> = pulumi
            .all([args.host, args.ingressClassName, args.gateway])
            .apply(([host, ingressClassName, gateway]) => ({
                ...base,
                host,
                ...(ingressClassName !== undefined ? { ingressClassName } : {}),
                ...(gateway !== undefined ? { gateway: { name: gateway.name, namespace: gateway.namespace } } : {}),
            }));
        const shape = model.roleObjects(args.intent, { ...base, ...SHAPE_SETTINGS });
        const secretValue = args.intent.preview?.secret ? args.intent.preview.value : undefined;
        const childOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: [...(args.dependsOn ?? []), ...extraDependsOn] };
        const children = new Map<RouterObjectRole, pulumi.CustomResource>();
        for (const { role, object: s } of shape) {
            const obj = settings.apply((st) => {
                const found = model.roleObjects(args.intent, st).find((o) => o.role === role);
                if (!found) throw new Error(`the ${kind} router returned no ${role} object for settings that only fill in values`);
                return found.object;
            });
            const carries = (part: unknown) => secretValue !== undefined && JSON.stringify(part).includes(secretValue);
            const metadataOut = obj.apply((o) => o.metadata);
            const specOut = obj.apply((o) => o.spec as Record<string, unknown>);
            const metadata = carries(s.metadata) ? pulumi.secret(metadataOut) : metadataOut;
            const spec = carries(s.spec) ? pulumi.secret(specOut) : specOut;
            const childName = routerChildName(name, role);
            children.set(
                role,
                s.kind === "Ingress"
                    ? new kubernetes.networking.v1.Ingress(childName, { metadata, spec }, childOpts)
                    : new kubernetes.apiextensions.CustomResource(
                          childName,
                          { apiVersion: s.apiVersion, kind: s.kind, metadata, spec },
                          childOpts,
                      ),
            );
        }
        return children;
    }

    protected done(extra: Record<string, unknown> = {}): void {
        this.registerOutputs({
            kind: this.kind,
            weights: this.weights,
            previewHeaderName: this.previewHeaderName,
            previewHeaderValue: this.previewHeaderValue,
            previewTarget: this.previewTarget,
            ...extra,
        });
    }
}

/**
 * ingress-nginx router (legacy): two fixed Ingress objects, the main one in the blue namespace and the
 * canary one in the green namespace, each pointing at its own slot's Service.
 */
export class NginxTrafficRouter extends ModelRouter {
    public readonly kind: RouterKind = "nginx";
    public readonly mainIngress: kubernetes.networking.v1.Ingress;
    public readonly canaryIngress: kubernetes.networking.v1.Ingress;

    constructor(name: string, args: TrafficRouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:router:NginxTrafficRouter", name, args, opts);
        const children = this.register("nginx", name, args);
        this.mainIngress = children.get("main") as kubernetes.networking.v1.Ingress;
        this.canaryIngress = children.get("canary") as kubernetes.networking.v1.Ingress;
        this.done();
    }
}

/**
 * Gateway API router (default): the routes namespace (labelled for the platform's Gateway), a
 * ReferenceGrant per slot namespace, the production HTTPRoute and, with a candidate, the preview HTTPRoute.
 */
export class GatewayApiTrafficRouter extends ModelRouter {
    public readonly kind: RouterKind = "gateway-api";
    public readonly routesNamespace: kubernetes.core.v1.Namespace;
    public readonly objects: pulumi.CustomResource[];

    constructor(name: string, args: TrafficRouterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("phoenix:router:GatewayApiTrafficRouter", name, args, opts);
        if (args.gateway === undefined)
            throw new pulumi.ResourceError(
                "the gateway-api router needs the platform's Gateway (gatewayName/gatewayNamespace outputs)",
                this,
            );
        this.routesNamespace = new kubernetes.core.v1.Namespace(
            `${name}-routes`,
            {
                metadata: {
                    name: routesNamespaceOf(args.appName),
                    labels: pulumi.output(args.gateway).apply((g) => ({
                        "app.kubernetes.io/part-of": args.appName,
                        "app.kubernetes.io/managed-by": "phoenix",
                        [GATEWAY_ACCESS_LABEL]: g.name,
                    })),
                },
            },
            { parent: this },
        );
        this.objects = [...this.register("gateway-api", name, args, [this.routesNamespace]).values()];
        this.done({ routesNamespace: this.routesNamespace.metadata.name });
    }
}

/**
 * Creates the router of the given kind. Validate `kind` with {@link isRouterKind} before registering
 * anything; this throws for kinds without an implementation.
 */
export function createTrafficRouter(
    kind: string,
    name: string,
    args: TrafficRouterArgs,
    opts?: pulumi.ComponentResourceOptions,
): TrafficRouter & pulumi.ComponentResource {
    if (!isRouterKind(kind))
        throw new pulumi.RunError(`router kind ${JSON.stringify(kind)} is not supported; expected one of: ${ROUTER_KINDS.join(", ")}`);
    return kind === "nginx" ? new NginxTrafficRouter(name, args, opts) : new GatewayApiTrafficRouter(name, args, opts);
}
