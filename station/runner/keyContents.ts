// What a key without a PIN reveals about the credentials it already holds, asked honestly (see the README's
// "Reused keys"). getInfo says nothing that settles it: remainingDiscoverableCredentials (0x14) is an
// estimate of free slots, and a fresh key's capacity is not in getInfo to compare it with. Credential
// management needs a pinUvAuthToken, so it cannot count until a PIN is set. What remains before the PIN:
// a silent getAssertion (up=false, no UV, no allow list) per known relying party, which finds that RP's
// discoverable credentials of credProtect level 1 only (levels 2 and 3 need UV without an allow list,
// CTAP 2.1 §6.2.2 and §12.1). Once the station has set its PIN, credential management counts every
// discoverable credential on a key that has it. Non-discoverable credentials live in their ids, held by
// the relying parties, and no command reveals them; a reset makes them unusable all the same.
import { createHash, randomBytes } from "node:crypto";
import { ClientPin, Permission } from "../ctap2/clientPin.js";
import { CredentialManagement } from "../ctap2/credentialManagement.js";
import { CtapError, CtapStatus } from "../ctap2/errors.js";
import { getAssertion } from "../ctap2/getAssertion.js";
import { features } from "../ctap2/getInfo.js";
import { type CeremonyState, callOpts } from "./ceremony.js";

/** Relying parties looked for on a key without a PIN: Entra's (passkeys for Entra ID are made for it). */
export const KNOWN_RP_IDS: readonly string[] = ["login.microsoft.com"];

export interface SilentFinding {
  rpId: string;
  /** Discoverable credentials the key answered with (numberOfCredentials, or 1). */
  count: number;
}

export interface SilentLook {
  found: SilentFinding[];
  /** Relying parties the key would not answer for without UV (e.g. alwaysUv): unknown, not empty. */
  unanswered: string[];
}

/**
 * Silent discovery for each relying party: no touch, no PIN. NO_CREDENTIALS means none of credProtect 1
 * there; any other refusal leaves that RP unknown.
 */
export async function silentLook(
  s: CeremonyState,
  rpIds: readonly string[] = KNOWN_RP_IDS,
): Promise<SilentLook> {
  const out: SilentLook = { found: [], unanswered: [] };
  for (const rpId of rpIds) {
    // A client data hash no relying party issued: the assertion it yields proves nothing to anyone.
    const clientDataHash = createHash("sha256")
      .update("keyfleet reuse check")
      .update(randomBytes(16))
      .digest();
    try {
      const a = await getAssertion(s.ctap!, { rpId, clientDataHash, options: { up: false } }, callOpts(s));
      out.found.push({ rpId, count: a.numberOfCredentials ?? 1 });
    } catch (e) {
      if (CtapError.isInstance(e) && e.status === CtapStatus.NO_CREDENTIALS) continue;
      if (CtapError.isInstance(e)) out.unanswered.push(rpId);
      else throw e;
    }
  }
  return out;
}

/** The reason to offer a reset for what the silent look found, or undefined. */
export function silentReason(look: SilentLook): string | undefined {
  if (look.found.length === 0) return undefined;
  const what = look.found.map((f) => `${f.count} for ${f.rpId}`).join(", ");
  return `the key has no PIN but holds discoverable credentials (${what}): it was used before`;
}

/**
 * Discoverable credentials on the key, counted through credential management with the PIN the station
 * has just set; undefined on a key without credential management (CTAP 2.0): it cannot be counted.
 */
export async function countDiscoverable(s: CeremonyState): Promise<number | undefined> {
  const command = features.credentialManagementCommand(s.info!);
  if (command === undefined || !s.pin) return undefined;
  const token = await new ClientPin(s.ctap!, s.info!).getToken(
    s.pin,
    { permissions: Permission.CREDENTIAL_MANAGEMENT },
    callOpts(s),
  );
  try {
    const meta = await new CredentialManagement(s.ctap!, command, token).metadata(callOpts(s));
    return meta.existingResidentCredentialsCount;
  } finally {
    token.dispose();
  }
}
