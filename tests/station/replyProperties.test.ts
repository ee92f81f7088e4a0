// Property runs of every parser of device bytes above CTAPHID: CTAP2 replies (status byte + CBOR),
// getInfo, clientPIN, makeCredential, getAssertion, credential management and authenticator data.
// Random bytes and random well-formed-but-wrong maps must end in a value or a typed error, never a
// TypeError or RangeError from deep inside.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CborError, type CborMap, type CborValue, encodeCanonical } from "../../station/cbor.js";
import { parseKeyAgreement, parsePinRetries, parsePinTokenReply } from "../../station/ctap2/clientPin.js";
import { parseCredential, parseRp } from "../../station/ctap2/credentialManagement.js";
import { decodeReply } from "../../station/ctap2/ctap2.js";
import { CtapError, CtapProtocolError } from "../../station/ctap2/errors.js";
import { parseGetAssertion } from "../../station/ctap2/getAssertion.js";
import { parseGetInfo } from "../../station/ctap2/getInfo.js";
import { parseMakeCredential } from "../../station/ctap2/makeCredential.js";
import { parseAuthenticatorData } from "../../station/webauthn/authData.js";

const typed = (e: unknown): boolean =>
  CtapProtocolError.isInstance(e) || CtapError.isInstance(e) || CborError.isInstance(e);

function endsTyped(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(typed(e), String(e)).toBe(true);
  }
}

const leaf = fc.oneof(
  fc.integer({ min: -300, max: 70000 }),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 80 }),
  fc.constantFrom(new Uint8Array(16), new Uint8Array(32), new Uint8Array(37)),
);
const value: fc.Arbitrary<CborValue> = fc.letrec<{ v: CborValue; m: CborValue }>((tie) => ({
  v: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("v"), { maxLength: 3 }), tie("m")),
  m: fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.integer({ min: -3, max: 22 }),
          fc.constantFrom("id", "type", "name", "alg", "rk", "clientPin"),
        ),
        tie("v"),
      ),
      {
        maxLength: 6,
      },
    )
    .map((e) => new Map(e)),
})).v;
const replyMap = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 22 }), value), { maxLength: 10 })
  .map((e) => new Map<number, CborValue>(e) as unknown as CborMap);

const parsers: [string, (m: CborMap) => unknown][] = [
  ["getInfo", parseGetInfo],
  ["clientPIN retries", parsePinRetries],
  ["clientPIN keyAgreement", parseKeyAgreement],
  ["clientPIN token", parsePinTokenReply],
  ["makeCredential", parseMakeCredential],
  ["getAssertion", parseGetAssertion],
  ["credMgmt RP", parseRp],
  ["credMgmt credential", parseCredential],
];

describe("CTAP2 reply parsers under hostile replies", () => {
  it("should end random reply bytes in a map, nothing, or a typed error", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => endsTyped(() => decodeReply(bytes))),
      { numRuns: 3000 },
    );
  });

  it("should end canonical replies that are not maps in a protocol error", () => {
    fc.assert(
      fc.property(
        value.filter((v) => !(v instanceof Map)),
        (v) => {
          expect(() => decodeReply(Uint8Array.from([0, ...encodeCanonical(v)]))).toThrow(CtapProtocolError);
        },
      ),
      { numRuns: 300 },
    );
  });

  for (const [name, parse] of parsers) {
    it(`should end random ${name} reply maps in a value or a typed error`, () => {
      fc.assert(
        fc.property(replyMap, (m) =>
          endsTyped(() => parse(decodeReply(Uint8Array.from([0, ...encodeCanonical(m)]))!)),
        ),
        { numRuns: 400 },
      );
    });
  }

  it("should end random and truncated authenticator data in a value or a typed error", () => {
    const withAttested = fc
      .tuple(fc.uint8Array({ minLength: 37, maxLength: 37 }), fc.uint8Array({ maxLength: 120 }))
      .map(([head, rest]) => {
        const b = Uint8Array.from([...head, ...rest]);
        b[32] = (b[32] ?? 0) | 0x40;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), withAttested), (bytes) =>
        endsTyped(() => parseAuthenticatorData(bytes)),
      ),
      { numRuns: 3000 },
    );
  });
});
