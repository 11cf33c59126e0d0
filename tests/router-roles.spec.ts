/**
 * Each object a router registers has a stable role (release-model `roleObjects`), and the release stack
 * names its Pulumi resource after that role (components/traffic-router.ts `routerChildName`): the
 * roles list the same objects as `objects`, no two objects share a role, and an object keeps its role
 * in every intent where it exists, whichever slot is live or holds the candidate and whatever the
 * namespaces are called.
 */
import { strict as assert } from "assert";
import { ROUTER_KINDS, routerModel, SLOT_NAMES, type RouterIntent, type RouterSettings } from "@phoenix/release-model";
import { routerChildName } from "../components/traffic-router";

const SETTINGS: RouterSettings = {
    appName: "calculator",
    host: "calc.example.com",
    headerName: "x-phoenix-preview",
    gateway: { name: "phoenix-gateway", namespace: "phoenix-gateway" },
};

/** Every intent shape: each slot live with no candidate, and each slot as the candidate at several weights. */
function intents(): RouterIntent[] {
    const out: RouterIntent[] = [];
    for (const live of SLOT_NAMES) {
        const candidate = live === "blue" ? "green" : "blue";
        out.push({ weights: { [live]: 100, [candidate]: 0 } as RouterIntent["weights"], headerName: SETTINGS.headerName });
        for (const weight of [0, 10, 50, 100]) {
            out.push({
                weights: { [live]: 100 - weight, [candidate]: weight } as RouterIntent["weights"],
                headerName: SETTINGS.headerName,
                preview: { header: SETTINGS.headerName, value: "s3cret", target: candidate, secret: true },
            });
        }
    }
    return out;
}

const identity = (o: { kind: string; metadata: { name: string; namespace?: string } }) =>
    `${o.kind} ${o.metadata.namespace ?? ""}/${o.metadata.name}`;

describe("router object roles", () => {
    for (const kind of ROUTER_KINDS) {
        describe(kind, () => {
            const model = routerModel(kind);

            it("lists the same objects as objects(), in the same order, each role once", () => {
                for (const intent of intents()) {
                    const roled = model.roleObjects(intent, SETTINGS);
                    assert.deepEqual(
                        roled.map((r) => r.object),
                        model.objects(intent, SETTINGS),
                    );
                    const roles = roled.map((r) => r.role);
                    assert.equal(new Set(roles).size, roles.length, `roles repeat: ${roles.join(", ")}`);
                }
                assert.deepEqual(model.roleObjects(null, SETTINGS), []);
            });

            it("keeps an object's role in every intent it appears in", () => {
                const roleOf = new Map<string, string>();
                for (const intent of intents()) {
                    for (const { role, object } of model.roleObjects(intent, SETTINGS)) {
                        const seen = roleOf.get(identity(object));
                        if (seen !== undefined) assert.equal(role, seen, `${identity(object)} changed role`);
                        roleOf.set(identity(object), role);
                    }
                }
                // Different objects never share a role either.
                assert.equal(new Set(roleOf.values()).size, roleOf.size);
            });

            it("does not read the role from namespaces: another app name gives the same roles", () => {
                for (const intent of intents()) {
                    const roles = (appName: string) => model.roleObjects(intent, { ...SETTINGS, appName }).map((r) => r.role);
                    assert.deepEqual(roles("blue-green"), roles("calculator"));
                }
            });
        });
    }

    it("names each child after its router and role", () => {
        assert.deepEqual(
            routerModel("gateway-api")
                .roleObjects(intents()[1], SETTINGS)
                .map((r) => routerChildName("router", r.role)),
            ["router-grant-blue", "router-grant-green", "router-production", "router-preview"],
        );
        assert.deepEqual(
            routerModel("nginx")
                .roleObjects(intents()[1], SETTINGS)
                .map((r) => routerChildName("router", r.role)),
            ["router-main", "router-canary"],
        );
    });
});
