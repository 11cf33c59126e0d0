/**
 * The release record store's recoverability policy (a stack policy: the blob service settings are a
 * resource of their own, found by their dependency on the account) against hand-built stacks: a
 * compliant one, an account without settings, settings of another account, the configured minimum,
 * and unknown values during preview. Plus the harness's dependency linking the compliance run needs.
 */
import { strict as assert } from "assert";
import type { PolicyResource } from "@pulumi/policy";
import { TYPES } from "../policy/src/define";
import { blobServiceProblems, releaseRecordStorageRecoverable } from "../policy/src/storage";
import { ArgsContext, checkStack, linkResources, policyResource, stackArgs, UNKNOWN } from "./support/policy-harness";

type Props = Record<string, unknown>;

const account = (name: string, ctx: ArgsContext = {}): PolicyResource =>
    policyResource({ type: TYPES.storageAccount, name, props: { name: `${name}st12345`, allowSharedKeyAccess: false } }, ctx);

const goodService = (): Props => ({
    name: "default",
    isVersioningEnabled: true,
    deleteRetentionPolicy: { enabled: true, days: 30, allowPermanentDelete: false },
    containerDeleteRetentionPolicy: { enabled: true, days: 30 },
});

function serviceOf(owner: PolicyResource, props: Props, name = `${owner.name}-blob-service`, ctx: ArgsContext = {}): PolicyResource {
    const s = policyResource({ type: TYPES.blobService, name, props }, ctx);
    s.dependencies = [owner];
    return s;
}

async function review(resources: PolicyResource[], config: Props = {}, ctx: ArgsContext = {}) {
    return checkStack(
        releaseRecordStorageRecoverable,
        stackArgs(resources, { stack: "prod", ...ctx, config: { minRetentionDays: 7, ...config } }),
    );
}

describe("policy pack: release-record-storage-recoverable", () => {
    it("passes an account whose blob service has versioning, blob and container soft delete on", async () => {
        const a = account("records");
        assert.deepEqual(await review([a, serviceOf(a, goodService())]), { violations: [] });
    });

    it("flags an account with no blob service settings, and settings that belong to another account do not count", async () => {
        const a = account("records");
        const b = account("other");
        const out = await review([a, b, serviceOf(b, goodService())]);
        assert.deepEqual(
            out.violations.map((v) => [v.urn?.split("::").pop(), v.message.split(" has ")[0]]),
            [["records", "storage account records"]],
        );
        assert.match(out.violations[0].message, /no blob service settings \(azure-native:storage:BlobServiceProperties\)/);
    });

    it("flags each weakened setting once, naming the field and what was expected", async () => {
        const a = account("records");
        const weak = {
            isVersioningEnabled: false,
            deleteRetentionPolicy: { enabled: false },
            containerDeleteRetentionPolicy: { enabled: true, days: 0 },
        };
        const out = await review([a, serviceOf(a, weak)]);
        assert.deepEqual(
            out.violations.map((v) => v.message),
            [
                "blob service records-blob-service of records: isVersioningEnabled is false; expected true.",
                "blob service records-blob-service of records: deleteRetentionPolicy.enabled is false; expected true.",
                "blob service records-blob-service of records: containerDeleteRetentionPolicy.days is 0; expected an integer from 7 to 365.",
            ],
        );
        assert.ok(out.violations.every((v) => v.urn?.endsWith("::records-blob-service")));
    });

    it("applies the configured minimum retention (the schema's default 7 when unset)", async () => {
        const a = account("records");
        const ten = {
            ...goodService(),
            deleteRetentionPolicy: { enabled: true, days: 10 },
            containerDeleteRetentionPolicy: { enabled: true, days: 10 },
        };
        assert.deepEqual((await review([a, serviceOf(a, ten)], { minRetentionDays: 10 })).violations, []);
        assert.equal((await review([a, serviceOf(a, ten)], { minRetentionDays: 30 })).violations.length, 2);
        const noConfig = await checkStack(
            releaseRecordStorageRecoverable,
            stackArgs([a, serviceOf(a, { ...ten, deleteRetentionPolicy: { enabled: true, days: 6 } })], { stack: "dev" }),
        );
        assert.deepEqual(
            noConfig.violations.map((v) => v.message.split(": ")[1]),
            ["deleteRetentionPolicy.days is 6; expected an integer from 7 to 365."],
        );
    });

    it("blobServiceProblems is pure and refuses fractional and string days as well as allowPermanentDelete", () => {
        assert.deepEqual(blobServiceProblems(goodService(), 30), []);
        assert.deepEqual(blobServiceProblems({ ...goodService(), deleteRetentionPolicy: { enabled: true, days: 30.5 } }, 30), [
            "deleteRetentionPolicy.days is 30.5; expected an integer from 30 to 365.",
        ]);
        assert.deepEqual(blobServiceProblems({ ...goodService(), containerDeleteRetentionPolicy: { enabled: true, days: "31" } }, 30), []);
        assert.match(
            blobServiceProblems(
                { ...goodService(), deleteRetentionPolicy: { enabled: true, days: 30, allowPermanentDelete: true } },
                30,
            ).join(),
            /allowPermanentDelete is true/,
        );
    });

    it("during preview an unknown versioning flag throws the SDK's UnknownValueError (advisory), never a false pass", async () => {
        const ctx: ArgsContext = { preview: true };
        const a = account("records", ctx);
        const out = await review([a, serviceOf(a, { ...goodService(), isVersioningEnabled: UNKNOWN.boolean }, undefined, ctx)], {}, ctx);
        assert.ok(out.unknown, JSON.stringify(out));
        assert.deepEqual(out.violations, []);
    });

    it("the harness links dependencies and parents by type and name, as the analyzer links them by URN", () => {
        const view = [account("records"), policyResource({ type: TYPES.blobService, name: "records-blob-service", props: goodService() })];
        const comp = "urn:pulumi:dev::p::phoenix:storage:ReleaseRecordStore::records-store";
        linkResources(view, [
            { type: TYPES.storageAccount, name: "records", options: { ignoreChanges: [], dependencies: [], parent: comp } },
            {
                type: TYPES.blobService,
                name: "records-blob-service",
                options: {
                    ignoreChanges: [],
                    dependencies: [
                        `urn:pulumi:dev::p::phoenix:storage:ReleaseRecordStore$${TYPES.storageAccount}::records`,
                        "urn:pulumi:dev::p::x:y:Gone::gone",
                    ],
                    parent: comp,
                },
            },
        ]);
        assert.deepEqual(view[1].dependencies, [view[0]]);
        assert.deepEqual(view[0].dependencies, []);
        assert.equal(view[0].parent, undefined, "a parent outside the list is dropped");
    });
});
