// Checking the record chains: each writer's chain, and the legacy chain of older stores, on its own.
// Each kind of tampering is reported once per chain, at the first seq it shows:
//   edit     a record's content no longer matches its hash or signature, or a record was re-hashed so
//            the next record's link to it broke (reported at the altered record)
//   delete   a seq is missing inside a chain (or at its start)
//   reorder  a record sits at another seq, or in another chain, than its own, or links to a record other
//            than its predecessor
//   truncate a chain ends before the anchor's seq for it
//   drop     a chain the anchor lists is not in the store at all
//   rewrite  records signed by keys that are not trusted, a writer's chain holding a record signed by
//            another key, or the anchored record's hash differs (a chain rebuilt consistently from some
//            point, or wholly)
import type { KeyObject } from "node:crypto";
import { keyIdOf } from "../signing/ed25519.js";
import type { RecordAnchor } from "./anchor.js";
import { hashRecordBody, recordBodyOf, signatureValid } from "./chain.js";
import { type AuditRecord, GENESIS_HASH, LEGACY_CHAIN } from "./model.js";
import type { RawRecordRow } from "./recordStore.js";
import {
  type ChainHead,
  type ChainHeads,
  chainLabel,
  chainsOfHead,
  type RecordsHead,
  recordsHeadOf,
} from "./recordsHead.js";

export type TamperKind = "edit" | "delete" | "reorder" | "truncate" | "drop" | "rewrite";

export interface TamperFinding {
  kind: TamperKind;
  /** The chain it shows in (a writer's key id, or "legacy"). */
  chain: string;
  /** The first seq (within that chain) at which this kind shows. */
  seq: number;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  records: number;
  /** How many chains the store holds. */
  chains: number;
  head?: RecordsHead;
  anchor?: RecordAnchor;
  /** True when signers were checked against a list of trusted keys. */
  signersChecked: boolean;
  findings: TamperFinding[];
  /**
   * What this report could not vouch for, in words; `ok` with anything here means "nothing wrong found
   * in what was checked", not "the records are intact". `records verify` fails unless it is empty or the
   * operator explicitly allowed each gap.
   */
  notChecked: string[];
}

export const NOT_CHECKED_SIGNERS =
  "signers: not checked against trusted keys — a chain forged whole with any key would pass";
export const NOT_CHECKED_END =
  "the chain's end: no anchor or published head — a cut-off tail or a chain rebuilt from some point would pass";

type Note = (kind: TamperKind, seq: number, message: string) => void;

export function verifyChain(
  rows: readonly RawRecordRow[],
  opts: { anchor?: RecordAnchor; trustedKeys?: readonly KeyObject[] } = {},
): ChainReport {
  const trusted = new Set((opts.trustedKeys ?? []).map(keyIdOf));
  const findings = new Map<string, TamperFinding>();
  const noteFor =
    (chain: string): Note =>
    (kind, seq, message) => {
      const key = `${chain}/${kind}`;
      const text = chain === LEGACY_CHAIN ? message : `${chainLabel(chain)}: ${message}`;
      if (!findings.has(key)) findings.set(key, { kind, chain, seq, message: text });
    };
  const byChain = new Map<string, RawRecordRow[]>();
  for (const row of rows) {
    const chain = row.chain ?? LEGACY_CHAIN;
    const list = byChain.get(chain) ?? [];
    list.push(row);
    byChain.set(chain, list);
  }
  const anchored = opts.anchor ? chainsOfHead(opts.anchor) : {};
  const heads: ChainHeads = {};
  for (const [chain, list] of byChain) {
    const head = verifyOne(chain, list, trusted, anchored[chain], noteFor(chain));
    if (head) heads[chain] = head;
  }
  for (const [chain, a] of Object.entries(anchored)) {
    if (byChain.has(chain)) continue;
    // An empty legacy chain is what every store written since has: a legacy anchor is a truncation of it.
    if (chain === LEGACY_CHAIN)
      noteFor(chain)("truncate", 1, `the chain ends at 0 but the anchor says ${a.seq} records`);
    else
      noteFor(chain)(
        "drop",
        1,
        `the whole chain is missing, but the anchor says it holds ${a.seq} records (signed by key ${chain})`,
      );
  }
  const report: ChainReport = {
    ok: findings.size === 0,
    records: rows.length,
    chains: byChain.size,
    signersChecked: trusted.size > 0,
    findings: [...findings.values()].sort((a, b) =>
      a.chain === b.chain
        ? a.seq - b.seq
        : a.chain === LEGACY_CHAIN
          ? -1
          : b.chain === LEGACY_CHAIN
            ? 1
            : a.chain < b.chain
              ? -1
              : 1,
    ),
    notChecked: [],
  };
  if (trusted.size === 0) report.notChecked.push(NOT_CHECKED_SIGNERS);
  if (!opts.anchor) report.notChecked.push(NOT_CHECKED_END);
  if (Object.keys(heads).length > 0) report.head = recordsHeadOf(heads);
  if (opts.anchor) report.anchor = opts.anchor;
  return report;
}

/** One chain's rows checked; returns where it ends. */
function verifyOne(
  chain: string,
  rows: readonly RawRecordRow[],
  trusted: ReadonlySet<string>,
  anchor: ChainHead | undefined,
  note: Note,
): ChainHead | undefined {
  const sorted = [...rows].sort((a, b) => a.key - b.key);
  const parsed = sorted.map((row) => ({ row, rec: parseRecord(row.doc) }));
  const storedHashes = new Set(parsed.flatMap((p) => (p.rec ? [p.rec.hash] : [])));
  const own = chain === LEGACY_CHAIN ? undefined : chain;

  let prevHash = GENESIS_HASH;
  let expected = 1;
  let head: ChainHead | undefined;
  for (const { row, rec } of parsed) {
    if (!rec) {
      note("edit", row.key, `record ${row.key} is not a well-formed record`);
      expected = row.key + 1;
      continue;
    }
    if (row.key > expected) note("delete", expected, `record ${expected} is missing`);
    if (rec.chain !== own) {
      note(
        "reorder",
        row.key,
        `the record stored at ${row.key} belongs to ${rec.chain === undefined ? "the legacy chain" : `chain ${rec.chain}`}`,
      );
    } else if (rec.seq !== row.key) {
      note("reorder", row.key, `the record stored at ${row.key} is record ${rec.seq}`);
    } else if (row.key === expected && rec.prevHash !== prevHash) {
      if (storedHashes.has(rec.prevHash)) {
        note("reorder", row.key, `record ${row.key} follows a different record than the one before it`);
      } else {
        note(
          "edit",
          row.key - 1,
          `record ${row.key - 1} was changed: record ${row.key} no longer links to it`,
        );
      }
    }
    if (hashRecordBody(recordBodyOf(rec)) !== rec.hash) {
      note("edit", rec.seq, `record ${rec.seq} does not match its hash`);
    } else if (!signatureValid(rec)) {
      note("edit", rec.seq, `record ${rec.seq}'s signature does not match its content`);
    } else if (own !== undefined && rec.signer.keyId !== own) {
      // A writer's chain is its key's alone: anyone else's record in it was put there.
      note(
        "rewrite",
        rec.seq,
        `record ${rec.seq} is signed by key ${rec.signer.keyId}, not the chain's own key`,
      );
    } else if (trusted.size > 0 && !trusted.has(rec.signer.keyId)) {
      note(
        "rewrite",
        rec.seq,
        `record ${rec.seq} is signed by key ${rec.signer.keyId}, which is not trusted`,
      );
    }
    prevHash = rec.hash;
    expected = row.key + 1;
    head = { seq: rec.seq, hash: rec.hash };
  }

  if (anchor) {
    const lastKey = sorted.at(-1)?.key ?? 0;
    if (lastKey < anchor.seq) {
      note("truncate", lastKey + 1, `the chain ends at ${lastKey} but the anchor says ${anchor.seq} records`);
    } else {
      const at = parsed.find((p) => p.row.key === anchor.seq)?.rec;
      if (at && at.hash !== anchor.hash) {
        note("rewrite", anchor.seq, `record ${anchor.seq}'s hash differs from the anchored hash`);
      }
    }
  }
  return head;
}

function parseRecord(doc: string): AuditRecord | undefined {
  try {
    const r = JSON.parse(doc) as AuditRecord;
    if (typeof r !== "object" || r === null || typeof r.seq !== "number" || typeof r.hash !== "string")
      return undefined;
    if (typeof r.prevHash !== "string" || typeof r.signer?.publicKey !== "string") return undefined;
    if (r.chain !== undefined && typeof r.chain !== "string") return undefined;
    return r;
  } catch {
    return undefined;
  }
}
