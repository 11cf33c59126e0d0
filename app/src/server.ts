/**
 * The HTTP service: Fastify routes for the calculator, its probes and its page.
 * `buildServer(config)` returns the Fastify instance without listening, so tests run it in-process
 * on port 0 and the release engine's local backend can reuse it.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { AppConfig } from "./config";
import { factorize } from "./factorize";
import { parseNumberInput } from "./input";
import { silentLogger, type Logger } from "./log";

/** Request bodies above this many bytes are refused with 400. */
export const BODY_LIMIT_BYTES = 1024;

/** Shared between the server and the shutdown controller. */
export interface Lifecycle {
    /** True from the moment shutdown starts: readiness fails, responses ask clients to reconnect elsewhere. */
    draining: boolean;
}

export interface ServerOptions {
    lifecycle?: Lifecycle;
    log?: Logger;
    /** Host name reported in responses (default: os.hostname()). */
    host?: string;
    /** Random source for fault injection, in [0, 1) (default Math.random). */
    random?: () => number;
    /** Directory holding index.html, app.js and style.css (default: app/public). */
    publicDir?: string;
}

export const HEADER_VERSION = "x-app-version";
export const HEADER_SLOT = "x-app-slot";
/** Set on a response whose 500 was injected by FAULT_ERROR_RATE. */
export const HEADER_FAULT = "x-fault-injected";

interface StaticFile {
    body: Buffer;
    type: string;
}

const STATIC_FILES: Record<string, { file: string; type: string }> = {
    "/": { file: "index.html", type: "text/html; charset=utf-8" },
    "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
    "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
    "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

function loadStatic(dir: string): Map<string, StaticFile> {
    const files = new Map<string, StaticFile>();
    for (const [route, { file, type }] of Object.entries(STATIC_FILES)) {
        files.set(route, { body: fs.readFileSync(path.join(dir, file)), type });
    }
    return files;
}

function clientErrorMessage(err: FastifyError): string {
    switch (err.code) {
        case "FST_ERR_CTP_BODY_TOO_LARGE":
            return `the body is too large: the limit is ${BODY_LIMIT_BYTES} bytes`;
        case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
            return `unsupported content-type: send application/json`;
        case "FST_ERR_CTP_EMPTY_JSON_BODY":
            return `the body is empty: send {"number": 42}`;
        default:
            if (err instanceof SyntaxError || err.code === "FST_ERR_CTP_INVALID_JSON_BODY") return `malformed JSON body: ${err.message}`;
            return err.message;
    }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function buildServer(config: AppConfig, options: ServerOptions = {}): FastifyInstance {
    const lifecycle = options.lifecycle ?? { draining: false };
    const log = options.log ?? silentLogger;
    const host = options.host ?? os.hostname();
    const random = options.random ?? Math.random;
    const statics = loadStatic(options.publicDir ?? path.join(__dirname, "..", "public"));
    const identity = { version: config.version, slot: config.slot, host };

    const app = Fastify({
        logger: false,
        bodyLimit: BODY_LIMIT_BYTES,
        // Requests racing the close on kept-alive connections are served, not refused: zero failures.
        return503OnClosing: false,
    });

    app.addHook("onRequest", async (_req: FastifyRequest, reply: FastifyReply) => {
        reply.header(HEADER_VERSION, config.version);
        reply.header(HEADER_SLOT, config.slot);
        // While draining, each response closes its connection so clients reconnect to a ready pod.
        if (lifecycle.draining) reply.header("connection", "close");
    });

    app.setErrorHandler((err: FastifyError, req, reply) => {
        const status = err.statusCode ?? 500;
        if (status >= 400 && status < 500) {
            return reply.code(400).send({ error: clientErrorMessage(err) });
        }
        log("request-error", { method: req.method, url: req.url, error: err.message }, "error");
        return reply.code(500).send({ error: "internal error" });
    });

    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `not found: ${req.method} ${req.url}` }));

    app.get("/ping", async () => ({ response: "pong", ...identity }));
    app.get("/healthz", async () => ({ status: "ok", ...identity }));
    app.get("/readyz", async (_req, reply) => {
        if (lifecycle.draining) return reply.code(503).send({ status: "draining", ...identity });
        return { status: "ready", ...identity };
    });

    // API requests served so far: with FAULT_AFTER_REQUESTS=N the faults start at request N+1 (a latent fault).
    let apiRequests = 0;
    app.post("/api/calculation", async (req, reply) => {
        reply.header("cache-control", "no-store");
        apiRequests++;
        const faulty = apiRequests > config.faultAfterRequests;
        if (faulty && config.faultLatencyMs > 0) await sleep(config.faultLatencyMs);
        if (faulty && config.faultErrorRate > 0 && random() < config.faultErrorRate) {
            reply.header(HEADER_FAULT, "true");
            return reply.code(500).send({ error: "injected fault (FAULT_ERROR_RATE)", ...identity });
        }
        const input = parseNumberInput(req.body, req.headers["number"]);
        if (!input.ok) return reply.code(400).send({ error: input.error });
        return { number: input.value, factors: factorize(input.value), ...identity };
    });

    for (const route of statics.keys()) {
        app.get(route, async (_req, reply) => {
            const f = statics.get(route) as StaticFile;
            return reply
                .header("content-type", f.type)
                .header("cache-control", "no-cache")
                .header("x-content-type-options", "nosniff")
                .header("content-security-policy", "default-src 'self'; connect-src 'self'; frame-ancestors 'none'")
                .send(f.body);
        });
    }

    return app;
}

/** The same factory under the name the release engine's local backend may prefer. */
export const createServer = buildServer;
