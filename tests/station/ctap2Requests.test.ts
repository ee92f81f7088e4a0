// Byte-exact CTAP2 request vectors: each command's bytes written out by hand from the spec's parameter
// tables (CTAP 2.1 §6) and RFC 8949, compared with what the pure encoders produce.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CborValue } from "../../station/cbor.js";
import {
  encodeChangePin,
  encodeGetKeyAgreement,
  encodeGetPinRetries,
  encodeGetPinToken,
  encodeGetPinUvAuthTokenUsingPinWithPermissions,
  encodeSetPin,
  PinToken,
} from "../../station/ctap2/clientPin.js";
import {
  configAuthMessage,
  encodeSetMinPinLength,
  setMinPinLengthSubParams,
} from "../../station/ctap2/config.js";
import { encodeCredMgmt } from "../../station/ctap2/credentialManagement.js";
import { encodeCommand } from "../../station/ctap2/ctap2.js";
import { encodeGetAssertion } from "../../station/ctap2/getAssertion.js";
import { encodeGetInfo } from "../../station/ctap2/getInfo.js";
import { encodeMakeCredential } from "../../station/ctap2/makeCredential.js";
import { PinUvAuthProtocolTwo } from "../../station/ctap2/pinProtocol.js";
import { encodeReset } from "../../station/ctap2/reset.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const fill = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte);
const r = (byte: string, n: number): string => byte.repeat(n);
const clean = (s: string): string => s.replace(/\s+/g, "");

const keyAgreement = new Map<number, CborValue>([
  [1, 2],
  [3, -25],
  [-1, 1],
  [-2, fill(32, 0x11)],
  [-3, fill(32, 0x22)],
]);
const KA = `a5 01 02 03 3818 20 01 21 5820 ${r("11", 32)} 22 5820 ${r("22", 32)}`;
const RP = "6c6f67696e2e6d6963726f736f66742e636f6d"; // "login.microsoft.com", 19 bytes
const PUBLIC_KEY = "6a 7075626c69632d6b6579"; // "public-key"

describe("CTAP2 request bytes", () => {
  it("should encode getInfo and reset as the bare command byte", () => {
    expect(hex(encodeGetInfo())).toBe("04");
    expect(hex(encodeReset())).toBe("07");
  });

  it("should encode clientPIN getPINRetries and getKeyAgreement", () => {
    expect(hex(encodeCommand(0x06, encodeGetPinRetries(2)))).toBe("06a201020201");
    expect(hex(encodeCommand(0x06, encodeGetKeyAgreement(1)))).toBe("06a201010202");
  });

  it("should encode clientPIN setPIN (protocol 1)", () => {
    const params = encodeSetPin({
      protocol: 1,
      keyAgreement,
      newPinEnc: fill(64, 0x33),
      pinUvAuthParam: fill(16, 0x44),
    });
    expect(hex(encodeCommand(0x06, params))).toBe(
      clean(`06 a5 01 01 02 03 03 ${KA} 04 50 ${r("44", 16)} 05 5840 ${r("33", 64)}`),
    );
  });

  it("should encode clientPIN changePIN (protocol 2)", () => {
    const params = encodeChangePin({
      protocol: 2,
      keyAgreement,
      newPinEnc: fill(80, 0x33),
      pinHashEnc: fill(32, 0x55),
      pinUvAuthParam: fill(32, 0x44),
    });
    expect(hex(encodeCommand(0x06, params))).toBe(
      clean(
        `06 a6 01 02 02 04 03 ${KA} 04 5820 ${r("44", 32)} 05 5850 ${r("33", 80)} 06 5820 ${r("55", 32)}`,
      ),
    );
  });

  it("should encode clientPIN getPinToken (subcommand 5)", () => {
    const params = encodeGetPinToken({ protocol: 1, keyAgreement, pinHashEnc: fill(16, 0x55) });
    expect(hex(encodeCommand(0x06, params))).toBe(clean(`06 a4 01 01 02 05 03 ${KA} 06 50 ${r("55", 16)}`));
  });

  it("should encode getPinUvAuthTokenUsingPinWithPermissions (subcommand 9) with permissions and rpId", () => {
    const params = encodeGetPinUvAuthTokenUsingPinWithPermissions({
      protocol: 2,
      keyAgreement,
      pinHashEnc: fill(32, 0x55),
      permissions: 0x03,
      rpId: "login.microsoft.com",
    });
    expect(hex(encodeCommand(0x06, params))).toBe(
      clean(`06 a6 01 02 02 09 03 ${KA} 06 5820 ${r("55", 32)} 09 03 0a 73 ${RP}`),
    );
    const noRp = encodeGetPinUvAuthTokenUsingPinWithPermissions({
      protocol: 2,
      keyAgreement,
      pinHashEnc: fill(32, 0x55),
      permissions: 0x20,
    });
    expect(hex(encodeCommand(0x06, noRp))).toBe(
      clean(`06 a5 01 02 02 09 03 ${KA} 06 5820 ${r("55", 32)} 09 1820`),
    );
  });

  it("should encode makeCredential with rk, exclude list, credProtect, hmac-secret and a PIN/UV auth param", () => {
    const params = encodeMakeCredential({
      clientDataHash: fill(32, 0xaa),
      rp: { id: "login.microsoft.com" },
      user: { id: Uint8Array.of(1, 2, 3), name: "a@b", displayName: "A" },
      pubKeyCredParams: [{ alg: -7, type: "public-key" }],
      excludeList: [{ id: Uint8Array.of(1, 2), type: "public-key" }],
      extensions: { credProtect: 2, hmacSecret: true },
      options: { rk: true },
      pinUvAuthParam: fill(32, 0xbb),
      pinUvAuthProtocol: 2,
    });
    expect(hex(encodeCommand(0x01, params))).toBe(
      clean(`01 a9
        01 5820 ${r("aa", 32)}
        02 a1 62 6964 73 ${RP}
        03 a3 62 6964 43 010203 64 6e616d65 63 614062 6b 646973706c61794e616d65 61 41
        04 81 a2 63 616c67 26 64 74797065 ${PUBLIC_KEY}
        05 81 a2 62 6964 42 0102 64 74797065 ${PUBLIC_KEY}
        06 a2 6b 63726564507 26f74656374 02 6b 686d61632d736563726574 f5
        07 a1 62 726b f5
        08 5820 ${r("bb", 32)}
        09 02`),
    );
  });

  it("should leave out an empty exclude list and empty options", () => {
    const params = encodeMakeCredential({
      clientDataHash: fill(32, 0xaa),
      rp: { id: "x", name: "X" },
      user: { id: Uint8Array.of(9) },
      pubKeyCredParams: [{ alg: -8, type: "public-key" }],
      excludeList: [],
      options: {},
    });
    expect(hex(encodeCommand(0x01, params))).toBe(
      clean(`01 a4 01 5820 ${r("aa", 32)} 02 a2 62 6964 61 78 64 6e616d65 61 58 03 a1 62 6964 41 09
        04 81 a2 63 616c67 27 64 74797065 ${PUBLIC_KEY}`),
    );
  });

  it("should encode getAssertion with an allow list, up and a PIN/UV auth param", () => {
    const params = encodeGetAssertion({
      rpId: "keyfleet.test",
      clientDataHash: fill(32, 0xaa),
      allowList: [{ id: Uint8Array.of(1, 2), type: "public-key" }],
      options: { up: true },
      pinUvAuthParam: fill(16, 0xcc),
      pinUvAuthProtocol: 1,
    });
    expect(hex(encodeCommand(0x02, params))).toBe(
      clean(`02 a6 01 6d 6b6579666c6565742e74657374 02 5820 ${r("aa", 32)}
        03 81 a2 62 6964 42 0102 64 74797065 ${PUBLIC_KEY}
        05 a1 62 7570 f5 06 50 ${r("cc", 16)} 07 01`),
    );
  });

  const token = fill(32, 0x77);
  const pinToken = new PinToken(new PinUvAuthProtocolTwo(), Uint8Array.from(token));
  const hmac = (m: string): string =>
    createHmac("sha256", token)
      .update(Buffer.from(clean(m), "hex"))
      .digest("hex");

  it("should encode authenticatorConfig setMinPINLength with forceChangePin, authenticated over 0xff×32 || 0d || 03 || params", () => {
    const sub = { newMinPINLength: 6, forceChangePin: true };
    const message = `${r("ff", 32)} 0d 03 a2 01 06 03 f5`;
    expect(hex(configAuthMessage(3, setMinPinLengthSubParams(sub)))).toBe(clean(message));
    const param = pinToken.authenticate(configAuthMessage(3, setMinPinLengthSubParams(sub)));
    expect(hex(param)).toBe(hmac(message));
    const params = encodeSetMinPinLength(sub, { pinUvAuthProtocol: 2, pinUvAuthParam: param });
    expect(hex(encodeCommand(0x0d, params))).toBe(
      clean(`0d a4 01 03 02 a2 01 06 03 f5 03 02 04 5820 ${hmac(message)}`),
    );
  });

  it("should encode credential management enumerateCredentialsBegin and getNext, on 0x0a and on 0x41", () => {
    const sub = new Map([[1, fill(32, 0x99)]]);
    const auth = hmac(`04 a1 01 5820 ${r("99", 32)}`);
    const begin = encodeCredMgmt(0x04, sub, pinToken);
    expect(hex(encodeCommand(0x0a, begin))).toBe(
      clean(`0a a4 01 04 02 a1 01 5820 ${r("99", 32)} 03 02 04 5820 ${auth}`),
    );
    expect(hex(encodeCommand(0x41, encodeCredMgmt(0x05)))).toBe("41a10105");
    expect(hex(encodeCommand(0x0a, encodeCredMgmt(0x02, undefined, pinToken)))).toBe(
      clean(`0a a3 01 02 03 02 04 5820 ${hmac("02")}`),
    );
  });
});
