// Direct access to stored record rows, as someone with write access to the store (not through the
// RecordStore) would tamper with them: a writer's chain named by its key id, or LEGACY_CHAIN for the
// single shared chain older stores hold (which is also how tests plant such an older store).
import { TableClient } from "@azure/data-tables";
import Database from "better-sqlite3";
import { rowKeyOf } from "../../core/records/azureRecordStore.js";
import { LEGACY_CHAIN } from "../../core/records/model.js";
import { resolveStoreLocation } from "../../core/tasks/openTaskStore.js";
import type { StoreRef } from "../tasks/backends.js";

export interface RawRecords {
  get(chain: string, seq: number): Promise<string>;
  put(chain: string, seq: number, doc: string): Promise<void>;
  remove(chain: string, seq: number): Promise<void>;
  /** Every row of the chain gone (its index copies stay, as a careless tamperer would leave them). */
  removeChain(chain: string): Promise<void>;
  /** Writes a legacy-chain row with its index copy, as builds before per-writer chains stored it. */
  putLegacy(seq: number, doc: string, indexTaskId?: string): Promise<void>;
}

const LEGACY_SCHEMA = `CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, action TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS records_task ON records
  (CASE WHEN json_valid(doc) THEN json_extract(doc, '$.subject.taskId') END);`;

export function rawRecords(ref: StoreRef): RawRecords {
  const loc = resolveStoreLocation(ref.location);
  if (loc.kind === "sqlite") {
    const withDb = <T>(fn: (db: Database.Database) => T): T => {
      const db = new Database(loc.path, { timeout: 10_000 });
      try {
        return fn(db);
      } finally {
        db.close();
      }
    };
    const legacy = (chain: string) => chain === LEGACY_CHAIN;
    return {
      get: async (chain, seq) =>
        withDb(
          (db) =>
            (legacy(chain)
              ? db.prepare("SELECT doc FROM records WHERE seq = ?").pluck().get(seq)
              : db
                  .prepare("SELECT doc FROM chain_records WHERE chain = ? AND seq = ?")
                  .pluck()
                  .get(chain, seq)) as string,
        ),
      put: async (chain, seq, doc) =>
        withDb((db) => {
          if (legacy(chain))
            db.prepare("INSERT OR REPLACE INTO records (seq, at, action, doc) VALUES (?, '', '', ?)").run(
              seq,
              doc,
            );
          else
            db.prepare(
              "INSERT OR REPLACE INTO chain_records (chain, seq, at, action, doc) VALUES (?, ?, '', '', ?)",
            ).run(chain, seq, doc);
        }),
      remove: async (chain, seq) =>
        withDb((db) => {
          if (legacy(chain)) db.prepare("DELETE FROM records WHERE seq = ?").run(seq);
          else db.prepare("DELETE FROM chain_records WHERE chain = ? AND seq = ?").run(chain, seq);
        }),
      removeChain: async (chain) =>
        withDb((db) => {
          if (legacy(chain)) db.prepare("DELETE FROM records").run();
          else db.prepare("DELETE FROM chain_records WHERE chain = ?").run(chain);
        }),
      putLegacy: async (seq, doc) =>
        withDb((db) => {
          db.exec(LEGACY_SCHEMA);
          const r = JSON.parse(doc) as { at: string; action: string };
          db.prepare("INSERT INTO records (seq, at, action, doc) VALUES (?, ?, ?, ?)").run(
            seq,
            r.at,
            r.action,
            doc,
          );
        }),
    };
  }
  if (!("connectionString" in loc)) throw new Error("tests tamper through a connection string");
  const client = TableClient.fromConnectionString(
    loc.connectionString,
    `${ref.opts.azure?.tablePrefix ?? "keyfleet"}records`,
    { allowInsecureConnection: true },
  );
  const rowKey = (chain: string, seq: number) =>
    chain === LEGACY_CHAIN ? rowKeyOf(seq) : `c~${chain}~${rowKeyOf(seq)}`;
  return {
    get: async (chain, seq) => (await client.getEntity<{ doc: string }>("record", rowKey(chain, seq))).doc,
    put: async (chain, seq, doc) => {
      await client.upsertEntity({ partitionKey: "record", rowKey: rowKey(chain, seq), doc }, "Replace");
    },
    remove: async (chain, seq) => {
      await client.deleteEntity("record", rowKey(chain, seq));
    },
    removeChain: async (chain) => {
      const prefix = chain === LEGACY_CHAIN ? "" : `c~${chain}~`;
      const filter =
        chain === LEGACY_CHAIN
          ? "PartitionKey eq 'record' and RowKey le '9999999999999'"
          : `PartitionKey eq 'record' and RowKey gt '${prefix}' and RowKey lt '${prefix}~'`;
      for await (const e of client.listEntities({ queryOptions: { filter, select: ["RowKey"] } }))
        await client.deleteEntity("record", e.rowKey as string);
    },
    putLegacy: async (seq, doc, indexTaskId) => {
      await client.createTable().catch(() => undefined);
      const r = JSON.parse(doc) as { at: string; action: string };
      const row = { partitionKey: "record", rowKey: rowKeyOf(seq), at: r.at, action: r.action, doc };
      await client.createEntity(row);
      if (indexTaskId)
        await client.createEntity({ ...row, rowKey: `t~${indexTaskId}~${rowKeyOf(seq)}`, seq });
    },
  };
}
