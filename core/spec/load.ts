// Reading a spec set: every *.yaml / *.yml file under a folder (any depth, several documents per file),
// validated document by document, then checked as a whole. All problems are reported together.
//
// Speed: each file is first read by the fast parser (fastYaml.ts), which records offsets as it goes.
// A file it cannot read, or one in which any document has a problem, is read again by the yaml
// library, whose nodes every message has always pointed at; so what is reported never depends on
// which parser read a file, and a clean file never pays for the yaml library.
import { readFile, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node, parseAllDocuments } from "yaml";
import { buildDocument, emptyDraft, mergeDraft, noteBrokenDocument, type SpecDraft } from "./build.js";
import { parseFast } from "./fastYaml.js";
import { capIssues, SourceText, SpecError, type SpecIssue } from "./issues.js";
import { posOffset } from "./locate.js";
import type { Spec } from "./model.js";
import { assembleSpec, checkSpec, issueFactory } from "./semantic.js";
import { decodeSpecBytes, listSpecEntries } from "./specFiles.js";
import { validateDocument } from "./validateDocument.js";

export interface SpecFile {
  /** The path shown in messages. */
  readonly path: string;
  readonly text: string;
}

export type LoadResult =
  | {
      readonly ok: true;
      readonly spec: Spec;
      readonly files: number;
      readonly warnings: readonly SpecIssue[];
    }
  | {
      readonly ok: false;
      readonly issues: readonly SpecIssue[];
      readonly files: number;
      readonly warnings: readonly SpecIssue[];
    };

export interface LoadOptions {
  /** false reads every file with the yaml library (tests compare both readings); default true. */
  readonly fast?: boolean;
}

const SCHEMA_LINE = "# yaml-language-server: $schema=";
/** Problems listed per file and in all; beyond them one issue counts the rest. */
export const MAX_FILE_ISSUES = 200;
export const MAX_ISSUES = 1000;
/** yaml's own guard against alias amplification (it counts aliased nodes). */
const MAX_ALIAS_COUNT = 1000;
/** Aliases may at most double a document, plus this many nodes. */
const ALIAS_EXPANSION_SLACK = 10_000;
/** Characters YAML 1.2 does not allow in a stream (only printable ones, tab, LF and CR). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are the point
const NOT_PRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\ufffd-\uffff]/;

/** Validates spec files given as text (the loader's pure core). */
export function loadSpecFiles(files: readonly SpecFile[], options: LoadOptions = {}): LoadResult {
  return loadTexts(files, [], files.length, options);
}

function loadTexts(
  files: readonly SpecFile[],
  earlier: readonly SpecIssue[],
  fileCount: number,
  options: LoadOptions,
): LoadResult {
  const issues: SpecIssue[] = [...earlier];
  const warnings: SpecIssue[] = [];
  const draft = emptyDraft();
  const sources = new Map<string, SourceText>();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const r = loadFile(file, options.fast !== false);
    sources.set(file.path, r.source);
    for (const i of capIssues(r.issues, MAX_FILE_ISSUES, "in this file")) issues.push(i);
    for (const w of r.warnings) warnings.push(w);
    mergeDraft(draft, r.draft);
  }
  checkSpec(draft, issueFactory(sources), issues);
  const listed = capIssues(issues, MAX_ISSUES, "in all");
  const sortedWarnings = capIssues(warnings, MAX_ISSUES, "(warnings)");
  if (listed.length > 0) return { ok: false, issues: listed, files: fileCount, warnings: sortedWarnings };
  return { ok: true, spec: assembleSpec(draft), files: fileCount, warnings: sortedWarnings };
}

interface FileResult {
  readonly source: SourceText;
  readonly draft: SpecDraft;
  readonly issues: SpecIssue[];
  readonly warnings: SpecIssue[];
}

function loadFile(file: SpecFile, fast: boolean): FileResult {
  let text = file.text;
  // Editors hide the byte order mark; columns are counted as they show the line.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const crOnly = /\r(?!\n)/.test(text);
  // A lone CR is a line break to YAML's authors but not to the yaml library, which would read the whole
  // file as its first comment line; the same length keeps every offset.
  if (crOnly) text = text.replace(/\r(?!\n)/g, "\n");
  const source = new SourceText(file.path, text);
  const warnings: SpecIssue[] = [];
  const issues: SpecIssue[] = [];
  const result = (draft: SpecDraft, documents: number): FileResult => {
    if (documents === 0 && issues.length === 0) {
      warnings.push(source.issue(0, "holds no document: nothing in this file is read"));
    }
    return { source, draft, issues, warnings };
  };
  if (!text.startsWith(SCHEMA_LINE)) {
    warnings.push(
      source.issue(
        0,
        `first line is not '${SCHEMA_LINE}…keyfleet.schema.json': editors will not check this file`,
      ),
    );
  }
  if (crOnly) {
    warnings.push(
      source.issue(0, "line breaks are CR only (classic Mac OS): read as line breaks; save with LF"),
    );
  }
  const bad = NOT_PRINTABLE.exec(text);
  if (bad) {
    issues.push(source.issue(bad.index, `${describeChar(bad[0])} is not allowed in YAML: remove it`));
    return result(emptyDraft(), 1);
  }
  const deep = tooDeep(text);
  if (deep !== undefined) {
    issues.push(source.issue(deep, `nests deeper than ${MAX_DEPTH} levels: spec documents never need to`));
    return result(emptyDraft(), 1);
  }
  try {
    return readDocuments(text, source, fast, issues, result);
  } catch (e) {
    // A parser's recursion is the last guard against nesting the scan above misjudged.
    if (!(e instanceof RangeError)) throw e;
    issues.push(source.issue(0, `could not be read: ${e.message}`));
    return result(emptyDraft(), 1);
  }
}

function readDocuments(
  text: string,
  source: SourceText,
  fast: boolean,
  issues: SpecIssue[],
  result: (draft: SpecDraft, documents: number) => FileResult,
): FileResult {
  const docs = fast ? parseFast(text) : undefined;
  if (docs) {
    const draft = emptyDraft();
    for (const d of docs) {
      const offset = posOffset(d.pos);
      const kind = validateDocument(d.value, d.pos, source, offset, issues);
      if (kind) buildDocument(kind, d.value, d.pos, source, offset, draft, issues);
      if (issues.length > 0) break;
    }
    if (issues.length === 0) return result(draft, docs.length);
    issues.length = 0; // read again below, so the report is the yaml library's
  }

  const draft = emptyDraft();
  let documents = 0;
  const parsed = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: false });
  for (const doc of Array.isArray(parsed) ? parsed : []) {
    const facts = inspect(doc, source);
    if (doc.errors.length > 0) {
      for (const e of doc.errors) {
        const dup = e.code === "DUPLICATE_KEY" ? facts.duplicates.get(e.pos[0]) : undefined;
        const extra = dup ? `: '${dup.name}' is already at ${where(source, dup.first)}` : "";
        issues.push(source.issue(e.pos[0], `${yamlMessage(e.message)}${extra}`));
      }
      documents++;
      continue;
    }
    if (isEmptyDocument(doc)) continue;
    documents++;
    // Unknown tags are among the facts; any other warning of yaml's is a problem too.
    const warnings = doc.warnings.filter((w) => w.code !== "TAG_RESOLVE_FAILED");
    for (const w of warnings) issues.push(source.issue(w.pos[0], yamlMessage(w.message)));
    if (facts.problems.length > 0) {
      for (const p of facts.problems) issues.push(p);
      continue;
    }
    if (warnings.length > 0) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      const at = facts.firstAlias ?? doc.contents?.range[0] ?? doc.range[0];
      issues.push(source.issue(at, yamlMessage(e instanceof Error ? e.message : String(e))));
      continue;
    }
    const offset = doc.range[0];
    const before = issues.length;
    const kind = validateDocument(value, doc.contents, source, offset, issues);
    if (kind) buildDocument(kind, value, doc.contents, source, offset, draft, issues);
    else if (issues.length > before) noteBrokenDocument(value, draft);
  }
  return result(draft, documents);
}

/** Nesting the loader reads; the yaml library and the checks recurse once per level. */
const MAX_DEPTH = 64;

/**
 * The offset of the first line nesting deeper than MAX_DEPTH (indentation levels, `- ` items opened
 * on one line, and flow brackets), or undefined. Quotes and comments are skipped roughly: a legitimate
 * spec is nowhere near the limit, so an approximation only ever errs on hostile input.
 */
function tooDeep(text: string): number | undefined {
  const indents: number[] = [];
  let flow = 0;
  let pos = 0;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = text.length;
    let i = pos;
    while (i < end && text.charCodeAt(i) === 32) i++;
    if (i < end && text[i] !== "#") {
      const indent = i - pos;
      if (flow === 0) {
        while (indents.length > 0 && (indents[indents.length - 1] as number) > indent) indents.pop();
        if (indents.length === 0 || (indents[indents.length - 1] as number) < indent) indents.push(indent);
      }
      let dashes = 0;
      while (i + 1 < end && text[i] === "-" && text[i + 1] === " ") {
        dashes++;
        i += 2;
        while (i < end && text.charCodeAt(i) === 32) i++;
      }
      let quote = "";
      for (; i < end; i++) {
        const c = text[i];
        if (quote) {
          if (c === quote) quote = "";
        } else if (c === '"' || c === "'") quote = c;
        else if (c === "#" && text[i - 1] === " ") break;
        else if (c === "[" || c === "{") {
          flow++;
          if (indents.length + dashes + flow > MAX_DEPTH) return i;
        } else if ((c === "]" || c === "}") && flow > 0) flow--;
      }
      if (indents.length + dashes + flow > MAX_DEPTH) return pos + indent;
    }
    pos = end + 1;
  }
  return undefined;
}

/** A document with nothing in it but comments (after `---`, before `...`): skipped, like an empty file. */
function isEmptyDocument(doc: Document.Parsed): boolean {
  const c = doc.contents;
  if (c === null) return true;
  return isScalar(c) && c.value === null && c.source === "" && !c.tag && !c.anchor;
}

interface DocumentFacts {
  /** Repeated keys: the later key's offset to its name and the first one's offset. */
  readonly duplicates: Map<number, { name: string; first: number }>;
  /** Alias problems, each at its alias. */
  readonly problems: SpecIssue[];
  readonly firstAlias: number | undefined;
}

/**
 * One walk over a document in source order: repeated keys (for yaml's message), aliases without an
 * anchor before them in the same document, and how far aliases expand the document.
 */
function inspect(doc: Document.Parsed, source: SourceText): DocumentFacts {
  const duplicates = new Map<number, { name: string; first: number }>();
  const problems: SpecIssue[] = [];
  const anchors = new Map<string, number>();
  let written = 0;
  let firstAlias: number | undefined;
  const walk = (node: unknown): number => {
    if (node === null || node === undefined) return 0;
    written++;
    const n = node as Node;
    let size = 1;
    if (n.tag !== undefined && !CORE_TAGS.has(n.tag) && problems.length < MAX_FILE_ISSUES) {
      const tag = n.tag.startsWith(YAML_TAG) ? `!!${n.tag.slice(YAML_TAG.length)}` : n.tag;
      problems.push(
        source.issue(
          tagStart(source.text, n.range?.[0] ?? 0),
          `unknown tag ${tag}: Keyfleet reads plain YAML values only (no tags beyond !!str, !!int, !!float, !!bool, !!null, !!map, !!seq)`,
        ),
      );
    }
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      firstAlias ??= offset;
      const known = anchors.get(node.source);
      if (known === undefined && problems.length < MAX_FILE_ISSUES) {
        problems.push(
          source.issue(
            offset,
            `alias *${node.source} has no anchor &${node.source} before it in this document (anchors reach neither across --- nor into the node they name)`,
          ),
        );
      }
      return known ?? 1;
    }
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        if (isScalar(pair.key) && pair.key.range) {
          const name = String(pair.key.value);
          const first = seen.get(name);
          if (first === undefined) seen.set(name, pair.key.range[0]);
          else duplicates.set(pair.key.range[0], { name, first });
        }
        size += walk(pair.key) + walk(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) size += walk(item);
    }
    // An anchor names its node once the node is complete: an alias inside it is refused above.
    if (n.anchor) anchors.set(n.anchor, size);
    return size;
  };
  const expanded = walk(doc.contents);
  const limit = 2 * written + ALIAS_EXPANSION_SLACK;
  if (expanded > limit && firstAlias !== undefined) {
    problems.push(
      source.issue(
        firstAlias,
        `aliases expand this document from ${written} written nodes to ${expanded > 1e15 ? "more than 10^15" : expanded}; at most ${limit} are read (an alias bomb?)`,
      ),
    );
  }
  return { duplicates, problems, firstAlias };
}

const YAML_TAG = "tag:yaml.org,2002:";
/** Tags of the YAML 1.2 core schema; yaml also knows !!binary, !!set, !!timestamp…, which become objects. */
const CORE_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => YAML_TAG + t));

/** The tag is written before its value: the start of the `!…` word before the value's offset. */
function tagStart(text: string, valueStart: number): number {
  let i = valueStart;
  for (let words = 0; words < 2; words++) {
    while (i > 0 && (text[i - 1] === " " || text[i - 1] === "\t")) i--;
    let j = i;
    while (j > 0 && !/\s/.test(text[j - 1] as string)) j--;
    if (text[j] === "!") return j;
    i = j; // an anchor between tag and value
  }
  return valueStart;
}

function describeChar(c: string): string {
  const n = c.charCodeAt(0);
  const hex = n.toString(16).toUpperCase().padStart(4, "0");
  if (n === 0) return "a NUL character (U+0000; is the file UTF-16?)";
  if (n === 0xfffd) return "a replacement character (U+FFFD: the file was not UTF-8 when it was read)";
  if (n === 0x1b) return "an escape character (U+001B, a terminal control code)";
  return `control character U+${hex}`;
}

function where(source: SourceText, offset: number): string {
  const r = source.ref(offset);
  return `${r.file}:${r.line}:${r.col}`;
}

/**
 * Reads every spec file under `dir`; messages name files as `dir/relative/path.yaml`. Links, files
 * under node_modules/ and files that are not UTF-8 are refused, never skipped: a person silently
 * missing from the specs would have their keys revoked.
 */
export async function loadSpecDir(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`${dir} is not a folder of spec files`);
  const entries = await listSpecEntries(dir);
  if (entries.length === 0) throw new Error(`no spec files (*.yaml, *.yml) under ${dir}`);
  const shown = (p: string) => join(dir, p).split(sep).join("/");
  const refused: SpecIssue[] = [];
  const files: SpecFile[] = [];
  await Promise.all(
    entries.map(async (e) => {
      const path = shown(e.path);
      if (e.refused !== undefined) {
        refused.push({ file: path, line: 1, col: 1, message: e.refused, excerpt: "" });
        return;
      }
      const decoded = decodeSpecBytes(path, await readFile(join(dir, e.path)));
      if ("issue" in decoded) refused.push(decoded.issue);
      else files.push({ path, text: decoded.text });
    }),
  );
  return loadTexts(files, refused, entries.length, options);
}

/** Like loadSpecDir, but returns the Spec or throws a SpecError with every issue. */
export async function readSpec(dir: string): Promise<Spec> {
  const r = await loadSpecDir(dir);
  if (!r.ok) throw new SpecError(r.issues);
  return r.spec;
}

/** yaml's messages may carry a context block after the first line; keep the sentence. */
function yamlMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  return `YAML: ${first.replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "")}`;
}
