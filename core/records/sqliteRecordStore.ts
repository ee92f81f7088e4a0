// The SQLite backend of the RecordStore: one table in the same file as the tasks.
import { openSqliteDatabase, type SqliteDatabase } from "../tasks/sqliteDatabase.js";
import type { AuditRecord } from "./model.js";
import {
  ChainedRecordStore,
  EMPTY_HEAD,
  type RecordRows,
  type RecordStore,
  type RecordStoreOptions,
} from "./recordStore.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  action TEXT NOT NULL,
  doc TEXT NOT NULL
);`;

export function openSqliteRecordStore(path: string, opts: RecordStoreOptions = {}): RecordStore {
  const db = openSqliteDatabase(path);
  db.transaction(() => db.exec(SCHEMA)).immediate();
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
    return { seq: row.seq, hash: (JSON.parse(row.doc) as AuditRecord).hash };
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

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
