// Which files under a spec folder are spec files, and their bytes as text. Whatever could hide a
// person from the specs (a link, a node_modules/ folder, bytes that are not UTF-8) is refused with a
// message, never skipped or decoded into something else.
import { readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { SourceText, type SpecIssue } from "./issues.js";

export interface SpecEntry {
  /** Relative to the spec folder, with the platform's separators. */
  readonly path: string;
  /** Set when the entry is not read, saying why. */
  readonly refused: string | undefined;
}

const SPEC_NAME = /\.ya?ml$/;

/** Spec files under `dir` in path order, and the entries refused; folders starting with `.` are skipped. */
export async function listSpecEntries(dir: string): Promise<SpecEntry[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: SpecEntry[] = [];
  for (const e of entries) {
    const path = relative(dir, join(e.parentPath, e.name));
    const parts = path.split(sep);
    if (parts.some((part) => part.startsWith("."))) continue;
    const named = SPEC_NAME.test(e.name);
    if (e.isSymbolicLink()) {
      const target = await stat(join(dir, path)).catch(() => undefined);
      if (named || target?.isDirectory()) {
        out.push({
          path,
          refused: `${target === undefined ? "a dangling symbolic link" : target.isDirectory() ? "a symbolic link to a folder" : "a symbolic link"}: Keyfleet reads only regular files and folders inside the spec folder; copy the file here instead`,
        });
      }
      continue;
    }
    if (!named || e.isDirectory()) continue;
    if (parts.includes("node_modules")) {
      out.push({
        path,
        refused: "under a node_modules/ folder: Keyfleet does not read spec files there; move it out",
      });
    } else if (!e.isFile()) {
      out.push({ path, refused: "not a regular file" });
    } else {
      out.push({ path, refused: undefined });
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The text of a spec file, or the issue saying where it stops being UTF-8. */
export function decodeSpecBytes(path: string, bytes: Uint8Array): { text: string } | { issue: SpecIssue } {
  const at11 = (message: string): { issue: SpecIssue } => ({
    issue: { file: path, line: 1, col: 1, message, excerpt: "" },
  });
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    return at11("is UTF-16 (it starts with a UTF-16 byte order mark): save it as UTF-8");
  }
  const bad = firstInvalidUtf8(bytes);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  if (bad === -1) return { text };
  const offset = Buffer.from(bytes.buffer, bytes.byteOffset, bad).toString("utf8").length;
  const byte = (bytes[bad] as number).toString(16).toUpperCase().padStart(2, "0");
  return {
    issue: new SourceText(path, text).issue(
      offset,
      `byte 0x${byte} is not UTF-8 (is the file Latin-1 or another legacy encoding?): save it as UTF-8`,
    ),
  };
}

/** Offset of the first byte that does not begin a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i] as number;
    if (c < 0x80) {
      i++;
      continue;
    }
    let len: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) len = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      len = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    const second = b[i + 1];
    if (second === undefined || second < lo || second > hi) return i;
    for (let k = 2; k <= len; k++) {
      const x = b[i + k];
      if (x === undefined || x < 0x80 || x > 0xbf) return i;
    }
    i += len + 1;
  }
  return -1;
}
