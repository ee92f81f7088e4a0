// The RecordStore: an append-only, hash-chained audit log on either backend. Order when several
// writers append at once: each append takes the next sequence number atomically (SQLite: BEGIN
// IMMEDIATE; Azure: inserting the entity for seq n+1 fails with 409 if another writer took it first,
// and the loser re-reads the head and tries n+2), so the chain is one line with no forks.
import type { SigningKey } from "../signing/ed25519.js";
import { advanceAnchor, readAnchor } from "./anchor.js";
import { sealRecord } from "./chain.js";
import {
  type AuditRecord,
  GENESIS_HASH,
  type RecordDraft,
  type RecordQuery,
  TASK_OUTCOME_ACTIONS,
} from "./model.js";

/** A stored row as read back: the storage key (seq) and the stored JSON, unparsed. */
export interface RawRecordRow {
  key: number;
  doc: string;
}

export interface RecordRows {
  /** Appends the record `build` makes from the current head, atomically; returns it. */
  append(build: (head: { seq: number; hash: string }) => AuditRecord): Promise<AuditRecord>;
  /** Every stored row, ascending by key. */
  rows(): Promise<RawRecordRow[]>;
  head(): Promise<{ seq: number; hash: string } | undefined>;
  /**
   * Rows that may be outcome records (TASK_OUTCOME_ACTIONS) of these task ids, through the backend's
   * index; the caller parses and filters (an index entry is never trusted over the record it holds).
   */
  outcomeRows(taskIds: readonly string[]): Promise<RawRecordRow[]>;
  close(): Promise<void>;
}

/** Finding a task's outcome records without reading the whole chain. */
export interface TaskRecordLookup {
  /**
   * The outcome records (registration, revocation, cancellation, supersession, quarantine) whose
   * subject.taskId is one of `taskIds`, by task id, in seq order. Signatures are not checked here.
   */
  outcomesFor(taskIds: readonly string[]): Promise<Map<string, AuditRecord[]>>;
}

/** One stored row as listed: the record, or why the row is not one (named by its seq, never skipped). */
export interface RecordEntry {
  seq: number;
  record?: AuditRecord;
  problem?: string;
}

export interface RecordStore extends TaskRecordLookup {
  readonly location: string;
  /** Like list, but a malformed row is an entry with its problem (filters cannot see into it: kept). */
  listEntries(query?: RecordQuery): Promise<RecordEntry[]>;
  /** The key this store signs appends with, when it was opened to write. */
  readonly signer?: SigningKey;
  append(draft: RecordDraft): Promise<AuditRecord>;
  list(query?: RecordQuery): Promise<AuditRecord[]>;
  /** Every stored row unparsed, for verification. */
  rows(): Promise<RawRecordRow[]>;
  head(): Promise<{ seq: number; hash: string } | undefined>;
  close(): Promise<void>;
}

export interface RecordStoreOptions {
  /** The writer's key; required to append. */
  signer?: SigningKey;
  /** Where to keep the anchor (latest seq and hash) after each append; none when unset. */
  anchorPath?: string;
  now?: () => Date;
}

export class ChainedRecordStore implements RecordStore {
  readonly signer?: SigningKey;

  constructor(
    readonly location: string,
    private readonly store: RecordRows,
    private readonly opts: RecordStoreOptions,
  ) {
    if (opts.signer) this.signer = opts.signer;
  }

  async outcomesFor(taskIds: readonly string[]): Promise<Map<string, AuditRecord[]>> {
    const wanted = new Set(taskIds);
    const out = new Map<string, AuditRecord[]>();
    if (wanted.size === 0) return out;
    const seen = new Set<string>();
    const rows = [...(await this.store.outcomeRows([...wanted]))].sort((a, b) => a.key - b.key);
    for (const row of rows) {
      const r = parseRecordDoc(row.doc);
      const id = r?.subject?.taskId;
      if (!r || id === undefined || !wanted.has(id) || !TASK_OUTCOME_ACTIONS.includes(r.action)) continue;
      // An index may hold a record twice (Azure keeps a copy beside the chain row): one per hash.
      if (seen.has(r.hash)) continue;
      seen.add(r.hash);
      const list = out.get(id) ?? [];
      list.push(r);
      out.set(id, list);
    }
    return out;
  }

  async append(draft: RecordDraft): Promise<AuditRecord> {
    const signer = this.opts.signer;
    if (!signer) throw new Error("appending a record needs the writer's signing key");
    const now = this.opts.now ?? (() => new Date());
    // A broken anchor stops the write before it happens (it is never overwritten; see anchor.ts).
    if (this.opts.anchorPath) readAnchor(this.opts.anchorPath);
    const rec = await this.store.append((head) =>
      sealRecord(draft, { seq: head.seq + 1, prevHash: head.hash, at: now() }, signer),
    );
    if (this.opts.anchorPath) advanceAnchor(this.opts.anchorPath, rec);
    return rec;
  }

  async listEntries(q: RecordQuery = {}): Promise<RecordEntry[]> {
    const out: RecordEntry[] = [];
    for (const row of await this.store.rows()) {
      if (q.fromSeq !== undefined && row.key < q.fromSeq) continue;
      if (q.toSeq !== undefined && row.key > q.toSeq) continue;
      const r = parseRecordDoc(row.doc);
      if (!r) {
        out.push({ seq: row.key, problem: "not a well-formed record (run 'keyfleet records verify')" });
      } else {
        if (q.action && r.action !== q.action) continue;
        if (q.personObjectId && r.subject?.personObjectId !== q.personObjectId) continue;
        if (q.taskId && r.subject?.taskId !== q.taskId) continue;
        out.push({ seq: row.key, record: r });
      }
      if (q.limit !== undefined && out.length >= q.limit) break;
    }
    return out;
  }

  async list(q: RecordQuery = {}): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (const e of await this.listEntries(q)) {
      if (!e.record) throw new Error(`record ${e.seq} is ${e.problem}`);
      out.push(e.record);
    }
    return out;
  }

  rows(): Promise<RawRecordRow[]> {
    return this.store.rows();
  }

  head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.store.head();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export const EMPTY_HEAD = { seq: 0, hash: GENESIS_HASH };

/** A stored doc as a record, or undefined when it is not even shaped like one (verifyChain says more). */
export function parseRecordDoc(doc: string): AuditRecord | undefined {
  try {
    const r = JSON.parse(doc) as AuditRecord;
    if (typeof r !== "object" || r === null || typeof r.seq !== "number" || typeof r.hash !== "string")
      return undefined;
    if (typeof r.action !== "string" || typeof r.subject !== "object" || r.subject === null) return undefined;
    if (typeof r.actor !== "object" || r.actor === null || typeof r.at !== "string") return undefined;
    if (typeof r.signer !== "object" || r.signer === null || typeof r.provenance !== "object")
      return undefined;
    return r;
  } catch {
    return undefined;
  }
}
