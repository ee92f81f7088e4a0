// The virtual authenticator's CTAP 2.1 behaviour, driven in process through HID reports: PIN retries and
// lock-out, tokens and their permissions, forcePINChange, credProtect, hmac-secret, credential
// management, the reset window, user presence modes, persistence, and hostile CBOR.
import "reflect-metadata";
import { createHmac, createVerify, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { type CborMap, type CborValue, decodeStrict, encodeCanonical } from "../../../station/cbor.js";
import { decodeCoseKeyAgreement, pinProtocolFor } from "../../../station/ctap2/pinProtocol.js";
import { AAGUID_EXTENSION_OID } from "../../../station/virtual/attestation.js";
import { VirtualKey, type VirtualKeyOptions } from "../../../station/virtual/virtualKey.js";
import { get, makeCredentialParams, RP_ID, TestClient } from "./testClient.js";

const PIN = "314159";
const open: TestClient[] = [];
const dirs: string[] = [];

async function setup(opts: VirtualKeyOptions = {}): Promise<{ key: VirtualKey; client: TestClient }> {
  const key = await VirtualKey.create(opts);
  const client = await TestClient.open(key);
  open.push(client);
  return { key, client };
}

afterEach(async () => {
  for (const c of open.splice(0)) await c.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function makeCredential(
  client: TestClient,
  opts: { rk?: boolean; extensions?: Map<string, CborValue>; userId?: Uint8Array; pin?: string } = {},
) {
  const t = await client.pinToken(opts.pin ?? PIN, 0x01, RP_ID);
  const clientDataHash = new Uint8Array(randomBytes(32));
  const r = await client.cbor(
    0x01,
    makeCredentialParams({
      clientDataHash,
      rk: opts.rk ?? true,
      token: t.token!,
      extensions: opts.extensions,
      userId: opts.userId,
    }),
  );
  expect(r.status).toBe(0);
  const authData = get<Uint8Array>(r.body, 2);
  const idLength = (authData[53]! << 8) | authData[54]!;
  const credentialId = authData.subarray(55, 55 + idLength);
  // An EC2 P-256 COSE key is 77 bytes; extension outputs may follow it.
  const coseKey = decodeStrict(authData.subarray(55 + idLength, 55 + idLength + 77)) as CborMap;
  return { body: r.body!, authData, credentialId, coseKey, clientDataHash };
}

function cosePem(cose: CborMap): string {
  const x = Buffer.from(cose.get(-2) as Uint8Array).toString("base64url");
  const y = Buffer.from(cose.get(-3) as Uint8Array).toString("base64url");
  return JSON.stringify({ kty: "EC", crv: "P-256", x, y });
}

function verifySignature(cose: CborMap, data: Uint8Array, signature: Uint8Array): boolean {
  const v = createVerify("sha256");
  v.update(data);
  return v.verify({ key: JSON.parse(cosePem(cose)), format: "jwk" }, signature);
}

describe("virtual authenticator: getInfo", () => {
  it("should describe a CTAP 2.1 key with its AAGUID, options, protocols, PIN policy and free slots", async () => {
    const { client } = await setup({ maxDiscoverableCredentials: 5, firmwareVersion: 0x020304 });
    const info = await client.getInfo();
    expect(info.get(1)).toEqual(["FIDO_2_0", "FIDO_2_1_PRE", "FIDO_2_1"]);
    expect(info.get(2)).toEqual(["credProtect", "hmac-secret"]);
    expect(Buffer.from(info.get(3) as Uint8Array).toString("hex")).toBe("6b6579666c6565742d7669727475616c");
    expect(Object.fromEntries(info.get(4) as CborMap)).toMatchObject({
      rk: true,
      up: true,
      plat: false,
      clientPin: false,
      pinUvAuthToken: true,
      credMgmt: true,
      authnrCfg: true,
      setMinPINLength: true,
      makeCredUvNotRqd: false,
    });
    expect(info.get(5)).toBe(2048);
    expect(info.get(6)).toEqual([2, 1]);
    expect(info.get(0x0a)).toEqual([
      new Map<string, CborValue>([
        ["alg", -7],
        ["type", "public-key"],
      ]),
    ]);
    expect(info.get(0x0c)).toBe(false);
    expect(info.get(0x0d)).toBe(4);
    expect(info.get(0x0e)).toBe(0x020304);
    expect(info.get(0x14)).toBe(5);
    await client.setPin(PIN);
    await makeCredential(client);
    expect((await client.getInfo()).get(0x14)).toBe(4);
  });
});

describe("virtual authenticator: clientPIN", () => {
  it("should report no PIN, then take one and report it set", async () => {
    const { client } = await setup();
    expect((await client.getInfo()).get(4)).toBeInstanceOf(Map);
    expect(((await client.getInfo()).get(4) as CborMap).get("clientPin")).toBe(false);
    expect(await client.setPin(PIN, 1)).toBe(0);
    expect(((await client.getInfo()).get(4) as CborMap).get("clientPin")).toBe(true);
    expect(await client.setPin("271828")).toBe(0x30); // NOT_ALLOWED: use changePIN
  });

  it("should refuse a PIN shorter than minPINLength or longer than 63 bytes", async () => {
    const { client } = await setup();
    expect(await client.setPin("123")).toBe(0x37);
    expect(await client.setPin(new Uint8Array(64).fill(0x78))).toBe(0x37); // 64 bytes, no terminator
    expect(((await client.getInfo()).get(4) as CborMap).get("clientPin")).toBe(false);
  });

  it("should issue tokens with both protocols and refuse permissions the key cannot grant", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    for (const v of [1, 2] as const) {
      expect((await client.pinToken(PIN, undefined, undefined, v)).token).toHaveLength(32);
      expect((await client.pinToken(PIN, 0x03, RP_ID, v)).token).toHaveLength(32);
    }
    expect((await client.pinToken(PIN, 0x08)).status).toBe(0x40); // be: UNAUTHORIZED_PERMISSION
    expect((await client.pinToken(PIN, 0)).status).toBe(0x02);
  });

  it("should count wrong PINs, demand a power cycle after three in a row, and block at zero", async () => {
    const { key, client } = await setup();
    await client.setPin(PIN);
    const seen: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { status } = await client.pinToken("000000", 0x01);
      seen.push(status);
      if (status === 0x34) {
        expect((await client.pinToken(PIN, 0x01)).status).toBe(0x34); // still blocked until the replug
        key.powerCycle();
        const reopened = await TestClient.open(key);
        open.push(reopened);
        client.cid = reopened.cid;
      }
    }
    expect(seen).toEqual([0x31, 0x31, 0x34, 0x31, 0x31, 0x34, 0x31, 0x32]);
    expect((await client.retries()).retries).toBe(0);
    expect((await client.pinToken(PIN, 0x01)).status).toBe(0x32);
  });

  it("should restore the retries after a right PIN", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    await client.pinToken("000000", 0x01);
    expect((await client.retries()).retries).toBe(7);
    expect((await client.pinToken(PIN, 0x01)).status).toBe(0);
    expect((await client.retries()).retries).toBe(8);
  });

  it("should change the PIN only with the current one", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    expect(await client.changePin("999999", "271828")).toBe(0x31);
    expect(await client.changePin(PIN, "271828", 1)).toBe(0);
    expect((await client.pinToken(PIN, 0x01)).status).toBe(0x31);
    expect((await client.pinToken("271828", 0x01)).status).toBe(0);
  });

  it("should stop a token working after its lifetime", async () => {
    let now = 1_000_000;
    const { client } = await setup({ now: () => now, tokenLifetimeMs: 1000 });
    await client.setPin(PIN);
    const t = await client.pinToken(PIN, 0x01, RP_ID);
    now += 1001;
    const r = await client.cbor(
      0x01,
      makeCredentialParams({ clientDataHash: new Uint8Array(32), token: t.token! }),
    );
    expect(r.status).toBe(0x33);
  });
});

describe("virtual authenticator: makeCredential and getAssertion", () => {
  it("should make a packed-attested credential whose batch certificate meets the packed rules", async () => {
    const { key, client } = await setup({
      aaguid: "00112233-4455-6677-8899-aabbccddeeff",
      model: "Test Model",
    });
    await client.setPin(PIN);
    const { body, authData, clientDataHash } = await makeCredential(client);
    expect(get<string>(body, 1)).toBe("packed");
    expect(Buffer.from(authData.subarray(37, 53)).toString("hex")).toBe("00112233445566778899aabbccddeeff");
    expect(authData[32]).toBe(0x45);
    const attStmt = get<CborMap>(body, 3);
    expect(attStmt.get("alg")).toBe(-7);
    const [der] = attStmt.get("x5c") as Uint8Array[];
    const cert = new x509.X509Certificate(der!);
    expect(cert.subject).toContain("OU=Authenticator Attestation");
    expect(cert.subject).toMatch(/C=US/);
    expect(cert.subject).toMatch(/O=Keyfleet/);
    expect(cert.subject).toContain("CN=Test Model");
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    const aaguidExt = cert.getExtension(AAGUID_EXTENSION_OID);
    expect(Buffer.from(aaguidExt!.value).toString("hex")).toBe("041000112233445566778899aabbccddeeff");
    expect(aaguidExt!.critical).toBe(false);
    const root = new x509.X509Certificate(key.attestationRootPem);
    expect(await cert.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
    const v = createVerify("sha256");
    v.update(Buffer.concat([authData, clientDataHash]));
    expect(v.verify(cert.toString("pem"), attStmt.get("sig") as Uint8Array)).toBe(true);
  });

  it("should require a PIN token once a PIN is set, and refuse a token for another RP", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    const noToken = await client.cbor(
      0x01,
      makeCredentialParams({ clientDataHash: new Uint8Array(32), rk: true }),
    );
    expect(noToken.status).toBe(0x36);
    const t = await client.pinToken(PIN, 0x01, "other.example");
    const r = await client.cbor(
      0x01,
      makeCredentialParams({ clientDataHash: new Uint8Array(32), token: t.token! }),
    );
    expect(r.status).toBe(0x33);
    const ga = await client.pinToken(PIN, 0x02, RP_ID);
    const r2 = await client.cbor(
      0x01,
      makeCredentialParams({ clientDataHash: new Uint8Array(32), token: ga.token! }),
    );
    expect(r2.status).toBe(0x33); // no mc permission
  });

  it("should clear the token's permissions after a makeCredential", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    const t = await client.pinToken(PIN, 0x01, RP_ID);
    const params = makeCredentialParams({ clientDataHash: new Uint8Array(32), token: t.token!, rk: true });
    expect((await client.cbor(0x01, params)).status).toBe(0);
    expect((await client.cbor(0x01, params)).status).toBe(0x33);
  });

  it("should refuse a credential already on the key through excludeList", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    const { credentialId } = await makeCredential(client);
    const t = await client.pinToken(PIN, 0x01, RP_ID);
    const r = await client.cbor(
      0x01,
      makeCredentialParams({
        clientDataHash: new Uint8Array(32),
        token: t.token!,
        excludeIds: [credentialId],
      }),
    );
    expect(r.status).toBe(0x19);
  });

  it("should sign assertions with the credential's key, newest discoverable credential first", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    const older = await makeCredential(client, { userId: Uint8Array.of(1) });
    const newer = await makeCredential(client, { userId: Uint8Array.of(2) });
    const t = await client.pinToken(PIN, 0x02, RP_ID);
    const clientDataHash = new Uint8Array(randomBytes(32));
    const r = await client.cbor(
      0x02,
      new Map<number, CborValue>([
        [1, RP_ID],
        [2, clientDataHash],
        [6, client.authenticate(t.token!, clientDataHash)],
        [7, 2],
      ]),
    );
    expect(r.status).toBe(0);
    expect(get<number>(r.body, 5)).toBe(2);
    expect(get<CborMap>(r.body, 1).get("id")).toEqual(newer.credentialId);
    const authData = get<Uint8Array>(r.body, 2);
    expect(verifySignature(newer.coseKey, Buffer.concat([authData, clientDataHash]), get(r.body, 3))).toBe(
      true,
    );
    expect(get<CborMap>(r.body, 4).get("name")).toBe("ada@keyfleet.test");
    const next = await client.cbor(0x08);
    expect(next.status).toBe(0);
    expect(get<CborMap>(next.body, 1).get("id")).toEqual(older.credentialId);
    const nextAuthData = get<Uint8Array>(next.body, 2);
    expect(
      verifySignature(older.coseKey, Buffer.concat([nextAuthData, clientDataHash]), get(next.body, 3)),
    ).toBe(true);
    expect((await client.cbor(0x08)).status).toBe(0x30);
  });

  it("should hide credProtect level 3 credentials without UV and level 2 from discovery without UV", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    const l2 = await makeCredential(client, {
      extensions: new Map([["credProtect", 2]]),
      userId: Uint8Array.of(2),
    });
    const l3 = await makeCredential(client, {
      extensions: new Map([["credProtect", 3]]),
      userId: Uint8Array.of(3),
    });
    expect(
      decodeStrict(l3.authData.subarray(55 + l3.credentialId.length + encodeCanonical(l3.coseKey).length)),
    ).toEqual(new Map([["credProtect", 3]]));
    const noUv = (allow?: Uint8Array) =>
      client.cbor(
        0x02,
        new Map<number, CborValue | undefined>([
          [1, RP_ID],
          [2, new Uint8Array(32)],
          [3, allow ? [{ id: allow, type: "public-key" }] : undefined],
        ]),
      );
    expect((await noUv()).status).toBe(0x2e);
    expect((await noUv(l3.credentialId)).status).toBe(0x2e);
    const viaList = await noUv(l2.credentialId);
    expect(viaList.status).toBe(0);
    expect(get<Uint8Array>(viaList.body, 2)[32]).toBe(0x01); // UP, no UV
  });

  it("should answer hmac-secret with outputs that depend on the salt and the credential", async () => {
    const { key, client } = await setup();
    await client.setPin(PIN);
    const cred = await makeCredential(client, { extensions: new Map([["hmac-secret", true]]) });
    const hmacFor = async (salt: Uint8Array) => {
      const protocol = pinProtocolFor(2);
      const ka = await client.cbor(
        0x06,
        new Map<number, CborValue>([
          [1, 2],
          [2, 2],
        ]),
      );
      const { keyAgreement, sharedSecret } = protocol.encapsulate(decodeCoseKeyAgreement(ka.body!.get(1)));
      const saltEnc = protocol.encrypt(sharedSecret, salt);
      const r = await client.cbor(
        0x02,
        new Map<number, CborValue>([
          [1, RP_ID],
          [2, new Uint8Array(32)],
          [3, [{ id: cred.credentialId, type: "public-key" }]],
          [
            4,
            new Map([
              [
                "hmac-secret",
                new Map<number, CborValue>([
                  [1, keyAgreement],
                  [2, saltEnc],
                  [3, protocol.authenticate(sharedSecret, saltEnc)],
                  [4, 2],
                ]),
              ],
            ]),
          ],
        ]),
      );
      expect(r.status).toBe(0);
      const authData = get<Uint8Array>(r.body, 2);
      const ext = decodeStrict(authData.subarray(37)) as CborMap;
      return protocol.decrypt(sharedSecret, ext.get("hmac-secret") as Uint8Array);
    };
    const salt = new Uint8Array(32).fill(7);
    const a = await hmacFor(salt);
    const b = await hmacFor(salt);
    const c = await hmacFor(new Uint8Array(32).fill(8));
    expect(a).toHaveLength(32);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Without UV the credential's no-UV CredRandom keys the HMAC (CTAP 2.1 §12.5).
    const stored = key.authenticator.credentials.find(
      (x) => x.id === Buffer.from(cred.credentialId).toString("base64url"),
    );
    const credRandom = Buffer.from(stored!.credRandomWithoutUv!, "base64");
    expect(Buffer.from(a)).toEqual(createHmac("sha256", credRandom).update(salt).digest());
  });
});

function configMessage(sub: number, params?: CborValue): Uint8Array {
  const body = params === undefined ? new Uint8Array(0) : encodeCanonical(params);
  return new Uint8Array([...new Uint8Array(32).fill(0xff), 0x0d, sub, ...body]);
}

async function setMinPinLength(
  client: TestClient,
  length: number | undefined,
  force: boolean | undefined,
  token?: Uint8Array,
) {
  const sub = new Map<number, CborValue | undefined>([
    [1, length],
    [3, force],
  ]);
  const params = new Map<number, CborValue | undefined>([
    [1, 3],
    [2, sub],
    [3, token ? 2 : undefined],
    [4, token ? client.authenticate(token, configMessage(3, sub)) : undefined],
  ]);
  return (await client.cbor(0x0d, params)).status;
}

describe("virtual authenticator: authenticatorConfig", () => {
  it("should refuse PIN tokens after forceChangePin until the PIN is changed", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    const acfg = await client.pinToken(PIN, 0x20);
    expect(await setMinPinLength(client, 6, true, acfg.token)).toBe(0);
    const info = await client.getInfo();
    expect(info.get(0x0c)).toBe(true);
    expect(info.get(0x0d)).toBe(6);
    expect((await client.pinToken(PIN, 0x01)).status).toBe(0x37);
    expect((await client.pinToken(PIN, undefined)).status).toBe(0x37);
    expect(await client.changePin(PIN, PIN)).toBe(0x37); // the same PIN is no change
    expect(await client.changePin(PIN, "12345")).toBe(0x37); // shorter than the new minimum
    expect(await client.changePin(PIN, "2718281")).toBe(0);
    expect((await client.getInfo()).get(0x0c)).toBe(false);
    expect((await client.pinToken("2718281", 0x01)).status).toBe(0);
  });

  it("should force a change when the minimum grows beyond the current PIN, and never let it shrink", async () => {
    const { client } = await setup();
    await client.setPin(PIN); // 6 code points
    const t = await client.pinToken(PIN, 0x20);
    expect(await setMinPinLength(client, 8, undefined, t.token)).toBe(0);
    expect((await client.getInfo()).get(0x0c)).toBe(true);
    expect(await setMinPinLength(client, 5, undefined, t.token)).toBe(0x37);
  });

  it("should require a token with the acfg permission once a PIN is set", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    expect(await setMinPinLength(client, 6, undefined)).toBe(0x36);
    const mc = await client.pinToken(PIN, 0x01);
    expect(await setMinPinLength(client, 6, undefined, mc.token)).toBe(0x33);
  });
});

describe("virtual authenticator: credential management", () => {
  const cm = async (
    client: TestClient,
    token: Uint8Array,
    sub: number,
    subParams?: Map<number, CborValue>,
  ) => {
    const body = subParams ? encodeCanonical(subParams) : new Uint8Array(0);
    return client.cbor(
      0x0a,
      new Map<number, CborValue | undefined>([
        [1, sub],
        [2, subParams],
        [3, 2],
        [4, client.authenticate(token, new Uint8Array([sub, ...body]))],
      ]),
    );
  };

  it("should count, enumerate and delete discoverable credentials (also on the 0x41 prototype)", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    await makeCredential(client, { userId: Uint8Array.of(1) });
    const second = await makeCredential(client, { userId: Uint8Array.of(2) });
    const t = await client.pinToken(PIN, 0x04);
    const meta = await cm(client, t.token!, 0x01);
    expect(get<number>(meta.body, 1)).toBe(2);
    const rps = await cm(client, t.token!, 0x02);
    expect(get<CborMap>(rps.body, 3).get("id")).toBe(RP_ID);
    expect(get<number>(rps.body, 5)).toBe(1);
    const rpIdHash = get<Uint8Array>(rps.body, 4);
    const creds = await cm(client, t.token!, 0x04, new Map([[1, rpIdHash]]));
    expect(get<number>(creds.body, 9)).toBe(2);
    expect(get<number>(creds.body, 0x0a)).toBe(1);
    expect((await client.cbor(0x0a, new Map([[1, 0x05]]))).status).toBe(0);
    const del = await cm(
      client,
      t.token!,
      0x06,
      new Map([
        [
          2,
          new Map<string, CborValue>([
            ["id", second.credentialId],
            ["type", "public-key"],
          ]),
        ],
      ]),
    );
    expect(del.status).toBe(0);
    const body = new Uint8Array([0x01]);
    const viaPrototype = await client.cbor(
      0x41,
      new Map<number, CborValue>([
        [1, 0x01],
        [3, 2],
        [4, client.authenticate(t.token!, body)],
      ]),
    );
    expect(get<number>(viaPrototype.body, 1)).toBe(1);
  });

  it("should refuse credential management without the cm permission", async () => {
    const { client } = await setup();
    await client.setPin(PIN);
    const t = await client.pinToken(PIN, 0x01);
    expect((await cm(client, t.token!, 0x01)).status).toBe(0x33);
  });
});

describe("virtual authenticator: reset and user presence", () => {
  it("should reset only within the window after power-up, and wipe PIN and credentials", async () => {
    let now = 5_000_000;
    const { key, client } = await setup({ now: () => now, resetWindowMs: 10_000 });
    await client.setPin(PIN);
    await makeCredential(client);
    now += 10_001;
    expect((await client.cbor(0x07)).status).toBe(0x30);
    key.powerCycle();
    const replugged = await TestClient.open(key);
    open.push(replugged);
    expect((await replugged.cbor(0x07)).status).toBe(0);
    expect(((await replugged.getInfo()).get(4) as CborMap).get("clientPin")).toBe(false);
    expect(key.authenticator.credentials).toHaveLength(0);
  });

  it("should answer OPERATION_DENIED when presence is denied", async () => {
    const { key, client } = await setup({ presence: { mode: "deny" } });
    expect(
      (await client.cbor(0x01, makeCredentialParams({ clientDataHash: new Uint8Array(32) }))).status,
    ).toBe(0x27);
    expect((await client.cbor(0x07)).status).toBe(0x27);
    key.authenticator.setPresence("approve");
    expect((await client.cbor(0x0b)).status).toBe(0);
  });

  it("should send UPNEEDED keepalives and then USER_ACTION_TIMEOUT when nobody touches", async () => {
    const { client } = await setup({
      presence: { mode: "timeout", timeoutMs: 150 },
      keepaliveIntervalMs: 20,
    });
    const r = await client.cbor(0x01, makeCredentialParams({ clientDataHash: new Uint8Array(32) }));
    expect(r.status).toBe(0x2f);
    expect(r.keepalives.length).toBeGreaterThan(0);
    expect(new Set(r.keepalives)).toEqual(new Set([2]));
  });

  it("should end a wait for presence with KEEPALIVE_CANCEL when the client cancels", async () => {
    const { client } = await setup({
      presence: { mode: "timeout", timeoutMs: 60_000 },
      keepaliveIntervalMs: 20,
    });
    await client.writeMessage(0x10, new Uint8Array([0x0b]));
    const first = await client.conn.read(AbortSignal.timeout(5000));
    expect(first[4]).toBe(0xbb);
    const cancel = new Uint8Array(64);
    cancel.set(Buffer.from(client.cid.toString(16).padStart(8, "0"), "hex"));
    cancel[4] = 0x91;
    await client.conn.write(cancel);
    const reply = await client.readMessage();
    expect(reply.payload[0]).toBe(0x2d);
  });
});

describe("virtual authenticator: persistence", () => {
  it("should keep credentials, PIN policy, retries and attestation across restarts, and never the PIN", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-vkey-"));
    dirs.push(dir);
    const statePath = join(dir, "key.json");
    const first = await setup({ statePath });
    await first.client.setPin("8675309");
    const cred = await makeCredential(first.client, { pin: "8675309" });
    await first.client.pinToken("0000000", 0x01);
    const text = readFileSync(statePath, "utf8");
    expect(text).not.toContain("8675309");
    expect(text).not.toContain(Buffer.from("8675309").toString("base64"));
    expect(text).not.toContain(Buffer.from("8675309").toString("hex"));

    const second = await setup({ statePath });
    expect(second.key.attestationRootPem).toBe(first.key.attestationRootPem);
    expect((await second.client.retries()).retries).toBe(7);
    expect(((await second.client.getInfo()).get(4) as CborMap).get("clientPin")).toBe(true);
    const t = await second.client.pinToken("8675309", 0x02, RP_ID);
    const clientDataHash = new Uint8Array(32).fill(3);
    const r = await second.client.cbor(
      0x02,
      new Map<number, CborValue>([
        [1, RP_ID],
        [2, clientDataHash],
        [6, second.client.authenticate(t.token!, clientDataHash)],
        [7, 2],
      ]),
    );
    expect(get<CborMap>(r.body, 1).get("id")).toEqual(cred.credentialId);
    const authData = get<Uint8Array>(r.body, 2);
    expect(verifySignature(cred.coseKey, Buffer.concat([authData, clientDataHash]), get(r.body, 3))).toBe(
      true,
    );
  });

  it("should re-issue the batch certificate under the same root when the AAGUID changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-vkey-"));
    dirs.push(dir);
    const statePath = join(dir, "key.json");
    const a = await VirtualKey.create({ statePath });
    const b = await VirtualKey.create({ statePath, aaguid: "ffeeddccbbaa99887766554433221100" });
    expect(b.attestationRootPem).toBe(a.attestationRootPem);
    expect(b.aaguidHex).toBe("ffeeddccbbaa99887766554433221100");
  });

  it("should refuse a state file that is not one, naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-vkey-"));
    dirs.push(dir);
    const statePath = join(dir, "key.json");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(statePath, '{"format":"something-else"}');
    await expect(VirtualKey.create({ statePath })).rejects.toThrow(statePath);
  });
});

describe("virtual authenticator: hostile requests", () => {
  it("should answer malformed CBOR and wrong parameter types with CTAP errors", async () => {
    const { client } = await setup();
    const raw = async (bytes: number[]) => (await client.transact(0x10, Uint8Array.from(bytes))).payload[0];
    expect(await raw([0x01, 0xa1])).toBe(0x12); // truncated map
    expect(await raw([0x01, 0xa2, 0x02, 0x00, 0x01, 0x00])).toBe(0x12); // keys out of order
    expect(await raw([0x01, 0x83, 0x01, 0x02, 0x03])).toBe(0x11); // not a map
    expect(await raw([0x01, 0xa1, 0x01, 0x01])).toBe(0x11); // clientDataHash is not bytes
    expect(await raw([0x01, 0xa0])).toBe(0x14); // nothing at all
    expect(await raw([0x06, 0xa1, 0x02, 0x02])).toBe(0x14); // getKeyAgreement without protocol
    expect(await raw([0x06, 0xa2, 0x01, 0x03, 0x02, 0x02])).toBe(0x02); // protocol 3
    expect(await raw([0x06, 0xa1, 0x02, 0x18, 0x63])).toBe(0x3e); // unknown subcommand
    expect(await raw([0x55])).toBe(0x01); // unknown command
  });

  it("should answer any random CBOR command with a status and keep working", async () => {
    const { client } = await setup();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(0x01, 0x02, 0x06, 0x08, 0x0a, 0x0d, 0x41),
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .dictionary(
              fc.integer({ min: 1, max: 10 }).map(String),
              fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 70 }), fc.string(), fc.boolean()),
            )
            .map((d) => encodeCanonical(new Map(Object.entries(d).map(([k, v]) => [Number(k), v])))),
        ),
        async (command, body) => {
          const reply = await client.transact(0x10, new Uint8Array([command, ...body]));
          expect(reply.cmd).toBe(0x10);
          expect(reply.payload.length).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 150 },
    );
    expect((await client.getInfo()).get(3)).toBeInstanceOf(Uint8Array);
  });
});
