// Opening the embedded SQLite file shared by the task store and the records: WAL so readers never block
// the writer, a busy handler (`timeout`) so concurrent writers queue instead of failing, and FULL sync
// by default: a claim that survived only in memory could be lost to a power cut and handed out twice.
// KEYFLEET_SQLITE_SYNC=NORMAL trades that for ~8x faster commits (an fsync per commit dominates).
//
// Trust boundary: whoever can write this file can write tasks. Keep it (and its -wal/-shm files) mode
// 0600 owned by the account that runs the pipeline and the station on one machine; stations elsewhere
// use the Azure Table backend with a SAS that cannot insert.
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { TaskStoreError } from "./errors.js";

export type SqliteDatabase = Database.Database;

export type SqliteSync = "FULL" | "NORMAL";

export interface SqliteOpenMode {
  busyTimeoutMs?: number;
  sync?: SqliteSync;
  /** Open without write access (no folder or file created, no pragma written): for read-only commands. */
  readOnly?: boolean;
  /** Refuse a missing or 0-byte file instead of creating a store (implied by readOnly). */
  mustExist?: boolean;
}

export function openSqliteDatabase(path: string, opts: SqliteOpenMode = {}): SqliteDatabase {
  const sync =
    opts.sync ?? (process.env.KEYFLEET_SQLITE_SYNC?.toUpperCase() === "NORMAL" ? "NORMAL" : "FULL");
  const mustExist = opts.mustExist === true || opts.readOnly === true;
  if (path === ":memory:") {
    if (mustExist) throw new TaskStoreError("bad-config", "an in-memory SQLite store cannot already exist");
  } else if (mustExist) {
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      throw new TaskStoreError("bad-config", `no store at ${path} (check --store or KEYFLEET_TASK_STORE)`);
    }
    // SQLite reads a 0-byte file as an empty database: that is a truncated or mistaken file, not a store.
    if (size === 0) throw new TaskStoreError("bad-config", `the store at ${path} is an empty (0-byte) file`);
  } else {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  let db: SqliteDatabase;
  try {
    db = new Database(path, {
      timeout: opts.busyTimeoutMs ?? 10_000,
      readonly: opts.readOnly === true,
      fileMustExist: mustExist,
    });
    if (!opts.readOnly) {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${sync}`);
    } else {
      // Touch the file so "not a database" shows here, as a store error, not at the first query.
      db.pragma("schema_version");
    }
  } catch (e) {
    throw new TaskStoreError(
      "bad-config",
      `cannot open the SQLite store at ${path}: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  return db;
}

/** Refuses a database that lacks the table a store needs (a read never creates it). */
export function requireTable(db: SqliteDatabase, table: string, path: string): void {
  const found = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  if (found === undefined) {
    db.close();
    throw new TaskStoreError("bad-config", `${path} is not a Keyfleet store (it has no ${table} table)`);
  }
}
