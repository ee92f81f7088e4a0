// The loader's hot path: a parser for the plain subset of YAML that spec files are written in (block
// maps and lists, one-line flow maps and lists, plain and quoted one-line scalars, comments, `---`).
// It gives the same values as the yaml library and the offsets yaml's nodes carry, at a fraction of
// the cost. Anything outside the subset (anchors, tags, block scalars, multi-line flow or scalars,
// odd keys, duplicates, tabs, a CR outside CRLF) makes it give up, and the file goes to the yaml library, which also
// explains every syntax error: this parser never reports one.

/** Where a map and its entries were written: key offset and the value's position, by key. */
export class PosMap {
  constructor(
    readonly offset: number,
    readonly entries: Map<string, readonly [number, Pos]>,
  ) {}
}

/** Where a list and its items were written. */
export class PosSeq {
  constructor(
    readonly offset: number,
    readonly items: Pos[],
  ) {}
}

/** A scalar's offset, or a collection's positions. */
export type Pos = number | PosMap | PosSeq;

export interface FastDocument {
  readonly value: unknown;
  readonly pos: Pos;
}

/** Thrown inside the parser to give up on a file; never escapes parseFast. */
class GiveUp {}
const GIVE_UP = new GiveUp();

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const SPECIAL_WORD = /^(?:~|[Nn]ull|NULL|[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
/** Plain scalars the core schema reads as something this parser does not resolve itself. */
const RARE = /^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/** A character that cannot start a plain scalar (or starts something this parser leaves to yaml). */
const NOT_PLAIN_START = new Set([..."-?:,[]{}#&*!|>'\"%@`"]);

interface Line {
  /** Offset of the first character that is not a space. */
  start: number;
  /** Offset just past the line's last character (before the newline). */
  end: number;
  /** Column of `start`, counted from 0. */
  indent: number;
}

/**
 * Parses a whole file, or returns undefined when it uses anything outside the subset. Empty documents
 * (nothing between markers but comments) are left out, as the loader skips them.
 */
export function parseFast(text: string): FastDocument[] | undefined {
  // Tabs, a lone CR, the BOM and control characters all have rules the yaml library applies; leave them to it.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
  if (/[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff\u2028\u2029]|\r(?!\n)/.test(text)) {
    return undefined;
  }
  try {
    return new FastParser(text).documents();
  } catch (e) {
    if (e === GIVE_UP) return undefined;
    throw e;
  }
}

class FastParser {
  private readonly lines: Line[][] = [];
  private doc: Line[] = [];
  private i = 0;

  constructor(private readonly text: string) {}

  documents(): FastDocument[] {
    this.splitLines();
    const out: FastDocument[] = [];
    for (const doc of this.lines) {
      if (doc.length === 0) continue;
      this.doc = doc;
      this.i = 0;
      const first = doc[0]!;
      if (first.indent !== 0) throw GIVE_UP;
      if (this.isSeqItem(first)) throw GIVE_UP; // a list document: yaml explains why it is wrong
      const [value, pos] = this.blockMap(0);
      if (this.i < doc.length) throw GIVE_UP;
      out.push({ value, pos });
    }
    return out;
  }

  /** Content lines, grouped into documents at `---`; blank and comment lines dropped. */
  private splitLines(): void {
    const text = this.text;
    let current: Line[] = [];
    this.lines.push(current);
    let pos = 0;
    while (pos <= text.length) {
      let next = text.indexOf("\n", pos);
      if (next === -1) next = text.length;
      // CRLF: the CR belongs to the line break, as yaml counts it.
      const end = next > pos && text.charCodeAt(next - 1) === 13 ? next - 1 : next;
      let start = pos;
      while (start < end && text.charCodeAt(start) === 32) start++;
      if (start < end && text.charCodeAt(start) !== 35 /* # */) {
        const indent = start - pos;
        if (indent === 0 && text.startsWith("---", start)) {
          if (end !== start + 3) throw GIVE_UP; // `--- value` or `----`
          current = [];
          this.lines.push(current);
        } else if (indent === 0 && (text.startsWith("...", start) || text.charCodeAt(start) === 37)) {
          throw GIVE_UP; // document end marker or directive
        } else {
          current.push({ start, end, indent });
        }
      }
      pos = next + 1;
    }
  }

  private isSeqItem(line: Line): boolean {
    const c = this.text.charCodeAt(line.start);
    return c === 45 /* - */ && (line.start + 1 === line.end || this.text.charCodeAt(line.start + 1) === 32);
  }

  private blockMap(indent: number): [Record<string, unknown>, PosMap] {
    const value: Record<string, unknown> = {};
    const entries = new Map<string, readonly [number, Pos]>();
    const offset = this.doc[this.i]!.start;
    while (this.i < this.doc.length) {
      const line = this.doc[this.i]!;
      if (line.indent < indent) break;
      if (line.indent > indent || this.isSeqItem(line)) throw GIVE_UP;
      const text = this.text;
      const colon = text.indexOf(":", line.start);
      if (colon === -1 || colon >= line.end) throw GIVE_UP;
      const key = text.slice(line.start, colon);
      if (!KEY.test(key) || SPECIAL_WORD.test(key) || key === "__proto__" || entries.has(key)) throw GIVE_UP;
      let p = colon + 1;
      if (p < line.end && text.charCodeAt(p) !== 32) throw GIVE_UP;
      while (p < line.end && text.charCodeAt(p) === 32) p++;
      let v: unknown;
      let vp: Pos;
      if (p === line.end || text.charCodeAt(p) === 35 /* # */) {
        this.i++;
        const next = this.doc[this.i];
        if (next && next.indent > indent) {
          [v, vp] = this.isSeqItem(next) ? this.blockSeq(next.indent) : this.blockMap(next.indent);
        } else if (next && next.indent === indent && this.isSeqItem(next)) {
          [v, vp] = this.blockSeq(indent);
        } else {
          throw GIVE_UP; // an empty value
        }
      } else {
        [v, vp] = this.inlineValue(p, line.end);
        this.i++;
      }
      value[key] = v;
      entries.set(key, [line.start, vp]);
    }
    return [value, new PosMap(offset, entries)];
  }

  private blockSeq(indent: number): [unknown[], PosSeq] {
    const value: unknown[] = [];
    const items: Pos[] = [];
    const offset = this.doc[this.i]!.start;
    while (this.i < this.doc.length) {
      const line = this.doc[this.i]!;
      if (line.indent < indent) break;
      if (line.indent > indent || !this.isSeqItem(line)) throw GIVE_UP;
      const text = this.text;
      let p = line.start + 1;
      while (p < line.end && text.charCodeAt(p) === 32) p++;
      if (p === line.end || text.charCodeAt(p) === 35) throw GIVE_UP; // item on the next lines
      const c = text[p]!;
      if (c === "{" || c === "[" || c === '"' || c === "'" || !this.startsCompactMap(p, line.end)) {
        const [v, vp] = this.inlineValue(p, line.end);
        value.push(v);
        items.push(vp);
        this.i++;
      } else {
        // `- key: value` opens a map whose lines are indented to the key's column.
        const col = p - (line.start - line.indent);
        this.doc[this.i] = { start: p, end: line.end, indent: col };
        const [v, vp] = this.blockMap(col);
        value.push(v);
        items.push(vp);
      }
    }
    return [value, new PosSeq(offset, items)];
  }

  private startsCompactMap(p: number, end: number): boolean {
    const text = this.text;
    const colon = text.indexOf(":", p);
    if (colon === -1 || colon >= end) return false;
    const next = colon + 1;
    return next === end || text.charCodeAt(next) === 32;
  }

  /** A value that ends on this line: flow collection, quoted or plain scalar, then maybe a comment. */
  private inlineValue(p: number, end: number): [unknown, Pos] {
    const c = this.text[p]!;
    let result: [unknown, Pos];
    let after: number;
    if (c === "{" || c === "[") {
      const r = c === "{" ? this.flowMap(p, end) : this.flowSeq(p, end);
      result = [r[0], r[1]];
      after = r[2];
    } else if (c === '"' || c === "'") {
      const r = this.quoted(p, end);
      result = [r[0], p];
      after = r[1];
    } else {
      // A block plain scalar runs to the end of the line or a comment.
      let stop = p;
      while (stop < end && !(this.text.charCodeAt(stop) === 35 && this.text.charCodeAt(stop - 1) === 32))
        stop++;
      let last = stop;
      while (last > p && this.text.charCodeAt(last - 1) === 32) last--;
      const raw = this.text.slice(p, last);
      if (raw.includes(": ") || raw.endsWith(":")) throw GIVE_UP;
      return [this.plain(raw), p];
    }
    const text = this.text;
    while (after < end && text.charCodeAt(after) === 32) after++;
    if (after < end && !(text.charCodeAt(after) === 35 && text.charCodeAt(after - 1) === 32)) throw GIVE_UP;
    return result;
  }

  private flowMap(p: number, end: number): [Record<string, unknown>, PosMap, number] {
    const text = this.text;
    const value: Record<string, unknown> = {};
    const entries = new Map<string, readonly [number, Pos]>();
    let q = p + 1;
    for (;;) {
      while (q < end && text.charCodeAt(q) === 32) q++;
      if (q >= end) throw GIVE_UP; // continues on the next line
      if (text[q] === "}") return [value, new PosMap(p, entries), q + 1];
      const colon = text.indexOf(":", q);
      if (colon === -1 || colon >= end) throw GIVE_UP;
      const key = text.slice(q, colon);
      if (!KEY.test(key) || SPECIAL_WORD.test(key) || key === "__proto__" || entries.has(key)) throw GIVE_UP;
      if (text.charCodeAt(colon + 1) !== 32) throw GIVE_UP;
      let v = colon + 2;
      while (v < end && text.charCodeAt(v) === 32) v++;
      if (v >= end) throw GIVE_UP;
      const [val, pos, next] = this.flowValue(v, end);
      value[key] = val;
      entries.set(key, [q, pos]);
      q = this.flowSeparator(next, end, "}");
    }
  }

  private flowSeq(p: number, end: number): [unknown[], PosSeq, number] {
    const text = this.text;
    const value: unknown[] = [];
    const items: Pos[] = [];
    let q = p + 1;
    for (;;) {
      while (q < end && text.charCodeAt(q) === 32) q++;
      if (q >= end) throw GIVE_UP;
      if (text[q] === "]") return [value, new PosSeq(p, items), q + 1];
      const [val, pos, next] = this.flowValue(q, end);
      value.push(val);
      items.push(pos);
      q = this.flowSeparator(next, end, "]");
    }
  }

  /** After a flow entry: spaces, then `,` (returns past it) or the closing bracket (returns at it). */
  private flowSeparator(q: number, end: number, close: string): number {
    const text = this.text;
    while (q < end && text.charCodeAt(q) === 32) q++;
    if (text[q] === ",") {
      q++;
      while (q < end && text.charCodeAt(q) === 32) q++;
      if (text[q] === ",") throw GIVE_UP; // an empty entry
      return q;
    }
    if (text[q] === close) return q;
    throw GIVE_UP;
  }

  private flowValue(q: number, end: number): [unknown, Pos, number] {
    const c = this.text[q]!;
    if (c === "{") return this.flowMap(q, end);
    if (c === "[") return this.flowSeq(q, end);
    if (c === '"' || c === "'") {
      const [v, next] = this.quoted(q, end);
      return [v, q, next];
    }
    const text = this.text;
    let r = q;
    while (r < end) {
      const ch = text.charCodeAt(r);
      if (ch === 44 /* , */ || ch === 93 /* ] */ || ch === 125 /* } */) break;
      if (ch === 58 /* : */ || ch === 91 /* [ */ || ch === 123 /* { */) throw GIVE_UP;
      if (ch === 35 /* # */ && text.charCodeAt(r - 1) === 32) throw GIVE_UP;
      r++;
    }
    let last = r;
    while (last > q && text.charCodeAt(last - 1) === 32) last--;
    return [this.plain(text.slice(q, last)), q, r];
  }

  /** A one-line quoted scalar starting at p; returns its value and the offset past the closing quote. */
  private quoted(p: number, end: number): [string, number] {
    const text = this.text;
    const quote = text[p];
    if (quote === "'") {
      let out = "";
      let q = p + 1;
      for (;;) {
        const close = text.indexOf("'", q);
        if (close === -1 || close >= end) throw GIVE_UP;
        out += text.slice(q, close);
        if (text[close + 1] === "'") {
          out += "'";
          q = close + 2;
        } else return [out, close + 1];
      }
    }
    const close = text.indexOf('"', p + 1);
    if (close === -1 || close >= end) throw GIVE_UP;
    const body = text.slice(p + 1, close);
    if (body.includes("\\")) throw GIVE_UP; // escapes: leave them to yaml
    return [body, close + 1];
  }

  /** Resolves a plain scalar as the YAML 1.2 core schema does. */
  private plain(raw: string): unknown {
    if (raw === "" || NOT_PLAIN_START.has(raw[0]!)) throw GIVE_UP;
    if (SPECIAL_WORD.test(raw)) {
      const c = raw[0];
      if (c === "t" || c === "T") return true;
      if (c === "f" || c === "F") return false;
      return null;
    }
    const c = raw.charCodeAt(0);
    const numeric = (c >= 48 && c <= 57) || c === 43 || c === 46;
    if (!numeric) return raw;
    if (INT.test(raw)) {
      if (raw.length > 15) throw GIVE_UP;
      return Number.parseInt(raw, 10);
    }
    if (FLOAT.test(raw) || FLOAT_EXP.test(raw)) return Number.parseFloat(raw);
    if (RARE.test(raw)) throw GIVE_UP;
    return raw;
  }
}
