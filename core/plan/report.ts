// A plan for people: one line per action (person, slot, what, why) and a summary sentence.
import type { Action } from "./actions.js";
import type { Plan } from "./plan.js";

const QUIET = new Set(["keep", "gone"]);

/** The table `keyfleet plan` prints; keep and gone rows only with `all`. */
export function formatPlanTable(p: Plan, opts: { all?: boolean } = {}): string {
  const rows = p.actions
    .filter((a) => opts.all || !QUIET.has(a.kind))
    .map((a) => [a.kind, a.userPrincipalName ?? a.personId ?? "", a.slot ?? "", detail(a)]);
  if (rows.length === 0) return "";
  const head = ["ACTION", "PERSON", "SLOT", "REASON"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

function detail(a: Action): string {
  switch (a.kind) {
    case "provision":
    case "replace":
      return `${a.reason} [${a.profile} g${a.generation}]`;
    case "revoke":
      return a.methodIds.length > 0 ? `${a.reason} [${a.methodIds.join(", ")}]` : a.reason;
    case "adopt":
    case "keep":
    case "revoke-retired":
      return a.reason;
    default:
      return a.reason;
  }
}

export function formatPlanSummary(p: Plan): string {
  const c = p.summary.counts;
  const parts = [
    `${c.provision} to provision`,
    `${c.adopt} to adopt`,
    `${c.replace} to replace`,
    `${p.summary.revocations} credential(s) to revoke`,
    `${c["revoke-retired"]} retiring to revoke`,
    `${c.keep} kept`,
    `${c.wait} waiting`,
    `${c.gone} gone`,
    `${c.unresolved} unresolved`,
    `${c["unmanaged-report"]} unmanaged reported`,
    `${c["unmanaged-remove"]} unmanaged to remove`,
  ];
  const lines = [`${p.summary.desiredKeys} desired keys: ${parts.join(", ")}`];
  for (const n of p.notices) lines.push(`NOTE (${n.kind}): ${n.message}`);
  if (p.blocked) for (const r of p.blockedReasons) lines.push(`BLOCKED: ${r}`);
  else if (!p.hasWork) lines.push("Nothing to do.");
  return lines.join("\n");
}
