/**
 * The record store on Azure Blob Storage (`@azure/storage-blob`), in the container's folder
 * `<service>/<env>/`:
 * - `record.json`           the record document (record-document.ts), written only with If-Match on the
 *                           ETag it was read at (If-None-Match * for the first write);
 * - `record.last-good.json` a copy of the last record the engine wrote (validated before writing): what
 *                           `restore-record` puts back over a record blob that someone else corrupted;
 * - `lock`                  an empty blob whose **lease** is the environment's lock: fixed duration,
 *                           renewed while the engine works, released at the end; its metadata names the
 *                           holder and when the lease was last renewed. A dead holder's lease expires by
 *                           itself; the engine never breaks a lease (an expired one is simply acquired);
 * - `history.jsonl`         an append blob, one history entry per line.
 * Every failure the environment causes (role, container, network, credential) is classified by
 * storage-errors.ts.
 */
import { randomUUID } from "crypto";
import type { ContainerClient } from "@azure/storage-blob";
import { BlockedError, InputError } from "../errors";
import type { HistoryEntry } from "../engine/history";
import { blobUrl, type RecordStoreLocation } from "./location";
import type { HeldLease, RecordStore, StoredRecord } from "./port";
import { parseRecordDocument, serializeRecordDocument, type RecordDocument } from "./record-document";
import { classifyStorageError, statusOf, storageErrorCode } from "./storage-errors";

/** Azure's bounds for a fixed lease. */
export const LEASE_SECONDS = { min: 15, max: 60, default: 60 } as const;

/** Another writer changed the record since it was read: nothing was overwritten (exit 3). */
export class RecordConflictError extends BlockedError {
    constructor(where: string) {
        super(
            `the release record ${where} was changed by another run since this one read it; nothing was overwritten (re-run to plan from the new record)`,
        );
        this.name = "RecordConflictError";
    }
}

export interface BlobRecordStoreOptions {
    container: ContainerClient;
    location: RecordStoreLocation;
    /** Lease duration in seconds (15-60). */
    leaseSeconds?: number;
    now?: () => number;
}

const JSON_HEADERS = { blobContentType: "application/json; charset=utf-8" };

async function text(body: Buffer): Promise<string> {
    return body.toString("utf8");
}

export class BlobRecordStore implements RecordStore {
    readonly where: string;
    private readonly leaseSeconds: number;
    private readonly now: () => number;

    constructor(private readonly opts: BlobRecordStoreOptions) {
        this.where = blobUrl(opts.location, "record.json");
        this.leaseSeconds = opts.leaseSeconds ?? LEASE_SECONDS.default;
        if (!Number.isInteger(this.leaseSeconds) || this.leaseSeconds < LEASE_SECONDS.min || this.leaseSeconds > LEASE_SECONDS.max) {
            throw new InputError(
                `the record lease must be ${LEASE_SECONDS.min}-${LEASE_SECONDS.max} whole seconds (Azure's bounds for a fixed lease), got ${opts.leaseSeconds}`,
            );
        }
        this.now = opts.now ?? Date.now;
    }

    private blob(name: string) {
        return this.opts.container.getBlockBlobClient(`${this.opts.location.prefix}/${name}`);
    }

    /** Runs a storage call; environment failures become the engine's errors. */
    private async call<T>(f: () => Promise<T>): Promise<T> {
        try {
            return await f();
        } catch (e) {
            throw classifyStorageError(e, this.opts.location) ?? e;
        }
    }

    async read(): Promise<StoredRecord> {
        const got = await this.call(async () => {
            try {
                const blob = this.blob("record.json");
                const res = await blob.download();
                const body = await streamText(res.readableStreamBody);
                return { etag: res.etag as string, body };
            } catch (e) {
                if (statusOf(e) === 404 && storageErrorCode(e) === "BlobNotFound") return undefined;
                throw e;
            }
        });
        if (!got) return { exists: false };
        const parsed = parseRecordDocument(got.body);
        if (!parsed.ok) {
            throw new InputError(
                `the release record ${this.where} is not valid: ${parsed.problem}. Nothing was changed; its last good version is ${blobUrl(this.opts.location, "record.last-good.json")} ("phoenix-release restore-record --env ${this.opts.location.prefix.split("/")[1]} --backend pulumi" puts it back)`,
            );
        }
        return { exists: true, document: parsed.document, etag: got.etag, text: got.body };
    }

    async write(next: RecordDocument, expected: StoredRecord): Promise<StoredRecord> {
        const body = serializeRecordDocument(next);
        return this.call(async () => {
            let etag: string;
            try {
                const res = await this.blob("record.json").upload(body, Buffer.byteLength(body), {
                    blobHTTPHeaders: JSON_HEADERS,
                    conditions: expected.exists ? { ifMatch: expected.etag } : { ifNoneMatch: "*" },
                });
                etag = res.etag as string;
            } catch (e) {
                const code = storageErrorCode(e);
                if (statusOf(e) === 412 || code === "ConditionNotMet" || code === "BlobAlreadyExists" || statusOf(e) === 409)
                    throw new RecordConflictError(this.where);
                throw e;
            }
            // The restore point; if this copy fails the record is still written, and the copy is one write behind.
            await this.blob("record.last-good.json")
                .upload(body, Buffer.byteLength(body), { blobHTTPHeaders: JSON_HEADERS })
                .catch(() => undefined);
            return { exists: true, document: next, etag, text: body };
        });
    }

    async restorePrevious(writtenBy: string): Promise<RecordDocument> {
        const previous = await this.readPrevious();
        if (!previous)
            throw new InputError(
                `the release record ${this.where} has no last good version to restore (${blobUrl(this.opts.location, "record.last-good.json")} does not exist)`,
            );
        const etag = await this.call(async () => {
            try {
                return (await this.blob("record.json").getProperties()).etag;
            } catch (e) {
                if (statusOf(e) === 404) return undefined;
                throw e;
            }
        });
        const doc: RecordDocument = { ...previous, writtenBy, writtenAt: new Date(this.now()).toISOString() };
        const body = serializeRecordDocument(doc);
        await this.call(async () => {
            try {
                await this.blob("record.json").upload(body, Buffer.byteLength(body), {
                    blobHTTPHeaders: JSON_HEADERS,
                    conditions: etag ? { ifMatch: etag } : { ifNoneMatch: "*" },
                });
            } catch (e) {
                if (statusOf(e) === 412 || statusOf(e) === 409) throw new RecordConflictError(this.where);
                throw e;
            }
        });
        return doc;
    }

    async readPrevious(): Promise<RecordDocument | undefined> {
        const body = await this.call(async () => {
            try {
                return await text(await this.blob("record.last-good.json").downloadToBuffer());
            } catch (e) {
                if (statusOf(e) === 404) return undefined;
                throw e;
            }
        });
        if (body === undefined) return undefined;
        const parsed = parseRecordDocument(body);
        if (!parsed.ok)
            throw new InputError(
                `the last good release record ${blobUrl(this.opts.location, "record.last-good.json")} is not valid either: ${parsed.problem}`,
            );
        return parsed.document;
    }

    async acquire(holder: string): Promise<HeldLease> {
        const lockBlob = this.blob("lock");
        const url = blobUrl(this.opts.location, "lock");
        const leaseId = randomUUID();
        const lease = lockBlob.getBlobLeaseClient(leaseId);
        await this.call(async () => {
            try {
                await lockBlob.upload("", 0, { conditions: { ifNoneMatch: "*" } });
            } catch (e) {
                // Already there (possibly leased): that is the normal case.
                if (statusOf(e) !== 409 && statusOf(e) !== 412) throw e;
            }
        });
        const acquiredAt = new Date(this.now()).toISOString();
        try {
            await this.call(() => lease.acquireLease(this.leaseSeconds));
        } catch (e) {
            if (storageErrorCode(e) !== "LeaseAlreadyPresent" && statusOf(e) !== 409) throw e;
            const meta = await this.call(() => lockBlob.getProperties()).then(
                (p) => p.metadata ?? {},
                () => ({}) as Record<string, string>,
            );
            const renewed = Date.parse(meta.renewedat ?? "");
            const seconds = Number(meta.leaseseconds ?? this.leaseSeconds);
            const expiry = Number.isNaN(renewed) ? "within a minute" : `at ${new Date(renewed + seconds * 1000).toISOString()}`;
            throw new BlockedError(
                `another release is running: the lease on ${url} is held by ${meta.holder ?? "an unknown holder"}${meta.acquiredat ? ` since ${meta.acquiredat}` : ""}; it expires ${expiry} unless that run renews it (a run that died stops renewing, and its lease expires by itself)`,
            );
        }
        let renewedAt = this.now();
        const writeMeta = () =>
            lockBlob.setMetadata(
                { holder, acquiredat: acquiredAt, renewedat: new Date(renewedAt).toISOString(), leaseseconds: String(this.leaseSeconds) },
                { conditions: { leaseId } },
            );
        await this.call(writeMeta);
        let lost: unknown;
        const renew = async () => {
            try {
                await lease.renewLease();
                renewedAt = this.now();
                await writeMeta();
                lost = undefined;
            } catch (e) {
                lost = e;
            }
        };
        // Renew well before the lease runs out: three chances per lease period.
        const timer = setInterval(() => void renew(), (this.leaseSeconds * 1000) / 4);
        timer.unref();
        const seconds = this.leaseSeconds;
        return {
            holder,
            expiresAt: () => new Date(renewedAt + seconds * 1000),
            confirm: async () => {
                await renew();
                if (lost) {
                    const code = storageErrorCode(lost);
                    if (
                        code === "LeaseIdMismatchWithLeaseOperation" ||
                        code === "LeaseNotPresentWithLeaseOperation" ||
                        statusOf(lost) === 409
                    ) {
                        throw new BlockedError(
                            `this run lost the lease on ${url} (it expired and another run took it); it stops here without writing`,
                        );
                    }
                    throw classifyStorageError(lost, this.opts.location) ?? lost;
                }
            },
            release: async () => {
                clearInterval(timer);
                await lease.releaseLease().catch(() => undefined);
            },
        };
    }

    async holder(): Promise<{ holder: string; since?: string; expiresAt?: string } | undefined> {
        const props = await this.call(async () => {
            try {
                return await this.blob("lock").getProperties();
            } catch (e) {
                if (statusOf(e) === 404) return undefined;
                throw e;
            }
        });
        if (!props || props.leaseState !== "leased") return undefined;
        const meta = props.metadata ?? {};
        const renewed = Date.parse(meta.renewedat ?? "");
        const seconds = Number(meta.leaseseconds ?? this.leaseSeconds);
        return {
            holder: meta.holder ?? "an unknown holder",
            ...(meta.acquiredat ? { since: meta.acquiredat } : {}),
            ...(Number.isNaN(renewed) ? {} : { expiresAt: new Date(renewed + seconds * 1000).toISOString() }),
        };
    }

    async appendHistory(entry: HistoryEntry): Promise<void> {
        const blob = this.opts.container.getAppendBlobClient(`${this.opts.location.prefix}/history.jsonl`);
        const line = `${JSON.stringify(entry)}\n`;
        await this.call(async () => {
            await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: "application/x-ndjson" } });
            await blob.appendBlock(line, Buffer.byteLength(line));
        });
    }

    async history(): Promise<HistoryEntry[]> {
        const body = await this.call(async () => {
            try {
                return await text(
                    await this.opts.container.getAppendBlobClient(`${this.opts.location.prefix}/history.jsonl`).downloadToBuffer(),
                );
            } catch (e) {
                if (statusOf(e) === 404) return "";
                throw e;
            }
        });
        const out: HistoryEntry[] = [];
        for (const line of body.split("\n")) {
            if (line.trim() === "") continue;
            try {
                out.push(JSON.parse(line) as HistoryEntry);
            } catch {
                /* a torn line cannot happen with appendBlock; skip anything unreadable rather than hide the rest */
            }
        }
        return out;
    }
}

async function streamText(stream: NodeJS.ReadableStream | undefined): Promise<string> {
    if (!stream) return "";
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
    return Buffer.concat(chunks).toString("utf8");
}
