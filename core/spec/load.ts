// Reading a spec set: every *.yaml / *.yml file under a folder (any depth, several documents per file),
// validated document by document, then checked as a whole. All problems are reported together.
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { buildDocument, emptyDraft } from "./build.js";
import { compareIssues, SourceText, SpecError, type SpecIssue } from "./issues.js";
import type { Spec } from "./model.js";
import { assembleSpec, checkSpec, issueFactory } from "./semantic.js";
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

const SCHEMA_LINE = "# yaml-language-server: $schema=";

/** Validates spec files given as text (the loader's pure core). */
export function loadSpecFiles(files: readonly SpecFile[]): LoadResult {
  const issues: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  const draft = emptyDraft();
  const sources = new Map<string, SourceText>();
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const lines = new LineCounter();
    const source = new SourceText(file.path, file.text, lines);
    sources.set(file.path, source);
    const docs = parseAllDocuments(file.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    if (!file.text.startsWith(SCHEMA_LINE)) {
      warnings.push(
        source.issue(
          0,
          `first line is not '${SCHEMA_LINE}…keyfleet.schema.json': editors will not check this file`,
        ),
      );
    }
    if (!Array.isArray(docs)) continue; // an empty stream: nothing but comments
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        for (const e of doc.errors) issues.push(source.issue(e.pos[0], yamlMessage(e.message)));
        continue;
      }
      if (doc.contents === null) continue; // an empty document, e.g. after a trailing ---
      const offset = doc.range[0];
      const value: unknown = doc.toJS({ maxAliasCount: 1000 });
      const kind = validateDocument(value, doc.contents, source, offset, issues);
      if (kind) buildDocument(kind, value, doc.contents, source, offset, draft, issues);
    }
  }
  checkSpec(draft, issueFactory(sources), issues);
  issues.sort(compareIssues);
  warnings.sort(compareIssues);
  if (issues.length > 0) return { ok: false, issues, files: files.length, warnings };
  return { ok: true, spec: assembleSpec(draft), files: files.length, warnings };
}

/** Reads every spec file under `dir`; messages name files as `dir/relative/path.yaml`. */
export async function loadSpecDir(dir: string): Promise<LoadResult> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new Error(`${dir} is not a folder of spec files`);
  const paths = await listSpecFiles(dir);
  if (paths.length === 0) throw new Error(`no spec files (*.yaml, *.yml) under ${dir}`);
  const files = await Promise.all(
    paths.map(async (p) => ({
      path: join(dir, p).split(sep).join("/"),
      text: await readFile(join(dir, p), "utf8"),
    })),
  );
  return loadSpecFiles(files);
}

/** Like loadSpecDir, but returns the Spec or throws a SpecError with every issue. */
export async function readSpec(dir: string): Promise<Spec> {
  const r = await loadSpecDir(dir);
  if (!r.ok) throw new SpecError(r.issues);
  return r.spec;
}

async function listSpecFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .filter((p) => !p.split(sep).some((part) => part.startsWith(".") || part === "node_modules"))
    .sort();
}

/** yaml's messages may carry a context block after the first line; keep the sentence. */
function yamlMessage(message: string): string {
  const first = message.split("\n")[0] ?? message;
  return `YAML: ${first.replace(/ at line \d+, column \d+:?$/, "").replace(/:$/, "")}`;
}
