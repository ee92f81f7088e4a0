// Known-answer tests of PIN/UV auth protocols 1 and 2: fixed private keys and IVs, every output checked
// against python-fido2's own implementation (Debian python3-fido2, run through /usr/bin/python3).
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { decodeStrict, encodeCanonical } from "../../station/cbor.js";
import { CtapProtocolError } from "../../station/ctap2/errors.js";
import {
  decodeCoseKeyAgreement,
  KeyAgreementKey,
  PinUvAuthProtocolOne,
  PinUvAuthProtocolTwo,
  padPin,
  pinHash,
} from "../../station/ctap2/pinProtocol.js";
import { requirePythonModule } from "../support/tools.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));

const platformD = "7a4f6c5b2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a";
const authenticatorD = "1f2e3d4c5b6a79880f1e2d3c4b5a69784f5e6d7c8b9aa9b8c7d6e5f40312a1b0";
const iv = "000102030405060708090a0b0c0d0e0f";
const pin = "1234ü";

// Runs python-fido2's PinProtocolV1/V2 with the same keys and IV and returns every output as hex.
const pythonScript = `
import json, os, sys
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.backends import default_backend
from fido2.ctap2 import pin as p
from hashlib import sha256
a = json.loads(sys.argv[1])
def key(d): return ec.derive_private_key(int(d, 16), ec.SECP256R1(), default_backend())
auth = key(a["authD"]).public_key().public_numbers()
peer = {1: 2, 3: -25, -1: 1, -2: auth.x.to_bytes(32, "big"), -3: auth.y.to_bytes(32, "big")}
ec.generate_private_key = lambda *args, **kw: key(a["platD"])
os.urandom = lambda n: bytes.fromhex(a["iv"])
out = {}
for proto in (p.PinProtocolV1(), p.PinProtocolV2()):
    v = str(proto.VERSION)
    ka, secret = proto.encapsulate(peer)
    out["x" + v] = ka[-2].hex()
    out["secret" + v] = secret.hex()
    padded = a["pin"].encode().ljust(64, b"\\0")
    out["newPinEnc" + v] = proto.encrypt(secret, padded).hex()
    hashed = sha256(a["pin"].encode()).digest()[:16]
    out["pinHashEnc" + v] = proto.encrypt(secret, hashed).hex()
    out["auth" + v] = proto.authenticate(secret, bytes.fromhex(out["newPinEnc" + v])).hex()
print(json.dumps(out))
`;

function python(): Record<string, string> {
  requirePythonModule("/usr/bin/python3", "fido2", "python3-fido2");
  const args = JSON.stringify({ platD: platformD, authD: authenticatorD, iv, pin });
  return JSON.parse(execFileSync("/usr/bin/python3", ["-c", pythonScript, args], { encoding: "utf8" }));
}

describe("PIN/UV auth protocols", () => {
  const expected = python();
  const platform = KeyAgreementKey.fromPrivateKey(unhex(platformD));
  const authenticator = KeyAgreementKey.fromPrivateKey(unhex(authenticatorD));
  const opts = { newKeyAgreementKey: () => platform, randomBytes: () => unhex(iv) };

  for (const Proto of [PinUvAuthProtocolOne, PinUvAuthProtocolTwo]) {
    const proto = new Proto(opts);
    const v = proto.version;

    it(`should derive protocol ${v}'s shared secret as python-fido2 does, on both sides`, () => {
      const { keyAgreement, sharedSecret } = proto.encapsulate(authenticator.publicPoint);
      expect(hex(keyAgreement.get(-2) as Uint8Array)).toBe(expected[`x${v}`]);
      expect(hex(sharedSecret)).toBe(expected[`secret${v}`]);
      expect(sharedSecret.length).toBe(v === 1 ? 32 : 64);
      const peer = decodeCoseKeyAgreement(decodeStrict(encodeCanonical(keyAgreement)));
      expect(hex(proto.decapsulate(authenticator, peer))).toBe(expected[`secret${v}`]);
    });

    it(`should encrypt, decrypt and authenticate with protocol ${v} as python-fido2 does`, () => {
      const secret = unhex(expected[`secret${v}`]!);
      const padded = padPin(Buffer.from(pin));
      const newPinEnc = proto.encrypt(secret, padded);
      expect(hex(newPinEnc)).toBe(expected[`newPinEnc${v}`]);
      expect(hex(proto.encrypt(secret, pinHash(Buffer.from(pin))))).toBe(expected[`pinHashEnc${v}`]);
      expect(proto.decrypt(secret, newPinEnc)).toEqual(padded);
      const mac = proto.authenticate(secret, newPinEnc);
      expect(hex(mac)).toBe(expected[`auth${v}`]);
      expect(mac.length).toBe(v === 1 ? 16 : 32);
      expect(proto.verify(secret, newPinEnc, mac)).toBe(true);
      const bad = Uint8Array.from(mac);
      bad[0]! ^= 1;
      expect(proto.verify(secret, newPinEnc, bad)).toBe(false);
      expect(proto.verify(secret, newPinEnc, mac.subarray(0, 8))).toBe(false);
    });

    it(`should refuse protocol ${v} ciphertexts that are not whole blocks with a typed error`, () => {
      const secret = unhex(expected[`secret${v}`]!);
      expect(() => proto.decrypt(secret, new Uint8Array(v === 1 ? 15 : 8))).toThrow(CtapProtocolError);
    });
  }

  it("should use the HKDF info strings of protocol 2 (distinct HMAC and AES halves)", () => {
    const secret = unhex(expected.secret2!);
    expect(hex(secret.subarray(0, 32))).not.toBe(hex(secret.subarray(32)));
  });

  it("should pad a PIN to 64 bytes and refuse one above 63 bytes", () => {
    expect(hex(padPin(Buffer.from("1234")))).toBe(`31323334${"00".repeat(60)}`);
    expect(() => padPin(Buffer.alloc(64, 0x78))).toThrow(RangeError);
  });

  it("should refuse key-agreement keys that are not P-256 points with a typed error", () => {
    const good = authenticator.toCose();
    expect(() => decodeCoseKeyAgreement(new Map([...good, [-1, 2]]))).toThrow(CtapProtocolError);
    expect(() => decodeCoseKeyAgreement(new Map([...good, [-2, new Uint8Array(31)]]))).toThrow(
      CtapProtocolError,
    );
    expect(() => decodeCoseKeyAgreement({})).toThrow(CtapProtocolError);
    const offCurve = { x: new Uint8Array(32).fill(1), y: new Uint8Array(32).fill(2) };
    expect(() => platform.sharedX(offCurve)).toThrow(CtapProtocolError);
  });
});
