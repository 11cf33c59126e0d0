/**
 * The shared release record (release-engine/src/record-store): its document and drift rules (pure),
 * where it lives, how store failures read, and the Blob adapter against Azurite — a lost ETag race
 * never overwrites, exactly one of two first writers wins, the lease blocks a second holder with its
 * name and expiry, a corrupt blob is refused by name and restorable, the history is append-only, and an
 * emulator restart loses nothing.
 */
import { strict as assert } from "assert";
import * as http from "http";
import type { AddressInfo } from "net";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";
import { validateReleaseState, type EngineRecord } from "@phoenix/release-model";
import { BlockedError, EnvironmentError, InputError } from "../release-engine/src/errors";
import { RecordConflictError } from "../release-engine/src/record-store/blob-store";
import { locationFromNames, locationFromUrl } from "../release-engine/src/record-store/location";
import { leaseSecondsOf, recordStoreLocation } from "../release-engine/src/record-store/open-store";
import {
    canonicalJson,
    nextRecordDocument,
    parseRecordDocument,
    serializeRecordDocument,
    stateDrift,
    RECORD_SCHEMA,
} from "../release-engine/src/record-store/record-document";
import { BLOB_DATA_ROLE, classifyStorageError } from "../release-engine/src/record-store/storage-errors";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from "./support/azurite";
import { newTestStore } from "./support/blob-record-store";

const blueLive = validateReleaseState({ slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "absent" } } });
const greenCandidate = validateReleaseState({
    slots: { blue: { role: "live", version: "1.0.0", replicas: 2 }, green: { role: "candidate", version: "1.1.0", replicas: 2 } },
    previewHeaderValue: "preview-secret-0123456789",
});
const greenLive = validateReleaseState({
    slots: { blue: { role: "standby", version: "1.0.0", replicas: 2 }, green: { role: "live", version: "1.1.0", replicas: 2 } },
});
const T = new Date("2026-12-04T10:00:00Z");

describe("record store: the document and drift rules (pure)", () => {
    it("round-trips a document; the previous state moves on only when the state changes", () => {
        const d1 = nextRecordDocument(undefined, { state: blueLive }, "build 1", T);
        assert.equal(d1.previousState, null);
        const d2 = nextRecordDocument(
            d1,
            { state: greenCandidate, operation: { kind: "release", version: "1.1.0", slot: "green", before: blueLive } },
            "build 2",
            T,
        );
        assert.deepEqual(d2.previousState, blueLive);
        const d3 = nextRecordDocument(d2, { state: greenCandidate }, "build 2", T);
        assert.deepEqual(d3.previousState, blueLive, "an operation-only change keeps the previous state");
        const parsed = parseRecordDocument(serializeRecordDocument(d2));
        assert.ok(parsed.ok);
        assert.deepEqual(parsed.ok && parsed.document, d2);
    });

    it("names what is wrong with a corrupt document without quoting it", () => {
        const secret = "preview-secret-0123456789";
        const cases: Array<[string, RegExp]> = [
            ["", /it is empty/],
            ['{"schema": "phoenix.release-record/v1", "record": {"state": {', /truncated/],
            ["[]", /holds an array/],
            [JSON.stringify({ schema: "v0", record: { state: null } }), /"schema" is "v0", expected "phoenix.release-record\/v1"/],
            [
                JSON.stringify({
                    schema: RECORD_SCHEMA,
                    record: { state: null },
                    previousState: null,
                    writtenBy: "x",
                    writtenAt: T.toISOString(),
                    extra: secret,
                }),
                /unknown key\(s\) "extra"/,
            ],
            [
                JSON.stringify({
                    schema: RECORD_SCHEMA,
                    record: { state: { slots: { blue: { role: "boss" } } }, x: secret },
                    previousState: null,
                    writtenBy: "x",
                    writtenAt: T.toISOString(),
                }),
                /"record": it is not a valid record/,
            ],
            [
                JSON.stringify({
                    schema: RECORD_SCHEMA,
                    record: { state: null },
                    previousState: { slots: {} },
                    writtenBy: "x",
                    writtenAt: T.toISOString(),
                }),
                /"previousState": /,
            ],
            [
                JSON.stringify({
                    schema: RECORD_SCHEMA,
                    record: { state: null },
                    previousState: null,
                    writtenBy: 7,
                    writtenAt: "yesterday",
                }),
                /"writtenBy" must be a string/,
            ],
        ];
        for (const [text, want] of cases) {
            const r = parseRecordDocument(text);
            assert.ok(!r.ok, text);
            assert.match(r.ok ? "" : r.problem, want, text);
            assert.ok(!(r.ok ? "" : r.problem).includes(secret));
        }
    });

    it("drift: the stack's last update must have applied the record's state or the one it replaced", () => {
        const doc = nextRecordDocument(nextRecordDocument(undefined, { state: blueLive }, "a", T), { state: greenCandidate }, "a", T);
        assert.equal(stateDrift(greenCandidate, doc), undefined, "applied");
        assert.equal(stateDrift(blueLive, doc), undefined, "written, its up not run yet");
        assert.equal(
            stateDrift({ ...greenCandidate, previewHeaderValue: undefined }, doc),
            undefined,
            "the stack's config never carries the preview secret",
        );
        assert.match(
            stateDrift(greenLive, doc) ?? "",
            /last update applied blue standby 1\.0\.0, green live 1\.1\.0, but the release record says blue live 1\.0\.0, green candidate 1\.1\.0 \(before that: blue live 1\.0\.0, green absent\)/,
        );
        assert.equal(stateDrift(undefined, undefined), undefined, "a new environment");
        assert.equal(
            stateDrift(undefined, nextRecordDocument(undefined, { state: blueLive }, "a", T)),
            undefined,
            "the first record, its up not run yet",
        );
        assert.match(
            stateDrift(undefined, doc) ?? "",
            /applied nothing, but the release record says/,
            "the stack was recreated under a record",
        );
        assert.match(
            stateDrift(blueLive, undefined) ?? "",
            /applied blue live 1\.0\.0, green absent, but the release record says nothing/,
            "a stack applied by hand before any record",
        );
        assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
    });
});

describe("record store: where it lives and how its failures read", () => {
    it("takes a container URL or the vault's names, and refuses anything else by value", () => {
        assert.deepEqual(locationFromUrl("https://phxrecdev01.blob.core.windows.net/release-records", "calculator", "dev"), {
            accountUrl: "https://phxrecdev01.blob.core.windows.net",
            account: "phxrecdev01",
            container: "release-records",
            prefix: "calculator/dev",
        });
        assert.equal(
            locationFromUrl("https://127.0.0.1:10000/devstoreaccount1/recs", "calculator", "prod").accountUrl,
            "https://127.0.0.1:10000/devstoreaccount1",
        );
        assert.deepEqual(
            locationFromNames("phxrecprod01", "release-records", "calculator", "prod").accountUrl,
            "https://phxrecprod01.blob.core.windows.net",
        );
        const bad: Array<[() => unknown, RegExp]> = [
            [() => locationFromUrl("phxrec/records", "calculator", "dev"), /"phxrec\/records" is not a URL/],
            [() => locationFromUrl("http://a.blob.core.windows.net/records", "calculator", "dev"), /must be https/],
            [
                () => locationFromUrl("https://a1b.blob.core.windows.net/records?sv=2024&sig=abc", "calculator", "dev"),
                /without query.*never a SAS or key/,
            ],
            [() => locationFromUrl("https://a1b.blob.core.windows.net", "calculator", "dev"), /must name one container/],
            [() => locationFromUrl("https://a1b.blob.core.windows.net/records/extra", "calculator", "dev"), /must name one container/],
            [() => locationFromUrl("https://example.com/records", "calculator", "dev"), /"example.com" is not a blob endpoint/],
            [
                () => locationFromUrl("https://My_Account.blob.core.windows.net/records", "calculator", "dev"),
                /storage account "my_account" is not an account name/,
            ],
            [() => locationFromNames("phxrec", "Records", "calculator", "dev"), /container "Records" is not a container name/],
            [() => locationFromNames("ab", "records", "calculator", "dev"), /storage account "ab"/],
            [() => locationFromNames("phxrec", "records", "Calc/ulator", "dev"), /service name "Calc\/ulator"/],
        ];
        for (const [f, want] of bad) assert.throws(f, (e: Error) => e instanceof InputError && want.test(e.message));
        assert.throws(
            () => recordStoreLocation({}, undefined, "calculator", "dev"),
            /no store is configured for dev: pass --vault .*PHOENIX_RECORD_STORE/,
        );
        assert.equal(
            recordStoreLocation({}, { account: "phxrecdev01" }, "calculator", "dev").container,
            "release-records",
            "the platform's default container",
        );
        assert.equal(
            recordStoreLocation(
                { PHOENIX_RECORD_STORE: "https://other01.blob.core.windows.net/recs" },
                { account: "phxrecdev01" },
                "calculator",
                "dev",
            ).account,
            "other01",
            "the variable wins",
        );
        assert.equal(leaseSecondsOf({}), 60);
        assert.equal(leaseSecondsOf({ PHOENIX_RECORD_LEASE_SECONDS: "15" }), 15);
        for (const v of ["14", "61", "30.5", "soon"])
            assert.throws(
                () => leaseSecondsOf({ PHOENIX_RECORD_LEASE_SECONDS: v }),
                new RegExp(`15-60 whole seconds .*got "${v.replace(".", "\\.")}"`),
            );
    });

    it("a missing role, container or network, or no credential, is exit 2 naming the account, the container and the role", () => {
        const loc = locationFromNames("phxrecdev01", "release-records", "calculator", "dev");
        const forbidden = classifyStorageError(
            { name: "RestError", statusCode: 403, details: { errorCode: "AuthorizationPermissionMismatch" } },
            loc,
        );
        assert.ok(forbidden instanceof EnvironmentError);
        assert.match(
            forbidden.message,
            /account phxrecdev01, container release-records.*403 AuthorizationPermissionMismatch.*"Storage Blob Data Contributor" on container release-records of account phxrecdev01/,
        );
        assert.equal(BLOB_DATA_ROLE, "Storage Blob Data Contributor");
        assert.match(
            classifyStorageError({ statusCode: 404, details: { errorCode: "ContainerNotFound" } }, loc)?.message ?? "",
            /does not exist \(ContainerNotFound\)/,
        );
        assert.match(
            classifyStorageError({ code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND phxrecdev01.blob.core.windows.net" }, loc)?.message ??
                "",
            /cannot reach the release record store https:\/\/phxrecdev01\.blob\.core\.windows\.net\/release-records .*\(ENOTFOUND\)/,
        );
        assert.match(
            classifyStorageError({ name: "CredentialUnavailableError", message: "DefaultAzureCredential: no credential\nmore" }, loc)
                ?.message ?? "",
            /no Azure credential .*az login.*Storage Blob Data Contributor/,
        );
        assert.equal(
            classifyStorageError({ statusCode: 500, details: { errorCode: "InternalError" } }, loc),
            undefined,
            "a service error is not the environment's",
        );
    });
});

describe("record store: the Blob adapter against Azurite", function () {
    this.timeout(60000);
    let az: Azurite;
    before(async () => {
        az = await startAzurite();
    });
    after(async () => az?.dispose());

    const rec = (state: EngineRecord["state"]): EngineRecord => ({ state });

    it("writes only with the ETag it read: a lost race never overwrites, and exactly one of two first writers wins", async () => {
        const { store } = await newTestStore(az);
        const [a, b] = await Promise.all([store.read(), store.read()]);
        assert.equal(a.exists, false);
        const results = await Promise.allSettled([
            store.write(nextRecordDocument(undefined, rec(blueLive), "run A", T), a),
            store.write(nextRecordDocument(undefined, rec(greenLive), "run B", T), b),
        ]);
        assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, "one first write");
        const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
        assert.ok(lost.reason instanceof RecordConflictError && lost.reason instanceof BlockedError, String(lost.reason));
        const winner = (
            results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ exists: true; document: { writtenBy: string } }>
        ).value.document.writtenBy;
        const now = await store.read();
        assert.ok(now.exists && now.document.writtenBy === winner);
        // Two runs read the same version; the second to write loses and changes nothing.
        const [r1, r2] = await Promise.all([store.read(), store.read()]);
        assert.ok(r1.exists && r2.exists);
        const w1 = await store.write(nextRecordDocument(r1.document, rec(greenCandidate), "run C", T), r1);
        await assert.rejects(
            store.write(nextRecordDocument(r2.document, rec(null), "run D", T), r2),
            /was changed by another run since this one read it; nothing was overwritten/,
        );
        const after = await store.read();
        assert.ok(after.exists && after.etag === (w1.exists && w1.etag));
        assert.equal(after.exists && after.document.writtenBy, "run C");
        const lastGood = await store.readPrevious();
        assert.equal(lastGood?.writtenBy, "run C", "the last good copy is the last write that won");
    });

    it("the lease: a second holder is blocked with the holder's name and expiry; released, it is free", async () => {
        const { store } = await newTestStore(az);
        const held = await store.acquire("Azure DevOps build 41");
        const t0 = Date.now();
        await assert.rejects(store.acquire("Azure DevOps build 42"), (e: Error) => {
            assert.ok(e instanceof BlockedError);
            assert.match(
                e.message,
                /the lease on .*\/calculator\/dev\/lock is held by Azure DevOps build 41 since \S+; it expires at (\S+) unless that run renews it/,
            );
            const expiry = Date.parse(/expires at (\S+) /.exec(e.message)![1]);
            assert.ok(Math.abs(expiry - (t0 + 60_000)) < 5000, "expiry = last renewal + 60 s");
            return true;
        });
        await held.confirm();
        assert.ok(held.expiresAt().getTime() > Date.now() + 55_000, "confirm renews");
        await held.release();
        const next = await store.acquire("Azure DevOps build 42");
        await next.release();
    });

    it("a corrupt record is refused by name, nothing changed, and its previous version restores", async () => {
        const { store, recordBlob } = await newTestStore(az);
        const first = await store.write(nextRecordDocument(undefined, rec(blueLive), "run A", T), await store.read());
        assert.ok(first.exists);
        await store.write(nextRecordDocument(first.document, rec(greenCandidate), "run B", T), first);
        await recordBlob().upload('{"schema": "phoenix.release-record/v1", "rec', 44);
        await assert.rejects(
            store.read(),
            (e: Error) =>
                e instanceof InputError &&
                /the release record .*\/calculator\/dev\/record\.json is not valid: it ends in the middle of the JSON \(truncated\)\. Nothing was changed; its last good version is .*record\.last-good\.json \("phoenix-release restore-record --env dev --backend pulumi" puts it back\)/.test(
                    e.message,
                ),
        );
        assert.equal(
            (await recordBlob().downloadToBuffer()).toString(),
            '{"schema": "phoenix.release-record/v1", "rec',
            "reading changed nothing",
        );
        const restored = await store.restorePrevious("operator");
        assert.deepEqual(restored.record, rec(greenCandidate), "the last record the engine wrote");
        const now = await store.read();
        assert.ok(now.exists && now.document.writtenBy === "operator");
    });

    it("the history is append-only and survives an emulator restart, as does the record", async () => {
        const { store } = await newTestStore(az, { retry: true });
        await store.appendHistory({ at: T.toISOString(), action: "release", version: "1.0.0", outcome: "done", gates: [] });
        await store.appendHistory({ at: T.toISOString(), action: "promote", version: "1.1.0", outcome: "done", gates: [] });
        const written = await store.write(nextRecordDocument(undefined, rec(greenLive), "run A", T), await store.read());
        await az.stop();
        await az.start();
        const h = await store.history();
        assert.deepEqual(
            h.map((e) => `${e.action} ${e.version}`),
            ["release 1.0.0", "promote 1.1.0"],
        );
        const read = await store.read();
        assert.ok(read.exists && written.exists && read.etag === written.etag);
        assert.deepEqual(read.exists && read.document.record, rec(greenLive));
    });

    it("a store that refuses the identity (403, as Azure answers a missing role) fails by name through the real SDK", async () => {
        const server = http.createServer((req, res) => {
            req.resume();
            res.writeHead(403, { "x-ms-error-code": "AuthorizationPermissionMismatch", "content-type": "application/xml" });
            res.end(
                '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This request is not authorized to perform this operation using this permission.</Message></Error>',
            );
        });
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
            const port = (server.address() as AddressInfo).port;
            const { BlobRecordStore } = await import("../release-engine/src/record-store/blob-store");
            const location = {
                ...locationFromUrl(`https://127.0.0.1:${port}/${AZURITE_ACCOUNT}/release-records`, "calculator", "dev"),
                accountUrl: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`,
            };
            const container = new ContainerClient(
                `${location.accountUrl}/release-records`,
                new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
                { retryOptions: { maxTries: 1 } },
            );
            const store = new BlobRecordStore({ container, location });
            await assert.rejects(
                store.read(),
                (e: Error) =>
                    e instanceof EnvironmentError &&
                    /container release-records of account devstoreaccount1/.test(e.message) &&
                    /Storage Blob Data Contributor/.test(e.message),
            );
            await assert.rejects(store.acquire("me"), /403 AuthorizationPermissionMismatch/);
        } finally {
            server.close();
        }
    });
});
