// What the ceremony asks of the key besides registering: the self-test (a getAssertion with the new
// credential, its signature checked against the public key the key returned), deleting an orphan
// credential (made but never registered) through credential management, and the attestation
// certificate's fingerprint for the record.
import { createHash } from "node:crypto";
import { type CborMap, decodeStrict } from "../cbor.js";
import { ClientPin, Permission } from "../ctap2/clientPin.js";
import { CredentialManagement } from "../ctap2/credentialManagement.js";
import { getAssertion } from "../ctap2/getAssertion.js";
import { features } from "../ctap2/getInfo.js";
import { parseAuthenticatorData } from "../webauthn/authData.js";
import { fromBase64Url } from "../webauthn/base64url.js";
import { verifyAssertionSignature } from "../webauthn/coseKey.js";
import { WebAuthnError } from "../webauthn/errors.js";
import type { RegistrationOutcome } from "../webauthn/registration.js";
import { type CeremonyState, callOpts } from "./ceremony.js";

/** getAssertion with the new credential (UV by PIN) and its signature verified. */
export async function selfTest(s: CeremonyState, made: RegistrationOutcome): Promise<void> {
  const rpId = made.plan.rp.id;
  const hash = createHash("sha256").update(made.plan.clientDataHash).update("keyfleet self-test").digest();
  const token = await new ClientPin(s.ctap!, s.info!).getToken(
    s.pin!,
    { permissions: Permission.GET_ASSERTION, rpId },
    callOpts(s),
  );
  let assertion: Awaited<ReturnType<typeof getAssertion>>;
  try {
    assertion = await getAssertion(
      s.ctap!,
      {
        rpId,
        clientDataHash: hash,
        allowList: [{ id: made.credentialId, type: "public-key" }],
        pinUvAuthParam: token.authenticate(hash),
        pinUvAuthProtocol: token.protocol.version,
      },
      callOpts(s),
    );
  } finally {
    token.dispose();
  }
  const cred = made.authData.attestedCredential;
  if (!cred) throw new WebAuthnError("verification-failed", "the registration carried no public key");
  const signed = parseAuthenticatorData(assertion.authData);
  if (Buffer.compare(signed.rpIdHash, made.authData.rpIdHash) !== 0)
    throw new WebAuthnError("verification-failed", "the self-test assertion is for another relying party");
  if (assertion.credentialId && Buffer.compare(assertion.credentialId, made.credentialId) !== 0)
    throw new WebAuthnError("verification-failed", "the self-test answered with another credential");
  if (!verifyAssertionSignature(cred.publicKey, assertion.authData, hash, assertion.signature))
    throw new WebAuthnError("verification-failed", "the self-test signature does not verify");
}

/**
 * Deletes a credential from the key (credential management, cm permission). Returns false when the key
 * has no credential management or the PIN is gone: the caller then reports the orphan instead.
 */
export async function deleteKeyCredential(s: CeremonyState, credentialId: Uint8Array): Promise<boolean> {
  const command = s.info ? features.credentialManagementCommand(s.info) : undefined;
  if (command === undefined || !s.pin || s.pin.every((b) => b === 0) || !s.ctap) return false;
  const token = await new ClientPin(s.ctap, s.info!).getToken(
    s.pin,
    { permissions: Permission.CREDENTIAL_MANAGEMENT },
    callOpts(s),
  );
  try {
    await new CredentialManagement(s.ctap, command, token).deleteCredential(credentialId, callOpts(s));
    return true;
  } finally {
    token.dispose();
  }
}

/** SHA-256 (hex) of the attestation certificate (x5c[0]) the key sent, when it sent one. */
export function attestationFingerprint(made: RegistrationOutcome): { attestationCertSha256?: string } {
  try {
    const att = decodeStrict(fromBase64Url(made.body.publicKeyCredential.response.attestationObject));
    const stmt = att instanceof Map ? att.get("attStmt") : undefined;
    const x5c = stmt instanceof Map ? (stmt as CborMap).get("x5c") : undefined;
    const leaf = Array.isArray(x5c) ? x5c[0] : undefined;
    if (!(leaf instanceof Uint8Array)) return {};
    return { attestationCertSha256: createHash("sha256").update(leaf).digest("hex") };
  } catch {
    return {};
  }
}
