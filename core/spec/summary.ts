// What a valid spec holds, counted for `keyfleet validate` (group members are only known to a plan).
import type { Spec } from "./model.js";

export interface SpecSummary {
  readonly people: number;
  /** Slots people name themselves, by state. */
  readonly slots: { readonly active: number; readonly lost: number; readonly retired: number };
  readonly groups: number;
  /** Keys each member of each group gets, summed over groups. */
  readonly groupKeysPerMember: number;
  readonly profiles: number;
  readonly inventory: number;
  readonly leaving: number;
  readonly unmanaged: "report" | "remove";
}

export function summariseSpec(spec: Spec): SpecSummary {
  const slots = { active: 0, lost: 0, retired: 0 };
  for (const p of spec.people) for (const s of p.slots) slots[s.state]++;
  return {
    people: spec.people.length,
    slots,
    groups: spec.groups.length,
    groupKeysPerMember: spec.groups.reduce((n, g) => n + g.keys, 0),
    profiles: spec.profiles.length,
    inventory: spec.inventory.length,
    leaving: spec.people.filter((p) => p.leaving !== undefined).length,
    unmanaged: spec.policy.unmanaged.action,
  };
}

export function formatSummary(s: SpecSummary, files: number): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return [
    `${plural(files, "file")}: ${plural(s.people, "person").replace("persons", "people")}, ${plural(s.slots.active + s.slots.lost, "key")} named (${s.slots.lost} lost, ${s.slots.retired} retired slots), ${plural(s.profiles, "profile")}, ${plural(s.inventory, "inventory key")}`,
    `${plural(s.groups, "group assignment")} (${plural(s.groupKeysPerMember, "key")} per member in total), ${s.leaving} leaving, unmanaged credentials: ${s.unmanaged}`,
  ].join("\n");
}
