// Opening a task store from a one-line location:
//   sqlite:<path>                      an embedded SQLite file (default: sqlite:.keyfleet/keyfleet.db)
//   azure-table:<connection string>    Azure Table Storage (or Azurite) by connection string
//   azure-table:<https endpoint>       with exactly the credential configured: a table SAS
//                                      (KEYFLEET_TASK_STORE_SAS), a TokenCredential given in code, or a
//                                      kind named in KEYFLEET_TASK_STORE_CREDENTIAL — never an ambient one
// KEYFLEET_TASK_STORE overrides the default; an explicit location overrides both.
import { existsSync } from "node:fs";
import type { TokenCredential } from "@azure/identity";
import { TaskStoreError } from "./errors.js";
import type { TaskStore, TaskStoreOptions } from "./store.js";

export const DEFAULT_TASK_STORE = "sqlite:.keyfleet/keyfleet.db";

export type StoreLocation =
  | { kind: "sqlite"; path: string }
  | { kind: "azure-table"; connectionString: string }
  | { kind: "azure-table"; endpoint: string };

export interface AzureTableOptions {
  /** Credential for an https endpoint, given in code. There is no default: see credentialKind. */
  credential?: TokenCredential;
  /**
   * Or a credential named by kind (env KEYFLEET_TASK_STORE_CREDENTIAL): managed-identity (AZURE_CLIENT_ID
   * for a user-assigned one), workload-identity, azure-cli or environment. Only that one is used.
   */
  credentialKind?: "managed-identity" | "workload-identity" | "azure-cli" | "environment";
  /** A SAS token for the table (e.g. a station's read+update-only token). */
  sas?: string;
  /** Table name prefix; the tables are `<prefix>tasks` and `<prefix>records`. Default "keyfleet". */
  tablePrefix?: string;
}

/** How a store is opened: reads never create one. */
export interface StoreOpenMode {
  /**
   * Open for reading only: a missing store is an error (never created), SQLite is opened without write
   * access (works on a file owned by another user, or a read-only file), Azure tables are not created.
   */
  readOnly?: boolean;
  /** Refuse a store that does not exist yet, but open it for writing (e.g. `tasks cancel`). */
  mustExist?: boolean;
}

export interface OpenTaskStoreOptions extends TaskStoreOptions, StoreOpenMode {
  azure?: AzureTableOptions;
}

export function resolveStoreLocation(
  location: string | undefined,
  env: Record<string, string | undefined> = process.env,
): StoreLocation {
  const raw = (location ?? env.KEYFLEET_TASK_STORE ?? DEFAULT_TASK_STORE).trim();
  if (raw.startsWith("sqlite:")) {
    const path = raw.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (!path)
      throw new TaskStoreError("bad-config", "sqlite: needs a file path, e.g. sqlite:.keyfleet/keyfleet.db");
    return { kind: "sqlite", path };
  }
  if (raw.startsWith("azure-table:")) {
    const rest = raw.slice("azure-table:".length);
    if (/^https?:\/\//i.test(rest)) {
      if (/[?&]sig=/i.test(rest)) {
        throw new TaskStoreError(
          "bad-config",
          "put the SAS token in KEYFLEET_TASK_STORE_SAS (or options), not in the store location",
        );
      }
      return { kind: "azure-table", endpoint: rest };
    }
    if (/AccountName=|TableEndpoint=|UseDevelopmentStorage=/i.test(rest)) {
      return { kind: "azure-table", connectionString: rest };
    }
    throw new TaskStoreError("bad-config", "azure-table: needs a connection string or an https endpoint");
  }
  // The location is not echoed: an unknown form may well carry a password (postgres://user:pass@…).
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]{0,30}:/.exec(raw)?.[0];
  throw new TaskStoreError(
    "bad-config",
    `unknown task store ${scheme ? `scheme '${scheme}'` : "location (no scheme)"}: use sqlite:<path> or azure-table:<connection string|endpoint>`,
  );
}

/** KEYFLEET_TASK_STORE_CREDENTIAL names the credential kind when code gave none. */
export function withNamedCredential(azure: AzureTableOptions): AzureTableOptions {
  const named = process.env.KEYFLEET_TASK_STORE_CREDENTIAL;
  if (azure.credential === undefined && azure.credentialKind === undefined && named)
    azure.credentialKind = named as NonNullable<AzureTableOptions["credentialKind"]>;
  return azure;
}

/** For read-only commands: refuses a SQLite path that does not exist (rather than creating a store). */
export function requireExistingStore(location: string | undefined): void {
  const loc = resolveStoreLocation(location);
  if (loc.kind === "sqlite" && loc.path !== ":memory:" && !existsSync(loc.path)) {
    throw new TaskStoreError(
      "bad-config",
      `no task store at ${loc.path} (set --store or KEYFLEET_TASK_STORE)`,
    );
  }
}

/** A location safe to print: account keys, signatures, passwords and URL user info removed. */
export function redactLocation(location: string): string {
  return location
    .replace(/(AccountKey|SharedAccessSignature|Password|Pwd)=[^;]*/gi, "$1=***")
    .replace(/([?&](?:sig|password|pwd|token|key)=)[^&]*/gi, "$1***")
    .replace(/(\/\/)[^/@\s]*@/g, "$1***@");
}

export async function openTaskStore(location?: string, opts: OpenTaskStoreOptions = {}): Promise<TaskStore> {
  const loc = resolveStoreLocation(location);
  if (loc.kind === "sqlite") {
    const { openSqliteTaskStore } = await import("./sqliteTaskStore.js");
    return openSqliteTaskStore(loc.path, opts);
  }
  const { openAzureTaskStore } = await import("./azureTaskStore.js");
  const azure = { ...opts.azure };
  if (azure.sas === undefined && process.env.KEYFLEET_TASK_STORE_SAS)
    azure.sas = process.env.KEYFLEET_TASK_STORE_SAS;
  withNamedCredential(azure);
  return openAzureTaskStore(loc, { ...opts, azure });
}
