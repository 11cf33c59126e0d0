/**
 * Record stores for in-process specs: the real BlobRecordStore over Azurite (plain HTTP with the
 * emulator's shared key; the CLI specs run the Azure AD path over HTTPS), one fresh container each.
 */
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { BlobRecordStore } from "../../release-engine/src/record-store/blob-store";
import { locationFromUrl } from "../../release-engine/src/record-store/location";
import { AZURITE_ACCOUNT, AZURITE_KEY, type Azurite } from "./azurite";

let containers = 0;

export interface TestStore {
    store: BlobRecordStore;
    container: ContainerClient;
    /** The record blob's client, to read or corrupt it behind the store's back. */
    recordBlob(): ReturnType<ContainerClient["getBlockBlobClient"]>;
}

/** A new container on `az`, and a store for `<service>/<env>` in it. */
export async function newTestStore(
    az: Azurite,
    opts: { env?: string; service?: string; leaseSeconds?: number; retry?: boolean } = {},
): Promise<TestStore> {
    const name = `records-${process.pid}-${++containers}`;
    const container = new ContainerClient(`${az.accountUrl}/${name}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), {
        retryOptions: opts.retry ? { maxTries: 6, retryDelayInMs: 300, maxRetryDelayInMs: 2000 } : { maxTries: 1 },
    });
    await container.create();
    // locationFromUrl wants https (the engine never sends a token over http); the in-process specs sign with the emulator's key instead.
    const location = {
        ...locationFromUrl(`https://127.0.0.1:${az.port}/${AZURITE_ACCOUNT}/${name}`, opts.service ?? "calculator", opts.env ?? "dev"),
        accountUrl: az.accountUrl,
    };
    const store = new BlobRecordStore({ container, location, ...(opts.leaseSeconds ? { leaseSeconds: opts.leaseSeconds } : {}) });
    return { store, container, recordBlob: () => container.getBlockBlobClient(`${location.prefix}/record.json`) };
}
