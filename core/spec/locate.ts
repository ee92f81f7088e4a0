// Finding the YAML node behind a JSON path, so that every problem points at the text that caused it:
// in the yaml library's nodes, or in the positions the fast parser records.
import { isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import { type Pos, PosMap, PosSeq } from "./fastYaml.js";

/** A document's root as either parser gives it. */
export type SpecNode = Node | Pos | null;

export type PathSegment = string | number;

export interface Located {
  /** Offset of the value node (or of the deepest node that exists on the path). */
  readonly offset: number;
  /** Offset of the map key when the last segment named a map entry. */
  readonly keyOffset: number | undefined;
  /** Whether the whole path exists. */
  readonly found: boolean;
}

/** Walks maps by key and sequences by index; stops at the deepest node that exists. */
export function locate(root: SpecNode | undefined, path: readonly PathSegment[], fallback = 0): Located {
  if (typeof root === "number" || root instanceof PosMap || root instanceof PosSeq)
    return locatePos(root, path);
  let node: unknown = root;
  let offset = nodeOffset(root) ?? fallback;
  let keyOffset: number | undefined;
  for (const seg of path) {
    keyOffset = undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(seg));
      if (!pair) return { offset, keyOffset: undefined, found: false };
      keyOffset = nodeOffset(pair.key);
      node = pair.value;
      offset = nodeOffset(pair.value) ?? keyOffset ?? offset;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) return { offset, keyOffset: undefined, found: false };
      node = item;
      offset = nodeOffset(item) ?? offset;
    } else {
      return { offset, keyOffset: undefined, found: false };
    }
  }
  return { offset, keyOffset, found: true };
}

function locatePos(root: Pos, path: readonly PathSegment[]): Located {
  let node: Pos = root;
  let offset = posOffset(root);
  let keyOffset: number | undefined;
  for (const seg of path) {
    keyOffset = undefined;
    if (node instanceof PosMap) {
      const entry = node.entries.get(String(seg));
      if (!entry) return { offset, keyOffset: undefined, found: false };
      keyOffset = entry[0];
      node = entry[1];
    } else if (node instanceof PosSeq && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) return { offset, keyOffset: undefined, found: false };
      node = item;
    } else {
      return { offset, keyOffset: undefined, found: false };
    }
    offset = posOffset(node);
  }
  return { offset, keyOffset, found: true };
}

export function posOffset(pos: Pos): number {
  return typeof pos === "number" ? pos : pos.offset;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function nodeOffset(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  return range ? range[0] : undefined;
}

/** Decodes an Ajv instancePath (JSON Pointer) into segments; array indices become numbers. */
export function pointerSegments(pointer: string): PathSegment[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/** `people[3].slots.primary` — how a path reads in a message. */
export function describePath(path: readonly PathSegment[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? seg : `.${seg}`;
  }
  return out;
}
