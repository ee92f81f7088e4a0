// The RecordStore: an append-only, hash-chained, signed audit log on either backend, as one chain per
// writer key. Each writer appends only to its own chain (its id is the signer's key id), so racing
// stations never contend for one head: a writer that knows its chain's head appends in one write, and the
// backend refuses the write if anyone else extended that chain first (SQLite: checked inside BEGIN
// IMMEDIATE; Azure: inserting the row for seq n+1 fails with 409), after which it re-reads and retries.
// Appends made at once within a process go out together (one transaction), in the order they were made.
//
// Stores written before hold one shared chain of v1 records (the legacy chain): it is read and verified
// as before, and no longer appended to. See recordsHead.ts for how a head covers all the chains.
import type { SigningKey } from "../signing/ed25519.js";
import { advanceAnchor, readAnchor } from "./anchor.js";
import { sealRecord } from "./chain.js";
import {
  type AuditRecord,
  GENESIS_HASH,
  LEGACY_CHAIN,
  type RecordDraft,
  type RecordQuery,
  TASK_OUTCOME_ACTIONS,
} from "./model.js";
import { type ChainHead, type ChainHeads, type RecordsHead, recordsHeadOf } from "./recordsHead.js";

/** A stored row as read back: its chain, the storage key (seq in that chain) and the stored JSON, unparsed. */
export interface RawRecordRow {
  chain: string;
  key: number;
  doc: string;
}

export interface RecordRows {
  /** The last record of one chain, as stored (undefined when the chain has none). */
  chainHead(chain: string): Promise<ChainHead | undefined>;
  /**
   * Stores `records` (consecutive, the first linking to `after`) at the end of `chain`, atomically, and
   * only if the chain still ends at `after`; false when it does not (someone else appended first).
   */
  insert(chain: string, after: ChainHead, records: readonly AuditRecord[]): Promise<boolean>;
  /** Every stored row of every chain, ascending by key within each chain. */
  rows(): Promise<RawRecordRow[]>;
  /** Every chain's last record. */
  heads(): Promise<ChainHeads>;
  /**
   * Rows that may be outcome records (TASK_OUTCOME_ACTIONS) of these task ids, through the backend's
   * index; the caller parses and filters (an index entry is never trusted over the record it holds).
   */
  outcomeRows(taskIds: readonly string[]): Promise<RawRecordRow[]>;
  close(): Promise<void>;
}

/** Finding a task's outcome records without reading the whole log. */
export interface TaskRecordLookup {
  /**
   * The outcome records (registration, revocation, cancellation, supersession, quarantine) whose
   * subject.taskId is one of `taskIds`, by task id, oldest first. Signatures are not checked here.
   */
  outcomesFor(taskIds: readonly string[]): Promise<Map<string, AuditRecord[]>>;
}

/** One stored row as listed: the record, or why the row is not one (named by chain and seq, never skipped). */
export interface RecordEntry {
  chain: string;
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
  /** Every stored row unparsed, for verification: the legacy chain first, then all chains merged by time. */
  rows(): Promise<RawRecordRow[]>;
  /** Where every chain ends (see recordsHead.ts); undefined when the store holds no records. */
  head(): Promise<RecordsHead | undefined>;
  close(): Promise<void>;
}

export interface RecordStoreOptions {
  /** The writer's key; required to append. Its key id names the writer's chain. */
  signer?: SigningKey;
  /** Where to keep the anchor (every chain's head) after each append; none when unset. */
  anchorPath?: string;
  now?: () => Date;
}

/** Records per write: Azure's entity-group transactions hold 100 operations, two per indexed record. */
const MAX_BATCH = 40;
const MAX_ROUNDS = 200;

interface Pending {
  draft: RecordDraft;
  resolve: (r: AuditRecord) => void;
  reject: (e: unknown) => void;
}

export class ChainedRecordStore implements RecordStore {
  readonly signer?: SigningKey;
  /** This writer's chain's head as last written or read; a stale one only costs a refused write. */
  private known: ChainHead | undefined;
  private readonly pending: Pending[] = [];
  private draining = false;

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
    const found: AuditRecord[] = [];
    for (const row of await this.store.outcomeRows([...wanted])) {
      const r = parseRecordDoc(row.doc);
      const id = r?.subject?.taskId;
      if (!r || id === undefined || !wanted.has(id) || !TASK_OUTCOME_ACTIONS.includes(r.action)) continue;
      // An index may hold a record twice (Azure keeps a copy beside the chain row): one per hash.
      if (seen.has(r.hash)) continue;
      seen.add(r.hash);
      found.push(r);
    }
    found.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq));
    for (const r of found) {
      const id = r.subject.taskId as string;
      const list = out.get(id) ?? [];
      list.push(r);
      out.set(id, list);
    }
    return out;
  }

  append(draft: RecordDraft): Promise<AuditRecord> {
    if (!this.opts.signer)
      return Promise.reject(new Error("appending a record needs the writer's signing key"));
    return new Promise<AuditRecord>((resolve, reject) => {
      this.pending.push({ draft, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  /** Writes what is pending, a batch at a time, one batch in flight: appends keep the order they were made in. */
  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        const recs = await this.write(batch.map((p) => p.draft));
        for (const [i, p] of batch.entries()) p.resolve(recs[i] as AuditRecord);
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
    this.draining = false;
  }

  private async write(drafts: readonly RecordDraft[]): Promise<AuditRecord[]> {
    const signer = this.opts.signer as SigningKey;
    const chain = signer.keyId;
    const now = this.opts.now ?? (() => new Date());
    // A broken anchor stops the write before it happens (it is never overwritten; see anchor.ts).
    if (this.opts.anchorPath) readAnchor(this.opts.anchorPath);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let after: ChainHead;
      try {
        after = this.known ?? (await this.store.chainHead(chain)) ?? EMPTY_HEAD;
      } catch (e) {
        this.known = undefined;
        throw e;
      }
      const recs: AuditRecord[] = [];
      let link = after;
      for (const draft of drafts) {
        const rec = sealRecord(draft, { chain, seq: link.seq + 1, prevHash: link.hash, at: now() }, signer);
        recs.push(rec);
        link = rec;
      }
      let stored: boolean;
      try {
        stored = await this.store.insert(chain, after, recs);
      } catch (e) {
        this.known = undefined;
        throw e;
      }
      if (stored) {
        this.known = { seq: link.seq, hash: link.hash };
        if (this.opts.anchorPath) advanceAnchor(this.opts.anchorPath, chain, this.known);
        return recs;
      }
      // Another process writing with this same key extended the chain: read its end again.
      this.known = undefined;
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * (round + 1))));
    }
    throw new Error(
      `could not append a record after ${MAX_ROUNDS} tries: too many processes writing with this key`,
    );
  }

  async listEntries(q: RecordQuery = {}): Promise<RecordEntry[]> {
    const out: RecordEntry[] = [];
    for (const row of await this.rows()) {
      if (q.chain !== undefined && row.chain !== q.chain) continue;
      if (q.fromSeq !== undefined && row.key < q.fromSeq) continue;
      if (q.toSeq !== undefined && row.key > q.toSeq) continue;
      const r = parseRecordDoc(row.doc);
      if (!r) {
        out.push({
          chain: row.chain,
          seq: row.key,
          problem: "not a well-formed record (run 'keyfleet records verify')",
        });
      } else {
        if (q.action && r.action !== q.action) continue;
        if (q.personObjectId && r.subject?.personObjectId !== q.personObjectId) continue;
        if (q.taskId && r.subject?.taskId !== q.taskId) continue;
        out.push({ chain: row.chain, seq: row.key, record: r });
      }
      if (q.limit !== undefined && out.length >= q.limit) break;
    }
    return out;
  }

  async list(q: RecordQuery = {}): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (const e of await this.listEntries(q)) {
      if (!e.record) throw new Error(`record ${e.seq} of chain ${e.chain} is ${e.problem}`);
      out.push(e.record);
    }
    return out;
  }

  async rows(): Promise<RawRecordRow[]> {
    return mergeByTime(await this.store.rows());
  }

  async head(): Promise<RecordsHead | undefined> {
    const heads = await this.store.heads();
    return Object.keys(heads).length === 0 ? undefined : recordsHeadOf(heads);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

export const EMPTY_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/**
 * One reading order over all chains: the legacy chain first (it predates the others), then the chains
 * merged by record time, each chain kept in its own seq order (a row that is not a record keeps its place).
 */
export function mergeByTime(rows: readonly RawRecordRow[]): RawRecordRow[] {
  const byChain = new Map<string, { row: RawRecordRow; at: string }[]>();
  for (const row of rows) {
    const list = byChain.get(row.chain) ?? [];
    list.push({ row, at: "" });
    byChain.set(row.chain, list);
  }
  const out: RawRecordRow[] = [];
  const queues: { row: RawRecordRow; at: string }[][] = [];
  for (const [chain, list] of byChain) {
    list.sort((a, b) => a.row.key - b.row.key);
    if (chain === LEGACY_CHAIN) {
      out.push(...list.map((e) => e.row));
      continue;
    }
    let last = "";
    for (const e of list) {
      const at = atOf(e.row.doc);
      e.at = at ?? last;
      last = e.at;
    }
    queues.push(list);
  }
  const pos = queues.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < queues.length; i++) {
      const e = queues[i]?.[pos[i] as number];
      if (!e) continue;
      const b = best < 0 ? undefined : queues[best]?.[pos[best] as number];
      if (!b || e.at < b.at || (e.at === b.at && e.row.chain < b.row.chain)) best = i;
    }
    if (best < 0) return out;
    out.push((queues[best] as { row: RawRecordRow }[])[pos[best] as number]?.row as RawRecordRow);
    pos[best] = (pos[best] as number) + 1;
  }
}

function atOf(doc: string): string | undefined {
  try {
    const at = (JSON.parse(doc) as { at?: unknown }).at;
    return typeof at === "string" ? at : undefined;
  } catch {
    return undefined;
  }
}

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
