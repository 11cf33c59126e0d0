/**
 * phoenix-release: the blue and green slots (Helm releases of app/chart) and the traffic router,
 * driven by one desired state (`phoenix-release:state`). Thin: reads config, composes components,
 * exports the outputs the release engine reads (docs/contracts.md, docs/release-stack.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as kubernetes from "@pulumi/kubernetes";
import { AppSlot } from "../../components/app-slot";
import { createTrafficRouter } from "../../components/traffic-router";
import { SLOT_NAMES, candidateSlot, liveSlot, routerModel, standbySlot, type SlotName } from "@phoenix/release-model";
import { fillTemplate, isOciChart, readSettings, resolveLocalChart, resolveRouters } from "./config";

export async function main(): Promise<Record<string, unknown>> {
    // Everything is validated before the first Kubernetes object is registered.
    const settings = readSettings();
    const state = settings.state;

    const platform = new pulumi.StackReference("platform", { name: settings.platformStack });
    // The routers to register: one, or both front doors' while an environment moves off ingress-nginx
    // (docs/gateway-migration.md). The platform's outputs are read only when the stack's routerKind is empty.
    const fromPlatform = settings.routerKind === undefined;
    const routerKinds = resolveRouters(settings, {
        routerKind: fromPlatform ? (await platform.getOutputDetails("routerKind")).value : undefined,
        legacyNginx: fromPlatform ? (await platform.getOutputDetails("legacyNginx")).value : undefined,
    });
    const kubeconfig = platform.requireOutput("kubeconfig").apply((v) => String(v));
    const loginServer = platform.requireOutput("registryLoginServer").apply((v) => String(v));
    const provider = new kubernetes.Provider("aks", { kubeconfig: pulumi.secret(kubeconfig) });

    const cfg = new pulumi.Config();
    const connectionString: pulumi.Output<string> = pulumi.secret(
        pulumi
            .output(cfg.getSecret("appInsightsConnectionString"))
            .apply((v): pulumi.Output<string> =>
                v !== undefined && v !== ""
                    ? pulumi.output(v)
                    : platform.requireOutput("appInsightsConnectionString").apply((p) => String(p)),
            ),
    );

    const chartRef = isOciChart(settings.chart)
        ? loginServer.apply((registryLoginServer) => fillTemplate(settings.chart, { registryLoginServer, appName: settings.appName }))
        : pulumi.output(resolveLocalChart(settings.chart));
    const chartVersionFor = (slot: SlotName): string | undefined =>
        isOciChart(settings.chart) ? (settings.chartVersion ?? state.slots[slot].version) : undefined;
    const imageRepository = loginServer.apply((registryLoginServer) =>
        fillTemplate(settings.imageRepository, { registryLoginServer, appName: settings.appName }),
    );

    const slots = {} as Record<SlotName, AppSlot>;
    for (const slot of SLOT_NAMES) {
        slots[slot] = new AppSlot(
            slot,
            {
                slot,
                appName: settings.appName,
                state: state.slots[slot],
                defaultReplicas: settings.replicas,
                chart: chartRef,
                chartVersion: chartVersionFor(slot),
                imageRepository,
                imageTagPattern: settings.imageTag,
                appInsightsConnectionString: connectionString,
                helmTimeoutSeconds: settings.helmTimeoutSeconds,
            },
            { providers: { kubernetes: provider } },
        );
    }

    // The platform's `host` output (the Gateway's listener host), or `publicFqdn` from a platform that predates it.
    const host =
        settings.host !== undefined
            ? pulumi.output(settings.host)
            : pulumi.all([platform.getOutput("host"), platform.getOutput("publicFqdn")]).apply(([h, fqdn]) => String(h ?? fqdn));
    const ingressClassName = platform.getOutput("ingressClassName").apply((v) => (typeof v === "string" && v !== "" ? v : "nginx"));
    const releases = SLOT_NAMES.map((s) => slots[s].release).filter((r): r is kubernetes.helm.v3.Release => r !== undefined);
    const gateway = routerKinds.includes("gateway-api")
        ? pulumi
              .all([platform.requireOutput("gatewayName"), platform.requireOutput("gatewayNamespace")])
              .apply(([name, namespace]) => ({ name: String(name), namespace: String(namespace) }))
        : undefined;
    // Every router from the same state, each named "router" (one component type per kind, so each keeps its URN).
    const routers = routerKinds.map((kind) =>
        createTrafficRouter(
            kind,
            "router",
            {
                appName: settings.appName,
                host,
                ...(kind === "nginx" ? { ingressClassName } : { gateway }),
                intent: routerModel(kind).intent(state, settings.previewHeader),
                // The weight moves only after the slots' releases are ready (atomic Helm waits for readiness);
                // a deleted release goes after the router stopped sending traffic to it.
                dependsOn: releases,
            },
            { providers: { kubernetes: provider } },
        ),
    );
    // The preview header and weights the engine reads are the first router's (every router expresses the same intent).
    const router = routers[0];

    const live = liveSlot(state);
    const candidate = candidateSlot(state);
    const standby = standbySlot(state);
    const version = (s: SlotName | undefined) => (s === undefined ? null : (state.slots[s].version ?? null));
    const publicUrl =
        settings.host !== undefined
            ? pulumi.output(`http://${settings.host}`)
            : platform.requireOutput("publicUrl").apply((v) => String(v));
    return {
        appName: settings.appName,
        liveSlot: live,
        liveVersion: version(live),
        candidateSlot: candidate ?? null,
        candidateVersion: version(candidate),
        standbySlot: standby ?? null,
        standbyVersion: version(standby),
        slots: Object.fromEntries(
            SLOT_NAMES.map((s) => [
                s,
                {
                    role: state.slots[s].role,
                    version: version(s),
                    replicas: state.slots[s].role === "absent" ? 0 : (state.slots[s].replicas ?? settings.replicas),
                    release: slots[s].resourceName,
                    namespace: slots[s].resourceName,
                },
            ]),
        ),
        previewHeader: router.previewHeaderName,
        previewHeaderValue: router.previewHeaderValue.apply((v) => v ?? null),
        previewTarget: router.previewTarget.apply((v) => v ?? null),
        publicUrl,
        routers: routers.map((r) => r.kind),
        routerWeights: router.weights,
        chartReference: chartRef,
        chartVersions: Object.fromEntries(
            SLOT_NAMES.map((s) => [s, state.slots[s].role === "absent" ? null : (chartVersionFor(s) ?? null)]),
        ),
        // The platform's kubeconfig, secret: the release engine reads the slots' pods with it (readiness and restarts before it moves production).
        kubeconfig: pulumi.secret(kubeconfig),
    };
}
