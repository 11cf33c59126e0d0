/**
 * The columns of the workspace-based Application Insights `AppRequests` table (Azure Monitor Logs
 * reference, "AppRequests"), committed so the suite's KQL checker (kql-check.ts) can refuse a query that names a column
 * the table does not have. `Properties` is dynamic: the app stamps `app.slot` and `app.version`
 * into it (docs/app.md); keys inside it are not checked.
 */
export const APP_REQUESTS_COLUMNS: readonly string[] = [
    "AppRoleInstance",
    "AppRoleName",
    "AppVersion",
    "ClientBrowser",
    "ClientCity",
    "ClientCountryOrRegion",
    "ClientIP",
    "ClientModel",
    "ClientOS",
    "ClientStateOrProvince",
    "ClientType",
    "DurationMs",
    "IKey",
    "Id",
    "ItemCount",
    "Measurements",
    "Name",
    "OperationId",
    "OperationLinks",
    "OperationName",
    "ParentId",
    "PerformanceBucket",
    "Properties",
    "ReferencedItemId",
    "ReferencedType",
    "ResourceGUID",
    "ResultCode",
    "SDKVersion",
    "SessionId",
    "Source",
    "SourceSystem",
    "Success",
    "SyntheticSource",
    "TenantId",
    "TimeGenerated",
    "Type",
    "Url",
    "UserAccountId",
    "UserAuthenticatedId",
    "UserId",
    "_BilledSize",
    "_IsBillable",
    "_ResourceId",
    "_SubscriptionId",
];

/** Tables the checker knows, with their columns. */
export const KNOWN_TABLES: Readonly<Record<string, readonly string[]>> = { AppRequests: APP_REQUESTS_COLUMNS };
