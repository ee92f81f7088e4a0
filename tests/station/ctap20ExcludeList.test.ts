// A person with many passkeys, provisioned on a CTAP 2.0 key with a small maxMsgSize (the virtual key as
// a 2.0 key, 1200 bytes, no maxCredentialCountInList): the exclude list is split by request size as well
// as by list length, every request fits, and a credential already on the key is still found.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientPin } from "../../station/ctap2/clientPin.js";
import { Ctap2 } from "../../station/ctap2/ctap2.js";
import { CtapError } from "../../station/ctap2/errors.js";
import { type AuthenticatorInfo, getInfo } from "../../station/ctap2/getInfo.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import type { HidConnection } from "../../station/transport/connection.js";
import { openVirtualConnection } from "../../station/virtual/connection.js";
import { VirtualKey } from "../../station/virtual/virtualKey.js";
import { planRegistration } from "../../station/webauthn/creationOptions.js";
import { lookupChunks, registerCredential } from "../../station/webauthn/registration.js";
import { entraCreationOptions } from "./entraFixture.js";

const PIN = Buffer.from("58213");
const MAX_MSG_SIZE = 1200;

/** Records each CTAPHID_CBOR request as (command byte, length) from the reports the client writes. */
function recording(conn: HidConnection): { conn: HidConnection; requests: { cmd: number; bytes: number }[] } {
  const requests: { cmd: number; bytes: number }[] = [];
  return {
    requests,
    conn: {
      write: (r) => {
        if (r[4] === 0x90) requests.push({ cmd: r[7]!, bytes: (r[5]! << 8) | r[6]! });
        return conn.write(r);
      },
      read: (s) => conn.read(s),
      close: () => conn.close(),
    },
  };
}

/** Entra's options for a person whose other passkeys are `ids`; credProtect asked for, not enforced. */
function options(ids: string[]): Record<string, unknown> {
  const o = entraCreationOptions({ excludeIds: ids });
  const pk = o.publicKey as { extensions: Record<string, unknown> };
  pk.extensions.enforceCredentialProtectionPolicy = false;
  return o;
}

const foreignIds = (n: number): string[] =>
  Array.from({ length: n }, () => randomBytes(64).toString("base64url"));

describe("a CTAP 2.0 key with maxMsgSize 1200 and a long exclude list", () => {
  let device: CtapHidDevice;
  let ctap: Ctap2;
  let info: AuthenticatorInfo;
  let requests: { cmd: number; bytes: number }[];
  let onKey = "";

  beforeAll(async () => {
    const key = await VirtualKey.create({
      ctapVersion: "2.0",
      maxMsgSize: MAX_MSG_SIZE,
      keepaliveIntervalMs: 20,
    });
    const rec = recording(openVirtualConnection(key));
    requests = rec.requests;
    device = await CtapHidDevice.open(rec.conn);
    ctap = new Ctap2(device);
    info = await getInfo(ctap);
    await new ClientPin(ctap, info).setPin(PIN);
    info = await getInfo(ctap);
    const first = await registerCredential({
      ctap,
      info,
      creationOptions: options([]),
      pin: PIN,
      displayName: "first",
    });
    onKey = first.body.publicKeyCredential.id;
  });
  afterAll(async () => {
    await device.close();
  });

  it("should be a 2.0 key: FIDO_2_0, PIN protocol 1, maxMsgSize 1200, no list length", () => {
    expect(info.versions).toEqual(["U2F_V2", "FIDO_2_0"]);
    expect(info.pinUvAuthProtocols).toEqual([1]);
    expect(info.maxMsgSize).toBe(MAX_MSG_SIZE);
    expect(info.maxCredentialCountInList).toBeUndefined();
  });

  it("should register a person with 18 passkeys elsewhere, every request within maxMsgSize", async () => {
    requests.length = 0;
    const outcome = await registerCredential({
      ctap,
      info,
      creationOptions: options(foreignIds(18)),
      pin: PIN,
      displayName: "second",
    });
    expect(outcome.credentialId.length).toBeGreaterThan(0);
    const lookups = requests.filter((r) => r.cmd === 0x02);
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    for (const r of requests) expect(r.bytes).toBeLessThanOrEqual(MAX_MSG_SIZE);
    expect(requests.filter((r) => r.cmd === 0x01)).toHaveLength(1);
  });

  it("should still refuse a second registration when the key's own credential is among 18 others", async () => {
    const ids = foreignIds(18);
    ids.splice(11, 0, onKey);
    requests.length = 0;
    const e = await registerCredential({
      ctap,
      info,
      creationOptions: options(ids),
      pin: PIN,
      displayName: "again",
    }).catch((x: unknown) => x);
    expect(CtapError.isInstance(e) && e.code).toBe("CREDENTIAL_EXCLUDED");
    for (const r of requests) expect(r.bytes).toBeLessThanOrEqual(MAX_MSG_SIZE);
  });
});

describe("lookupChunks", () => {
  const fakeCtap = (maxMsgSize: number): Ctap2 => ({ maxMsgSize }) as Ctap2;
  const baseInfo = { options: {}, extensions: [], versions: ["FIDO_2_0"] } as unknown as AuthenticatorInfo;
  const plan = planRegistration(options(foreignIds(40)));

  it("should keep every id, in order, within both the list length and the message size", () => {
    for (const [size, count] of [
      [1200, undefined],
      [1200, 5],
      [4096, 8],
      [700, undefined],
    ] as const) {
      const info = {
        ...baseInfo,
        ...(count ? { maxCredentialCountInList: count } : {}),
      } as AuthenticatorInfo;
      const chunks = lookupChunks(fakeCtap(size), plan, info, plan.excludeList);
      expect(chunks.flat()).toEqual(plan.excludeList);
      for (const c of chunks) {
        expect(c.length).toBeGreaterThan(0);
        if (count) expect(c.length).toBeLessThanOrEqual(count);
      }
      expect(chunks.length).toBeGreaterThan(1);
    }
  });

  it("should leave out an id that cannot fit a request even alone", () => {
    const huge = { id: new Uint8Array(2000), type: "public-key" as const };
    const chunks = lookupChunks(fakeCtap(1200), plan, baseInfo, [huge, ...plan.excludeList.slice(0, 3)]);
    expect(chunks.flat()).toEqual(plan.excludeList.slice(0, 3));
  });
});
