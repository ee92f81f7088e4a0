// Group commit for the SQLite stores: write transactions asked for in the same turn of the event loop run
// as one SQLite transaction, so they share one commit and its fsync. Under FULL sync a commit costs an
// fsync (sqliteDatabase.ts), and a process doing many writes at once (the provider host creating thousands
// of assignments, a station serving eight keys) otherwise spends most of its time blocked in them. Each
// write still stands alone: it runs in its own savepoint, so one that throws is rolled back and rejected
// while the others commit, and no write's promise settles before the commit that holds it.
import type { SqliteDatabase } from "./sqliteDatabase.js";

interface Queued {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private queue: Queued[] = [];

  constructor(private readonly db: SqliteDatabase) {}

  /** Runs `fn` inside a write transaction (BEGIN IMMEDIATE) shared with the writes queued beside it. */
  write<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: fn, resolve: resolve as (value: unknown) => void, reject });
      // setImmediate runs after the I/O callbacks of this turn: writes they make join the group.
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.db
        .transaction(() => {
          for (const q of batch) {
            try {
              // A transaction inside a transaction is a savepoint in better-sqlite3.
              outcomes.push({ ok: true, value: this.db.transaction(q.run)() });
            } catch (e) {
              outcomes.push({ ok: false, value: e });
            }
          }
        })
        .immediate();
    } catch (e) {
      // BEGIN or COMMIT failed (busy past the timeout, disk full): nothing of the group was stored.
      for (const q of batch) q.reject(e);
      return;
    }
    batch.forEach((q, i) => {
      const o = outcomes[i] as { ok: boolean; value: unknown };
      if (o.ok) q.resolve(o.value);
      else q.reject(o.value);
    });
  }
}
