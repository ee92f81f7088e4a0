// The Azure Table backend of the RecordStore. Row keys count down from 10^12 so the newest record is
// the first entity of the partition: the head is one small read. Appending is an insert of the next
// row key, which fails (409) when another writer took that seq first; the loser re-reads and retries.
// Stations therefore need only add+query on this table (no update, no delete): see stationRecordSas.
import { generateTableSas, type NamedKeyCredential, odata, type TableClient } from "@azure/data-tables";
import {
  type AzureLocation,
  describeLocation,
  requireTableExists,
  statusOf,
  storeErrorFrom,
  tableClient,
} from "../tasks/azureTableClient.js";
import type { AzureTableOptions, StoreOpenMode } from "../tasks/openTaskStore.js";
import { type AuditRecord, TASK_OUTCOME_ACTIONS } from "./model.js";
import {
  ChainedRecordStore,
  EMPTY_HEAD,
  parseRecordDoc,
  type RecordRows,
  type RecordStore,
  type RecordStoreOptions,
} from "./recordStore.js";

const PARTITION = "record";
const TOP = 1e12;
const MAX_ROUNDS = 200;
/** Chain rows are 13 digits; index rows ("t~<task>~<chain row key>") sort after every one of them. */
const CHAIN_ROWS = `PartitionKey eq '${PARTITION}' and RowKey le '9999999999999'`;
const INDEXABLE_TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

function indexRowKey(taskId: string, seq: number): string {
  return `t~${taskId}~${rowKeyOf(seq)}`;
}

export function rowKeyOf(seq: number): string {
  return String(TOP - seq).padStart(13, "0");
}

export function seqOf(rowKey: string): number {
  return TOP - Number(rowKey);
}

export async function openAzureRecordStore(
  loc: AzureLocation,
  azure: AzureTableOptions & { recordsSas?: string },
  opts: RecordStoreOptions & StoreOpenMode = {},
): Promise<RecordStore> {
  const table = `${azure.tablePrefix ?? "keyfleet"}records`;
  const client = tableClient(loc, table, azure, azure.recordsSas);
  if (opts.readOnly || opts.mustExist) await requireTableExists(client, table);
  else if (!azure.recordsSas) {
    try {
      await client.createTable();
    } catch (e) {
      throw storeErrorFrom(e, `cannot create table ${table}`);
    }
  }
  return new ChainedRecordStore(
    describeLocation(loc, azure, azure.recordsSas),
    new AzureRecordRows(client),
    opts,
  );
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
        .listEntities<{ doc: string }>({ queryOptions: { filter: CHAIN_ROWS } })
        .byPage({ maxPageSize: 1 });
      const first = await pages.next();
      const e = first.done ? undefined : first.value[0];
      if (!e) return undefined;
      const rec = parseRecordDoc(String(e.doc));
      if (!rec)
        throw new Error(
          `record ${seqOf(e.rowKey ?? "")}, the chain's head, is malformed (run 'keyfleet records verify')`,
        );
      return { seq: seqOf(e.rowKey ?? ""), hash: rec.hash };
    } catch (e) {
      throw storeErrorFrom(e, "cannot read the records' head");
    }
  }

  async append(build: (head: { seq: number; hash: string }) => AuditRecord): Promise<AuditRecord> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const rec = build((await this.head()) ?? EMPTY_HEAD);
      const doc = JSON.stringify(rec);
      const row = { partitionKey: PARTITION, rowKey: rowKeyOf(rec.seq), at: rec.at, action: rec.action, doc };
      const taskId = rec.subject.taskId;
      try {
        if (
          taskId !== undefined &&
          INDEXABLE_TASK_ID.test(taskId) &&
          TASK_OUTCOME_ACTIONS.includes(rec.action)
        ) {
          // The chain row and its index copy in one entity-group transaction: both or neither, so a
          // cancellation is never in the chain yet missing from the lookup stations make before work.
          await this.client.submitTransaction([
            ["create", row],
            ["create", { ...row, rowKey: indexRowKey(taskId, rec.seq), seq: rec.seq }],
          ]);
        } else {
          await this.client.createEntity(row);
        }
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
        queryOptions: { filter: CHAIN_ROWS },
      })) {
        out.push({ key: seqOf(e.rowKey ?? ""), doc: String(e.doc) });
      }
    } catch (e) {
      throw storeErrorFrom(e, "cannot list records");
    }
    return out.reverse();
  }

  async outcomeRows(taskIds: readonly string[]) {
    const ids = taskIds.filter((id) => INDEXABLE_TASK_ID.test(id));
    const out: { key: number; doc: string }[] = [];
    const collect = async (filter: string, keep?: Set<string>) => {
      for await (const e of this.client.listEntities<{ doc: string; seq: number }>({
        queryOptions: { filter, select: ["RowKey", "doc", "seq"] },
      })) {
        const taskId = /^t~([^~]+)~/.exec(e.rowKey ?? "")?.[1];
        if (keep && (!taskId || !keep.has(taskId))) continue;
        out.push({ key: Number(e.seq), doc: String(e.doc) });
      }
    };
    try {
      if (ids.length > 64) {
        // Many tasks (a plan): one scan of the whole index beats a query per task.
        await collect(`PartitionKey eq '${PARTITION}' and RowKey ge 't~' and RowKey lt 't~~'`, new Set(ids));
      } else {
        await Promise.all(
          ids.map((id) =>
            collect(
              odata`PartitionKey eq ${PARTITION} and RowKey ge ${`t~${id}~`} and RowKey lt ${`t~${id}~~`}`,
            ),
          ),
        );
      }
    } catch (e) {
      throw storeErrorFrom(e, "cannot look up task records");
    }
    return out;
  }

  async close(): Promise<void> {}
}
