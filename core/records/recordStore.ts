// The RecordStore: an append-only, hash-chained audit log on either backend. Order when several
// writers append at once: each append takes the next sequence number atomically (SQLite: BEGIN
// IMMEDIATE; Azure: inserting the entity for seq n+1 fails with 409 if another writer took it first,
// and the loser re-reads the head and tries n+2), so the chain is one line with no forks.
import type { SigningKey } from "../signing/ed25519.js";
import { advanceAnchor } from "./anchor.js";
import { sealRecord } from "./chain.js";
import { type AuditRecord, GENESIS_HASH, type RecordDraft, type RecordQuery } from "./model.js";

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
  close(): Promise<void>;
}

export interface RecordStore {
  readonly location: string;
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
  constructor(
    readonly location: string,
    private readonly store: RecordRows,
    private readonly opts: RecordStoreOptions,
  ) {}

  async append(draft: RecordDraft): Promise<AuditRecord> {
    const signer = this.opts.signer;
    if (!signer) throw new Error("appending a record needs the writer's signing key");
    const now = this.opts.now ?? (() => new Date());
    const rec = await this.store.append((head) =>
      sealRecord(draft, { seq: head.seq + 1, prevHash: head.hash, at: now() }, signer),
    );
    if (this.opts.anchorPath) advanceAnchor(this.opts.anchorPath, rec);
    return rec;
  }

  async list(q: RecordQuery = {}): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    for (const row of await this.store.rows()) {
      if (q.fromSeq !== undefined && row.key < q.fromSeq) continue;
      if (q.toSeq !== undefined && row.key > q.toSeq) continue;
      const r = JSON.parse(row.doc) as AuditRecord;
      if (q.action && r.action !== q.action) continue;
      if (q.personObjectId && r.subject?.personObjectId !== q.personObjectId) continue;
      if (q.taskId && r.subject?.taskId !== q.taskId) continue;
      out.push(r);
      if (q.limit !== undefined && out.length >= q.limit) break;
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
