/**
 * alerts-enabled-in-prod: a production stack owning App Insights needs enabled alert rules that
 * notify an action group with a receiver; dev may switch them off. Full StackValidationArgs.
 */
import { strict as assert } from "assert";
import { alertsEnabledInProd } from "../policy/src/alerts";
import { TYPES } from "../policy/src/define";
import { ArgsContext, checkStack, policyResource, stackArgs, UNKNOWN } from "./support/policy-harness";

type Props = Record<string, unknown>;
type R = { type: string; name: string; props: Props };

function platform(mutate: (rs: R[]) => void = () => undefined): R[] {
    const rs: R[] = [
        {
            type: TYPES.appInsights,
            name: "monitoring-appinsights",
            props: { kind: "web", ingestionMode: "LogAnalytics", tags: { environment: "prod" } },
        },
        {
            type: TYPES.actionGroup,
            name: "observability-actions",
            props: { enabled: true, emailReceivers: [{ name: "email-1", emailAddress: "oncall@example.com" }] },
        },
        {
            type: TYPES.scheduledQueryRule,
            name: "observability-failure-rate",
            props: { enabled: true, actions: { actionGroups: ["/subscriptions/s/…/actionGroups/phoenix-prod-release-alerts"] } },
        },
        {
            type: TYPES.scheduledQueryRule,
            name: "observability-latency",
            props: { enabled: true, actions: { actionGroups: ["/subscriptions/s/…/actionGroups/phoenix-prod-release-alerts"] } },
        },
    ];
    mutate(rs);
    return rs;
}

function check(rs: R[], ctx: ArgsContext = { stack: "prod" }) {
    const resources = rs.map((r) => policyResource(r, { project: "phoenix-platform", ...ctx }));
    return checkStack(alertsEnabledInProd, stackArgs(resources, ctx));
}

const find = (rs: R[], name: string) => rs.find((r) => r.name === name) as R;

describe("policy pack: alerts-enabled-in-prod", () => {
    it("passes the prod platform stack's shape: enabled rules notifying a group with an email receiver", async () => {
        assert.deepEqual(await check(platform()), { violations: [] });
    });

    it("flags a disabled rule in prod, on that rule", async () => {
        const out = await check(
            platform((rs) => {
                find(rs, "observability-latency").props.enabled = false;
            }),
        );
        assert.equal(out.violations.length, 1);
        assert.match(out.violations[0].message, /alert rule observability-latency: enabled is false; expected true in production/);
        assert.equal(
            out.violations[0].urn,
            "urn:pulumi:prod::phoenix-platform::azure-native:monitor:ScheduledQueryRule::observability-latency",
        );
    });

    it("lets dev switch the rules off (the platform/dev stack file does)", async () => {
        const off = platform((rs) => {
            for (const r of rs) if (r.type === TYPES.scheduledQueryRule) r.props.enabled = false;
            (find(rs, "monitoring-appinsights").props.tags as Props).environment = "dev";
        });
        assert.deepEqual(await check(off, { stack: "dev" }), { violations: [] });
        // The same resources in a prod stack are two violations.
        assert.equal((await check(off, { stack: "prod" })).violations.length, 2);
        // Prod is also recognised by the resource's environment tag when the stack name does not say so.
        const tagged = platform((rs) => {
            find(rs, "observability-failure-rate").props.enabled = false;
        });
        assert.equal((await check(tagged, { stack: "live" })).violations.length, 1);
    });

    it("flags a prod stack with App Insights but no alert rule, and a rule that notifies no group", async () => {
        const none = await check(platform((rs) => rs.splice(2, 2)));
        assert.equal(none.violations.length, 1);
        assert.match(none.violations[0].message, /no scheduled query alert rule/);
        const silent = await check(
            platform((rs) => {
                find(rs, "observability-failure-rate").props.actions = { actionGroups: [] };
            }),
        );
        assert.match(silent.violations[0].message, /notifies no action group/);
    });

    it("flags an action group without receivers or switched off", async () => {
        const empty = await check(
            platform((rs) => {
                find(rs, "observability-actions").props.emailReceivers = [];
            }),
        );
        assert.equal(empty.violations.length, 1);
        assert.match(empty.violations[0].message, /no enabled action group with a receiver/);
        const off = await check(
            platform((rs) => {
                find(rs, "observability-actions").props.enabled = false;
            }),
        );
        assert.equal(off.violations.length, 1);
    });

    it("ignores stacks without Application Insights (registry, release)", async () => {
        assert.deepEqual(await check(platform((rs) => rs.splice(0, 1)).map((r) => ({ ...r, props: { ...r.props, enabled: false } }))), {
            violations: [],
        });
    });

    it("during preview, unknown group ids do not matter (only the list's length is read)", async () => {
        const unknownIds = platform((rs) => {
            for (const r of rs) if (r.type === TYPES.scheduledQueryRule) r.props.actions = { actionGroups: [UNKNOWN.string] };
        });
        assert.deepEqual(await check(unknownIds, { stack: "prod", preview: true }), { violations: [] });
    });
});
