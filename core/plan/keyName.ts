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
  const item = a.serial === undefined ? undefined : serialsOf(inventory).get(a.serial);
  const template = a.profile.displayName;
  const model = item?.model ?? a.profile.models[0];
  // Most templates leave the UPN out, so a fleet's names repeat: rendered once per distinct input. Only the
  // fields the template names can change the result (renderDisplayName shrinks only those).
  const upn = template.includes("{upn}") ? (a.userPrincipalName ?? "") : "";
  const key = `${template}\u0000${a.slot}\u0000${a.serial ?? ""}\u0000${model ?? ""}\u0000${a.profile.name}\u0000${upn}`;
  let name = rendered.get(key);
  if (name === undefined) {
    name = renderDisplayName(
      template,
      { slot: a.slot, serial: a.serial, model, profile: a.profile.name, upn: a.userPrincipalName },
      DISPLAY_NAME_BUDGET,
    );
    if (rendered.size >= RENDERED_MAX) rendered.clear();
    rendered.set(key, name);
  }
  return name;
}

/** Rendered names by their inputs; bounded, as a long-lived provider process plans many times. */
const rendered = new Map<string, string>();
const RENDERED_MAX = 20_000;

const serialIndex = new WeakMap<readonly InventoryKey[], Map<string, InventoryKey>>();

/** The inventory by serial (the first entry of each serial, as a linear search would find it). */
function serialsOf(inventory: readonly InventoryKey[]): Map<string, InventoryKey> {
  let index = serialIndex.get(inventory);
  if (index === undefined) {
    index = new Map();
    for (const k of inventory) if (!index.has(k.serial)) index.set(k.serial, k);
    serialIndex.set(inventory, index);
  }
  return index;
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
