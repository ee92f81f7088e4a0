// Checks one YAML document against its kind's schema with Ajv (all errors) and turns each Ajv error
// into a message at the YAML node it concerns.
import type { TSchema } from "@sinclair/typebox";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import type { SourceText, SpecIssue } from "./issues.js";
import { describePath, locate, pointerSegments, type SpecNode } from "./locate.js";
import { API_VERSION, DOCUMENT_KINDS, DOCUMENT_SCHEMAS, type DocumentKind } from "./schema.js";

interface SchemaHints {
  anyOf?: SchemaHints[];
  errorMessage?: string;
  patternErrorMessage?: string;
  patternProperties?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

/** Schema errors looked at per document. */
const MAX_SCHEMA_ERRORS = 1000;

let validators: Map<DocumentKind, ValidateFunction> | undefined;

/** Ajv set up for spec schemas: every error, with the schema that raised it (for our messages). */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false });
  // Editor hints that the JSON Schema carries (VS Code and yaml-language-server show them).
  ajv.addKeyword({ keyword: "errorMessage", schemaType: "string" });
  ajv.addKeyword({ keyword: "patternErrorMessage", schemaType: "string" });
  return ajv;
}

function validatorFor(kind: DocumentKind): ValidateFunction {
  if (!validators) {
    const ajv = createAjv();
    validators = new Map(DOCUMENT_KINDS.map((k) => [k, ajv.compile(DOCUMENT_SCHEMAS[k] as TSchema)]));
  }
  const v = validators.get(kind);
  if (!v) throw new Error(`no validator for ${kind}`);
  return v;
}

export function isDocumentKind(kind: unknown): kind is DocumentKind {
  return typeof kind === "string" && (DOCUMENT_KINDS as string[]).includes(kind);
}

/**
 * Validates a document's value; returns its kind when valid, or undefined after adding issues.
 * `root` is the YAML node the value came from.
 */
export function validateDocument(
  value: unknown,
  root: SpecNode,
  source: SourceText,
  docOffset: number,
  issues: SpecIssue[],
): DocumentKind | undefined {
  const at = (path: (string | number)[], key = false) => {
    const loc = locate(root, path, docOffset);
    return key && loc.keyOffset !== undefined ? loc.keyOffset : loc.offset;
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    issues.push(
      source.issue(at([]), `a document must be a map with apiVersion and kind (found ${typeName(value)})`),
    );
    return undefined;
  }
  const record = value as Record<string, unknown>;
  if (record.apiVersion === undefined) {
    issues.push(source.issue(at([]), `missing required field 'apiVersion' (use apiVersion: ${API_VERSION})`));
  } else if (record.apiVersion !== API_VERSION) {
    issues.push(source.issue(at(["apiVersion"]), `apiVersion must be ${API_VERSION}`));
  }
  if (record.kind === undefined) {
    issues.push(source.issue(at([]), `missing required field 'kind' (one of ${DOCUMENT_KINDS.join(", ")})`));
    return undefined;
  }
  if (!isDocumentKind(record.kind)) {
    issues.push(
      source.issue(
        at(["kind"]),
        `unknown kind '${String(record.kind)}' (one of ${DOCUMENT_KINDS.join(", ")})`,
      ),
    );
    return undefined;
  }
  const validate = validatorFor(record.kind);
  if (validate(value)) return record.apiVersion === API_VERSION ? record.kind : undefined;
  // A document can hold thousands of mistakes; the first ones are enough to act on, and the mapping
  // below must not turn a hostile document into quadratic work.
  const errors = (validate.errors ?? [])
    .slice(0, MAX_SCHEMA_ERRORS)
    .filter((e) => !(e.instancePath === "/apiVersion" && e.keyword === "const"));
  for (const issue of mapErrors(errors, at, source)) issues.push(issue);
  return undefined;
}

function mapErrors(
  errors: ErrorObject[],
  at: (path: (string | number)[], key?: boolean) => number,
  source: SourceText,
): SpecIssue[] {
  // A union with its own message speaks for all its branches: drop the branch errors beneath it.
  const unionErrors = errors.filter(
    (e) => (e.keyword === "anyOf" || e.keyword === "oneOf") && hints(e).errorMessage,
  );
  const unionPaths = new Set(unionErrors.map((e) => e.instancePath));
  const underUnion = (path: string) => {
    for (let p = path; ; p = p.slice(0, p.lastIndexOf("/"))) {
      if (unionPaths.has(p)) return true;
      if (p === "") return false;
    }
  };
  const out: SpecIssue[] = [];
  const seen = new Set<string>();
  const push = (offset: number, message: string) => {
    const key = `${offset}\u0000${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(source.issue(offset, message));
  };
  // The union's message speaks for its branches, but a field no branch knows is named as well.
  for (const u of unionErrors) {
    const branches = (hints(u).anyOf ?? []).filter((b) => b.properties);
    const allowed = [...new Set(branches.flatMap((b) => Object.keys(b.properties ?? {})))];
    const path = pointerSegments(u.instancePath);
    for (const e of errors) {
      if (e.keyword !== "additionalProperties" || e.instancePath !== u.instancePath) continue;
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      if (allowed.includes(name)) continue;
      push(
        at([...path, name], true),
        `unknown field '${name}' in ${describePath(path) || "document"} (allowed: ${allowed.join(", ")})`,
      );
    }
  }
  for (const e of errors) {
    const isUnion = unionPaths.has(e.instancePath) && (e.keyword === "anyOf" || e.keyword === "oneOf");
    if (!isUnion && underUnion(e.instancePath)) continue;
    const path = pointerSegments(e.instancePath);
    const where = describePath(path);
    const h = hints(e);
    let offset: number;
    let message: string;
    if (e.keyword === "additionalProperties") {
      const name = String((e.params as { additionalProperty: string }).additionalProperty);
      offset = at([...path, name], true);
      if (h.patternProperties) {
        message = `invalid slot name '${name}': use lower case letters, digits and dashes, starting with a letter (at most 40)`;
      } else {
        const allowed = Object.keys(h.properties ?? {}).filter((k) => k !== "apiVersion" && k !== "kind");
        message = `unknown field '${name}'${where ? ` in ${where}` : ""} (allowed: ${allowed.join(", ")})`;
      }
    } else if (e.keyword === "required") {
      offset = at(path);
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      message = `missing required field '${missing}'${where ? ` in ${where}` : ""}`;
    } else {
      offset = at(path);
      const what = where || "document";
      if (h.errorMessage) message = `${what} ${h.errorMessage}`;
      else if (e.keyword === "pattern" && h.patternErrorMessage) message = `${what} ${h.patternErrorMessage}`;
      else if (e.keyword === "type" && h.patternErrorMessage) message = `${what} ${h.patternErrorMessage}`;
      else if (e.keyword === "type") message = `${what} must be ${article(String(e.params.type))}`;
      else if (e.keyword === "const") message = `${what} must be ${JSON.stringify(e.params.allowedValue)}`;
      else message = `${what} ${e.message ?? "is invalid"}`;
    }
    push(offset, message);
  }
  return out;
}

function hints(e: ErrorObject): SchemaHints {
  return (e.parentSchema ?? {}) as SchemaHints;
}

function article(type: string): string {
  const names: Record<string, string> = {
    string: "a string",
    integer: "a whole number",
    number: "a number",
    boolean: "true or false",
    object: "a map",
    array: "a list",
  };
  return type
    .split(",")
    .map((t) => names[t] ?? t)
    .join(" or ");
}

function typeName(v: unknown): string {
  if (v === null || v === undefined) return "nothing";
  if (Array.isArray(v)) return "a list";
  return article(typeof v);
}
