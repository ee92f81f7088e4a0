// Spec problems as the operator sees them: file:line:col, a message, and the offending line with a caret.
// Excerpts and messages never carry raw control characters: a spec line must not rewrite the terminal.
import type { SourceRef } from "./model.js";

export interface SpecIssue extends SourceRef {
  readonly message: string;
  /** The source line and a caret under the column, two lines without trailing newline ("" when none). */
  readonly excerpt: string;
}

/** Where each line of a text starts; offsets to 1-based line and column (as yaml's LineCounter counts). */
export class LineTable {
  private constructor(readonly lineStarts: readonly number[]) {}

  static of(text: string): LineTable {
    const starts = [0];
    for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    return new LineTable(starts);
  }

  linePos(offset: number): { line: number; col: number } {
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((starts[mid] as number) < offset) low = mid + 1;
      else high = mid;
    }
    if (starts[low] === offset) return { line: low + 1, col: 1 };
    return { line: low, col: offset - (starts[low - 1] as number) + 1 };
  }
}

/** One spec file's text and line table; turns offsets into positions and excerpts. */
export class SourceText {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly lines: LineTable = LineTable.of(text),
  ) {}

  ref(offset: number): SourceRef {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { file: this.file, line, col };
  }

  issue(offset: number, message: string): SpecIssue {
    return this.issueAt(this.ref(offset), message);
  }

  issueAt(ref: SourceRef, message: string): SpecIssue {
    const start = this.lines.lineStarts[ref.line - 1] ?? 0;
    const next = this.lines.lineStarts[ref.line];
    let text = this.text.slice(start, next === undefined ? undefined : next - 1).replace(/\r$/, "");
    let col = ref.col;
    // A very long line is cut around the column so the excerpt stays short.
    if (text.length > 120) {
      const from = Math.max(0, col - 60);
      text = `${from > 0 ? "…" : ""}${text.slice(from, from + 120)}`;
      col = col - from + (from > 0 ? 1 : 0);
    }
    const before = escapeControls(text.slice(0, Math.max(0, col - 1)));
    const pad = before.replace(/[^\t]/g, " ");
    return { ...ref, message: escapeControls(message), excerpt: `${escapeControls(text)}\n${pad}^` };
  }
}

/**
 * Characters that would act on a terminal rather than show (C0 and C1 controls, DEL, line separators,
 * bidirectional overrides, the BOM), written as escapes; tabs stay.
 */
const CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

export function escapeControls(s: string): string {
  return s.replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
  });
}

/** `file:line:col: message` followed by the indented excerpt. */
export function formatIssue(issue: SpecIssue): string {
  const head = `${issue.file}:${issue.line}:${issue.col}: ${issue.message}`;
  if (issue.excerpt === "") return head;
  const excerpt = issue.excerpt
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
  return `${head}\n${excerpt}`;
}

/** Orders issues by file, position, then message, so that output never depends on discovery order. */
export function compareIssues(a: SpecIssue, b: SpecIssue): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.col - b.col ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

/**
 * Sorts issues and keeps at most `max`; the rest are counted in one last issue at the first one left
 * out, so a hostile file cannot make the report (or its memory) grow without bound.
 */
export function capIssues(issues: SpecIssue[], max: number, scope: string): SpecIssue[] {
  issues.sort(compareIssues);
  if (issues.length <= max) return issues;
  const first = issues[max] as SpecIssue;
  const more = issues.length - max;
  const kept = issues.slice(0, max);
  kept.push({
    ...first,
    message: `${more} more problem${more === 1 ? "" : "s"} ${scope} not shown (at most ${max} are listed): fix these and run again`,
  });
  return kept;
}

/** Thrown by loaders that must not return a partial spec; carries every issue found. */
export class SpecError extends Error {
  readonly brand = "keyfleet.SpecError";
  constructor(readonly issues: readonly SpecIssue[]) {
    super(
      `${issues.length} problem${issues.length === 1 ? "" : "s"} in the spec:\n${issues.map(formatIssue).join("\n")}`,
    );
  }
  static isInstance(e: unknown): e is SpecError {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.SpecError";
  }
}
