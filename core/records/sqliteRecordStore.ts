// The SQLite backend of the RecordStore: one table in the same file as the tasks.
import {
  openSqliteDatabase,
  requireTable,
  type SqliteDatabase,
  type SqliteOpenMode,
} from "../tasks/sqliteDatabase.js";
import type { AuditRecord } from "./model.js";
import {
  ChainedRecordStore,
  EMPTY_HEAD,
  parseRecordDoc,
  type RecordRows,
  type RecordStore,
  type RecordStoreOptions,
} from "./recordStore.js";

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
CREATE INDEX IF NOT EXISTS records_task ON records ${TASK_ID_EXPR};`;

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
  return new ChainedRecordStore(`sqlite:${path}`, new SqliteRecordRows(db), opts);
}

class SqliteRecordRows implements RecordRows {
  private readonly headStmt;
  private readonly insertStmt;
  constructor(private readonly db: SqliteDatabase) {
    this.headStmt = db.prepare("SELECT seq, doc FROM records ORDER BY seq DESC LIMIT 1");
    this.insertStmt = db.prepare("INSERT INTO records (seq, at, action, doc) VALUES (?, ?, ?, ?)");
  }

  private readHead(): { seq: number; hash: string } | undefined {
    const row = this.headStmt.get() as { seq: number; doc: string } | undefined;
    if (!row) return undefined;
    const rec = parseRecordDoc(row.doc);
    if (!rec)
      throw new Error(`record ${row.seq}, the chain's head, is malformed (run 'keyfleet records verify')`);
    return { seq: row.seq, hash: rec.hash };
  }

  async append(build: (head: { seq: number; hash: string }) => AuditRecord): Promise<AuditRecord> {
    return this.db
      .transaction(() => {
        const rec = build(this.readHead() ?? EMPTY_HEAD);
        this.insertStmt.run(rec.seq, rec.at, rec.action, JSON.stringify(rec));
        return rec;
      })
      .immediate();
  }

  async rows() {
    return this.db.prepare("SELECT seq AS key, doc FROM records ORDER BY seq").all() as {
      key: number;
      doc: string;
    }[];
  }

  async head() {
    return this.readHead();
  }

  async outcomeRows(taskIds: readonly string[]) {
    const out: { key: number; doc: string }[] = [];
    for (let i = 0; i < taskIds.length; i += 500) {
      const chunk = taskIds.slice(i, i + 500);
      const sql = `SELECT seq AS key, doc FROM records WHERE ${TASK_ID_EXPR} IN (${chunk.map(() => "?").join(", ")})`;
      out.push(...(this.db.prepare(sql).all(...chunk) as { key: number; doc: string }[]));
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
