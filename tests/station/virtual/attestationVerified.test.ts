// An independent verifier judges the virtual key's packed attestation: @simplewebauthn/server, trusting
// only the key's exported root, accepts a registration made with it — as the Graph emulator will.
import { randomBytes } from "node:crypto";
import { SettingsService, verifyRegistrationResponse } from "@simplewebauthn/server";
import { describe, expect, it } from "vitest";
import { type CborMap, encodeCanonical } from "../../../station/cbor.js";
import { sha256 } from "../../../station/virtual/authenticator.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";
import { get, makeCredentialParams, TestClient } from "./testClient.js";

describe("virtual key attestation", () => {
  it("should be accepted by @simplewebauthn/server trusting only the exported root", async () => {
    const key = await VirtualKey.create({ aaguid: "a1b2c3d4-0000-4000-8000-00000000beef" });
    const client = await TestClient.open(key);
    try {
      expect(await client.setPin("246810")).toBe(0);
      const rpId = "login.microsoft.com";
      const { token } = await client.pinToken("246810", 0x01, rpId);
      const challenge = Buffer.from(randomBytes(32)).toString("base64url");
      const clientDataJSON = Buffer.from(
        JSON.stringify({ type: "webauthn.create", challenge, origin: `https://${rpId}`, crossOrigin: false }),
      );
      const r = await client.cbor(
        0x01,
        makeCredentialParams({ clientDataHash: sha256(clientDataJSON), rk: true, token: token!, rpId }),
      );
      expect(r.status).toBe(0);
      const attestationObject = encodeCanonical(
        new Map<string, Uint8Array | string | CborMap>([
          ["fmt", get<string>(r.body, 1)],
          ["attStmt", get<CborMap>(r.body, 3)],
          ["authData", get<Uint8Array>(r.body, 2)],
        ]),
      );
      const authData = get<Uint8Array>(r.body, 2);
      const idLength = (authData[53]! << 8) | authData[54]!;
      const id = Buffer.from(authData.subarray(55, 55 + idLength)).toString("base64url");

      const verify = () =>
        verifyRegistrationResponse({
          response: {
            id,
            rawId: id,
            type: "public-key",
            clientExtensionResults: {},
            response: {
              clientDataJSON: clientDataJSON.toString("base64url"),
              attestationObject: Buffer.from(attestationObject).toString("base64url"),
            },
          },
          expectedChallenge: challenge,
          expectedOrigin: `https://${rpId}`,
          expectedRPID: rpId,
          requireUserVerification: true,
        });
      // A root that did not issue the batch certificate must not do: the chain is really checked.
      const stranger = await VirtualKey.create();
      SettingsService.setRootCertificates({
        identifier: "packed",
        certificates: [stranger.attestationRootPem],
      });
      await expect(verify()).rejects.toThrow();
      SettingsService.setRootCertificates({ identifier: "packed", certificates: [key.attestationRootPem] });
      const verification = await verify();
      expect(verification.verified).toBe(true);
      expect(verification.registrationInfo?.aaguid).toBe("a1b2c3d4-0000-4000-8000-00000000beef");
      expect(verification.registrationInfo?.fmt).toBe("packed");
    } finally {
      await client.close();
      SettingsService.setRootCertificates({ identifier: "packed", certificates: [] });
    }
  });
});
