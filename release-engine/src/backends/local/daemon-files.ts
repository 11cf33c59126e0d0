/**
 * The files the local environment's daemon leaves in its state directory, shared by the daemon
 * (./daemon) and the CLI's client of it (./daemon-client): `cluster.json` (where its control API
 * listens, while it runs) and `router-port` (the port its router last listened on).
 */
import * as fs from "fs";
import * as path from "path";

export interface DaemonInfo {
    pid: number;
    control: string;
    url: string;
}

export const INFO_FILE = "cluster.json";
export const PORT_FILE = "router-port";

/** The port the router last listened on, if remembered. */
export function rememberedPort(dir: string): number | undefined {
    try {
        const n = Number.parseInt(fs.readFileSync(path.join(dir, PORT_FILE), "utf8"), 10);
        return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
    } catch {
        return undefined;
    }
}

/** What `cluster.json` says, or undefined when there is none (a daemon that is not running, or one that has not started yet). */
export function readDaemonInfo(dir: string): DaemonInfo | undefined {
    let text: string;
    try {
        text = fs.readFileSync(path.join(dir, INFO_FILE), "utf8");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
    }
    return JSON.parse(text) as DaemonInfo;
}
