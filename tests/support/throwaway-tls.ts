/**
 * A throwaway self-signed certificate for 127.0.0.1 (openssl, one day), for loopback HTTPS fakes of
 * Azure services: the Azure SDKs refuse to send a token over plain HTTP.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export function throwawayCertificate(): { cert: string; key: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "phoenix-tls-"));
    try {
        execFileSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                path.join(dir, "key.pem"),
                "-out",
                path.join(dir, "cert.pem"),
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ],
            { stdio: "ignore" },
        );
        return { cert: fs.readFileSync(path.join(dir, "cert.pem"), "utf8"), key: fs.readFileSync(path.join(dir, "key.pem"), "utf8") };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
