// Checking the record chain. Each kind of tampering is reported once, at the first seq it shows:
//   edit     a record's content no longer matches its hash or signature, or a record was re-hashed so
//            the next record's link to it broke (reported at the altered record)
//   delete   a seq is missing inside the chain (or at its start)
//   reorder  a record sits at another seq than its own, or links to a record other than its predecessor
//   truncate the chain ends before the anchor's seq
//   rewrite  records signed by keys that are not trusted, or the anchored record's hash differs
//            (a chain rebuilt consistently from some point, or wholly)
import type { KeyObject } from "node:crypto";
import { keyIdOf } from "../signing/ed25519.js";
import type { RecordAnchor } from "./anchor.js";
import { hashRecordBody, recordBodyOf, signatureValid } from "./chain.js";
import { type AuditRecord, GENESIS_HASH } from "./model.js";
import type { RawRecordRow } from "./recordStore.js";

export type TamperKind = "edit" | "delete" | "reorder" | "truncate" | "rewrite";

export interface TamperFinding {
  kind: TamperKind;
  /** The first seq at which this kind shows. */
  seq: number;
  message: string;
}

export interface ChainReport {
  ok: boolean;
  records: number;
  head?: { seq: number; hash: string };
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

export function verifyChain(
  rows: readonly RawRecordRow[],
  opts: { anchor?: RecordAnchor; trustedKeys?: readonly KeyObject[] } = {},
): ChainReport {
  const trusted = new Set((opts.trustedKeys ?? []).map(keyIdOf));
  const findings = new Map<TamperKind, TamperFinding>();
  const note = (kind: TamperKind, seq: number, message: string) => {
    if (!findings.has(kind)) findings.set(kind, { kind, seq, message });
  };
  const sorted = [...rows].sort((a, b) => a.key - b.key);
  const parsed = sorted.map((row) => ({ row, rec: parseRecord(row.doc) }));
  const storedHashes = new Set(parsed.flatMap((p) => (p.rec ? [p.rec.hash] : [])));

  let prevHash = GENESIS_HASH;
  let expected = 1;
  let head: { seq: number; hash: string } | undefined;
  for (const { row, rec } of parsed) {
    if (!rec) {
      note("edit", row.key, `record ${row.key} is not a well-formed record`);
      expected = row.key + 1;
      continue;
    }
    if (row.key > expected) note("delete", expected, `record ${expected} is missing`);
    if (rec.seq !== row.key) {
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

  const anchor = opts.anchor;
  if (anchor) {
    const lastKey = sorted.at(-1)?.key ?? 0;
    if (lastKey < anchor.seq) {
      note("truncate", lastKey + 1, `the chain ends at ${lastKey} but the anchor says ${anchor.seq} records`);
    } else {
      const anchored = parsed.find((p) => p.row.key === anchor.seq)?.rec;
      if (anchored && anchored.hash !== anchor.hash) {
        note("rewrite", anchor.seq, `record ${anchor.seq}'s hash differs from the anchored hash`);
      }
    }
  }
  const report: ChainReport = {
    ok: findings.size === 0,
    records: rows.length,
    signersChecked: trusted.size > 0,
    findings: [...findings.values()].sort((a, b) => a.seq - b.seq),
    notChecked: [],
  };
  if (trusted.size === 0) report.notChecked.push(NOT_CHECKED_SIGNERS);
  if (!anchor) report.notChecked.push(NOT_CHECKED_END);
  if (head) report.head = head;
  if (anchor) report.anchor = anchor;
  return report;
}

function parseRecord(doc: string): AuditRecord | undefined {
  try {
    const r = JSON.parse(doc) as AuditRecord;
    if (typeof r !== "object" || r === null || typeof r.seq !== "number" || typeof r.hash !== "string")
      return undefined;
    if (typeof r.prevHash !== "string" || typeof r.signer?.publicKey !== "string") return undefined;
    return r;
  } catch {
    return undefined;
  }
}
