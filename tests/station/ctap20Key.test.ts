// A CTAP 2.0 key (no FIDO_2_1, protocol 1 only, no pinUvAuthToken option): ClientPin must choose PIN
// protocol 1 and the legacy getPinToken (subcommand 5), with no permissions or rpId. The key is a small
// scripted authenticator built from the same PIN protocol primitives, at the CtapDevice edge.
import { describe, expect, it } from "vitest";
import { type CborMap, type CborValue, decodeStrict, encodeCanonical } from "../../station/cbor.js";
import { ClientPin, Permission } from "../../station/ctap2/clientPin.js";
import { Ctap2 } from "../../station/ctap2/ctap2.js";
import { getInfo } from "../../station/ctap2/getInfo.js";
import {
  decodeCoseKeyAgreement,
  KeyAgreementKey,
  PinUvAuthProtocolOne,
  pinHash,
} from "../../station/ctap2/pinProtocol.js";
import type { CtapDevice } from "../../station/ctaphid/device.js";

function ctap20Key(pin: string): { device: CtapDevice; requests: CborMap[] } {
  const requests: CborMap[] = [];
  const ka = KeyAgreementKey.generate();
  const proto = new PinUvAuthProtocolOne();
  const token = new Uint8Array(16).fill(0x5a);
  const ok = (m?: Map<number, CborValue>): Uint8Array =>
    Uint8Array.from([0, ...(m ? encodeCanonical(m) : [])]);
  const device: CtapDevice = {
    capabilities: 0x04,
    close: async () => {},
    call: async (_cmd, data) => {
      const params = data.length > 1 ? (decodeStrict(data.subarray(1)) as CborMap) : new Map();
      requests.push(params);
      if (data[0] === 0x04) {
        return ok(
          new Map<number, CborValue>([
            [1, ["U2F_V2", "FIDO_2_0"]],
            [2, ["hmac-secret"]],
            [3, new Uint8Array(16).fill(7)],
            [4, { rk: true, up: true, plat: false, clientPin: true }],
            [5, 1200],
            [6, [1]],
          ]),
        );
      }
      const sub = params.get(2);
      if (sub === 2) return ok(new Map([[1, ka.toCose()]]));
      if (sub === 5) {
        const shared = proto.decapsulate(ka, decodeCoseKeyAgreement(params.get(3)));
        const got = proto.decrypt(shared, params.get(6) as Uint8Array);
        if (Buffer.compare(got, pinHash(Buffer.from(pin))) !== 0) return Uint8Array.of(0x31);
        return ok(new Map([[2, proto.encrypt(shared, token)]]));
      }
      return Uint8Array.of(0x01);
    },
  };
  return { device, requests };
}

describe("a CTAP 2.0 key", () => {
  it("should get a legacy PIN token with protocol 1 and subcommand 5, without permissions", async () => {
    const { device, requests } = ctap20Key("9876");
    const ctap = new Ctap2(device);
    const info = await getInfo(ctap);
    expect(ctap.maxMsgSize).toBe(1200);
    const pins = new ClientPin(ctap, info);
    expect(pins.protocol.version).toBe(1);
    const token = await pins.getToken(Buffer.from("9876"), {
      permissions: Permission.MAKE_CREDENTIAL,
      rpId: "login.microsoft.com",
    });
    const tokenRequest = requests.at(-1)!;
    expect(tokenRequest.get(1)).toBe(1);
    expect(tokenRequest.get(2)).toBe(5);
    expect(tokenRequest.has(9)).toBe(false);
    expect(tokenRequest.has(10)).toBe(false);
    expect(token.authenticate(new Uint8Array(32)).length).toBe(16);
  });

  it("should refuse a request larger than the key's maxMsgSize before sending it", async () => {
    const { device, requests } = ctap20Key("9876");
    const ctap = new Ctap2(device);
    await getInfo(ctap);
    const before = requests.length;
    await expect(ctap.send(0x01, new Map([[1, new Uint8Array(1300)]]))).rejects.toMatchObject({
      kind: "too-large",
    });
    expect(requests.length).toBe(before);
  });
});
