// Random PINs: the profile's length, digits only, never trivial, and the trivial rules themselves.
import { describe, expect, it } from "vitest";
import { generatePin, isDigitPin, trivialPinReason } from "../../station/pin/generatePin.js";

const b = (s: string): Buffer => Buffer.from(s, "ascii");

describe("generatePin", () => {
  it("should give the profile's length in digits, each PIN a fresh Buffer", () => {
    for (const length of [4, 6, 8, 12, 63]) {
      const pin = generatePin(length);
      expect(Buffer.isBuffer(pin)).toBe(true);
      expect(pin.length).toBe(length);
      expect(isDigitPin(pin)).toBe(true);
      expect(trivialPinReason(pin)).toBeUndefined();
    }
  });

  it("should refuse lengths CTAP2 does not allow", () => {
    for (const length of [0, 3, 64, 6.5, Number.NaN]) expect(() => generatePin(length)).toThrow(RangeError);
  });

  it("should never draw a trivial 4-digit PIN, and spread the digits evenly", () => {
    const counts = new Array<number>(10).fill(0);
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const pin = generatePin(4);
      expect(trivialPinReason(pin)).toBeUndefined();
      for (const d of pin) counts[d - 0x30]!++;
      seen.add(pin.toString("ascii"));
    }
    // 12,000 digits: each of the ten about 1,200; 1,000 to 1,400 is more than 5 sigma either side.
    for (const c of counts) expect(c).toBeGreaterThan(1000);
    for (const c of counts) expect(c).toBeLessThan(1400);
    expect(seen.size).toBeGreaterThan(2500);
  });
});

describe("trivialPinReason", () => {
  it.each([
    ["0000", "one-digit"],
    ["77777777", "one-digit"],
    ["1234", "ascending-run"],
    ["7890123", "ascending-run"],
    ["654321", "descending-run"],
    ["3210987", "descending-run"],
    ["121212", "repeated-pattern"],
    ["123123", "repeated-pattern"],
    ["1231231", "repeated-pattern"],
    ["4545454", "repeated-pattern"],
    ["20262026", "repeated-pattern"],
  ])("should call %s trivial (%s)", (pin, reason) => {
    expect(trivialPinReason(b(pin))).toBe(reason);
  });

  it.each(["1357", "2468", "135790", "12341235", "9274", "112233", "9012345678900"].map((p) => [p]))(
    "should accept %s",
    (pin) => {
      expect(trivialPinReason(b(pin))).toBeUndefined();
    },
  );
});
