// The anchor: the latest (seq, hash) of the record chain kept outside the store, so a truncated tail
// or a wholly rewritten chain is caught. Writers only move it forward; the pipeline also publishes it
// (e.g. as a stack output, or `keyfleet records head` after `pulumi up`) where the store's writers
// cannot reach.
//
// Only a file that does not exist reads as "no anchor". A file that exists but cannot be read, or does not
// hold a well-formed (seq, hash), is an error — for readers and writers alike: treating it as absent would
// let whoever broke it have the next writer overwrite it with a head of their choosing.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface RecordAnchor {
  seq: number;
  hash: string;
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
  let raw: Partial<RecordAnchor>;
  try {
    raw = JSON.parse(text) as Partial<RecordAnchor>;
  } catch {
    throw new AnchorError(`the records anchor ${path} is malformed (not JSON); it is not treated as absent`);
  }
  if (
    typeof raw !== "object" ||
    raw === null ||
    !Number.isSafeInteger(raw.seq) ||
    (raw.seq as number) < 0 ||
    typeof raw.hash !== "string" ||
    !/^[0-9a-f]{64}$/.test(raw.hash)
  ) {
    throw new AnchorError(
      `the records anchor ${path} is malformed (needs {"seq": <n>, "hash": "<64 hex>"}); it is not treated as absent`,
    );
  }
  return { seq: raw.seq as number, hash: raw.hash, at: String(raw.at ?? "") };
}

/**
 * Moves the anchor to (seq, hash) unless it already points at a later record. A missing file is created;
 * an unreadable or malformed one is an error and is left as it is.
 */
export function advanceAnchor(path: string, head: { seq: number; hash: string }): void {
  const current = readAnchor(path);
  if (current && current.seq >= head.seq) return;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ seq: head.seq, hash: head.hash, at: new Date().toISOString() })}\n`);
  renameSync(tmp, path);
}
