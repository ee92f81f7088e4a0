// The two task-store backends as the contract suite sees them: how to open a fresh store, and raw row
// access (to plant rows a pipeline never signed, and to scan everything stored).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TableClient } from "@azure/data-tables";
import Database from "better-sqlite3";
import type { Task } from "../../core/tasks/model.js";
import { type OpenTaskStoreOptions, openTaskStore } from "../../core/tasks/openTaskStore.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { eligibleAt } from "../../core/tasks/transitions.js";
import { type AzuriteTable, startAzuriteTable } from "../support/azurite.js";

/** A fresh, empty store: its location string plus the options that tell it apart. */
export interface StoreRef {
  location: string;
  opts: OpenTaskStoreOptions;
}

export interface BackendFixture {
  fresh(): StoreRef;
  open(ref: StoreRef, extra?: OpenTaskStoreOptions): Promise<TaskStore>;
  /** Writes a task row directly, as an attacker with write access to the store would. */
  putRaw(ref: StoreRef, task: Task): Promise<void>;
  /** Every stored row (tasks and records), serialised, for secret scans. */
  dumpAll(ref: StoreRef): Promise<string>;
  stop(): Promise<void>;
}

export interface Backend {
  name: "sqlite" | "azure-table";
  start(): Promise<BackendFixture>;
}

let counter = 0;

export const sqliteBackend: Backend = {
  name: "sqlite",
  async start() {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-tasks-"));
    return {
      fresh: () => ({ location: `sqlite:${join(dir, `store-${++counter}.db`)}`, opts: {} }),
      open: (ref, extra) => openTaskStore(ref.location, { ...ref.opts, ...extra }),
      async putRaw(ref, t) {
        const db = new Database(ref.location.slice("sqlite:".length), { timeout: 10_000 });
        db.prepare(
          `INSERT OR REPLACE INTO tasks (id, assignment_id, generation, kind, state, person_object_id,
             user_principal_name, eligible_at, created_at, updated_at, doc) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
        ).run(
          t.id,
          t.assignmentId,
          t.generation,
          t.kind,
          t.state,
          t.person.objectId,
          t.person.userPrincipalName,
          eligibleAt(t),
          t.createdAt,
          t.updatedAt,
          JSON.stringify(t),
        );
        db.close();
      },
      async dumpAll(ref) {
        const db = new Database(ref.location.slice("sqlite:".length), { readonly: true });
        const tables = db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
          .pluck()
          .all() as string[];
        const out = tables.map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}"`).all())).join("\n");
        db.close();
        return out;
      },
      async stop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const azureBackend: Backend = {
  name: "azure-table",
  async start() {
    const azurite: AzuriteTable = await startAzuriteTable();
    const location = `azure-table:${azurite.connectionString}`;
    const prefixOf = (ref: StoreRef) => ref.opts.azure?.tablePrefix ?? "keyfleet";
    const client = (table: string) =>
      TableClient.fromConnectionString(azurite.connectionString, table, { allowInsecureConnection: true });
    return {
      // Each store is its own pair of tables, told apart by the table prefix.
      fresh: () => ({ location, opts: { azure: { tablePrefix: `kf${++counter}x` } } }),
      open: (ref, extra) =>
        openTaskStore(ref.location, { ...ref.opts, ...extra, azure: { ...ref.opts.azure, ...extra?.azure } }),
      async putRaw(ref, t) {
        await client(`${prefixOf(ref)}tasks`).upsertEntity(
          {
            partitionKey: "task",
            rowKey: t.id,
            doc: JSON.stringify(t),
            state: t.state,
            kind: t.kind,
            eligibleAt: eligibleAt(t),
            assignmentId: t.assignmentId,
            generation: t.generation,
            personObjectId: t.person.objectId,
            userPrincipalName: t.person.userPrincipalName.toLowerCase(),
            createdAt: t.createdAt,
          },
          "Replace",
        );
      },
      async dumpAll(ref) {
        const rows: unknown[] = [];
        for (const table of [`${prefixOf(ref)}tasks`, `${prefixOf(ref)}records`]) {
          try {
            for await (const e of client(table).listEntities()) rows.push(e);
          } catch (e) {
            if ((e as { statusCode?: number }).statusCode !== 404) throw e;
          }
        }
        return JSON.stringify(rows);
      },
      stop: () => azurite.stop(),
    };
  },
};

export const backends: Backend[] = [sqliteBackend, azureBackend];
