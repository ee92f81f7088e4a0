// Spec problems as the operator sees them: file:line:col, a message, and the offending line with a caret.
import type { LineCounter } from "yaml";
import type { SourceRef } from "./model.js";

export interface SpecIssue extends SourceRef {
  readonly message: string;
  /** The source line and a caret under the column, two lines without trailing newline. */
  readonly excerpt: string;
}

/** One spec file's text and line table; turns byte offsets into positions and excerpts. */
export class SourceText {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly lines: LineCounter,
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
    const pad = text.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, " ");
    return { ...ref, message, excerpt: `${text}\n${pad}^` };
  }
}

/** `file:line:col: message` followed by the indented excerpt. */
export function formatIssue(issue: SpecIssue): string {
  const excerpt = issue.excerpt
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
  return `${issue.file}:${issue.line}:${issue.col}: ${issue.message}\n${excerpt}`;
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
