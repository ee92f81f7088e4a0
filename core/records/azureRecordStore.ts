// The Azure Table backend of the RecordStore. Row keys count down from 10^12 so the newest record is
// the first entity of the partition: the head is one small read. Appending is an insert of the next
// row key, which fails (409) when another writer took that seq first; the loser re-reads and retries.
// Stations therefore need only add+query on this table (no update, no delete): see stationRecordSas.
import { generateTableSas, type NamedKeyCredential, type TableClient } from "@azure/data-tables";
import {
  type AzureLocation,
  describeLocation,
  statusOf,
  storeErrorFrom,
  tableClient,
} from "../tasks/azureTableClient.js";
import type { AzureTableOptions } from "../tasks/openTaskStore.js";
import type { AuditRecord } from "./model.js";
import {
  ChainedRecordStore,
  EMPTY_HEAD,
  type RecordRows,
  type RecordStore,
  type RecordStoreOptions,
} from "./recordStore.js";

const PARTITION = "record";
const TOP = 1e12;
const MAX_ROUNDS = 200;

export function rowKeyOf(seq: number): string {
  return String(TOP - seq).padStart(13, "0");
}

export function seqOf(rowKey: string): number {
  return TOP - Number(rowKey);
}

export async function openAzureRecordStore(
  loc: AzureLocation,
  azure: AzureTableOptions & { recordsSas?: string },
  opts: RecordStoreOptions = {},
): Promise<RecordStore> {
  const table = `${azure.tablePrefix ?? "keyfleet"}records`;
  const client = tableClient(loc, table, azure, azure.recordsSas);
  if (!azure.recordsSas) {
    try {
      await client.createTable();
    } catch (e) {
      throw storeErrorFrom(e, `cannot create table ${table}`);
    }
  }
  return new ChainedRecordStore(describeLocation(loc), new AzureRecordRows(client), opts);
}

/** A SAS for a station's records: query and add only — it can append but never change or delete. */
export function stationRecordSas(
  credential: NamedKeyCredential,
  opts: { tablePrefix?: string; expiresOn: Date },
): string {
  return generateTableSas(`${opts.tablePrefix ?? "keyfleet"}records`, credential, {
    permissions: { query: true, add: true, update: false, delete: false },
    expiresOn: opts.expiresOn,
  });
}

class AzureRecordRows implements RecordRows {
  constructor(private readonly client: TableClient) {}

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    try {
      const pages = this.client
        .listEntities<{ doc: string }>({ queryOptions: { filter: `PartitionKey eq '${PARTITION}'` } })
        .byPage({ maxPageSize: 1 });
      const first = await pages.next();
      const e = first.done ? undefined : first.value[0];
      if (!e) return undefined;
      return { seq: seqOf(e.rowKey ?? ""), hash: (JSON.parse(e.doc) as AuditRecord).hash };
    } catch (e) {
      throw storeErrorFrom(e, "cannot read the records' head");
    }
  }

  async append(build: (head: { seq: number; hash: string }) => AuditRecord): Promise<AuditRecord> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const rec = build((await this.head()) ?? EMPTY_HEAD);
      const doc = JSON.stringify(rec);
      try {
        await this.client.createEntity({
          partitionKey: PARTITION,
          rowKey: rowKeyOf(rec.seq),
          at: rec.at,
          action: rec.action,
          doc,
        });
        return rec;
      } catch (e) {
        if (statusOf(e) !== 409) throw storeErrorFrom(e, "cannot append a record");
        // Either another writer took this seq, or the SDK retried our own successful insert.
        const mine = await this.client
          .getEntity<{ doc: string }>(PARTITION, rowKeyOf(rec.seq))
          .catch(() => undefined);
        if (mine?.doc === doc) return rec;
      }
    }
    throw new Error(`could not append a record after ${MAX_ROUNDS} tries: too many concurrent writers`);
  }

  async rows() {
    const out: { key: number; doc: string }[] = [];
    try {
      for await (const e of this.client.listEntities<{ doc: string }>({
        queryOptions: { filter: `PartitionKey eq '${PARTITION}'` },
      })) {
        out.push({ key: seqOf(e.rowKey ?? ""), doc: String(e.doc) });
      }
    } catch (e) {
      throw storeErrorFrom(e, "cannot list records");
    }
    return out.reverse();
  }

  async close(): Promise<void> {}
}
