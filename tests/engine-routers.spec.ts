/**
 * Routers as a list (engine/routers.ts, release-model `planningRouter`): the engine checks the routers
 * the release stack reports against its `router` setting, and plans for every router in the list —
 * the nginx → Gateway API migration is a list of two, not a special case.
 */
import { strict as assert } from "assert";
import { ROUTER_KINDS, planningRouter, routerModel, validateReleaseState, type RouterKind } from "@phoenix/release-model";
import { checkRouterList, environmentRouters, planForRouters } from "../release-engine/src/engine/routers";
import type { Backend } from "../release-engine/src/engine/backend";
import { InputError } from "../release-engine/src/errors";
import { routersFromOutputs } from "../release-engine/src/backends/pulumi/release-outputs";
import { finalRecord, plan as makePlan } from "../release-engine/src/planner/plan";
import type { EngineRecord, Intent, PlannerOptions } from "../release-engine/src/planner/types";

const optsFor = (kind: RouterKind): PlannerOptions => ({ defaultReplicas: 2, router: routerModel(kind) });
const blueLive: EngineRecord = {
    state: validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } }),
};

describe("engine: routers as a list", () => {
    describe("planningRouter: whose placement rules a plan for several routers follows", () => {
        it("one router plans by its own rules; with nginx in the list, nginx's (its home slot constrains where production rests)", () => {
            for (const kind of ROUTER_KINDS) assert.equal(planningRouter([kind]), kind);
            assert.equal(planningRouter(["gateway-api", "nginx"]), "nginx");
            assert.equal(planningRouter(["nginx", "gateway-api"]), "nginx");
            assert.equal(planningRouter(["gateway-api", "gateway-api"]), "gateway-api");
        });

        it("refuses an empty list and an unknown kind, naming it", () => {
            assert.throws(() => planningRouter([]), /no router: expected at least one router kind/);
            assert.throws(
                () => planningRouter(["gateway-api", "istio"]),
                /router kind "istio" is not supported; expected one of: gateway-api, nginx/,
            );
        });
    });

    describe("checkRouterList: the backend's list against the engine's setting", () => {
        it("a backend that reports no list plans with the setting alone", () => {
            for (const router of ROUTER_KINDS) assert.deepEqual(checkRouterList(undefined, { env: "dev", router }), [router]);
        });

        it("returns the list when its planning router is the setting", () => {
            assert.deepEqual(checkRouterList(["gateway-api"], { env: "dev", router: "gateway-api" }), ["gateway-api"]);
            assert.deepEqual(checkRouterList(["gateway-api", "nginx"], { env: "prod", router: "nginx" }), ["gateway-api", "nginx"]);
        });

        it("refuses another setting (exit 2), naming the list and what to set", () => {
            const refused = (reported: string[], router: RouterKind, message: RegExp) =>
                assert.throws(
                    () => checkRouterList(reported, { env: "prod", router }),
                    (e: Error) => e instanceof InputError && message.test(e.message) && /nothing was changed$/.test(e.message),
                );
            refused(
                ["nginx"],
                "gateway-api",
                /^the prod release stack routes with nginx, but the engine's setting router is gateway-api: set "router": "nginx" in release-engine\/config\/prod.json/,
            );
            refused(
                ["gateway-api"],
                "nginx",
                /routes with gateway-api, but the engine's setting router is nginx: set "router": "gateway-api"/,
            );
            refused(
                ["gateway-api", "nginx"],
                "gateway-api",
                /routes with gateway-api and nginx \(plans keep nginx's rules while both run\), but the engine's setting router is gateway-api: set "router": "nginx"/,
            );
        });

        it("refuses a list with a kind this engine does not know, or none, by value", () => {
            for (const reported of [["gateway-api", "istio"], []])
                assert.throws(
                    () => checkRouterList(reported, { env: "dev", router: "gateway-api" }),
                    (e: Error) =>
                        e instanceof InputError &&
                        e.message.includes(`reports the routers ${JSON.stringify(reported)}; expected one or more of gateway-api, nginx`),
                );
        });

        it("environmentRouters asks the backend's routers capability, when it has one", async () => {
            const backend = (routers?: string[]) =>
                ({ capabilities: routers ? { routers: { routers: async () => routers } } : {} }) as Backend;
            assert.deepEqual(await environmentRouters(backend(), { env: "dev", router: "nginx" }), ["nginx"]);
            assert.deepEqual(await environmentRouters(backend(["gateway-api", "nginx"]), { env: "dev", router: "nginx" }), [
                "gateway-api",
                "nginx",
            ]);
            await assert.rejects(environmentRouters(backend(["nginx"]), { env: "dev", router: "gateway-api" }), InputError);
        });
    });

    describe("routersFromOutputs: the list the release stack's outputs report", () => {
        const out = (o: Record<string, unknown>) =>
            Object.fromEntries(Object.entries(o).map(([k, value]) => [k, { value, secret: false }]));

        it("reads the routers output as it is, in its order", () => {
            assert.deepEqual(routersFromOutputs(out({ routers: ["gateway-api", "nginx"] })), ["gateway-api", "nginx"]);
            assert.deepEqual(routersFromOutputs(out({ routers: ["nginx"], routerKind: "gateway-api" })), ["nginx"], "the list wins");
            assert.deepEqual(
                routersFromOutputs(out({ routers: ["istio", 3] })),
                ["istio", "3"],
                "found as it is, for the engine to refuse",
            );
        });

        it("reads a stack updated before the list: routerKind, plus nginx while legacyNginxRoutes", () => {
            for (const kind of ROUTER_KINDS) {
                assert.deepEqual(routersFromOutputs(out({ routerKind: kind })), [kind]);
                assert.deepEqual(routersFromOutputs(out({ routerKind: kind, legacyNginxRoutes: false })), [kind]);
            }
            assert.deepEqual(routersFromOutputs(out({ routerKind: "gateway-api", legacyNginxRoutes: true })), ["gateway-api", "nginx"]);
            assert.deepEqual(routersFromOutputs(out({ routerKind: "nginx", legacyNginxRoutes: true })), ["nginx"]);
        });

        it("no list and no router kind (a stack never updated): undefined", () => {
            assert.equal(routersFromOutputs({}), undefined);
            assert.equal(routersFromOutputs(out({ routerKind: "" })), undefined);
            assert.equal(routersFromOutputs(out({ publicUrl: "http://x" })), undefined);
        });
    });

    describe("planForRouters: every plan is safe for every router in the list", () => {
        /** A release cycle as the engine runs it: each intent planned from where the last one ended. */
        const cycle: Intent[] = [
            { kind: "release", version: "1.1.0" },
            { kind: "deploy", version: "1.2.0" },
            { kind: "abort" },
            { kind: "deploy", version: "1.2.0" },
            { kind: "promote" },
            { kind: "rollback" },
            { kind: "release", version: "1.3.0", steps: [5, 50, 100] },
        ];

        it("a migrating environment (both routers, nginx's rules) plans a whole release cycle, each plan as the planner made it", () => {
            let record = blueLive;
            for (const intent of cycle) {
                const alone = makePlan(record, intent, optsFor("nginx"));
                const both = planForRouters(record, intent, optsFor("nginx"), ["gateway-api", "nginx"]);
                assert.equal(both.outcome, "apply", `${intent.kind}: ${both.reason ?? ""}`);
                assert.deepEqual(both, alone, `${intent.kind}: the list adds checks, never steps`);
                record = finalRecord(record, both);
            }
        });

        it("a plan by the Gateway API's rules is refused when nginx runs beside it and would fail requests", () => {
            const intent: Intent = { kind: "release", version: "1.1.0" };
            assert.equal(makePlan(blueLive, intent, optsFor("gateway-api")).outcome, "apply", "fine for the Gateway API alone");
            const p = planForRouters(blueLive, intent, optsFor("gateway-api"), ["gateway-api", "nginx"]);
            assert.equal(p.outcome, "blocked");
            assert.deepEqual(p.steps, []);
            assert.match(
                p.reason ?? "",
                /^refusing a plan that could fail production requests with the nginx router the release stack also runs: /,
            );
        });

        it("a list of one is the planner's plan unchanged", () => {
            for (const kind of ROUTER_KINDS)
                for (const intent of cycle.slice(0, 2))
                    assert.deepEqual(planForRouters(blueLive, intent, optsFor(kind), [kind]), makePlan(blueLive, intent, optsFor(kind)));
        });
    });
});
