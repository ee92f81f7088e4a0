// The anchor: the latest (seq, hash) of the record chain kept outside the store, so a truncated tail
// or a wholly rewritten chain is caught. Writers only move it forward; the pipeline also publishes it
// (e.g. as a stack output) where the store's writers cannot reach.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export interface RecordAnchor {
  seq: number;
  hash: string;
  at: string;
}

export function defaultAnchorPath(env: Record<string, string | undefined> = process.env): string {
  return env.KEYFLEET_RECORDS_ANCHOR ?? join(".keyfleet", "records.anchor.json");
}

export function readAnchor(path: string): RecordAnchor | undefined {
  if (!existsSync(path)) return undefined;
  const raw = JSON.parse(readFileSync(path, "utf8")) as Partial<RecordAnchor>;
  if (typeof raw.seq !== "number" || typeof raw.hash !== "string" || !/^[0-9a-f]{64}$/.test(raw.hash)) {
    throw new Error(`the anchor file ${path} is malformed`);
  }
  return { seq: raw.seq, hash: raw.hash, at: String(raw.at ?? "") };
}

/** Moves the anchor to (seq, hash) unless it already points at a later record. */
export function advanceAnchor(path: string, head: { seq: number; hash: string }): void {
  let current: RecordAnchor | undefined;
  try {
    current = readAnchor(path);
  } catch {
    current = undefined;
  }
  if (current && current.seq >= head.seq) return;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ seq: head.seq, hash: head.hash, at: new Date().toISOString() })}\n`);
  renameSync(tmp, path);
}
