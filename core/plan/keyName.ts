// The displayName a key's credential is registered under, decided once for the plan, the providers and the
// station: the profile's template rendered within Entra's 30 characters less the room the station's
// registration marker needs, and the marker itself (a delimited random token the station records before the
// Graph POST, so that after an ambiguous failure it recognises its own registration when the credential id
// alone cannot be matched). Lengths are counted in UTF-16 code units, the unit Graph counts in.
import { randomBytes } from "node:crypto";
import type { DesiredAssignment } from "../assignment.js";
import { renderDisplayName } from "../spec/displayName.js";
import type { InventoryKey } from "../spec/model.js";
import { DISPLAY_NAME_MAX } from "../spec/schema.js";

/** Characters in a marker's token: at least 8, from an alphabet that survives any display. */
export const MARKER_TOKEN_LENGTH = 8;
const MARKER_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
/** " [" + token + "]". */
export const MARKER_LENGTH = MARKER_TOKEN_LENGTH + 3;
/** What is left of Entra's 30 characters for the rendered template. */
export const DISPLAY_NAME_BUDGET = DISPLAY_NAME_MAX - MARKER_LENGTH;

const MARKER = /\[([a-z2-9]{8})\]$/;

/** The name for an assignment: its profile's template with the slot, model, serial, profile and UPN. */
export function assignmentDisplayName(a: DesiredAssignment, inventory: readonly InventoryKey[]): string {
  const item = a.serial === undefined ? undefined : inventory.find((k) => k.serial === a.serial);
  return renderDisplayName(
    a.profile.displayName,
    {
      slot: a.slot,
      serial: a.serial,
      model: item?.model ?? a.profile.models[0],
      profile: a.profile.name,
      upn: a.userPrincipalName,
    },
    DISPLAY_NAME_BUDGET,
  );
}

/** A fresh random marker token (crypto RNG). */
export function newMarkerToken(): string {
  const bytes = randomBytes(MARKER_TOKEN_LENGTH);
  let out = "";
  for (const b of bytes) out += MARKER_ALPHABET[b % MARKER_ALPHABET.length];
  return out;
}

/** The name registered with Graph: the rendered name and the marker, within 30 UTF-16 code units. */
export function withRegistrationMarker(name: string, token: string): string {
  if (!/^[a-z2-9]{8}$/.test(token)) throw new RangeError("a marker token is 8 characters of [a-z2-9]");
  const base = name.length > DISPLAY_NAME_BUDGET ? name.slice(0, DISPLAY_NAME_BUDGET).trimEnd() : name;
  return `${base} [${token}]`;
}

/** The marker token a registered name carries, if any. */
export function registrationMarkerOf(displayName: string | null | undefined): string | undefined {
  return MARKER.exec(displayName ?? "")?.[1];
}
