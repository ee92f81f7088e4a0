// Direct access to stored record rows, as someone with write access to the store (not through the
// RecordStore) would tamper with them.
import { TableClient } from "@azure/data-tables";
import Database from "better-sqlite3";
import { rowKeyOf } from "../../core/records/azureRecordStore.js";
import { resolveStoreLocation } from "../../core/tasks/openTaskStore.js";
import type { StoreRef } from "../tasks/backends.js";

export interface RawRecords {
  get(seq: number): Promise<string>;
  put(seq: number, doc: string): Promise<void>;
  remove(seq: number): Promise<void>;
}

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
    return {
      get: async (seq) =>
        withDb((db) => db.prepare("SELECT doc FROM records WHERE seq = ?").pluck().get(seq) as string),
      put: async (seq, doc) =>
        withDb((db) => {
          db.prepare("INSERT OR REPLACE INTO records (seq, at, action, doc) VALUES (?, '', '', ?)").run(
            seq,
            doc,
          );
        }),
      remove: async (seq) =>
        withDb((db) => {
          db.prepare("DELETE FROM records WHERE seq = ?").run(seq);
        }),
    };
  }
  if (!("connectionString" in loc)) throw new Error("tests tamper through a connection string");
  const client = TableClient.fromConnectionString(
    loc.connectionString,
    `${ref.opts.azure?.tablePrefix ?? "keyfleet"}records`,
    { allowInsecureConnection: true },
  );
  return {
    get: async (seq) => (await client.getEntity<{ doc: string }>("record", rowKeyOf(seq))).doc,
    put: async (seq, doc) => {
      await client.upsertEntity({ partitionKey: "record", rowKey: rowKeyOf(seq), doc }, "Replace");
    },
    remove: async (seq) => {
      await client.deleteEntity("record", rowKeyOf(seq));
    },
  };
}
