// Opening the embedded SQLite file shared by the task store and the records: WAL so readers never block
// the writer, a busy handler (`timeout`) so concurrent writers queue instead of failing, and FULL sync
// by default: a claim that survived only in memory could be lost to a power cut and handed out twice.
// KEYFLEET_SQLITE_SYNC=NORMAL trades that for ~8x faster commits (an fsync per commit dominates).
//
// Trust boundary: whoever can write this file can write tasks. Keep it (and its -wal/-shm files) mode
// 0600 owned by the account that runs the pipeline and the station on one machine; stations elsewhere
// use the Azure Table backend with a SAS that cannot insert.
import { mkdirSync, readFileSync, statSync } from "node:fs";
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
      throw new TaskStoreError(
        "bad-config",
        `no store at ${path} (check --store or KEYFLEET_TASK_STORE; before the pipeline's first run, keyfleet plan --first-run)`,
      );
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
      try {
        db.pragma("schema_version");
      } catch (e) {
        db.close();
        db = readOnlySnapshot(path, e);
      }
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

/**
 * A WAL database can only be read in place by a process that may create its `-shm` file (SQLite's
 * shared index); a reader without write access to the folder gets "attempt to write a readonly
 * database". When no writer is active (no `-wal` file, or an empty one) the main file is the whole
 * database, so reading a copy of it into memory gives exactly what is stored. With a live `-wal`
 * beside it, the copy would miss recent commits: then the error stands, saying why.
 */
function readOnlySnapshot(path: string, cause: unknown): SqliteDatabase {
  let walBytes = 0;
  try {
    walBytes = statSync(`${path}-wal`).size;
  } catch {
    walBytes = 0;
  }
  if (walBytes > 0 || !/readonly|unable to open/i.test((cause as Error).message)) throw cause;
  const bytes = readFileSync(path);
  // Header bytes 18–19 say "WAL" (2); an in-memory copy has no -wal beside it, so it reads as rollback (1).
  if (bytes.length >= 100 && bytes[18] === 2 && bytes[19] === 2) bytes[18] = bytes[19] = 1;
  const db = new Database(bytes, { readonly: true });
  db.pragma("schema_version");
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
