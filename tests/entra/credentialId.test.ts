import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CredentialIdError,
  credentialIdForms,
  credentialIdMatches,
  decodeCredentialId,
  decodeCredentialIdCandidates,
  encodeUrlToken,
} from "../../core/entra/credentialId.js";

describe("credential id decoding", () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xbe, 0x01, 0x02]); // base64 "+/++AQI=" exercises + / and padding

  it("should decode standard base64 with padding", () => {
    const decoded = decodeCredentialId("+/++AQI=");
    expect(decoded.encoding).toBe("base64");
    expect(Buffer.from(decoded.bytes)).toEqual(Buffer.from(bytes));
  });

  it("should decode base64url without padding", () => {
    const decoded = decodeCredentialId("-_--AQI");
    expect(decoded.encoding).toBe("base64url");
    expect(Buffer.from(decoded.bytes)).toEqual(Buffer.from(bytes));
  });

  it("should decode base64url with a padding-count digit (UrlTokenEncode)", () => {
    expect(encodeUrlToken(bytes)).toBe("-_--AQI1");
    const decoded = decodeCredentialId("-_--AQI1");
    expect(decoded.encoding).toBe("urltoken");
    expect(Buffer.from(decoded.bytes)).toEqual(Buffer.from(bytes));
  });

  it("should write a 0 digit when no padding was removed", () => {
    expect(encodeUrlToken(new Uint8Array([1, 2, 3]))).toBe("AQID0");
    expect(Buffer.from(decodeCredentialId("AQID0").bytes)).toEqual(Buffer.from([1, 2, 3]));
  });

  it("should offer both readings of a string that is a UrlToken and plain base64url", () => {
    // "AAA1": UrlToken of 2 bytes ("AAA" + one "=") or plain base64url of 3 bytes.
    const readings = decodeCredentialIdCandidates("AAA1").map((c) => [c.encoding, c.bytes.length]);
    expect(readings).toEqual([
      ["urltoken", 2],
      ["base64url", 3],
    ]);
  });

  it("should refuse text that is none of the three forms, without throwing anything but CredentialIdError", () => {
    for (const bad of ["", "a", "abc$", "ab=c", "A===", "not base64!"]) {
      expect(decodeCredentialIdCandidates(bad)).toEqual([]);
      expect(() => decodeCredentialId(bad)).toThrow(CredentialIdError);
    }
  });

  it("should refuse non-canonical text that lenient decoders would accept", () => {
    // "AB" decodes to 0x00 but so would "AA"; only the canonical text counts.
    expect(decodeCredentialIdCandidates("AB")).toEqual([]);
  });

  it("should recognise any id in all three forms (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), (id) => {
        for (const form of credentialIdForms(id)) expect(credentialIdMatches(form, id)).toBe(true);
        const other = new Uint8Array(id);
        other[0] = (other[0] ?? 0) ^ 0xff;
        expect(credentialIdMatches(encodeUrlToken(id), other)).toBe(false);
      }),
    );
  });

  it("should round-trip random 16- to 64-byte ids through UrlTokenEncode", () => {
    for (let n = 16; n <= 64; n++) {
      const id = randomBytes(n);
      expect(Buffer.from(decodeCredentialId(encodeUrlToken(id)).bytes)).toEqual(id);
    }
  });
});
