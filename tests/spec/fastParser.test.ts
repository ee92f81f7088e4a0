import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Node, parseAllDocuments } from "yaml";
import { type Pos, parseFast } from "../../core/spec/fastYaml.js";
import { loadSpecFiles } from "../../core/spec/index.js";
import { locate, type PathSegment } from "../../core/spec/locate.js";
import { exampleFiles } from "./exampleFiles.js";

// The fast parser against the yaml library: on whatever it accepts, the same values and the same
// offsets for every key and value; and a whole load gives the same result with it and without it.

const PLAIN = [
  "yk",
  "true",
  "False",
  "NULL",
  "~",
  "null",
  "yes",
  "no",
  "1",
  "007",
  "-3",
  "+4",
  "1.5",
  ".5",
  "2.",
  "1e3",
  "1.5E-2",
  "2025-01-15",
  "31/03/2025",
  "ada@corp.example",
  "ee882879-721c-4913-9775-3dfcce97072a",
  "a:b",
  "a#b",
  "YubiKey 5 NFC",
  "+",
  ".",
];
/** Values the fast parser leaves to yaml: rarer, so most texts stay inside the subset. */
const EXOTIC = [
  "0x1F",
  "0o17",
  ".inf",
  "-.Inf",
  ".nan",
  "-3",
  "-",
  "1234567890123456789",
  '"esc \\" q"',
  "*a",
];
const QUOTED = ['"quoted"', "'single'", "'it''s'", '"a # b"', '"a: b"', "''", '""', '"2025-02-30"'];
const KEYS = ["apiVersion", "kind", "name", "slots", "primary", "backup", "profile", "a_b", "x.y", "k-1"];

/** A small random YAML text in (mostly) the subset, from a seed: maps, lists, flow, comments, markers. */
function randomYaml(seed: number): string {
  let s = seed >>> 0 || 1;
  const rnd = (n: number) => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
  const scalar = () => (rnd(40) === 0 ? pick(EXOTIC) : rnd(4) === 0 ? pick(QUOTED) : pick(PLAIN));
  const flow = (depth: number): string => {
    if (depth > 1 || rnd(3) > 0) return scalar();
    if (rnd(2) === 0) {
      const n = rnd(4);
      const keys = [...new Set(Array.from({ length: n }, () => pick(KEYS)))];
      return `{${rnd(2) ? " " : ""}${keys.map((k) => `${k}: ${flow(depth + 1)}`).join(pick([", ", ",", " , "]))}${rnd(3) === 0 && keys.length ? "," : ""}${rnd(2) ? " " : ""}}`;
    }
    return `[${Array.from({ length: rnd(4) }, () => flow(depth + 1)).join(", ")}]`;
  };
  const comment = () => (rnd(5) === 0 ? pick([" # note", "  #: x", " #"]) : "");
  const lines: string[] = [];
  const block = (indent: number, depth: number): void => {
    const pad = " ".repeat(indent);
    const keys = [...new Set(Array.from({ length: 1 + rnd(4) }, () => pick(KEYS)))];
    for (const k of keys) {
      if (rnd(6) === 0) lines.push(rnd(2) ? "" : `${pad}# a comment`);
      const r = rnd(depth > 2 ? 2 : 4);
      if (r < 2) lines.push(`${pad}${k}: ${flow(0)}${comment()}${rnd(5) === 0 ? "  " : ""}`);
      else if (r === 2) {
        lines.push(`${pad}${k}:${comment()}`);
        block(indent + 1 + rnd(3), depth + 1);
      } else {
        lines.push(`${pad}${k}:`);
        const seqIndent = indent + (rnd(2) ? 0 : 2);
        for (let i = 0; i <= rnd(3); i++) {
          if (rnd(2) === 0) lines.push(`${" ".repeat(seqIndent)}- ${flow(0)}`);
          else {
            const first = lines.length;
            block(seqIndent + 2, depth + 1);
            const line = lines[first] ?? "";
            lines[first] = `${" ".repeat(seqIndent)}- ${line.slice(seqIndent + 2)}`;
          }
        }
      }
    }
  };
  const docs = 1 + rnd(3);
  for (let d = 0; d < docs; d++) {
    if (d > 0 || rnd(3) === 0) lines.push("---");
    if (rnd(4) === 0) lines.push("# leading comment");
    if (rnd(8) > 0) block(0, 0);
  }
  if (rnd(6) === 0) lines.push("---");
  const eol = rnd(5) === 0 ? "\r\n" : "\n";
  return `${lines.join(eol)}${rnd(4) ? eol : ""}`;
}

/** Every path to a value in a JS value, maps and lists alike. */
function paths(value: unknown, base: PathSegment[] = []): PathSegment[][] {
  const out: PathSegment[][] = [base];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...base, i]));
  } else if (typeof value === "object" && value !== null)
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...base, k]));
  return out;
}

function compareWithYaml(text: string): boolean {
  const fast = parseFast(text);
  if (!fast) return false;
  const docs = parseAllDocuments(text, { uniqueKeys: true });
  const real = (Array.isArray(docs) ? docs : []).filter(
    (d) => !(d.contents === null || (d.contents as Node & { source?: string }).source === ""),
  );
  for (const d of real) expect(d.errors, text).toEqual([]);
  expect(
    fast.map((d) => d.value),
    text,
  ).toEqual(real.map((d) => d.toJS()));
  for (const [i, d] of fast.entries()) {
    const root = real[i]?.contents ?? null;
    for (const path of paths(d.value)) {
      expect(locate(d.pos as Pos, path), `${text}\n${JSON.stringify(path)}`).toEqual(locate(root, path));
    }
  }
  return true;
}

describe("fast spec parser", () => {
  it("should give yaml's values and offsets for every text it accepts", () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        if (compareWithYaml(randomYaml(seed))) accepted++;
      }),
      { numRuns: 1500 },
    );
    // The generator stays mostly inside the subset, so the comparison is not vacuous.
    expect(accepted).toBeGreaterThan(300);
  });

  it("should agree with yaml on mutated spec files, or give them up", () => {
    const texts = exampleFiles().map((f) => f.text);
    const chars = [..." :-#{}[],'\"\n!&*?|>%@`~.0aZ\\"];
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.nat(texts.length - 1),
        fc.array(fc.tuple(fc.nat(), fc.nat(chars.length - 1), fc.nat(2)), { minLength: 1, maxLength: 4 }),
        (which, edits) => {
          let text = texts[which] as string;
          for (const [at, c, op] of edits) {
            const i = at % (text.length + 1);
            const ch = chars[c] as string;
            text =
              op === 0
                ? text.slice(0, i) + ch + text.slice(i)
                : op === 1
                  ? text.slice(0, i) + text.slice(i + 1)
                  : text.slice(0, i) + ch + text.slice(i + 1);
          }
          if (compareWithYaml(text)) accepted++;
        },
      ),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it("should accept the people files of the example organisation and agree with yaml on them", () => {
    const people = exampleFiles().filter((f) => f.path.includes("people/"));
    expect(people.length).toBeGreaterThan(0);
    for (const f of people) expect(compareWithYaml(f.text), f.path).toBe(true);
  });

  it("should read CRLF files as yaml does", () => {
    for (const f of exampleFiles().filter((f) => f.path.includes("people/"))) {
      expect(compareWithYaml(f.text.replace(/\n/g, "\r\n")), f.path).toBe(true);
    }
  });

  it("should leave to yaml what it does not handle exactly", () => {
    for (const text of [
      "a: &x 1\nb: *x\n",
      "a: !vault x\n",
      "a: |\n  text\n",
      "a: {b: 1,\n  c: 2}\n",
      "a: plain\n  continued\n",
      "a: 1\na: 2\n",
      "a:\tb\n",
      "a: 1\rb: 2\n",
      '"quoted key": 1\n',
      "? complex\n: key\n",
      "a: 1\n...\n",
      "%YAML 1.2\n---\na: 1\n",
      "- a\n- b\n",
      "a: 0x1F\n",
      "a: -1\n",
      'a: "esc \\n"\n',
      "a:\n",
      "__proto__: 1\n",
    ]) {
      expect(parseFast(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it("should load a spec set to the same result, positions included, with and without it", () => {
    const files = exampleFiles();
    expect(loadSpecFiles(files)).toEqual(loadSpecFiles(files, { fast: false }));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        const set = [...files, { path: "specs/random.yaml", text: randomYaml(seed) }];
        expect(loadSpecFiles(set)).toEqual(loadSpecFiles(set, { fast: false }));
      }),
      { numRuns: 40 },
    );
  });
});
