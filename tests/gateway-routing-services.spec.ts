/**
 * Two services' routes on one Gateway, checked by the Gateway API routing model
 * (`@phoenix/release-model`, routers/gateway-api), and the same on one ingress-nginx controller with the
 * nginx model (its Ingresses of every namespace merged per host): each service's objects are exactly what its release
 * stack registers (the router model's `objects` for its state), on the claims the platform gives them
 * (`serviceClaim`, `claimOwner`). In every combination of the two services' release states (every
 * state shape of each, exhaustively; weights, preview values, ready endpoints and requests drawn by
 * fast-check), a request a service owns reaches only that service's slots, and exactly as it would if
 * the other service were not on the Gateway at all. Two layouts: a host each, and one host split by
 * path prefix (`/` and `/orders`), where the longer prefix keeps its traffic.
 */
import { strict as assert } from "assert";
import fc from "fast-check";
import {
    claimOwner,
    routerModel,
    serviceClaim,
    serviceKey,
    slotService,
    SLOT_NAMES,
    validateReleaseState,
    type KubeObject,
    type ReadyEndpoints,
    type ReleaseState,
    type RouteRequest,
    type ServiceClaim,
    type SlotRole,
    type WeightedOutcome,
} from "@phoenix/release-model";

const KINDS = ["gateway-api", "nginx"] as const;
type Kind = (typeof KINDS)[number];
const GATEWAY = { name: "phoenix-gateway", namespace: "phoenix-gateway" };
/** Both services preview behind the same header name: only the value and the path tell them apart. */
const HEADER = "x-preview";

/** Every (blue, green) role pair a release state can have. */
const SHAPES: Array<[SlotRole, SlotRole]> = [
    ["live", "absent"],
    ["absent", "live"],
    ["live", "candidate"],
    ["candidate", "live"],
    ["live", "standby"],
    ["standby", "live"],
];

interface Layout {
    label: string;
    claims: ServiceClaim[];
    /** Paths requests are drawn from (some owned by each service, some by neither). */
    paths: string[];
    hosts: string[];
}

const LAYOUTS: Layout[] = [
    {
        label: "a host each",
        claims: [serviceClaim("calculator", ["shop.example.com"], "/"), serviceClaim("inventory", ["inventory.example.com"], "/")],
        paths: ["/", "/api/calculation", "/orders", "/orders/7", "/inventory"],
        hosts: ["shop.example.com", "inventory.example.com", "other.example.com"],
    },
    {
        label: "one host, split by path prefix",
        claims: [serviceClaim("calculator", ["shop.example.com"], "/"), serviceClaim("orders", ["shop.example.com"], "/orders")],
        paths: ["/", "/api/calculation", "/orders", "/orders/7", "/ordersx", "/static/orders"],
        hosts: ["shop.example.com", "other.example.com"],
    },
];

/** A release state of the given shape; the candidate may carry a weight and a secret preview value. */
function stateOf(shape: [SlotRole, SlotRole], candidateWeight: number, secret: string | undefined): ReleaseState {
    const slot = (role: SlotRole, version: string) => (role === "absent" ? { role } : { role, version, replicas: 2 });
    const hasCandidate = shape.includes("candidate");
    return validateReleaseState({
        slots: { blue: slot(shape[0], "1.0.0"), green: slot(shape[1], "1.1.0") },
        ...(hasCandidate && candidateWeight > 0 ? { candidateWeight } : {}),
        ...(hasCandidate && secret !== undefined ? { previewHeaderValue: secret } : {}),
    });
}

/** What a service's release stack registers for its state (the router model's objects, as components/traffic-router.ts registers them). */
function objectsOf(claim: ServiceClaim, state: ReleaseState, kind: Kind = "gateway-api"): KubeObject[] {
    const model = routerModel(kind);
    return model.objects(model.intent(state, HEADER), {
        appName: claim.service,
        host: claim.hostnames[0],
        headerName: HEADER,
        path: claim.pathPrefix,
        ...(kind === "nginx" ? { ingressClassName: "nginx" } : { gateway: GATEWAY }),
    });
}

/** Ready endpoints of a service's slot Services: a Service exists while its slot is not absent. */
function readyOf(claim: ServiceClaim, state: ReleaseState, ready: [number, number]): ReadyEndpoints {
    const out: ReadyEndpoints = {};
    SLOT_NAMES.forEach((slot, i) => {
        if (state.slots[slot].role !== "absent") out[serviceKey(slotService(slot, claim.service))] = ready[i];
    });
    return out;
}

const ownSlots = (service: string) => new Set(SLOT_NAMES.map((slot) => serviceKey(slotService(slot, service))));
const served = (d: WeightedOutcome[]) => d.flatMap((o) => (o.outcome.kind === "served" ? [serviceKey(o.outcome.service)] : []));
const shape = (d: WeightedOutcome[]) =>
    d.map((o) => [o.outcome.kind === "served" ? serviceKey(o.outcome.service) : o.outcome.status, Math.round(o.probability * 1e9)]);

const GW = routerModel("gateway-api");

describe("routing models: two services on one Gateway (and on one ingress-nginx)", () => {
    for (const kind of KINDS)
        for (const layout of LAYOUTS) {
            const [first, second] = layout.claims;
            const model = routerModel(kind);
            // The state shapes this router accepts (ingress-nginx keeps blue, behind the main Ingress, present).
            const shapes = SHAPES.filter((sh) => model.stateProblems(stateOf(sh, 0, undefined)).length === 0);

            it(`${kind}, ${layout.label}: in every combination of release states, a request reaches only the slots of the service that owns it, as if the other were not there`, () => {
                const side = fc.record({
                    weight: fc.integer({ min: 0, max: 99 }),
                    secret: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{16,24}$/), { nil: undefined }),
                    ready: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
                });
                let checked = 0;
                for (const shapeA of shapes) {
                    for (const shapeB of shapes) {
                        fc.assert(
                            fc.property(
                                side,
                                side,
                                fc.constantFrom(...layout.hosts),
                                fc.constantFrom(...layout.paths),
                                fc.constantFrom("none", "first-value", "second-value", "always"),
                                fc.boolean(),
                                (a, b, host, path, preview, firstListedFirst) => {
                                    const stateA = stateOf(shapeA, a.weight, a.secret);
                                    const stateB = stateOf(shapeB, b.weight, b.secret);
                                    const objsA = objectsOf(first, stateA, kind);
                                    const objsB = objectsOf(second, stateB, kind);
                                    const ready = { ...readyOf(first, stateA, a.ready), ...readyOf(second, stateB, b.ready) };
                                    const value = { none: undefined, "first-value": a.secret, "second-value": b.secret, always: "always" }[
                                        preview
                                    ];
                                    const req: RouteRequest = {
                                        host,
                                        path,
                                        ...(value !== undefined ? { headers: { [HEADER]: value } } : {}),
                                    };
                                    const together = model.distribution(
                                        firstListedFirst ? [...objsA, ...objsB] : [...objsB, ...objsA],
                                        ready,
                                        req,
                                    );
                                    const owner = claimOwner(layout.claims, host, path);
                                    if (owner === undefined) {
                                        // Nobody's: no route of either service matches it.
                                        assert.deepEqual(shape(together), [[404, 1e9]]);
                                        return;
                                    }
                                    const alone = model.distribution(owner === first ? objsA : objsB, ready, req);
                                    const mine = ownSlots(owner.service);
                                    for (const s of served(together))
                                        assert.ok(mine.has(s), `${host}${path} of ${owner.service} reached ${s}`);
                                    assert.deepEqual(shape(together), shape(alone), `${host}${path}: the other service changes nothing`);
                                    checked++;
                                },
                            ),
                            { numRuns: 60 },
                        );
                    }
                }
                assert.ok(checked > shapes.length * shapes.length * 10, `owned requests checked: ${checked}`);
            });

            it(`${kind}, ${layout.label}: production requests of each service follow its own weights exactly`, () => {
                for (const [w1, w2] of [
                    [0, 0],
                    [5, 50],
                    [99, 25],
                ]) {
                    const stateA = stateOf(["live", "candidate"], w1, undefined);
                    const stateB = stateOf(["candidate", "live"], w2, undefined);
                    const objs = [...objectsOf(first, stateA, kind), ...objectsOf(second, stateB, kind)];
                    const ready = { ...readyOf(first, stateA, [2, 2]), ...readyOf(second, stateB, [2, 2]) };
                    const probs = (host: string, path: string) =>
                        Object.fromEntries(
                            model
                                .distribution(objs, ready, { host, path })
                                .map((d) => [served([d])[0], Math.round(d.probability * 1e9) / 1e9]),
                        );
                    const firstPath = layout.paths[1];
                    const secondHost = second.hostnames[0];
                    const secondPath = second.pathPrefix === "/" ? "/any" : `${second.pathPrefix}/1`;
                    const expectFirst: Record<string, number> = {};
                    if (w1 < 100) expectFirst["blue-calculator/blue-calculator"] = (100 - w1) / 100;
                    if (w1 > 0) expectFirst["green-calculator/green-calculator"] = w1 / 100;
                    assert.deepEqual(probs(first.hostnames[0], firstPath), expectFirst);
                    const n = second.service;
                    const expectSecond: Record<string, number> = {};
                    if (w2 > 0) expectSecond[`blue-${n}/blue-${n}`] = w2 / 100;
                    if (w2 < 100) expectSecond[`green-${n}/green-${n}`] = (100 - w2) / 100;
                    assert.deepEqual(probs(secondHost, secondPath), expectSecond);
                }
            });
        }

    it("gateway-api, one host split by path: while the nested service has released nothing, its paths fall to the enclosing service's `/` route (no route of its own to win them)", () => {
        const [calculator, orders] = LAYOUTS[1].claims;
        const state = stateOf(["live", "absent"], 0, undefined);
        const ready = readyOf(calculator, state, [2, 0]);
        const before = GW.distribution(objectsOf(calculator, state), ready, { host: "shop.example.com", path: "/orders/7" });
        assert.deepEqual(served(before), ["blue-calculator/blue-calculator"]);
        // Once orders has a route, the longer prefix wins every /orders request back.
        const ordersState = stateOf(["live", "absent"], 0, undefined);
        const after = GW.distribution(
            [...objectsOf(calculator, state), ...objectsOf(orders, ordersState)],
            { ...ready, ...readyOf(orders, ordersState, [1, 0]) },
            { host: "shop.example.com", path: "/orders/7" },
        );
        assert.deepEqual(served(after), ["blue-orders/blue-orders"]);
    });
});
