// Group commit (core/tasks/sqliteGroupCommit.ts) on a real SQLite file, read back through a second
// connection as another process would: writes asked for at once share one transaction, each settles only
// once committed, one that throws is rolled back alone, and a group that cannot begin stores nothing.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteDatabase, type SqliteDatabase } from "../../core/tasks/sqliteDatabase.js";
import { GroupCommit } from "../../core/tasks/sqliteGroupCommit.js";

let dir: string;
let db: SqliteDatabase;
let other: SqliteDatabase;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-group-"));
  db = openSqliteDatabase(join(dir, "store.db"), { busyTimeoutMs: 50 });
  db.exec("CREATE TABLE t (k TEXT PRIMARY KEY)");
  other = new Database(join(dir, "store.db"), { timeout: 50 });
});

afterEach(() => {
  db.close();
  other.close();
  rmSync(dir, { recursive: true, force: true });
});

const seen = () => (other.prepare("SELECT k FROM t ORDER BY k").pluck().all() as string[]).join(",");
const insert = (k: string) => () => db.prepare("INSERT INTO t (k) VALUES (?)").run(k).changes;

describe("group commit", () => {
  it("should run writes asked for at once in one transaction, settling each only after the commit", async () => {
    const group = new GroupCommit(db);
    const midway: string[] = [];
    const writes = [
      group.write(insert("a")),
      group.write(() => {
        // Another connection does not see the first write yet: it is in this same, uncommitted transaction.
        midway.push(seen());
        return insert("b")();
      }),
      group.write(insert("c")),
    ];
    expect(seen()).toBe("");
    expect(await Promise.all(writes)).toEqual([1, 1, 1]);
    expect(midway).toEqual([""]);
    expect(seen()).toBe("a,b,c");
  });

  it("should roll back and reject only the write that throws", async () => {
    const group = new GroupCommit(db);
    const results = await Promise.allSettled([
      group.write(insert("a")),
      group.write(() => {
        insert("b")();
        insert("a")(); // the primary key refuses a second "a": this write's "b" goes with it
      }),
      group.write(insert("c")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(seen()).toBe("a,c");
  });

  it("should reject every write of a group that cannot begin, storing none of them", async () => {
    other.exec("BEGIN IMMEDIATE");
    const group = new GroupCommit(db);
    const results = await Promise.allSettled([group.write(insert("a")), group.write(insert("b"))]);
    other.exec("ROLLBACK");
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/busy|locked/i);
    expect(seen()).toBe("");
    // The next group, once the other writer is gone, goes through.
    await group.write(insert("d"));
    expect(seen()).toBe("d");
  });

  it("should start a new group for a write asked for from inside a running one", async () => {
    const group = new GroupCommit(db);
    let inner: Promise<number> | undefined;
    await group.write(() => {
      inner = group.write(insert("later"));
      return insert("first")();
    });
    expect(seen()).toBe("first");
    expect(await inner).toBe(1);
    expect(seen()).toBe("first,later");
  });
});
