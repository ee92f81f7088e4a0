// The one table from key-stack errors to operator-facing reasons.
import { describe, expect, it } from "vitest";
import { CborError } from "../../station/cbor.js";
import { CtapError, CtapProtocolError } from "../../station/ctap2/errors.js";
import { TransportError } from "../../station/ctaphid/errors.js";
import { WebAuthnError } from "../../station/webauthn/errors.js";
import { classifyKeyError } from "../../station/webauthn/failureReason.js";

describe("classifyKeyError", () => {
  const cases: [unknown, string, boolean][] = [
    [new CtapError(0x31), "pin-invalid", true],
    [new CtapError(0x32), "pin-blocked", false],
    [new CtapError(0x34), "pin-auth-blocked", true],
    [new CtapError(0x19), "already-registered", false],
    [new CtapError(0x28), "key-full", false],
    [new CtapError(0x2f), "user-absent", true],
    [new CtapError(0xf3), "other", false],
    [new TransportError("timeout", "t"), "timeout", true],
    [new TransportError("cancelled", "c"), "cancelled", true],
    [new TransportError("io", "gone"), "device-gone", true],
    [new TransportError("framing", "f"), "protocol", true],
    [new CtapProtocolError("p"), "protocol", false],
    [new CborError("c"), "protocol", false],
    [new WebAuthnError("bad-options", "b"), "bad-options", false],
    [new WebAuthnError("pin-required", "p"), "pin-required", false],
    [new Error("x"), "other", false],
  ];
  for (const [error, reason, retryable] of cases) {
    it(`should classify ${(error as Error).name} "${(error as Error).message}" as ${reason}`, () => {
      const f = classifyKeyError(error);
      expect(f.reason).toBe(reason);
      expect(f.retryable).toBe(retryable);
      expect(f.cause).toBe(error);
    });
  }

  it("should keep an unknown status code and name its range", () => {
    const e = new CtapError(0xf3);
    expect(e.status).toBe(0xf3);
    expect(e.message).toBe("0xf3 VENDOR_ERROR: the key reported an error Keyfleet does not know");
    expect(new CtapError(0x31).message).toBe("0x31 PIN_INVALID: wrong PIN");
  });
});
