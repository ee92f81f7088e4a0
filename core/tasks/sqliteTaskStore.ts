// The SQLite backend of the TaskStore. Every read-modify-write runs in BEGIN IMMEDIATE, so the busy
// handler serialises writers across processes (DEFERRED upgrades fail with SQLITE_BUSY despite it), and
// writes made at once share one commit (sqliteGroupCommit.ts).
import { chmodSync } from "node:fs";
import type Database from "better-sqlite3";
import { TaskStoreError } from "./errors.js";
import type { Task, TaskQuery } from "./model.js";
import {
  openSqliteDatabase,
  requireTable,
  type SqliteDatabase,
  type SqliteOpenMode,
} from "./sqliteDatabase.js";
import { GroupCommit } from "./sqliteGroupCommit.js";
import type { TaskStore, TaskStoreOptions } from "./store.js";
import { claimableTask, type ListOptions, listedTask, taskFromRow } from "./taskDoc.js";
import { EngineTaskStore, type TaskRows } from "./taskStoreEngine.js";
import { eligibleAt } from "./transitions.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  assignment_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  person_object_id TEXT NOT NULL,
  user_principal_name TEXT NOT NULL,
  eligible_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  doc TEXT NOT NULL,
  UNIQUE (assignment_id, generation)
);
CREATE INDEX IF NOT EXISTS tasks_eligible ON tasks (eligible_at);
CREATE INDEX IF NOT EXISTS tasks_state ON tasks (state, created_at);
CREATE INDEX IF NOT EXISTS tasks_person ON tasks (person_object_id);
`;

export function openSqliteTaskStore(
  path: string,
  opts: TaskStoreOptions & Pick<SqliteOpenMode, "readOnly" | "mustExist"> = {},
): TaskStore {
  const mode: SqliteOpenMode = {};
  if (opts.readOnly) mode.readOnly = true;
  if (opts.mustExist) mode.mustExist = true;
  const db = openSqliteDatabase(path, mode);
  if (opts.readOnly || opts.mustExist) requireTable(db, "tasks", path);
  if (!opts.readOnly) {
    db.transaction(() => db.exec(SCHEMA)).immediate();
    if (path !== ":memory:") chmodSync(path, 0o600);
  }
  return new EngineTaskStore("sqlite", `sqlite:${path}`, new SqliteTaskRows(db), opts);
}

class SqliteTaskRows implements TaskRows {
  private readonly stmts;
  private readonly writes: GroupCommit;
  /** Queries by their SQL: a query's shape repeats (one per filter combination), preparing it costs. */
  private readonly queries = new Map<string, Database.Statement>();

  constructor(private readonly db: SqliteDatabase) {
    this.writes = new GroupCommit(db);
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO tasks (id, assignment_id, generation, kind, state, person_object_id, user_principal_name,
           eligible_at, created_at, updated_at, doc)
         VALUES (@id, @assignmentId, @generation, @kind, @state, @personObjectId, @upn, @eligibleAt, @createdAt,
           @updatedAt, @doc)
         ON CONFLICT DO NOTHING`,
      ),
      get: db.prepare("SELECT doc FROM tasks WHERE id = ?").pluck(),
      update: db.prepare(
        "UPDATE tasks SET state = @state, eligible_at = @eligibleAt, updated_at = @updatedAt, doc = @doc WHERE id = @id",
      ),
      candidates: db
        .prepare("SELECT doc FROM tasks WHERE eligible_at <= ? ORDER BY eligible_at, id LIMIT 64 OFFSET ?")
        .pluck(),
      done: db
        .prepare(
          "SELECT 1 FROM tasks WHERE assignment_id = ? AND generation >= ? AND kind = 'provision' AND state = 'done' LIMIT 1",
        )
        .pluck(),
      expired: db
        .prepare("SELECT doc FROM tasks WHERE state IN ('claimed', 'registering') AND eligible_at <= ?")
        .pluck(),
    };
  }

  private row(t: Task) {
    return {
      id: t.id,
      assignmentId: t.assignmentId,
      generation: t.generation,
      kind: t.kind,
      state: t.state,
      personObjectId: t.person.objectId,
      upn: t.person.userPrincipalName,
      eligibleAt: eligibleAt(t),
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
      doc: JSON.stringify(t),
    };
  }

  async insert(task: Task): Promise<{ task: Task; created: boolean }> {
    return this.writes.write(() => {
      const info = this.stmts.insert.run(this.row(task));
      if (info.changes === 1) return { task, created: true };
      const existing = this.stmts.get.get(task.id) as string | undefined;
      if (existing === undefined) {
        throw new TaskStoreError(
          "bad-input",
          `task ${task.id} collides with another (assignment, generation)`,
        );
      }
      return { task: taskFromRow(task.id, existing), created: false };
    });
  }

  async get(id: string): Promise<Task | undefined> {
    const doc = this.stmts.get.get(id) as string | undefined;
    return doc === undefined ? undefined : taskFromRow(id, doc);
  }

  async query(q: TaskQuery, opts?: ListOptions): Promise<Task[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, ...values: (string | number)[]) => {
      where.push(clause);
      args.push(...values);
    };
    if (q.state !== undefined) {
      const states = typeof q.state === "string" ? [q.state] : [...q.state];
      if (states.length === 0) return [];
      add(`state IN (${states.map(() => "?").join(", ")})`, ...states);
    }
    if (q.kind) add("kind = ?", q.kind);
    if (q.personObjectId) add("person_object_id = ?", q.personObjectId);
    if (q.userPrincipalName) add("user_principal_name = ? COLLATE NOCASE", q.userPrincipalName);
    if (q.assignmentId) add("assignment_id = ?", q.assignmentId);
    if (q.createdBefore) add("created_at < ?", q.createdBefore.toISOString());
    if (q.createdAfter) add("created_at >= ?", q.createdAfter.toISOString());
    let sql = "SELECT id, doc FROM tasks";
    if (where.length > 0) sql += ` WHERE ${where.join(" AND ")}`;
    sql += " ORDER BY created_at, id";
    if (q.limit !== undefined) sql += ` LIMIT ${Math.max(0, Math.floor(q.limit))}`;
    let stmt = this.queries.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.queries.set(sql, stmt);
    }
    const rows = stmt.all(...args) as { id: string; doc: string }[];
    return rows.flatMap((r) => listedTask(r.id, r.doc, opts) ?? []);
  }

  async mutate(id: string, fn: (t: Task) => Task): Promise<Task> {
    return this.writes.write(() => {
      const doc = this.stmts.get.get(id) as string | undefined;
      if (doc === undefined) throw new TaskStoreError("not-found", `no task ${id}`);
      const before = taskFromRow(id, doc);
      const after = fn(before);
      if (after !== before) this.stmts.update.run(this.row(after));
      return after;
    });
  }

  async claimOne(
    now: Date,
    accept: (t: Task, gateOpen: boolean) => Task | undefined,
  ): Promise<Task | undefined> {
    const nowIso = now.toISOString();
    return this.writes.write(() => {
      for (let offset = 0; ; offset += 64) {
        const docs = this.stmts.candidates.all(nowIso, offset) as string[];
        for (const doc of docs) {
          const t = claimableTask(doc);
          if (!t) continue;
          const gateOpen =
            t.revoke !== undefined &&
            this.stmts.done.get(t.revoke.afterAssignmentId, t.revoke.afterGeneration) !== undefined;
          const claimed = accept(t, gateOpen);
          if (claimed) {
            this.stmts.update.run(this.row(claimed));
            return claimed;
          }
        }
        if (docs.length < 64) return undefined;
      }
    });
  }

  async expired(now: Date): Promise<Task[]> {
    return (this.stmts.expired.all(now.toISOString()) as string[]).flatMap((d) => claimableTask(d) ?? []);
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
