// The SQLite backend of the RecordStore, in the same file as the tasks: `chain_records` holds one chain per
// writer key, keyed (chain, seq); `records` is the legacy chain of stores written before, read as it is.

import {
  openSqliteDatabase,
  requireTable,
  type SqliteDatabase,
  type SqliteOpenMode,
} from "../tasks/sqliteDatabase.js";
import { GroupCommit } from "../tasks/sqliteGroupCommit.js";
import { type AuditRecord, LEGACY_CHAIN } from "./model.js";
import {
  ChainedRecordStore,
  parseRecordDoc,
  type RawRecordRow,
  type RecordRows,
  type RecordStore,
  type RecordStoreOptions,
} from "./recordStore.js";
import type { ChainHead, ChainHeads } from "./recordsHead.js";

// The task index is an expression over the signed doc itself, not a column beside it: a column could be
// edited to hide a cancellation from a station's lookup without breaking the chain; SQLite keeps an
// expression index true to the doc. json_valid guards rows that are not JSON (tampered; verify names them).
const TASK_ID_EXPR = "(CASE WHEN json_valid(doc) THEN json_extract(doc, '$.subject.taskId') END)";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  action TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_task ON records ${TASK_ID_EXPR};
CREATE TABLE IF NOT EXISTS chain_records (
  chain TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at TEXT NOT NULL,
  action TEXT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (chain, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS chain_records_task ON chain_records ${TASK_ID_EXPR};`;

export function openSqliteRecordStore(
  path: string,
  opts: RecordStoreOptions & Pick<SqliteOpenMode, "readOnly" | "mustExist"> = {},
): RecordStore {
  const mode: SqliteOpenMode = {};
  if (opts.readOnly) mode.readOnly = true;
  if (opts.mustExist) mode.mustExist = true;
  const db = openSqliteDatabase(path, mode);
  if (opts.readOnly || opts.mustExist) requireTable(db, "records", path);
  if (!opts.readOnly) db.transaction(() => db.exec(SCHEMA)).immediate();
  return new ChainedRecordStore(`sqlite:${path}`, new SqliteRecordRows(db, path), opts);
}

function headOf(row: { seq: number; doc: string } | undefined, chain: string): ChainHead | undefined {
  if (!row) return undefined;
  const rec = parseRecordDoc(row.doc);
  if (!rec)
    throw new Error(
      `record ${row.seq} of chain ${chain}, the chain's head, is malformed (run 'keyfleet records verify')`,
    );
  return { seq: row.seq, hash: rec.hash };
}

class SqliteRecordRows implements RecordRows {
  /** Whether the per-writer table is there: a store only ever opened read-only by older builds lacks it. */
  private readonly chains: boolean;
  private readonly headStmt;
  private readonly insertStmt;
  private readonly writes: GroupCommit;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly path: string,
  ) {
    this.writes = new GroupCommit(db);
    this.chains =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain_records'").get() !==
      undefined;
    this.headStmt = this.chains
      ? db.prepare("SELECT seq, doc FROM chain_records WHERE chain = ? ORDER BY seq DESC LIMIT 1")
      : undefined;
    this.insertStmt = this.chains
      ? db.prepare("INSERT INTO chain_records (chain, seq, at, action, doc) VALUES (?, ?, ?, ?, ?)")
      : undefined;
  }

  private readHead(chain: string): ChainHead | undefined {
    if (chain === LEGACY_CHAIN) {
      const row = this.db.prepare("SELECT seq, doc FROM records ORDER BY seq DESC LIMIT 1").get() as
        | { seq: number; doc: string }
        | undefined;
      return headOf(row, chain);
    }
    return headOf(this.headStmt?.get(chain) as { seq: number; doc: string } | undefined, chain);
  }

  async chainHead(chain: string): Promise<ChainHead | undefined> {
    return this.readHead(chain);
  }

  async insert(chain: string, after: ChainHead, records: readonly AuditRecord[]): Promise<boolean> {
    const insert = this.insertStmt;
    if (!insert) throw new Error(`${this.path} was opened read-only: records cannot be appended`);
    return this.writes.write(() => {
      const now = this.readHead(chain);
      if ((now?.seq ?? 0) !== after.seq || (now && now.hash !== after.hash)) return false;
      for (const r of records) insert.run(chain, r.seq, r.at, r.action, JSON.stringify(r));
      return true;
    });
  }

  async rows(): Promise<RawRecordRow[]> {
    const legacy = this.db.prepare("SELECT seq AS key, doc FROM records ORDER BY seq").all() as {
      key: number;
      doc: string;
    }[];
    const out: RawRecordRow[] = legacy.map((r) => ({ chain: LEGACY_CHAIN, key: r.key, doc: r.doc }));
    if (this.chains) {
      out.push(
        ...(this.db
          .prepare("SELECT chain, seq AS key, doc FROM chain_records ORDER BY chain, seq")
          .all() as RawRecordRow[]),
      );
    }
    return out;
  }

  async heads(): Promise<ChainHeads> {
    const out: ChainHeads = {};
    const legacy = this.readHead(LEGACY_CHAIN);
    if (legacy) out[LEGACY_CHAIN] = legacy;
    if (!this.chains) return out;
    const last = this.db
      .prepare(
        "SELECT c.chain AS chain, c.seq AS seq, c.doc AS doc FROM chain_records c JOIN (SELECT chain, MAX(seq) AS seq FROM chain_records GROUP BY chain) m ON c.chain = m.chain AND c.seq = m.seq",
      )
      .all() as { chain: string; seq: number; doc: string }[];
    for (const row of last) out[row.chain] = headOf(row, row.chain) as ChainHead;
    return out;
  }

  async outcomeRows(taskIds: readonly string[]): Promise<RawRecordRow[]> {
    const out: RawRecordRow[] = [];
    for (let i = 0; i < taskIds.length; i += 500) {
      const chunk = taskIds.slice(i, i + 500);
      const marks = chunk.map(() => "?").join(", ");
      const legacy = this.db
        .prepare(`SELECT seq AS key, doc FROM records WHERE ${TASK_ID_EXPR} IN (${marks})`)
        .all(...chunk) as { key: number; doc: string }[];
      out.push(...legacy.map((r) => ({ chain: LEGACY_CHAIN, key: r.key, doc: r.doc })));
      if (this.chains) {
        out.push(
          ...(this.db
            .prepare(`SELECT chain, seq AS key, doc FROM chain_records WHERE ${TASK_ID_EXPR} IN (${marks})`)
            .all(...chunk) as RawRecordRow[]),
        );
      }
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
