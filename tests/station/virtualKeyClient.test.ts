// Keyfleet's client against the virtual authenticator, in process and over UDP: set a PIN, register
// through Entra-shaped creationOptions, and have @simplewebauthn/server verify the registration body.
import { createHash } from "node:crypto";
import { verifyRegistrationResponse } from "@simplewebauthn/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeStrict } from "../../station/cbor.js";
import { ClientPin } from "../../station/ctap2/clientPin.js";
import { Ctap2 } from "../../station/ctap2/ctap2.js";
import { CtapError } from "../../station/ctap2/errors.js";
import { type AuthenticatorInfo, getInfo } from "../../station/ctap2/getInfo.js";
import { CtapHidDevice } from "../../station/ctaphid/hidDevice.js";
import { openDevice } from "../../station/transport/openDevice.js";
import { openVirtualConnection } from "../../station/virtual/connection.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../station/virtual/udpServer.js";
import { VirtualKey } from "../../station/virtual/virtualKey.js";
import { registerCredential } from "../../station/webauthn/registration.js";
import { entraCreationOptions } from "./entraFixture.js";

const PIN = Buffer.from("271828");

async function verify(body: Awaited<ReturnType<typeof registerCredential>>["body"], challenge: string) {
  return verifyRegistrationResponse({
    response: {
      id: body.publicKeyCredential.id,
      rawId: body.publicKeyCredential.id,
      response: body.publicKeyCredential.response,
      clientExtensionResults: {},
      type: "public-key",
    },
    expectedChallenge: challenge,
    expectedOrigin: "https://login.microsoft.com",
    expectedRPID: "login.microsoft.com",
    requireUserVerification: true,
  });
}

const transports: [string, () => Promise<{ device: CtapHidDevice; stop: () => Promise<void> }>][] = [
  [
    "in process",
    async () => {
      const key = await VirtualKey.create({ keepaliveIntervalMs: 20 });
      return { device: await CtapHidDevice.open(openVirtualConnection(key)), stop: async () => {} };
    },
  ],
  [
    "over UDP",
    async () => {
      const server: VirtualKeyUdpServer = await startVirtualKeyUdp({ port: 0 });
      const device = await openDevice(`udp:127.0.0.1:${server.address.port}`, { udpLocalPort: 0 });
      return { device, stop: () => server.close() };
    },
  ],
];

for (const [name, start] of transports) {
  describe(`Keyfleet client driving the virtual key ${name}`, () => {
    let device: CtapHidDevice;
    let stop: () => Promise<void>;
    let ctap: Ctap2;
    let info: AuthenticatorInfo;

    beforeAll(async () => {
      ({ device, stop } = await start());
      ctap = new Ctap2(device);
      info = await getInfo(ctap);
    });
    afterAll(async () => {
      await device.close();
      await stop();
    });

    it("should read getInfo: CTAP 2.1, both PIN protocols, no PIN yet", () => {
      expect(info.versions).toContain("FIDO_2_1");
      expect(info.pinUvAuthProtocols).toEqual(expect.arrayContaining([1, 2]));
      expect(info.options.clientPin).toBe(false);
      expect(info.aaguid).toMatch(/^[0-9a-f]{8}-/);
    });

    it("should set a PIN and read the retries", async () => {
      await new ClientPin(ctap, info).setPin(PIN);
      info = await getInfo(ctap);
      expect(info.options.clientPin).toBe(true);
      expect((await new ClientPin(ctap, info).getRetries()).retries).toBe(8);
    });

    it("should get PIN tokens with protocol 1 and protocol 2", async () => {
      for (const protocol of [1, 2] as const) {
        const token = await new ClientPin(ctap, info, { protocol }).getToken(PIN, {
          permissions: 1,
          rpId: "login.microsoft.com",
        });
        expect(token.protocol.version).toBe(protocol);
        token.dispose();
      }
    });

    it("should report a wrong PIN as PIN_INVALID and count down the retries", async () => {
      const e = await new ClientPin(ctap, info)
        .getToken(Buffer.from("000000"), { permissions: 1 })
        .catch((x: unknown) => x);
      expect(CtapError.isInstance(e) && e.code).toBe("PIN_INVALID");
      expect((await new ClientPin(ctap, info).getRetries()).retries).toBe(7);
      await new ClientPin(ctap, info).getToken(PIN, { permissions: 1 });
    });

    let credentialIdB64 = "";
    it("should register from Entra-shaped creationOptions with a body @simplewebauthn/server accepts", async () => {
      const options = entraCreationOptions();
      const outcome = await registerCredential({
        ctap,
        creationOptions: options,
        pin: PIN,
        displayName: "Kim's key",
      });
      const challenge = (options.publicKey as { challenge: string }).challenge;
      const clientData = Buffer.from(
        outcome.body.publicKeyCredential.response.clientDataJSON,
        "base64url",
      ).toString();
      expect(clientData).toBe(
        `{"type":"webauthn.create","challenge":"${challenge}","origin":"https://login.microsoft.com","crossOrigin":false}`,
      );
      const verdict = await verify(outcome.body, challenge);
      expect(verdict.verified).toBe(true);
      expect(verdict.registrationInfo?.fmt).toBe("packed");
      expect(verdict.registrationInfo?.aaguid).toBe(outcome.aaguid);
      const ext = outcome.authData.extensions;
      expect(ext?.get("credProtect")).toBe(1);
      expect(ext?.get("hmac-secret")).toBe(true);
      const att = decodeStrict(
        Buffer.from(outcome.body.publicKeyCredential.response.attestationObject, "base64url"),
      ) as Map<string, unknown>;
      expect([...att.keys()]).toEqual(["fmt", "attStmt", "authData"]);
      expect(Buffer.from(outcome.authData.rpIdHash).toString("hex")).toBe(
        createHash("sha256").update("login.microsoft.com").digest("hex"),
      );
      credentialIdB64 = outcome.body.publicKeyCredential.id;
    });

    it("should refuse to register the same key twice, whichever encoding Graph used for the excluded id", async () => {
      const raw = Buffer.from(credentialIdB64, "base64url");
      const std = raw.toString("base64");
      const padding = (std.match(/=+$/)?.[0] ?? "").length;
      for (const id of [std, credentialIdB64, `${credentialIdB64}${padding}`]) {
        const options = entraCreationOptions({ excludeIds: [id] });
        const e = await registerCredential({
          ctap,
          creationOptions: options,
          pin: PIN,
          displayName: "again",
        }).catch((x: unknown) => x);
        expect(CtapError.isInstance(e) && e.code, id).toBe("CREDENTIAL_EXCLUDED");
      }
    });
  });
}
