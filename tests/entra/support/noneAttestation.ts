// A minimal software authenticator for the Entra client's tests: answers Entra's creationOptions with a
// fresh P-256 credential and a `none` attestation (the emulator's default policy accepts unattested keys).
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { Encoder } from "cbor-x";
import type { PublicKeyCredentialPayload } from "../../../core/entra/index.js";

// Plain CBOR in shortest form (no record extension, no typed-array tags), as an authenticator writes it.
const cbor = new Encoder({ useRecords: false, tagUint8Array: false, variableMapSize: true });
const encode = (value: unknown) => cbor.encode(value);

export interface MadeCredential {
  credentialId: Uint8Array;
  publicKeyCredential: PublicKeyCredentialPayload;
}

export function makeNoneCredential(options: { publicKey: Record<string, unknown> }): MadeCredential {
  const pk = options.publicKey as { challenge: string; rp?: { id?: string } };
  const rpId = pk.rp?.id ?? "login.microsoft.com";
  const credentialId = randomBytes(32);
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = publicKey.export({ format: "jwk" }) as { x: string; y: string };
  // COSE_Key {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}, written out in canonical CBOR.
  const cose = Buffer.concat([
    Buffer.from("a50102032620012158 20".replace(" ", ""), "hex"),
    Buffer.from(jwk.x, "base64url"),
    Buffer.from("225820", "hex"),
    Buffer.from(jwk.y, "base64url"),
  ]);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(credentialId.length);
  const authData = Buffer.concat([
    createHash("sha256").update(rpId).digest(),
    Buffer.from([0x45]), // UP | UV | AT
    Buffer.alloc(4),
    Buffer.alloc(16), // AAGUID zero: a software key
    idLength,
    credentialId,
    cose,
  ]);
  const attestationObject = Buffer.from(encode({ fmt: "none", attStmt: {}, authData }));
  const clientDataJSON = Buffer.from(
    JSON.stringify({
      type: "webauthn.create",
      challenge: pk.challenge,
      origin: `https://${rpId}`,
      crossOrigin: false,
    }),
  );
  return {
    credentialId,
    publicKeyCredential: {
      id: credentialId.toString("base64url"),
      response: {
        clientDataJSON: clientDataJSON.toString("base64url"),
        attestationObject: attestationObject.toString("base64url"),
      },
    },
  };
}
