// CTAP2 canonical CBOR: the one module that turns values into request bytes and reply bytes into values.
// Rules kept here (CTAP 2.1 §8 "Message Encoding", ctap2-canonical-cbor-encoding-form):
// definite lengths only, shortest integer/length heads, no tags, no floats, map keys sorted by major type,
// then encoded length, then bytes. The encoder is written by hand because cbor-x, as of 1.6, tags Maps
// (259) and Uint8Arrays (64) and never sorts keys; the decoder is strict so a misbehaving key is caught
// at the byte level instead of leaking odd values upward. Any replacement must keep these rules and pass
// tests/station/cbor.test.ts byte for byte.

/** A CBOR map key as CTAP uses them: unsigned/negative integers or text. */
export type CborKey = number | string;

/** Values this module encodes and decodes. Plain objects encode as text-keyed maps; decoding yields Maps. */
export type CborValue =
  | number
  | bigint
  | string
  | boolean
  | null
  | Uint8Array
  | readonly CborValue[]
  | ReadonlyMap<CborKey, CborValue | undefined>
  | { readonly [key: string]: CborValue | undefined };

/** What decodeStrict returns: every map is a Map (integer keys stay numbers), byte strings are Uint8Array. */
export type CborDecoded = number | bigint | string | boolean | null | Uint8Array | CborDecoded[] | CborMap;
export type CborMap = Map<CborKey, CborDecoded>;

/** Bytes that are not CTAP2 canonical CBOR, or a value that cannot be encoded. */
export class CborError extends Error {
  readonly brand = "keyfleet.CborError";
  static isInstance(e: unknown): e is CborError {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.CborError";
  }
  constructor(
    message: string,
    /** Byte offset in the input where decoding failed (-1 for encoding errors). */
    readonly offset = -1,
  ) {
    super(message);
    this.name = "CborError";
  }
}

const MAX_DEPTH = 24;
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// ---- encoding ---------------------------------------------------------------------------------------

class ByteSink {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function head(major: number, n: bigint | number): Uint8Array {
  const v = typeof n === "bigint" ? n : BigInt(n);
  const m = major << 5;
  if (v < 24n) return Uint8Array.of(m | Number(v));
  if (v < 0x100n) return Uint8Array.of(m | 24, Number(v));
  if (v < 0x10000n) return Uint8Array.of(m | 25, Number(v >> 8n), Number(v & 0xffn));
  if (v < 0x100000000n) {
    const b = new Uint8Array(5);
    b[0] = m | 26;
    new DataView(b.buffer).setUint32(1, Number(v));
    return b;
  }
  if (v <= 0xffffffffffffffffn) {
    const b = new Uint8Array(9);
    b[0] = m | 27;
    new DataView(b.buffer).setBigUint64(1, v);
    return b;
  }
  throw new CborError("integer does not fit in 64 bits");
}

function encodeInto(sink: ByteSink, value: CborValue, depth: number): void {
  if (depth > MAX_DEPTH) throw new CborError("value nests too deeply");
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new CborError(`cannot encode ${value}: CTAP2 CBOR has no floats`);
    sink.push(value >= 0 ? head(0, value) : head(1, -1 - value));
  } else if (typeof value === "bigint") {
    sink.push(value >= 0n ? head(0, value) : head(1, -1n - value));
  } else if (typeof value === "string") {
    const bytes = utf8.encode(value);
    sink.push(head(3, bytes.length));
    sink.push(bytes);
  } else if (typeof value === "boolean") {
    sink.push(Uint8Array.of(value ? 0xf5 : 0xf4));
  } else if (value === null) {
    sink.push(Uint8Array.of(0xf6));
  } else if (value instanceof Uint8Array) {
    sink.push(head(2, value.length));
    // Copy so that later mutation (zeroing a PIN buffer) cannot change already-built request bytes.
    sink.push(Uint8Array.from(value));
  } else if (Array.isArray(value)) {
    const items = value as readonly CborValue[];
    sink.push(head(4, items.length));
    for (const item of items) encodeInto(sink, item, depth + 1);
  } else if (value instanceof Map) {
    encodeMap(sink, [...(value as ReadonlyMap<CborKey, CborValue | undefined>).entries()], depth);
  } else if (typeof value === "object") {
    encodeMap(sink, Object.entries(value as { [key: string]: CborValue | undefined }), depth);
  } else {
    throw new CborError(`cannot encode a value of type ${typeof value}`);
  }
}

function encodeMap(sink: ByteSink, entries: [CborKey, CborValue | undefined][], depth: number): void {
  // Entries whose value is undefined are omitted, so optional request parameters can be written inline.
  const encoded: [Uint8Array, Uint8Array][] = [];
  for (const [k, v] of entries) {
    if (v === undefined) continue;
    if (typeof k !== "string" && !(typeof k === "number" && Number.isSafeInteger(k))) {
      throw new CborError("map keys must be integers or text");
    }
    encoded.push([encodeCanonical(k), encodeValue(v, depth + 1)]);
  }
  encoded.sort((a, b) => compareKeys(a[0], b[0]));
  for (let i = 1; i < encoded.length; i++) {
    if (compareKeys(encoded[i - 1]![0], encoded[i]![0]) === 0) throw new CborError("duplicate map key");
  }
  sink.push(head(5, encoded.length));
  for (const [k, v] of encoded) {
    sink.push(k);
    sink.push(v);
  }
}

function encodeValue(value: CborValue, depth: number): Uint8Array {
  const sink = new ByteSink();
  encodeInto(sink, value, depth);
  return sink.concat();
}

/**
 * CTAP2 canonical key order over encoded keys: lower major type first, then shorter encoding, then
 * byte-wise lexical order. For integers this gives 1, 2, …, -1, -2, …; for text, shorter strings first.
 */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const ma = (a[0] ?? 0) >> 5;
  const mb = (b[0] ?? 0) >> 5;
  if (ma !== mb) return ma - mb;
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Encodes a value in CTAP2 canonical form. Throws CborError for floats, odd keys or duplicate keys. */
export function encodeCanonical(value: CborValue): Uint8Array {
  return encodeValue(value, 0);
}

// ---- decoding ---------------------------------------------------------------------------------------

class Reader {
  at = 0;
  constructor(readonly bytes: Uint8Array) {}

  fail(message: string, at = this.at): never {
    throw new CborError(`invalid CBOR at byte ${at}: ${message}`, at);
  }

  byte(): number {
    const b = this.bytes[this.at];
    if (b === undefined) this.fail("truncated");
    this.at++;
    return b;
  }

  take(n: number): Uint8Array {
    if (n > this.bytes.length - this.at) this.fail(`truncated (needs ${n} more bytes)`);
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  /** Reads the argument of a head with additional info `ai`, enforcing the shortest form. */
  argument(ai: number, start: number): bigint {
    if (ai < 24) return BigInt(ai);
    let v: bigint;
    let min: bigint;
    if (ai === 24) {
      v = BigInt(this.byte());
      min = 24n;
    } else if (ai === 25) {
      const b = this.take(2);
      v = BigInt((b[0]! << 8) | b[1]!);
      min = 0x100n;
    } else if (ai === 26) {
      const b = this.take(4);
      v = BigInt(new DataView(b.buffer, b.byteOffset, 4).getUint32(0));
      min = 0x10000n;
    } else if (ai === 27) {
      const b = this.take(8);
      v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
      min = 0x100000000n;
    } else if (ai === 31) {
      this.fail("indefinite length is not allowed", start);
    } else {
      this.fail(`reserved additional information ${ai}`, start);
    }
    if (v < min) this.fail("integer or length not in shortest form", start);
    return v;
  }

  length(ai: number, start: number): number {
    const n = this.argument(ai, start);
    // Every item takes at least one byte, so a count beyond what is left is a lie, not a reason to allocate.
    if (n > BigInt(this.bytes.length - this.at)) this.fail("length beyond the end of the input", start);
    return Number(n);
  }

  item(depth: number): CborDecoded {
    if (depth > MAX_DEPTH) this.fail("nesting too deep");
    const start = this.at;
    const initial = this.byte();
    const major = initial >> 5;
    const ai = initial & 0x1f;
    switch (major) {
      case 0:
      case 1: {
        const n = this.argument(ai, start);
        const v = major === 0 ? n : -1n - n;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 2:
        return Uint8Array.from(this.take(this.length(ai, start)));
      case 3: {
        const bytes = this.take(this.length(ai, start));
        try {
          return utf8Strict.decode(bytes);
        } catch {
          return this.fail("text string is not valid UTF-8", start);
        }
      }
      case 4: {
        const n = this.length(ai, start);
        const out: CborDecoded[] = [];
        for (let i = 0; i < n; i++) out.push(this.item(depth + 1));
        return out;
      }
      case 5: {
        const n = this.length(ai, start);
        const out: CborMap = new Map();
        let previous: Uint8Array | undefined;
        for (let i = 0; i < n; i++) {
          const keyStart = this.at;
          const key = this.item(depth + 1);
          if (typeof key !== "number" && typeof key !== "string") {
            this.fail("map key is not an integer or text", keyStart);
          }
          const keyBytes = this.bytes.subarray(keyStart, this.at);
          if (previous !== undefined) {
            const order = compareKeys(previous, keyBytes);
            if (order === 0) this.fail("duplicate map key", keyStart);
            if (order > 0) this.fail("map keys not in canonical order", keyStart);
          }
          previous = keyBytes;
          out.set(key, this.item(depth + 1));
        }
        return out;
      }
      case 6:
        return this.fail("tags are not allowed", start);
      default: {
        if (ai === 20) return false;
        if (ai === 21) return true;
        if (ai === 22) return null;
        if (ai === 25 || ai === 26 || ai === 27) return this.fail("floats are not allowed", start);
        return this.fail(`simple value ${ai} is not allowed`, start);
      }
    }
  }
}

/**
 * Decodes one canonical CBOR item at the start of `bytes` and says how many bytes it took; for items
 * embedded in binary structures (the credential public key inside authenticator data).
 */
export function decodeStrictPrefix(bytes: Uint8Array): { value: CborDecoded; length: number } {
  const reader = new Reader(bytes);
  const value = reader.item(0);
  return { value, length: reader.at };
}

/**
 * Decodes exactly one CTAP2 canonical CBOR item. Rejects tags, indefinite lengths, floats, non-shortest
 * heads, unsorted or duplicate map keys, invalid UTF-8, lengths beyond the input and trailing bytes,
 * always with a CborError.
 */
export function decodeStrict(bytes: Uint8Array): CborDecoded {
  const reader = new Reader(bytes);
  const value = reader.item(0);
  if (reader.at !== bytes.length) reader.fail(`${bytes.length - reader.at} trailing bytes`);
  return value;
}
