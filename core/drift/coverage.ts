// Coverage: keys held / keys desired, overall, by group assignment and by profile. A key is desired when the
// plan gives it a key-scope judgement other than "gone" or "revoke" (retired slots and leavers are not
// desired); it is held when the plan keeps a fitting credential or adopts one the person already has.
import type { DesiredAssignment } from "../assignment.js";
import { type Coverage, type CoverageRow, INDIVIDUAL } from "./model.js";

export function summariseCoverage(
  keys: readonly { readonly assignment: DesiredAssignment; readonly held: boolean }[],
): Coverage {
  const groups = new Map<string, { held: number; desired: number }>();
  const profiles = new Map<string, { held: number; desired: number }>();
  let held = 0;
  for (const k of keys) {
    if (k.held) held++;
    tally(groups, k.assignment.group ?? INDIVIDUAL, k.held);
    tally(profiles, k.assignment.profile.name, k.held);
  }
  return {
    held,
    desired: keys.length,
    share: share(held, keys.length),
    byGroup: rows(groups),
    byProfile: rows(profiles),
  };
}

function tally(into: Map<string, { held: number; desired: number }>, name: string, held: boolean): void {
  const row = into.get(name) ?? { held: 0, desired: 0 };
  row.desired++;
  if (held) row.held++;
  into.set(name, row);
}

function rows(from: Map<string, { held: number; desired: number }>): CoverageRow[] {
  return [...from]
    .map(([name, r]) => ({ name, held: r.held, desired: r.desired, share: share(r.held, r.desired) }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function share(held: number, desired: number): number {
  return desired === 0 ? 1 : held / desired;
}

/** "87.5%", one decimal, never rounding a shortfall up to 100%. */
export function formatShare(share: number): string {
  const tenths = Math.floor(share * 1000 + 1e-9) / 10;
  return `${tenths}%`;
}
