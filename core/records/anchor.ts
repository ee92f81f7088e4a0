// The anchor: where the record chains ended when this machine last wrote, kept outside the store, so a
// truncated tail, a wholly rewritten chain or a dropped chain is caught. It is a records head (see
// recordsHead.ts: every chain's last seq and hash); writers only move their own chain's entry forward and
// never remove another's. The pipeline also publishes the head (e.g. as a stack output, or
// `keyfleet records head` after `pulumi up`) where the store's writers cannot reach.
//
// An anchor written before chains were per writer is {seq, hash}: the legacy chain's head, still checked so.
//
// Only a file that does not exist reads as "no anchor". A file that exists but cannot be read, or does not
// hold a well-formed head, is an error — for readers and writers alike: treating it as absent would
// let whoever broke it have the next writer overwrite it with a head of their choosing.
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import {
  type ChainHead,
  chainsOfHead,
  parseRecordsHead,
  type RecordsHead,
  recordsHeadOf,
} from "./recordsHead.js";

export interface RecordAnchor extends RecordsHead {
  at: string;
}

export class AnchorError extends Error {
  readonly brand = "keyfleet.AnchorError";
  static isInstance(e: unknown): e is AnchorError {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.AnchorError";
  }
}

export function defaultAnchorPath(env: Record<string, string | undefined> = process.env): string {
  return env.KEYFLEET_RECORDS_ANCHOR ?? join(".keyfleet", "records.anchor.json");
}

/** The anchor at `path`; undefined only when no such file exists. Throws AnchorError otherwise. */
export function readAnchor(path: string): RecordAnchor | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    throw new AnchorError(
      `cannot read the records anchor ${path} (${code ?? "error"}); it is not treated as absent`,
    );
  }
  return parseAnchor(text, path);
}

/** Like readAnchor, but a missing file is an error too (an anchor named explicitly must be there). */
export function requireAnchor(path: string): RecordAnchor {
  const a = readAnchor(path);
  if (!a) throw new AnchorError(`no records anchor at ${path}`);
  return a;
}

export function parseAnchor(text: string, path: string): RecordAnchor {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new AnchorError(`the records anchor ${path} is malformed (not JSON); it is not treated as absent`);
  }
  const head = parseRecordsHead(raw);
  if (typeof head === "string") {
    throw new AnchorError(
      `the records anchor ${path} is malformed (${head}; needs {"seq": <n>, "hash": "<64 hex>", "chains": {…}}); it is not treated as absent`,
    );
  }
  return { ...head, at: String((raw as { at?: unknown }).at ?? "") };
}

const LOCK_STALE_MS = 10_000;

/** Runs fn holding `<path>.lock`, so writers on one machine never lose each other's chain entries. */
function withLock<T>(path: string, fn: () => T): T {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_STALE_MS * 2;
  for (;;) {
    try {
      closeSync(openSync(lock, "wx"));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      // A writer that died holding the lock leaves it behind: take it over once it is clearly stale.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) unlinkSync(lock);
      } catch {
        // gone meanwhile: try again
      }
      if (Date.now() > deadline) throw new AnchorError(`the records anchor ${path} stays locked (${lock})`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // already taken over as stale; nothing of ours to remove
    }
  }
}

/**
 * Moves this chain's entry of the anchor to `head` unless it already points at a later record; every
 * other chain's entry is kept as it is. A missing file is created; an unreadable or malformed one is an
 * error and is left as it is.
 */
export function advanceAnchor(path: string, chain: string, head: ChainHead): void {
  mkdirSync(dirname(path), { recursive: true });
  withLock(path, () => {
    const current = readAnchor(path);
    const chains = current ? { ...chainsOfHead(current) } : {};
    if ((chains[chain]?.seq ?? 0) >= head.seq) return;
    chains[chain] = { seq: head.seq, hash: head.hash };
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ ...recordsHeadOf(chains), at: new Date().toISOString() })}\n`);
    renameSync(tmp, path);
  });
}
