// `keyfleet key test`: a throwaway ceremony on a test relying party — PIN token, makeCredential (not
// discoverable, so no slot is used), getAssertion, and the signature checked with node:crypto against
// the public key the key just returned. Sets the PIN first when the key has none and one is given.
import { createHash, randomBytes } from "node:crypto";
import { ClientPin, Permission } from "../ctap2/clientPin.js";
import { getAssertion } from "../ctap2/getAssertion.js";
import { getInfo } from "../ctap2/getInfo.js";
import { makeCredential } from "../ctap2/makeCredential.js";
import { AuthDataFlag, parseAuthenticatorData } from "../webauthn/authData.js";
import { coseKeyAlg, verifyAssertionSignature } from "../webauthn/coseKey.js";
import { WebAuthnError } from "../webauthn/errors.js";
import type { KeySession } from "./session.js";

export const TEST_RP_ID = "keyfleet.test";

export interface KeyTestReport {
  rpId: string;
  aaguid: string;
  fmt: string;
  alg: number;
  credentialIdBytes: number;
  pinSetNow: boolean;
  userVerified: boolean;
  signatureValid: boolean;
}

export async function testKey(
  session: KeySession,
  opts: { pin?: Uint8Array; rpId?: string; onKeepalive?: (status: number) => void; timeoutMs?: number },
): Promise<KeyTestReport> {
  const { ctap } = session;
  const call = {
    timeoutMs: opts.timeoutMs ?? 30_000,
    ...(opts.onKeepalive ? { onKeepalive: opts.onKeepalive } : {}),
  };
  const rpId = opts.rpId ?? TEST_RP_ID;
  let info = session.info;
  let pinSetNow = false;
  if (opts.pin === undefined)
    throw new WebAuthnError("pin-required", "the key's PIN is needed (or the PIN to set on a new key)");
  if (info.options.clientPin !== true) {
    if (info.options.clientPin === undefined)
      throw new WebAuthnError("key-unsupported", "the key does not support a PIN");
    await new ClientPin(ctap, info).setPin(opts.pin, call);
    info = await getInfo(ctap, call);
    pinSetNow = true;
  }
  const pins = new ClientPin(ctap, info);

  const makeHash = createHash("sha256").update(randomBytes(32)).digest();
  const mcToken = await pins.getToken(opts.pin, { permissions: Permission.MAKE_CREDENTIAL, rpId }, call);
  const made = await makeCredential(
    ctap,
    {
      clientDataHash: makeHash,
      rp: { id: rpId, name: "Keyfleet key test" },
      user: { id: randomBytes(16), name: "keyfleet-test", displayName: "Keyfleet key test" },
      pubKeyCredParams: [
        { alg: -7, type: "public-key" },
        { alg: -8, type: "public-key" },
      ],
      pinUvAuthParam: mcToken.authenticate(makeHash),
      pinUvAuthProtocol: mcToken.protocol.version,
    },
    call,
  ).finally(() => mcToken.dispose());
  const created = parseAuthenticatorData(made.authData);
  const cred = created.attestedCredential;
  if (!cred) throw new WebAuthnError("verification-failed", "makeCredential returned no credential");
  const rpIdHash = createHash("sha256").update(rpId).digest();
  if (Buffer.compare(created.rpIdHash, rpIdHash) !== 0)
    throw new WebAuthnError("verification-failed", "makeCredential rpIdHash differs");

  // A fresh token: keys may clear a token's permissions after makeCredential.
  const gaHash = createHash("sha256").update(randomBytes(32)).digest();
  const gaToken = await pins.getToken(opts.pin, { permissions: Permission.GET_ASSERTION, rpId }, call);
  const assertion = await getAssertion(
    ctap,
    {
      rpId,
      clientDataHash: gaHash,
      allowList: [{ id: cred.credentialId, type: "public-key" }],
      pinUvAuthParam: gaToken.authenticate(gaHash),
      pinUvAuthProtocol: gaToken.protocol.version,
    },
    call,
  ).finally(() => gaToken.dispose());
  const asserted = parseAuthenticatorData(assertion.authData);
  if (Buffer.compare(asserted.rpIdHash, rpIdHash) !== 0)
    throw new WebAuthnError("verification-failed", "getAssertion rpIdHash differs");
  if (assertion.credentialId && Buffer.compare(assertion.credentialId, cred.credentialId) !== 0) {
    throw new WebAuthnError("verification-failed", "getAssertion answered with another credential");
  }
  const signatureValid = verifyAssertionSignature(
    cred.publicKey,
    assertion.authData,
    gaHash,
    assertion.signature,
  );
  if (!signatureValid)
    throw new WebAuthnError("verification-failed", "the assertion signature does not verify");
  return {
    rpId,
    aaguid: cred.aaguid,
    fmt: made.fmt,
    alg: coseKeyAlg(cred.publicKey),
    credentialIdBytes: cred.credentialId.length,
    pinSetNow,
    userVerified: (asserted.flags & AuthDataFlag.UV) !== 0,
    signatureValid,
  };
}
