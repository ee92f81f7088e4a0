// The key profile a task carries to the station (core/tasks TaskProfile), built once from a desired
// assignment, and its fingerprint: the plan compares a pending task's profile with today's to know that the
// task was raised under older settings and must be superseded, as the provider does.
import type { DesiredAssignment } from "../assignment.js";
import type { InventoryKey, KeyProfile } from "../spec/model.js";
import type { TaskProfile } from "../tasks/model.js";
import { assignmentDisplayName } from "./keyName.js";

export function taskProfileOf(a: DesiredAssignment, inventory: readonly InventoryKey[]): TaskProfile {
  return {
    name: a.profile.name,
    allowedAaguids: [...a.profile.aaguids],
    allowedModels: [...a.profile.models],
    pinLength: a.profile.pin.length,
    forceChangePin: a.profile.pin.forceChange,
    credProtect: a.profile.credProtect,
    displayName: assignmentDisplayName(a, inventory),
    // The station checks the plugged key against the slot's inventory serial (read from the key, not typed in).
    ...(a.serial !== undefined ? { serials: [a.serial] } : {}),
  };
}

/**
 * A stable fingerprint of the settings a station acts on (field order does not matter). The inventory
 * serials come last and only when the slot names some, so a profile without serials keeps the fingerprint
 * it had before serials existed (no task is superseded for nothing) while a changed serial supersedes.
 */
export function profileKey(p: TaskProfile): string {
  const parts: unknown[] = [
    p.name,
    [...p.allowedAaguids].map((x) => x.toLowerCase()).sort(),
    [...p.allowedModels].sort(),
    p.pinLength,
    p.forceChangePin,
    p.credProtect,
    p.displayName,
  ];
  if (p.serials && p.serials.length > 0) parts.push([...p.serials].sort());
  return JSON.stringify(parts);
}

/** profileKey's text up to the display name, per spec profile: the part that 100,000 slots share. */
const keyHeads = new WeakMap<KeyProfile, string>();

/**
 * profileKey(taskProfileOf(a, inventory)) without building the TaskProfile: the plan needs only the
 * fingerprint and the display name, once per desired key.
 */
export function assignmentProfileKey(profile: KeyProfile, displayName: string, serial?: string): string {
  let head = keyHeads.get(profile);
  if (head === undefined) {
    const whole = profileKey({
      name: profile.name,
      allowedAaguids: [...profile.aaguids],
      allowedModels: [...profile.models],
      pinLength: profile.pin.length,
      forceChangePin: profile.pin.forceChange,
      credProtect: profile.credProtect,
      displayName: "",
    });
    // The display name is the array's last element, `""` before the closing bracket.
    head = whole.slice(0, -3);
    keyHeads.set(profile, head);
  }
  const serials = serial !== undefined ? `,${JSON.stringify([serial])}` : "";
  return `${head}${JSON.stringify(displayName)}${serials}]`;
}
