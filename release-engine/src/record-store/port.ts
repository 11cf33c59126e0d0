/**
 * The shared release record's store: one record per service and environment, written only with the
 * version (ETag) it was read at, a lease as the environment's lock, and an append-only history. The
 * Pulumi backend keeps its record here, so every pipeline job and every laptop sees the same one;
 * blob-store.ts is the Azure Blob Storage adapter.
 */
import type { HistoryEntry } from "../engine/history";
import type { RecordDocument } from "./record-document";

/** The record as read: absent (never written), or its document and the version it was read at. */
export type StoredRecord = { exists: false } | { exists: true; document: RecordDocument; etag: string; text: string };

/** A held lease on the environment's lock. */
export interface HeldLease {
    readonly holder: string;
    /** When the lease runs out unless renewed. */
    expiresAt(): Date;
    /** Renews the lease now; throws a BlockedError when it was lost (expired and taken by another run). */
    confirm(): Promise<void>;
    /** Stops renewing and releases the lease (never throws: an unreleased lease simply expires). */
    release(): Promise<void>;
}

export interface RecordStore {
    /** The record blob's URL, for messages. */
    readonly where: string;
    /** Throws an InputError naming the blob when its content is not a valid record document. */
    read(): Promise<StoredRecord>;
    /**
     * Replaces the record read as `expected` (If-Match on its ETag; If-None-Match * when it did not
     * exist), then keeps a copy of it as the last good version. A record written by someone else in
     * between is a {@link RecordConflictError}: nothing is overwritten.
     */
    write(next: RecordDocument, expected: StoredRecord): Promise<StoredRecord>;
    /** The last good copy (kept after every write), when there is one; throws an InputError when it is not valid either. */
    readPrevious(): Promise<RecordDocument | undefined>;
    /**
     * Writes the last good copy back over the record (If-Match on the record blob as it is now, whatever
     * its content) and returns it; throws an InputError when there is no valid previous copy.
     */
    restorePrevious(writtenBy: string): Promise<RecordDocument>;
    /** Takes the lease; throws a BlockedError naming the holder and when its lease expires. */
    acquire(holder: string): Promise<HeldLease>;
    /** Read-only: the lease's holder while it is held (metadata of the lock blob), else undefined. */
    holder(): Promise<{ holder: string; since?: string; expiresAt?: string } | undefined>;
    appendHistory(entry: HistoryEntry): Promise<void>;
    /** Oldest first. */
    history(): Promise<HistoryEntry[]>;
}
