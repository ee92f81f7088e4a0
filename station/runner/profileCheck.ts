// Does this key fit this task's profile? Pure: getInfo and the profile in, a verdict with plain-word
// reasons out. Hard misfits refuse the key for the task; soft ones (a CTAP 2.1 feature the profile would
// use where the key supports it) are notes the operator sees.
import type { TaskProfile } from "../../core/tasks/model.js";
import { type AuthenticatorInfo, features } from "../ctap2/getInfo.js";

export interface ProfileFit {
  fits: boolean;
  /** Why the key cannot serve the profile (empty when it fits). */
  refusals: string[];
  /** What the key will not do that the profile would like (it still fits). */
  notes: string[];
  /** The PIN length to set: the profile's, or the key's minimum when that is longer. */
  pinLength: number;
  /** Whether setMinPINLength / forceChangePin can be used on this key. */
  canSetMinPinLength: boolean;
}

export function checkProfileFit(info: AuthenticatorInfo, profile: TaskProfile, model?: string): ProfileFit {
  const refusals: string[] = [];
  const notes: string[] = [];
  const aaguids = profile.allowedAaguids.map((a) => a.toLowerCase());
  if (aaguids.length > 0 && !aaguids.includes(info.aaguid)) {
    const wanted = profile.allowedModels.length > 0 ? profile.allowedModels.join(", ") : aaguids.join(", ");
    refusals.push(`profile '${profile.name}' takes ${wanted}; this key is ${model ?? info.aaguid}`);
  }
  if (info.options.clientPin === undefined) refusals.push("the key cannot hold a PIN");
  if (info.options.rk !== true) refusals.push("the key cannot store discoverable credentials");
  if (profile.credProtect > 1 && !info.extensions.includes("credProtect"))
    refusals.push(`the profile asks credProtect level ${profile.credProtect}; the key lacks credProtect`);
  const canSetMinPinLength = info.options.setMinPINLength === true && features.isCtap21(info);
  if (profile.forceChangePin && !canSetMinPinLength)
    notes.push("the key cannot force a PIN change on first use (no CTAP 2.1 setMinPINLength)");
  const pinLength = Math.max(profile.pinLength, info.minPINLength);
  if (pinLength > 63) refusals.push(`a PIN of ${pinLength} digits is longer than CTAP allows (63)`);
  return { fits: refusals.length === 0, refusals, notes, pinLength, canSetMinPinLength };
}

/** Why a key must be erased before provisioning, or undefined when it is fresh. */
export function resetNeeded(info: AuthenticatorInfo): string | undefined {
  if (info.options.clientPin === true) return "the key already has a PIN (it was used before)";
  return undefined;
}
