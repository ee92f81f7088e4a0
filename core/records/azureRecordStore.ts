// The Azure Table backend of the RecordStore. Each writer's chain is its own row-key range in the one
// partition; appending is an insert of the chain's next row key (with its index copy, in one
// entity-group transaction), which fails (409) when another process with the same key took that seq
// first — the loser re-reads its chain's end and retries. Writers with different keys never touch the
// same rows. Stations therefore need only add+query on this table (no update, no delete): see
// stationRecordSas.
import {
  generateTableSas,
  type NamedKeyCredential,
  odata,
  type TableClient,
  type TransactionAction,
} from "@azure/data-tables";
import {
  type AzureLocation,
  describeLocation,
  requireTableExists,
  statusOf,
  storeErrorFrom,
  tableClient,
} from "../tasks/azureTableClient.js";
import type { AzureTableOptions, StoreOpenMode } from "../tasks/openTaskStore.js";
import { type AuditRecord, LEGACY_CHAIN, TASK_OUTCOME_ACTIONS } from "./model.js";
import {
  ChainedRecordStore,
  parseRecordDoc,
  type RawRecordRow,
  type RecordRows,
  type RecordStore,
  type RecordStoreOptions,
} from "./recordStore.js";
import type { ChainHead, ChainHeads } from "./recordsHead.js";

const PARTITION = "record";
const TOP = 1e12;
/**
 * Row keys, all in one partition so a record and its index copy go in one entity-group transaction:
 *   <13 digits>                         the legacy chain (counting down: its newest row comes first)
 *   c~<chain>~<13 digits>               a writer's chain (counting down, so one row read finds its end)
 *   t~<task>~<13 digits>                legacy index copies of outcome records
 *   t~<task>~<chain>~<13 digits>        index copies of outcome records
 * Digits sort before "c", and "c~…" before "t~…".
 */
const LEGACY_ROWS = `PartitionKey eq '${PARTITION}' and RowKey le '9999999999999'`;
const CHAIN_ROWS = `PartitionKey eq '${PARTITION}' and RowKey lt 't~'`;
const INDEXABLE_TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

function chainRowKey(chain: string, seq: number): string {
  return `c~${chain}~${rowKeyOf(seq)}`;
}

function indexRowKey(taskId: string, chain: string, seq: number): string {
  return `t~${taskId}~${chain}~${rowKeyOf(seq)}`;
}

export function rowKeyOf(seq: number): string {
  return String(TOP - seq).padStart(13, "0");
}

export function seqOf(rowKey: string): number {
  return TOP - Number(rowKey);
}

/** A stored chain row's chain and seq from its row key; undefined for anything else. */
function chainRowOf(rowKey: string): { chain: string; seq: number } | undefined {
  if (/^\d{13}$/.test(rowKey)) return { chain: LEGACY_CHAIN, seq: seqOf(rowKey) };
  const m = /^c~([^~]+)~(\d{13})$/.exec(rowKey);
  return m ? { chain: m[1] as string, seq: seqOf(m[2] as string) } : undefined;
}

function headOf(e: { rowKey?: string; doc?: unknown }, chain: string): ChainHead {
  const seq = chainRowOf(e.rowKey ?? "")?.seq ?? 0;
  const rec = parseRecordDoc(String(e.doc));
  if (!rec)
    throw new Error(
      `record ${seq} of chain ${chain}, the chain's head, is malformed (run 'keyfleet records verify')`,
    );
  return { seq, hash: rec.hash };
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

  /** The first row of `filter` (the newest of a chain, row keys counting down). */
  private async first(filter: string): Promise<{ rowKey?: string; doc?: unknown } | undefined> {
    const pages = this.client
      .listEntities<{ doc: string }>({ queryOptions: { filter } })
      .byPage({ maxPageSize: 1 });
    const first = await pages.next();
    return first.done ? undefined : first.value[0];
  }

  async chainHead(chain: string): Promise<ChainHead | undefined> {
    try {
      const e =
        chain === LEGACY_CHAIN
          ? await this.first(LEGACY_ROWS)
          : await this.first(
              odata`PartitionKey eq ${PARTITION} and RowKey gt ${`c~${chain}~`} and RowKey lt ${`c~${chain}~~`}`,
            );
      return e ? headOf(e, chain) : undefined;
    } catch (e) {
      throw storeErrorFrom(e, "cannot read the records' head");
    }
  }

  async insert(chain: string, _after: ChainHead, records: readonly AuditRecord[]): Promise<boolean> {
    // The row for seq n+1 of this chain can be created once only: if it exists, someone else extended the
    // chain first (409), and the whole transaction is refused with it.
    const ops: TransactionAction[] = [];
    let firstRow: { partitionKey: string; rowKey: string; doc: string } | undefined;
    for (const rec of records) {
      const row = {
        partitionKey: PARTITION,
        rowKey: chainRowKey(chain, rec.seq),
        at: rec.at,
        action: rec.action,
        doc: JSON.stringify(rec),
      };
      ops.push(["create", row]);
      firstRow ??= row;
      const taskId = rec.subject.taskId;
      if (
        taskId !== undefined &&
        INDEXABLE_TASK_ID.test(taskId) &&
        TASK_OUTCOME_ACTIONS.includes(rec.action)
      ) {
        // The chain row and its index copy in one entity-group transaction: both or neither, so a
        // cancellation is never in the chain yet missing from the lookup stations make before work.
        ops.push(["create", { ...row, rowKey: indexRowKey(taskId, chain, rec.seq), seq: rec.seq, chain }]);
      }
    }
    if (!firstRow) return true;
    try {
      if (ops.length === 1) await this.client.createEntity(firstRow);
      else await this.client.submitTransaction(ops);
      return true;
    } catch (e) {
      if (statusOf(e) !== 409) throw storeErrorFrom(e, "cannot append a record");
      // Either another writer took this seq, or the SDK retried our own successful write.
      const mine = await this.client
        .getEntity<{ doc: string }>(PARTITION, firstRow.rowKey)
        .catch(() => undefined);
      return mine?.doc === firstRow.doc;
    }
  }

  async rows(): Promise<RawRecordRow[]> {
    const out: RawRecordRow[] = [];
    try {
      for await (const e of this.client.listEntities<{ doc: string }>({
        queryOptions: { filter: CHAIN_ROWS, select: ["RowKey", "doc"] },
      })) {
        const at = chainRowOf(e.rowKey ?? "");
        if (at) out.push({ chain: at.chain, key: at.seq, doc: String(e.doc) });
      }
    } catch (e) {
      throw storeErrorFrom(e, "cannot list records");
    }
    return out.sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : a.key - b.key));
  }

  /**
   * Every chain's head without reading the chains: the first row after one chain's range is the newest
   * row of the next chain, so one small read per chain walks them all.
   */
  async heads(): Promise<ChainHeads> {
    const out: ChainHeads = {};
    try {
      const legacy = await this.first(LEGACY_ROWS);
      if (legacy) out[LEGACY_CHAIN] = headOf(legacy, LEGACY_CHAIN);
      let from = "c~";
      for (;;) {
        const e = await this.first(
          odata`PartitionKey eq ${PARTITION} and RowKey gt ${from} and RowKey lt ${"c~~"}`,
        );
        const at = e && chainRowOf(e.rowKey ?? "");
        if (!e || !at) break;
        out[at.chain] = headOf(e, at.chain);
        from = `c~${at.chain}~~`;
      }
    } catch (e) {
      throw storeErrorFrom(e, "cannot read the records' heads");
    }
    return out;
  }

  async outcomeRows(taskIds: readonly string[]): Promise<RawRecordRow[]> {
    const ids = taskIds.filter((id) => INDEXABLE_TASK_ID.test(id));
    const out: RawRecordRow[] = [];
    const collect = async (filter: string, keep?: Set<string>) => {
      for await (const e of this.client.listEntities<{ doc: string; seq: number; chain?: string }>({
        queryOptions: { filter, select: ["RowKey", "doc", "seq", "chain"] },
      })) {
        const taskId = /^t~([^~]+)~/.exec(e.rowKey ?? "")?.[1];
        if (keep && (!taskId || !keep.has(taskId))) continue;
        out.push({
          chain: typeof e.chain === "string" ? e.chain : LEGACY_CHAIN,
          key: Number(e.seq),
          doc: String(e.doc),
        });
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
