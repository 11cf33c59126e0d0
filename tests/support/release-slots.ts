/**
 * What the release stack hands Helm, taken from the stack itself: stacks/release/program.ts run under
 * the Pulumi mock runtime with a stack file's config and a release state, and the Helm Releases and
 * Ingresses it registers read back. So the chart tests render exactly the values, chart reference and
 * version each slot gets (AppSlot's slotChartValues and imageTagFor, the stack's fillTemplate), and
 * check the chart against the Service the router really points at.
 */
import * as path from "path";
import { main } from "../../stacks/release/program";
import { ReleaseState, SlotName, SlotRole } from "@phoenix/release-model";
import { MOCK_KUBECONFIG, byType, runProgram } from "./pulumi-harness";

export const RELEASE_PROJECT_DIR = path.join(__dirname, "..", "..", "stacks", "release");

export interface SlotRelease {
    stack: "dev" | "prod";
    slot: SlotName;
    role: SlotRole;
    /** Helm release name and namespace (`<slot>-<app>`). */
    name: string;
    namespace: string;
    /** `oci://…/helm/<app>` (or a chart directory for a local chart). */
    chart: string;
    version?: string;
    values: Record<string, unknown>;
}

export interface RouterBackend {
    namespace: string;
    serviceName: string;
    port: number;
}

export interface ReleaseStackView {
    releases: SlotRelease[];
    /** Every Service backend of the router's Ingresses. */
    backends: RouterBackend[];
}

interface IngressInputs {
    metadata: { namespace: string };
    spec: { rules: { http: { paths: { backend: { service: { name: string; port: { number?: number; name?: string } } } }[] } }[] };
}

/**
 * Runs the release stack `stack` (its Pulumi.<stack>.yaml) with `state` (the stack file's own state
 * when undefined) against a platform whose registry is `loginServer`.
 */
export async function releaseStackView(
    stack: "dev" | "prod",
    state: ReleaseState | undefined,
    loginServer: string,
): Promise<ReleaseStackView> {
    const platform = {
        kubeconfig: MOCK_KUBECONFIG,
        registryLoginServer: loginServer,
        publicFqdn: "phoenix.example.test",
        publicUrl: "http://phoenix.example.test",
        ingressClassName: "nginx",
        appInsightsConnectionString: "InstrumentationKey=00000000-0000-0000-0000-000000000000",
    };
    const r = await runProgram({
        projectDir: RELEASE_PROJECT_DIR,
        stack,
        configOverrides: state === undefined ? {} : { "phoenix-release:state": JSON.stringify(state) },
        captureStackTraces: false,
        hooks: { newResource: (a) => (a.type === "pulumi:pulumi:StackReference" ? { outputs: platform } : undefined) },
        program: main,
    });
    const slots = r.outputs.slots as Record<SlotName, { role: SlotRole }>;
    const releases = byType(r.resources, "kubernetes:helm.sh/v3:Release").map((rel): SlotRelease => {
        const name = String(rel.inputs.name);
        const slot = (Object.keys(slots) as SlotName[]).find((s) => name.startsWith(`${s}-`));
        if (!slot) throw new Error(`release ${name} belongs to no slot`);
        return {
            stack,
            slot,
            role: slots[slot].role,
            name,
            namespace: String(rel.inputs.namespace),
            chart: String(rel.inputs.chart),
            version: rel.inputs.version === undefined ? undefined : String(rel.inputs.version),
            values: rel.inputs.values as Record<string, unknown>,
        };
    });
    const backends = byType(r.resources, "kubernetes:networking.k8s.io/v1:Ingress").flatMap((ing) => {
        const inputs = ing.inputs as unknown as IngressInputs;
        return inputs.spec.rules.flatMap((rule) =>
            rule.http.paths.map((p): RouterBackend => {
                const port = p.backend.service.port.number;
                if (port === undefined) throw new Error(`Ingress backend ${p.backend.service.name} names its port; expected a number`);
                return { namespace: inputs.metadata.namespace, serviceName: p.backend.service.name, port };
            }),
        );
    });
    return { releases, backends };
}
