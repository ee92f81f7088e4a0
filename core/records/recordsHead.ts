// The records head: where every chain of the store ends, as one value to publish outside the store
// (stack output `recordsHead`, `keyfleet records head`, the anchor file). It lists each chain's last
// (seq, hash), so a cut-off, rewritten or wholly dropped chain is caught, and carries a total `seq` and a
// `hash` over that list (the digest), so consumers that compare or show {seq, hash} keep working.
//
// A head without a chain list ({seq, hash}) is a head of the legacy chain alone: that is what stores
// held, and published, before chains were per writer — such heads and anchors still check as before.
import { createHash } from "node:crypto";
import { canonicalJson } from "../signing/canonicalJson.js";
import { GENESIS_HASH, LEGACY_CHAIN } from "./model.js";

export interface ChainHead {
  seq: number;
  hash: string;
}

/** Chain id → that chain's last record. */
export type ChainHeads = Record<string, ChainHead>;

export interface RecordsHead {
  /** The number of records over all chains (the legacy chain's head seq when it is the only one). */
  seq: number;
  /** The digest of `chains` (the legacy chain's head hash when it is the only one). */
  hash: string;
  /** Every chain's head; absent when the legacy chain is the only one. */
  chains?: ChainHeads;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** A writer chain is named by its signer's key id (32 hex); the legacy chain by LEGACY_CHAIN. */
export const CHAIN_ID = /^(legacy|[0-9a-f]{32})$/;

export const EMPTY_RECORDS_HEAD: RecordsHead = { seq: 0, hash: GENESIS_HASH };

/** The head over these chains: compact {seq, hash} when only the legacy chain is there (or none). */
export function recordsHeadOf(chains: ChainHeads): RecordsHead {
  const ids = Object.keys(chains)
    .filter((id) => (chains[id] as ChainHead).seq > 0)
    .sort();
  if (ids.length === 0) return { ...EMPTY_RECORDS_HEAD };
  if (ids.length === 1 && ids[0] === LEGACY_CHAIN) {
    const legacy = chains[LEGACY_CHAIN] as ChainHead;
    return { seq: legacy.seq, hash: legacy.hash };
  }
  const sorted: ChainHeads = {};
  let total = 0;
  for (const id of ids) {
    const h = chains[id] as ChainHead;
    sorted[id] = { seq: h.seq, hash: h.hash };
    total += h.seq;
  }
  return { seq: total, hash: digestOf(sorted), chains: sorted };
}

function digestOf(chains: ChainHeads): string {
  return createHash("sha256")
    .update(canonicalJson({ type: "keyfleet.records-head/v2", chains }), "utf8")
    .digest("hex");
}

/** The chains a head speaks for: its list, or the legacy chain alone for a compact head. */
export function chainsOfHead(head: RecordsHead): ChainHeads {
  if (head.chains) return head.chains;
  return head.seq === 0 ? {} : { [LEGACY_CHAIN]: { seq: head.seq, hash: head.hash } };
}

/**
 * A head as parsed from JSON, or a reason it is not one. A chain list must agree with its own total and
 * digest: a head edited by hand (one chain left out, one seq lowered) is refused, not half believed.
 */
export function parseRecordsHead(raw: unknown): RecordsHead | string {
  if (typeof raw !== "object" || raw === null) return "not an object";
  const o = raw as { seq?: unknown; hash?: unknown; chains?: unknown };
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 0) return "seq is not a whole number";
  if (typeof o.hash !== "string" || !HEX64.test(o.hash.toLowerCase())) return "hash is not 64 hex digits";
  const head: RecordsHead = { seq: o.seq as number, hash: o.hash.toLowerCase() };
  if (o.chains === undefined) return head;
  if (typeof o.chains !== "object" || o.chains === null || Array.isArray(o.chains))
    return "chains is not an object";
  const chains: ChainHeads = {};
  for (const [id, h] of Object.entries(o.chains as Record<string, unknown>)) {
    const c = h as { seq?: unknown; hash?: unknown } | null;
    if (!CHAIN_ID.test(id)) return `'${id.slice(0, 40)}' is not a chain id`;
    if (typeof c !== "object" || c === null || !Number.isSafeInteger(c.seq) || (c.seq as number) < 1)
      return `chain ${id}: seq is not a whole number from 1`;
    if (typeof c.hash !== "string" || !HEX64.test(c.hash.toLowerCase()))
      return `chain ${id}: hash is not 64 hex digits`;
    chains[id] = { seq: c.seq as number, hash: c.hash.toLowerCase() };
  }
  const again = recordsHeadOf(chains);
  if (!again.chains) return "a chain list must name a writer chain (a legacy-only head is {seq, hash})";
  if (again.seq !== head.seq || again.hash !== head.hash)
    return "its seq and hash do not match its chain list (edited?)";
  return again;
}

/** Short, for messages: a writer chain by the start of its key id. */
export function chainLabel(chain: string): string {
  return chain === LEGACY_CHAIN ? "the legacy chain" : `chain ${chain.slice(0, 12)}`;
}
