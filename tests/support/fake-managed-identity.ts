/**
 * A loopback stand-in for Azure App Service's managed-identity endpoint (`IDENTITY_ENDPOINT` +
 * `IDENTITY_HEADER`, API version 2019-08-01), which DefaultAzureCredential's ManagedIdentityCredential
 * calls: GET `?resource=<audience>&api-version=2019-08-01` with the `X-IDENTITY-HEADER` secret, answered
 * with `{ access_token, expires_on, resource, token_type }`. The token is an unsigned JWT with the claims
 * Azurite's `--oauth basic` checks (issuer https://sts.windows.net/<tenant>/, the storage audience,
 * iat/nbf/exp). Counts the tokens it issued.
 */
import { randomUUID } from "crypto";
import * as http from "http";
import type { AddressInfo } from "net";

const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

export interface FakeManagedIdentity {
    /** IDENTITY_ENDPOINT and IDENTITY_HEADER for the engine's process. */
    env: { IDENTITY_ENDPOINT: string; IDENTITY_HEADER: string };
    issued(): number;
    close(): Promise<void>;
}

export async function startFakeManagedIdentity(tenant = "00000000-0000-0000-0000-0000000000aa"): Promise<FakeManagedIdentity> {
    const secret = randomUUID();
    let issued = 0;
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const resource = url.searchParams.get("resource");
        if (req.headers["x-identity-header"] !== secret || !resource || url.searchParams.get("api-version") !== "2019-08-01") {
            res.writeHead(400, { "content-type": "application/json" });
            res.end(
                JSON.stringify({
                    error: "invalid_request",
                    error_description: "missing or wrong X-IDENTITY-HEADER, resource or api-version",
                }),
            );
            return;
        }
        const now = Math.floor(Date.now() / 1000);
        const audience = resource.replace(/\/\.default$/, "").replace(/\/$/, "");
        const token = `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url({ aud: audience, iss: `https://sts.windows.net/${tenant}/`, iat: now - 60, nbf: now - 60, exp: now + 3600, oid: randomUUID(), tid: tenant })}.c2lnbmF0dXJl`;
        issued++;
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
            JSON.stringify({
                access_token: token,
                expires_on: String(now + 3600),
                resource,
                token_type: "Bearer",
                client_id: randomUUID(),
            }),
        );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    return {
        env: { IDENTITY_ENDPOINT: `http://127.0.0.1:${port}/msi/token`, IDENTITY_HEADER: secret },
        issued: () => issued,
        close: () => new Promise<void>((r) => server.close(() => r())),
    };
}
