// Typed reads of CTAP2 reply maps: each getter names the field it wanted, so a malformed reply becomes a
// CtapProtocolError that says what was wrong instead of an undefined deep inside a caller.
import type { CborDecoded, CborKey, CborMap } from "../cbor.js";
import { CtapProtocolError } from "./errors.js";

export class ReplyFields {
  constructor(
    readonly map: CborMap,
    private readonly what: string,
  ) {}

  private bad(key: CborKey, name: string, expected: string): never {
    throw new CtapProtocolError(`${this.what} reply field ${name} (${String(key)}) is not ${expected}`);
  }

  private raw(key: CborKey, name: string, required: boolean): CborDecoded | undefined {
    const v = this.map.get(key);
    if (v === undefined && required)
      throw new CtapProtocolError(`${this.what} reply lacks ${name} (${String(key)})`);
    return v;
  }

  bytes(key: CborKey, name: string): Uint8Array;
  bytes(key: CborKey, name: string, optional: "optional"): Uint8Array | undefined;
  bytes(key: CborKey, name: string, optional?: "optional"): Uint8Array | undefined {
    const v = this.raw(key, name, optional === undefined);
    if (v === undefined) return undefined;
    if (!(v instanceof Uint8Array)) this.bad(key, name, "a byte string");
    return v;
  }

  text(key: CborKey, name: string): string;
  text(key: CborKey, name: string, optional: "optional"): string | undefined;
  text(key: CborKey, name: string, optional?: "optional"): string | undefined {
    const v = this.raw(key, name, optional === undefined);
    if (v === undefined) return undefined;
    if (typeof v !== "string") this.bad(key, name, "text");
    return v;
  }

  uint(key: CborKey, name: string): number;
  uint(key: CborKey, name: string, optional: "optional"): number | undefined;
  uint(key: CborKey, name: string, optional?: "optional"): number | undefined {
    const v = this.raw(key, name, optional === undefined);
    if (v === undefined) return undefined;
    if (typeof v !== "number" || v < 0) this.bad(key, name, "an unsigned integer");
    return v;
  }

  int(key: CborKey, name: string, optional: "optional"): number | undefined {
    const v = this.raw(key, name, optional === undefined);
    if (v === undefined) return undefined;
    if (typeof v !== "number") this.bad(key, name, "an integer");
    return v;
  }

  bool(key: CborKey, name: string, _optional: "optional"): boolean | undefined {
    const v = this.raw(key, name, false);
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") this.bad(key, name, "a boolean");
    return v;
  }

  map_(key: CborKey, name: string): ReplyFields;
  map_(key: CborKey, name: string, optional: "optional"): ReplyFields | undefined;
  map_(key: CborKey, name: string, optional?: "optional"): ReplyFields | undefined {
    const v = this.raw(key, name, optional === undefined);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) this.bad(key, name, "a map");
    return new ReplyFields(v, `${this.what} ${name}`);
  }

  array(key: CborKey, name: string, _optional: "optional"): CborDecoded[] | undefined {
    const v = this.raw(key, name, false);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) this.bad(key, name, "an array");
    return v;
  }

  textArray(key: CborKey, name: string, optional: "optional"): string[] | undefined {
    const a = this.array(key, name, optional);
    if (a === undefined) return undefined;
    if (!a.every((x) => typeof x === "string")) this.bad(key, name, "an array of text");
    return a as string[];
  }

  uintArray(key: CborKey, name: string, optional: "optional"): number[] | undefined {
    const a = this.array(key, name, optional);
    if (a === undefined) return undefined;
    if (!a.every((x) => typeof x === "number" && x >= 0))
      this.bad(key, name, "an array of unsigned integers");
    return a as number[];
  }

  /** A map of text keys to booleans (getInfo options). */
  boolMap(key: CborKey, name: string, optional: "optional"): Record<string, boolean> | undefined {
    const m = this.map_(key, name, optional);
    if (m === undefined) return undefined;
    const out: Record<string, boolean> = {};
    for (const [k, v] of m.map) {
      if (typeof k !== "string" || typeof v !== "boolean") this.bad(key, name, "a map of text to booleans");
      out[k] = v;
    }
    return out;
  }
}
