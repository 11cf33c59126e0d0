/**
 * The cluster's public endpoint for specs that run the release stack through the stand-in pulumi CLI
 * (tests/support/fake-pulumi): a loopback HTTP server answering as the release stack's last update
 * says the router routes. A request without the preview header is production (the live slot); one
 * carrying the header the stack outputs as `previewHeader` reaches the candidate (the live slot when
 * there is none). Answers carry the app's `x-app-slot` / `x-app-version` headers and a JSON result, or
 * HTTP 500 from a version the spec marked broken, after a delay for one it marked slow. (The real preview route also matches the secret
 * header value; the stand-in's outputs do not carry it, so any value reaches the candidate.)
 */
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";

export interface SlotOutput {
    role: string;
    version: string | null;
}

/** The root stack resource's outputs in the DIY backend's checkpoint of `<project>/<stack>` ({} before any update). */
export function checkpointOutputs(backendDir: string, project: string, stack: string): Record<string, unknown> {
    const file = path.join(backendDir, ".pulumi", "stacks", project, `${stack}.json`);
    if (!fs.existsSync(file)) return {};
    const cp = JSON.parse(fs.readFileSync(file, "utf8")) as {
        checkpoint: { latest: { resources?: { type: string; outputs?: Record<string, unknown> }[] } | null };
    };
    return cp.checkpoint.latest?.resources?.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs ?? {};
}

export interface ReleaseEndpoint {
    url: string;
    /** Versions that answer HTTP 500 (a candidate that fails its gate). */
    broken: Set<string>;
    /** Versions that answer only after this many milliseconds (a gate that takes a while). */
    slow: Map<string, number>;
    /** Requests answered, by `<slot> <version>` ("none" while nothing is live). */
    answered: Map<string, number>;
    close(): Promise<void>;
}

export async function startReleaseEndpoint(outputs: () => Record<string, unknown>): Promise<ReleaseEndpoint> {
    const broken = new Set<string>();
    const slow = new Map<string, number>();
    const answered = new Map<string, number>();
    const server = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
            const out = outputs();
            const slots = (out.slots ?? {}) as Record<string, SlotOutput>;
            const find = (role: string) => Object.keys(slots).find((s) => slots[s].role === role);
            const header = typeof out.previewHeader === "string" ? out.previewHeader.toLowerCase() : "canary";
            const slot = (req.headers[header] !== undefined ? find("candidate") : undefined) ?? find("live");
            if (!slot) {
                answered.set("none", (answered.get("none") ?? 0) + 1);
                res.writeHead(503, { "content-type": "text/plain" }).end("no live slot\n");
                return;
            }
            const version = slots[slot].version ?? "";
            answered.set(`${slot} ${version}`, (answered.get(`${slot} ${version}`) ?? 0) + 1);
            const status = broken.has(version) ? 500 : 200;
            setTimeout(
                () => {
                    res.writeHead(status, { "x-app-slot": slot, "x-app-version": version, "content-type": "application/json" });
                    res.end(JSON.stringify(status === 200 ? { result: 42 } : { error: "broken build" }));
                },
                slow.get(version) ?? 0,
            );
        });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        broken,
        slow,
        answered,
        close: () =>
            new Promise<void>((r) => {
                server.closeAllConnections();
                server.close(() => r());
            }),
    };
}
