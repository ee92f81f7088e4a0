// The Azure Table Storage backend of the TaskStore. Every write carries the etag it read (the SDK's
// default etag "*" would make it unconditional); a 412 means someone else wrote first, except after an
// internal retry of our own successful write — so on 412 we re-read and recognise our own write.
//
// Stations get a table SAS with read+update only (no add, no delete): they can claim and complete
// tasks but cannot create them. See {@link stationTaskSas}.
import { randomBytes, randomInt } from "node:crypto";
import { generateTableSas, type NamedKeyCredential, odata, type TableClient } from "@azure/data-tables";
import {
  type AzureLocation,
  describeLocation,
  requireTableExists,
  statusOf,
  storeErrorFrom,
  tableClient,
} from "./azureTableClient.js";
import { TaskStoreError } from "./errors.js";
import type { Task, TaskQuery } from "./model.js";
import type { OpenTaskStoreOptions } from "./openTaskStore.js";
import type { TaskStore } from "./store.js";
import { claimableTask, type ListOptions, listedTask, taskFromRow } from "./taskDoc.js";
import { EngineTaskStore, type TaskRows } from "./taskStoreEngine.js";
import { eligibleAt } from "./transitions.js";

const PARTITION = "task";
const MAX_CAS_ROUNDS = 50;

interface TaskEntity {
  partitionKey: string;
  rowKey: string;
  doc: string;
  state: string;
  kind: string;
  eligibleAt: string;
  assignmentId: string;
  generation: number;
  personObjectId: string;
  userPrincipalName: string;
  createdAt: string;
  etag?: string;
}

export async function openAzureTaskStore(
  loc: AzureLocation,
  opts: OpenTaskStoreOptions = {},
): Promise<TaskStore> {
  const azure = opts.azure ?? {};
  const table = `${azure.tablePrefix ?? "keyfleet"}tasks`;
  const client = tableClient(loc, table, azure, azure.sas);
  if (opts.readOnly || opts.mustExist) await requireTableExists(client, table);
  else if (!azure.sas) {
    try {
      await client.createTable();
    } catch (e) {
      throw storeErrorFrom(e, `cannot create table ${table}`);
    }
  }
  return new EngineTaskStore(
    "azure-table",
    describeLocation(loc, azure, azure.sas),
    new AzureTaskRows(client),
    opts,
  );
}

/** A SAS for a station: query and update on the tasks table, no add, no delete. */
export function stationTaskSas(
  credential: NamedKeyCredential,
  opts: { tablePrefix?: string; expiresOn: Date },
): string {
  return generateTableSas(`${opts.tablePrefix ?? "keyfleet"}tasks`, credential, {
    permissions: { query: true, update: true, add: false, delete: false },
    expiresOn: opts.expiresOn,
  });
}

function toEntity(t: Task): TaskEntity {
  return {
    partitionKey: PARTITION,
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
  };
}

function parse(e: { doc?: unknown; rowKey?: string }): Task {
  return taskFromRow(e.rowKey ?? "?", e.doc);
}

function shuffle<T>(xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/** How many tasks' last known (etag, doc) a store keeps, to write them again without reading first. */
const KNOWN_LIMIT = 256;
/** Candidates per listing: a few rows, so a claim moves little data (64 whole docs cost ~4x the time). */
const CLAIM_PAGE = 8;

class AzureTaskRows implements TaskRows {
  /** What this process last wrote or read of a task, for compare-and-swap without a read (see mutate). */
  private readonly known = new Map<string, { etag: string; task: Task }>();

  constructor(private readonly client: TableClient) {}

  private remember(id: string, etag: string | undefined, task: Task): void {
    this.known.delete(id);
    if (!etag) return;
    this.known.set(id, { etag, task });
    if (this.known.size > KNOWN_LIMIT) this.known.delete(this.known.keys().next().value as string);
  }

  private async read(id: string): Promise<TaskEntity | undefined> {
    try {
      return await this.client.getEntity<TaskEntity>(PARTITION, id);
    } catch (e) {
      if (statusOf(e) === 404) return undefined;
      throw storeErrorFrom(e, `cannot read task ${id}`);
    }
  }

  /**
   * Conditional replace; true when our write is the one stored (including after an ambiguous retry).
   * On success the new etag is remembered, so the same station's next change to the task (registering,
   * done) is one conditional write: if anyone changed it meanwhile the etag no longer matches (412).
   */
  private async replace(entity: TaskEntity, etag: string, task: Task): Promise<boolean> {
    const { etag: _e, ...body } = entity;
    try {
      const res = await this.client.updateEntity(body, "Replace", { etag });
      this.remember(entity.rowKey, res.etag, task);
      return true;
    } catch (e) {
      this.known.delete(entity.rowKey);
      if (statusOf(e) !== 412) throw storeErrorFrom(e, `cannot update task ${entity.rowKey}`);
      const now = await this.read(entity.rowKey);
      if (now?.doc !== entity.doc) return false;
      this.remember(entity.rowKey, now.etag, task);
      return true;
    }
  }

  async insert(task: Task): Promise<{ task: Task; created: boolean }> {
    try {
      await this.client.createEntity(toEntity(task));
      return { task, created: true };
    } catch (e) {
      if (statusOf(e) !== 409) throw storeErrorFrom(e, `cannot raise task ${task.id}`);
      const existing = await this.read(task.id);
      if (!existing) throw new TaskStoreError("invalid-state", `task ${task.id} exists yet cannot be read`);
      return { task: parse(existing), created: false };
    }
  }

  async get(id: string): Promise<Task | undefined> {
    const e = await this.read(id);
    return e ? parse(e) : undefined;
  }

  private async listWhere(filter: string, limit?: number, opts?: ListOptions): Promise<Task[]> {
    const out: Task[] = [];
    try {
      for await (const e of this.client.listEntities<TaskEntity>({
        queryOptions: { filter, select: ["RowKey", "doc"] },
      })) {
        const t = listedTask(e.rowKey ?? "?", e.doc, opts);
        if (t) out.push(t);
      }
    } catch (e) {
      throw storeErrorFrom(e, "cannot list tasks");
    }
    out.sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1,
    );
    return limit === undefined ? out : out.slice(0, Math.max(0, limit));
  }

  async query(q: TaskQuery, opts?: ListOptions): Promise<Task[]> {
    const parts = [odata`PartitionKey eq ${PARTITION}`];
    if (q.state !== undefined) {
      const states = typeof q.state === "string" ? [q.state] : [...q.state];
      if (states.length === 0) return [];
      parts.push(`(${states.map((s) => odata`state eq ${s}`).join(" or ")})`);
    }
    if (q.kind) parts.push(odata`kind eq ${q.kind}`);
    if (q.personObjectId) parts.push(odata`personObjectId eq ${q.personObjectId}`);
    if (q.userPrincipalName) parts.push(odata`userPrincipalName eq ${q.userPrincipalName.toLowerCase()}`);
    if (q.assignmentId) parts.push(odata`assignmentId eq ${q.assignmentId}`);
    if (q.createdBefore) parts.push(odata`createdAt lt ${q.createdBefore.toISOString()}`);
    if (q.createdAfter) parts.push(odata`createdAt ge ${q.createdAfter.toISOString()}`);
    return this.listWhere(parts.join(" and "), q.limit, opts);
  }

  async mutate(id: string, fn: (t: Task) => Task): Promise<Task> {
    // First against what we last wrote: a write conditional on that etag succeeds only if nobody has
    // changed the task since, so it is as safe as reading first. Anything but a successful write — a
    // refusal (fn threw), a no-op, a 412 — is decided again on a fresh read, never on the remembered copy.
    const known = this.known.get(id);
    if (known) {
      let after: Task | undefined;
      try {
        after = fn(known.task);
      } catch {
        after = undefined;
      }
      if (after && after !== known.task && (await this.replace(toEntity(after), known.etag, after)))
        return after;
    }
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const entity = await this.read(id);
      if (!entity?.etag) throw new TaskStoreError("not-found", `no task ${id}`);
      const before = parse(entity);
      const after = fn(before);
      if (after === before) return before;
      if (await this.replace(toEntity(after), entity.etag, after)) return after;
    }
    throw new TaskStoreError(
      "invalid-state",
      `task ${id} kept changing under us; gave up after ${MAX_CAS_ROUNDS} tries`,
    );
  }

  /**
   * Each claim starts listing at a random row key (task ids are uniform hex), wrapping round, and reads a
   * few candidates at a time: racing stations start in different places, so they rarely want the same row,
   * and a claim moves a handful of rows, not the whole eligible set. The claim itself is a write
   * conditional on the etag listed: of two stations wanting one row, exactly one write succeeds (412 for
   * the other), which keeps a claim exclusive whatever the order of listing.
   */
  async claimOne(
    now: Date,
    accept: (t: Task, gateOpen: boolean) => Task | undefined,
  ): Promise<Task | undefined> {
    const eligible = odata`PartitionKey eq ${PARTITION} and eligibleAt le ${now.toISOString()}`;
    for (let round = 0; round < MAX_CAS_ROUNDS; round++) {
      const start = randomBytes(16).toString("hex");
      let lost = 0;
      try {
        for (const range of [odata` and RowKey ge ${start}`, odata` and RowKey lt ${start}`]) {
          const pages = this.client
            .listEntities<TaskEntity>({ queryOptions: { filter: eligible + range } })
            .byPage({ maxPageSize: CLAIM_PAGE });
          for await (const page of pages) {
            for (const entity of shuffle([...page])) {
              const t = claimableTask(entity.doc);
              if (!t) continue;
              // Only revocations need the extra lookup; a gate only ever opens, so a stale "closed" merely
              // leaves the revocation for a later claim.
              const gateOpen = t.revoke
                ? await this.isDone(t.revoke.afterAssignmentId, t.revoke.afterGeneration)
                : false;
              const claimed = accept(t, gateOpen);
              if (!claimed || !entity.etag) continue;
              if (await this.replace(toEntity(claimed), entity.etag, claimed)) return claimed;
              lost++;
            }
            // After losing a race the listing is stale: list afresh from another random place.
            if (lost > 0) break;
          }
          if (lost > 0) break;
        }
      } catch (e) {
        throw storeErrorFrom(e, "cannot list claimable tasks");
      }
      if (lost === 0) return undefined;
    }
    return undefined;
  }

  private async isDone(assignmentId: string, minGeneration: number): Promise<boolean> {
    const filter = odata`PartitionKey eq ${PARTITION} and assignmentId eq ${assignmentId} and generation ge ${minGeneration} and kind eq ${"provision"} and state eq ${"done"}`;
    return (await this.listWhere(filter, 1, { onMalformed: () => {} })).length > 0;
  }

  async expired(now: Date): Promise<Task[]> {
    const filter = odata`PartitionKey eq ${PARTITION} and (state eq ${"claimed"} or state eq ${"registering"}) and eligibleAt le ${now.toISOString()}`;
    return this.listWhere(filter, undefined, { onMalformed: () => {} });
  }

  async close(): Promise<void> {}
}
