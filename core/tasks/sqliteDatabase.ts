// Opening the embedded SQLite file shared by the task store and the records: WAL so readers never block
// the writer, a busy handler (`timeout`) so concurrent writers queue instead of failing, and FULL sync
// by default: a claim that survived only in memory could be lost to a power cut and handed out twice.
// KEYFLEET_SQLITE_SYNC=NORMAL trades that for ~8x faster commits (an fsync per commit dominates).
//
// Trust boundary: whoever can write this file can write tasks. Keep it (and its -wal/-shm files) mode
// 0600 owned by the account that runs the pipeline and the station on one machine; stations elsewhere
// use the Azure Table backend with a SAS that cannot insert.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { TaskStoreError } from "./errors.js";

export type SqliteDatabase = Database.Database;

export type SqliteSync = "FULL" | "NORMAL";

export function openSqliteDatabase(
  path: string,
  opts: { busyTimeoutMs?: number; sync?: SqliteSync } = {},
): SqliteDatabase {
  const sync =
    opts.sync ?? (process.env.KEYFLEET_SQLITE_SYNC?.toUpperCase() === "NORMAL" ? "NORMAL" : "FULL");
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: SqliteDatabase;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 10_000 });
  } catch (e) {
    throw new TaskStoreError(
      "bad-config",
      `cannot open the SQLite store at ${path}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${sync}`);
  return db;
}
