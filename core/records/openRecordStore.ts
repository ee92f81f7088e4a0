// Opening the record store at the same location as the task store (see openTaskStore for the forms).

import type { AzureTableOptions, StoreOpenMode } from "../tasks/openTaskStore.js";
import { resolveStoreLocation, withNamedCredential } from "../tasks/openTaskStore.js";
import type { RecordStore, RecordStoreOptions } from "./recordStore.js";

export interface OpenRecordStoreOptions extends RecordStoreOptions, StoreOpenMode {
  azure?: AzureTableOptions & { recordsSas?: string };
}

export async function openRecordStore(
  location?: string,
  opts: OpenRecordStoreOptions = {},
): Promise<RecordStore> {
  const loc = resolveStoreLocation(location);
  if (loc.kind === "sqlite") {
    const { openSqliteRecordStore } = await import("./sqliteRecordStore.js");
    return openSqliteRecordStore(loc.path, opts);
  }
  const { openAzureRecordStore } = await import("./azureRecordStore.js");
  const azure = { ...opts.azure };
  if (azure.recordsSas === undefined && process.env.KEYFLEET_RECORDS_SAS)
    azure.recordsSas = process.env.KEYFLEET_RECORDS_SAS;
  withNamedCredential(azure);
  return openAzureRecordStore(loc, azure, opts);
}
