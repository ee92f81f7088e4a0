// Typed reading of CTAP2 request parameters from a decoded CBOR map. A missing required parameter is
// CTAP2_ERR_MISSING_PARAMETER, a value of the wrong CBOR type CTAP2_ERR_CBOR_UNEXPECTED_TYPE (CTAP 2.1
// §8.2), so a hostile request ends in a status, never in an exception that escapes the authenticator.
import type { CborDecoded, CborKey, CborMap } from "../cbor.js";
import { fail, Status } from "./status.js";

export class Params {
  constructor(private readonly map: CborMap) {}

  static of(value: CborDecoded | undefined): Params {
    if (value === undefined) return new Params(new Map());
    if (!(value instanceof Map)) fail(Status.CborUnexpectedType, "parameters are not a map");
    return new Params(value);
  }

  has(key: CborKey): boolean {
    return this.map.has(key);
  }

  raw(key: CborKey): CborDecoded | undefined {
    return this.map.get(key);
  }

  bytes(key: CborKey): Uint8Array {
    return this.optBytes(key) ?? fail(Status.MissingParameter, `parameter ${key} is missing`);
  }

  optBytes(key: CborKey): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Uint8Array)) fail(Status.CborUnexpectedType, `parameter ${key} is not a byte string`);
    return v;
  }

  text(key: CborKey): string {
    return this.optText(key) ?? fail(Status.MissingParameter, `parameter ${key} is missing`);
  }

  optText(key: CborKey): string | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== "string") fail(Status.CborUnexpectedType, `parameter ${key} is not text`);
    return v;
  }

  uint(key: CborKey): number {
    return this.optUint(key) ?? fail(Status.MissingParameter, `parameter ${key} is missing`);
  }

  optUint(key: CborKey): number | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== "number" || v < 0)
      fail(Status.CborUnexpectedType, `parameter ${key} is not an unsigned integer`);
    return v;
  }

  optInt(key: CborKey): number | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== "number") fail(Status.CborUnexpectedType, `parameter ${key} is not an integer`);
    return v;
  }

  optBool(key: CborKey): boolean | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (typeof v !== "boolean") fail(Status.CborUnexpectedType, `parameter ${key} is not a boolean`);
    return v;
  }

  requiredMap(key: CborKey): Params {
    return this.optMap(key) ?? fail(Status.MissingParameter, `parameter ${key} is missing`);
  }

  optMap(key: CborKey): Params | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) fail(Status.CborUnexpectedType, `parameter ${key} is not a map`);
    return new Params(v);
  }

  /** The raw map, for values echoed back or hashed as they came (subCommandParams). */
  optRawMap(key: CborKey): CborMap | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (!(v instanceof Map)) fail(Status.CborUnexpectedType, `parameter ${key} is not a map`);
    return v;
  }

  optArray(key: CborKey): CborDecoded[] | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) fail(Status.CborUnexpectedType, `parameter ${key} is not an array`);
    return v;
  }

  array(key: CborKey): CborDecoded[] {
    return this.optArray(key) ?? fail(Status.MissingParameter, `parameter ${key} is missing`);
  }
}

/** A PublicKeyCredentialDescriptor {type, id}: returns the id, or undefined for a type other than public-key. */
export function credentialDescriptorId(value: CborDecoded): Uint8Array | undefined {
  const p = Params.of(value);
  const type = p.text("type");
  const id = p.bytes("id");
  return type === "public-key" ? id : undefined;
}
