// Making @azure/data-tables clients for the task and record tables from a store location, and the
// shapes of the REST errors we branch on. Plain http is allowed only to a loopback host (Azurite).
import {
  AzureSASCredential,
  RestError,
  TableClient,
  type TableServiceClientOptions,
} from "@azure/data-tables";
import {
  AzureCliCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  type TokenCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { TaskStoreError } from "./errors.js";
import type { AzureTableOptions, StoreLocation } from "./openTaskStore.js";

export type AzureLocation = Extract<StoreLocation, { kind: "azure-table" }>;

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

function endpointOf(loc: AzureLocation): string {
  if ("endpoint" in loc) return loc.endpoint;
  const m = /(?:^|;)TableEndpoint=([^;]+)/i.exec(loc.connectionString);
  if (m?.[1]) return m[1];
  if (/UseDevelopmentStorage=true/i.test(loc.connectionString))
    return "http://127.0.0.1:10002/devstoreaccount1";
  const account = /(?:^|;)AccountName=([^;]+)/i.exec(loc.connectionString)?.[1] ?? "";
  const proto = /(?:^|;)DefaultEndpointsProtocol=([^;]+)/i.exec(loc.connectionString)?.[1] ?? "https";
  const suffix = /(?:^|;)EndpointSuffix=([^;]+)/i.exec(loc.connectionString)?.[1] ?? "core.windows.net";
  return `${proto}://${account}.table.${suffix}`;
}

function clientOptions(endpoint: string): TableServiceClientOptions {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TaskStoreError("bad-config", "the Azure Table endpoint is not a URL");
  }
  if (url.protocol === "http:") {
    if (!LOOPBACK.has(url.hostname)) {
      throw new TaskStoreError(
        "bad-config",
        `refusing plain http to ${url.hostname}: only loopback (Azurite) may use http`,
      );
    }
    return { allowInsecureConnection: true };
  }
  return {};
}

/** The Azure credentials a user may name (KEYFLEET_TASK_STORE_CREDENTIAL); nothing is ever probed. */
export const NAMED_CREDENTIALS = [
  "managed-identity",
  "workload-identity",
  "azure-cli",
  "environment",
] as const;
export type NamedCredential = (typeof NAMED_CREDENTIALS)[number];

function namedCredential(kind: NamedCredential): TokenCredential {
  switch (kind) {
    case "managed-identity": {
      const clientId = process.env.AZURE_CLIENT_ID;
      return clientId ? new ManagedIdentityCredential({ clientId }) : new ManagedIdentityCredential();
    }
    case "workload-identity":
      return new WorkloadIdentityCredential();
    case "azure-cli":
      return new AzureCliCredential();
    case "environment":
      return new EnvironmentCredential();
  }
}

/**
 * Which credential the store uses, in words for messages — exactly the one configured, in this order: a
 * SAS, the connection string's own key or SAS, a TokenCredential passed in code, a named credential kind.
 * Never an ambient fallback (DefaultAzureCredential would probe the cloud metadata address): with none
 * of these the location is refused.
 */
export function credentialOf(loc: AzureLocation, opts: AzureTableOptions, sas?: string): string {
  if (sas) return "SAS token";
  if ("connectionString" in loc) {
    const cs = loc.connectionString;
    if (/(?:^|;)SharedAccessSignature=/i.test(cs)) return "SAS (connection string)";
    if (/(?:^|;)AccountKey=/i.test(cs)) return "account key (connection string)";
    if (/UseDevelopmentStorage=true/i.test(cs)) return "Azurite development account (connection string)";
    throw new TaskStoreError(
      "bad-config",
      "the azure-table connection string has no AccountKey or SharedAccessSignature",
    );
  }
  if (opts.credential) return "token credential (given by the caller)";
  if (opts.credentialKind) {
    if (!(NAMED_CREDENTIALS as readonly string[]).includes(opts.credentialKind)) {
      throw new TaskStoreError(
        "bad-config",
        `unknown Azure credential kind '${String(opts.credentialKind).slice(0, 40)}': use ${NAMED_CREDENTIALS.join(", ")}`,
      );
    }
    return `${opts.credentialKind} credential`;
  }
  throw new TaskStoreError(
    "bad-config",
    `${describeEndpoint(loc)} has no credential: set KEYFLEET_TASK_STORE_SAS (a table SAS), use a connection string, or name one with KEYFLEET_TASK_STORE_CREDENTIAL=${NAMED_CREDENTIALS.join("|")} (Keyfleet never falls back to ambient Azure credentials)`,
  );
}

export function tableClient(
  loc: AzureLocation,
  table: string,
  opts: AzureTableOptions,
  sas?: string,
): TableClient {
  credentialOf(loc, opts, sas);
  const endpoint = endpointOf(loc);
  const options = clientOptions(endpoint);
  if (sas) return new TableClient(endpoint, table, new AzureSASCredential(sas.replace(/^\?/, "")), options);
  if ("connectionString" in loc)
    return TableClient.fromConnectionString(loc.connectionString, table, options);
  const credential = opts.credential ?? namedCredential(opts.credentialKind as NamedCredential);
  return new TableClient(endpoint, table, credential, options);
}

function describeEndpoint(loc: AzureLocation): string {
  return `azure-table:${endpointOf(loc).replace(/\?.*$/, "")}`;
}

/** The location for messages: endpoint and which credential is used, never the secret itself. */
export function describeLocation(loc: AzureLocation, opts: AzureTableOptions = {}, sas?: string): string {
  return `${describeEndpoint(loc)} (${credentialOf(loc, opts, sas)})`;
}

export function statusOf(e: unknown): number | undefined {
  return e instanceof RestError || (typeof e === "object" && e !== null && "statusCode" in e)
    ? (e as { statusCode?: number }).statusCode
    : undefined;
}

/** Turns a REST failure into a TaskStoreError with no request details (which could carry a SAS). */
export function storeErrorFrom(e: unknown, what: string): unknown {
  const status = statusOf(e);
  if (status === 403)
    return new TaskStoreError("forbidden", `${what}: the table service refused this credential (403)`);
  if (status === 401)
    return new TaskStoreError("bad-config", `${what}: the table service did not accept the credential (401)`);
  return e;
}

/** For reads: a missing table is an error naming it (a read never creates a store). */
export async function requireTableExists(client: TableClient, table: string): Promise<void> {
  try {
    await client
      .listEntities({ queryOptions: { select: ["RowKey"] } })
      .byPage({ maxPageSize: 1 })
      .next();
  } catch (e) {
    if (statusOf(e) === 404)
      throw new TaskStoreError("bad-config", `no table ${table} at this store location`);
    throw storeErrorFrom(e, `cannot read table ${table}`);
  }
}
