// Byte-exact tests of the CTAP2 canonical CBOR module: encoder vectors computed by hand from RFC 8949 and
// CTAP 2.1 §8, strict-decoder refusals, and a property run of random values and random bytes.
import { Decoder } from "cbor-x";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CborError, type CborValue, decodeStrict, encodeCanonical } from "../../station/cbor.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

describe("encodeCanonical", () => {
  it("should encode integers in the shortest form", () => {
    const cases: [CborValue, string][] = [
      [0, "00"],
      [23, "17"],
      [24, "1818"],
      [255, "18ff"],
      [256, "190100"],
      [65535, "19ffff"],
      [65536, "1a00010000"],
      [4294967295, "1affffffff"],
      [4294967296, "1b0000000100000000"],
      [-1, "20"],
      [-24, "37"],
      [-25, "3818"],
      [-7, "26"],
      [-257, "390100"],
      [18446744073709551615n, "1bffffffffffffffff"],
      [-18446744073709551616n, "3bffffffffffffffff"],
    ];
    for (const [v, h] of cases) expect(hex(encodeCanonical(v))).toBe(h);
  });

  it("should encode Buffer and Uint8Array alike as plain byte strings without tags", () => {
    expect(hex(encodeCanonical(Uint8Array.of(1, 2, 3)))).toBe("43010203");
    expect(hex(encodeCanonical(Buffer.from([1, 2, 3])))).toBe("43010203");
    expect(hex(encodeCanonical(new Uint8Array(24)))).toBe(`5818${"00".repeat(24)}`);
  });

  it("should encode text, booleans, null and arrays", () => {
    expect(hex(encodeCanonical("a"))).toBe("6161");
    expect(hex(encodeCanonical("ü"))).toBe("62c3bc");
    expect(hex(encodeCanonical(true))).toBe("f5");
    expect(hex(encodeCanonical(false))).toBe("f4");
    expect(hex(encodeCanonical(null))).toBe("f6");
    expect(hex(encodeCanonical([1, [2, 3]]))).toBe("8201820203");
  });

  it("should sort integer keys as 1, 3, -1, -2, -3 like a COSE key", () => {
    const cose = new Map<number, CborValue>([
      [-3, Uint8Array.of(0xbb)],
      [-1, 1],
      [1, 2],
      [-2, Uint8Array.of(0xaa)],
      [3, -25],
    ]);
    expect(hex(encodeCanonical(cose))).toBe("a5 01 02 03 3818 20 01 21 41aa 22 41bb".replace(/ /g, ""));
  });

  it("should sort text keys shorter first, then byte-wise", () => {
    const options = { up: true, rk: true, plat: false, uv: false };
    // rk < up < uv (length 2), then plat (length 4)
    expect(hex(encodeCanonical(options))).toBe(
      "a4 62726b f5 627570 f5 627576 f4 64706c6174 f4".replace(/ /g, ""),
    );
  });

  it("should put integer keys before text keys and omit undefined values", () => {
    const m = new Map<number | string, CborValue | undefined>([
      ["a", 1],
      [2, undefined],
      [10, 2],
    ]);
    expect(hex(encodeCanonical(m))).toBe("a2 0a 02 6161 01".replace(/ /g, ""));
  });

  it("should refuse floats, non-integer keys and duplicate keys with a CborError", () => {
    expect(() => encodeCanonical(1.5)).toThrow(CborError);
    expect(() => encodeCanonical(Number.NaN)).toThrow(CborError);
    expect(() => encodeCanonical(new Map([[1.5, 1]]))).toThrow(CborError);
  });

  it("should produce bytes that cbor-x reads back to the same value", () => {
    const dec = new Decoder({ mapsAsObjects: false, useRecords: false });
    const v = new Map<number, CborValue>([
      [1, Uint8Array.of(9, 9)],
      [2, { id: "login.microsoft.com" }],
      [4, [{ alg: -7, type: "public-key" }]],
    ]);
    const back = dec.decode(Buffer.from(encodeCanonical(v))) as Map<number, unknown>;
    expect(back.get(2)).toEqual(new Map([["id", "login.microsoft.com"]]));
    expect(Buffer.from(back.get(1) as Uint8Array)).toEqual(Buffer.from([9, 9]));
  });
});

describe("decodeStrict", () => {
  it("should return Maps with integer keys kept as numbers", () => {
    const v = decodeStrict(unhex(`a2 01 81 66 46494432 5f30 03 50 ${"11".repeat(16)}`));
    expect(v).toBeInstanceOf(Map);
    const m = v as Map<number, unknown>;
    expect(m.get(1)).toEqual(["FID2_0"]);
    expect(m.get(3)).toEqual(new Uint8Array(16).fill(0x11));
  });

  it("should decode every encoded value back to itself", () => {
    const v = new Map<number | string, CborValue>([
      [1, -7],
      [2, "x"],
      [3, [true, false, null]],
      ["k", Uint8Array.of(0)],
      [4, 2n ** 63n],
    ]);
    expect(decodeStrict(encodeCanonical(v))).toEqual(v);
  });

  const refusals: [string, string][] = [
    ["tag", "c24101"],
    ["indefinite array", "9f01ff"],
    ["indefinite byte string", "5f4101ff"],
    ["non-shortest integer", "1801"],
    ["non-shortest length", "580101"],
    ["non-shortest 16-bit", "190017"],
    ["unsorted integer keys", "a2020101 01".replace(/ /g, "")],
    ["negative before positive", "a2200101 01".replace(/ /g, "")],
    ["duplicate keys", "a201010102"],
    ["longer text key first", "a2 62 6161 01 61 61 02".replace(/ /g, "")],
    ["trailing bytes", "0000"],
    ["truncated", "43 0102"],
    ["length beyond input", "5bffffffffffffffff"],
    ["array count beyond input", "9a00010000"],
    ["float", "f93c00"],
    ["undefined", "f7"],
    ["invalid UTF-8", "62c328"],
    ["byte-string key", "a1 4101 01".replace(/ /g, "")],
    ["empty input", ""],
    ["reserved additional info", "1c"],
  ];
  for (const [name, h] of refusals) {
    it(`should refuse ${name} with a CborError`, () => {
      expect(() => decodeStrict(unhex(h))).toThrow(CborError);
    });
  }

  it("should refuse nesting deeper than its limit without exhausting the stack", () => {
    expect(() => decodeStrict(new Uint8Array(100_000).fill(0x81))).toThrow(CborError);
  });

  it("should end every random byte string in a value or a CborError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeStrict(bytes);
        } catch (e) {
          expect(CborError.isInstance(e)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("should accept only its own canonical form: re-encoding a decoded value gives the same bytes", () => {
    const leaf = fc.oneof(
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      fc.string(),
      fc.boolean(),
      fc.constant(null),
      fc.uint8Array({ maxLength: 40 }),
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 4 }), tie("m")),
      m: fc
        .array(
          fc.tuple(fc.oneof(fc.integer({ min: -300, max: 300 }), fc.string({ maxLength: 6 })), tie("v")),
          {
            maxLength: 5,
          },
        )
        .map((entries) => new Map(entries)),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        const bytes = encodeCanonical(v as CborValue);
        expect(hex(encodeCanonical(decodeStrict(bytes) as CborValue))).toBe(hex(bytes));
      }),
      { numRuns: 500 },
    );
  });
});
