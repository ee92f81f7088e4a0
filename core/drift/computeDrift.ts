// computeDrift(spec, actual, options): where git (the specs), the task store and Entra disagree. Pure. Every
// judgement about a key (fit, adoption, what Keyfleet manages, what should be revoked) is the plan's: drift
// runs core/plan's `plan` and reads its actions, then adds what only drift asks about (task ages, passkey
// type, attestation, disabled and deleted accounts, renamed people, credentials two slots claim).
//
// Key profiles describe security keys, and the spec model has no "synced allowed" switch: a profile is a
// key profile, so every credential a slot holds is wanted device-bound, and a synced passkey in a slot is
// drift by definition.
import { type DesiredAssignment, parseAssignmentId } from "../assignment.js";
import type { Action, PlanNotice } from "../plan/actions.js";
import type { ActualState, DirectoryPerson, Fido2Method, TaskFact } from "../plan/actual.js";
import { groupTasks, planAndAssignments } from "../plan/plan.js";
import type { Spec } from "../spec/model.js";
import { summariseCoverage } from "./coverage.js";
import {
  type DriftReport,
  FINDING_KINDS,
  type Finding,
  type FindingKind,
  type GroupDrift,
  INDIVIDUAL,
  type PersonDrift,
  SEVERITIES,
  type Severity,
  type TaskTiming,
  UNASSIGNED,
} from "./model.js";

export interface DriftOptions {
  /** Today, YYYY-MM-DD (UTC), as the plan takes it. */
  readonly today: string;
  /** The instant task ages are measured from (default: now). */
  readonly now?: Date;
  /** A task open for longer than this many days is stale, hence drift (default 7). */
  readonly staleAfterDays?: number;
  /** The task store's times, per generation; without them an open task's age is unknown (never stale). */
  readonly timings?: readonly TaskTiming[];
}

export const DEFAULT_STALE_AFTER_DAYS = 7;
const DAY_MS = 86_400_000;
const OPEN = new Set(["pending", "claimed", "registering"]);

/** Throws ResolutionError, as the plan does, when the directory cannot answer for the spec. */
export function computeDrift(spec: Spec, actual: ActualState, options: DriftOptions): DriftReport {
  const now = options.now ?? new Date();
  const staleAfterDays = options.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS;
  // Drift reports; it never applies anything, so the mass-revocation rail is not its concern.
  // With the expansion the plan made (renamed people found through the UPNs their tasks recorded).
  const { plan: result, assignments: expanded } = planAndAssignments(spec, actual, {
    today: options.today,
    allowMassRevoke: true,
  });
  const assignments = new Map(expanded.map((a) => [a.id, a]));
  const people = new Map(actual.people.map((p) => [p.id, p]));
  const timings = new Map((options.timings ?? []).map((t) => [`${t.assignmentId}#${t.generation}`, t]));
  const tasks = groupTasks(actual.tasks);
  const personGroup = groupOfPerson(assignments.values());

  const findings: Finding[] = [];
  const coverageInput: { assignment: DesiredAssignment; held: boolean }[] = [];
  const add = (
    kind: FindingKind,
    at: Pick<Finding, "personId" | "userPrincipalName" | "slot" | "assignmentId">,
    message: string,
    extra: { methodIds?: readonly string[]; ageDays?: number | undefined; drift?: boolean } = {},
  ) => {
    const a = at.assignmentId === undefined ? undefined : assignments.get(at.assignmentId);
    findings.push({
      kind,
      severity: FINDING_KINDS[kind],
      drift: extra.drift ?? kind !== "pending",
      personId: at.personId,
      userPrincipalName: at.userPrincipalName,
      slot: at.slot,
      assignmentId: at.assignmentId,
      group: a ? (a.group ?? INDIVIDUAL) : (personGroup.get(at.personId ?? "") ?? UNASSIGNED),
      profile: a?.profile.name,
      methodIds: extra.methodIds ?? [],
      ageDays: extra.ageDays,
      message,
    });
  };
  const ageOf = (assignmentId: string, generation: number): number | undefined => {
    const t = timings.get(`${assignmentId}#${generation}`);
    if (!t) return undefined;
    const ms = now.getTime() - Date.parse(t.createdAt);
    return Number.isFinite(ms) ? Math.max(0, Math.floor(ms / DAY_MS)) : undefined;
  };
  const checkHeld = (action: Action, methodId: string) => {
    const method = findMethod(people.get(action.personId ?? ""), methodId);
    if (!method) return;
    if (method.passkeyType === "synced") {
      add("synced", action, `${describe(method)} is a synced passkey; key profiles want device-bound keys`, {
        methodIds: [method.id],
      });
    }
    if (method.attestationLevel === "notAttested") {
      add("unattested", action, `${describe(method)} is registered without a verified attestation`, {
        methodIds: [method.id],
      });
    }
  };

  for (const action of result.actions) {
    const assignment = action.assignmentId === undefined ? undefined : assignments.get(action.assignmentId);
    const desired = (held: boolean) => {
      if (assignment) coverageInput.push({ assignment, held });
    };
    switch (action.kind) {
      case "keep":
        desired(true);
        checkHeld(action, action.methodId);
        break;
      case "adopt":
        desired(true);
        add("adoptable", action, action.reason, { methodIds: [action.methodId] });
        checkHeld(action, action.methodId);
        break;
      case "provision": {
        desired(false);
        const latest = tasks.get(action.assignmentId ?? "")?.at(-1);
        if (action.supersedes !== undefined && action.supersedes.length > 0) {
          // The open task was raised under settings git has since changed: the pipeline supersedes it.
          add("stale-pending", action, action.reason, {
            ageDays: ageOf(action.assignmentId ?? "", action.supersedes.at(-1) ?? 0),
          });
        } else if (latest?.state === "failed") {
          const why = timings.get(`${latest.assignmentId}#${latest.generation}`)?.failureReason;
          add("failed", action, `task g${latest.generation} failed${why ? `: ${why}` : ""}`, {
            ageDays: ageOf(latest.assignmentId, latest.generation),
          });
        } else {
          add("missing", action, `no credential and no open task (${action.reason})`);
        }
        break;
      }
      case "wait": {
        desired(false);
        const age = ageOf(action.assignmentId ?? "", action.generation);
        const stale = age !== undefined && age > staleAfterDays;
        const when = age === undefined ? "age unknown" : `raised ${age} day${age === 1 ? "" : "s"} ago`;
        add(
          stale ? "stale-pending" : "pending",
          action,
          `task g${action.generation} is ${action.taskState}, ${when}${stale ? `, past the agreed ${staleAfterDays} days` : ""}`,
          { ageDays: age },
        );
        break;
      }
      case "replace":
        desired(false);
        add("aaguid-not-allowed", action, action.reason, { methodIds: [action.retiringMethodId] });
        break;
      case "unresolved":
        desired(false);
        // "not in the directory" or "was deleted from the directory", as the plan found it.
        add("stale-upn", action, `${action.reason}; the spec still names them`);
        break;
      case "revoke":
        add(action.cause === "removed" ? "orphan" : "revoke-due", action, action.reason, {
          methodIds: action.methodIds,
        });
        break;
      case "gone":
        // A deleted person's open tasks are part of the plan's "deleted" notice, reported once per person.
        if (action.cause !== "deleted" && action.cancelGenerations.length > 0) {
          add("open-task-gone", action, action.reason);
        }
        break;
      case "revoke-retired":
        add("duplicate", action, `still holds ${action.methodId}, which ${action.replacedBy} replaced`, {
          methodIds: [action.methodId],
        });
        break;
      case "unmanaged-report":
      case "unmanaged-remove": {
        const method = findMethod(people.get(action.personId ?? ""), action.methodId);
        const kind = method?.passkeyType === "synced" ? ", synced passkey" : "";
        add("unmanaged", action, `${action.reason}${kind}`, { methodIds: [action.methodId] });
        break;
      }
    }
  }

  const tasksOfPerson = new Map<string, TaskFact[]>();
  for (const [id, list] of tasks) {
    const objectId = parseAssignmentId(id)?.objectId;
    if (objectId === undefined) continue;
    const own = tasksOfPerson.get(objectId);
    if (own) own.push(...list);
    else tasksOfPerson.set(objectId, [...list]);
  }
  for (const notice of result.notices) noticeFinding(notice, people, tasksOfPerson, add);
  unreadOrphans(actual, assignments, people, tasks, add);
  sharedCredentials(actual, people, add);

  rank(findings);
  const counts = Object.fromEntries(Object.keys(FINDING_KINDS).map((k) => [k, 0])) as Record<
    FindingKind,
    number
  >;
  for (const f of findings) counts[f.kind]++;
  return {
    apiVersion: "keyfleet.dev/v1",
    kind: "DriftReport",
    today: options.today,
    generatedAt: now.toISOString(),
    staleAfterDays,
    coverage: summariseCoverage(coverageInput),
    findings,
    counts,
    people: byPerson(findings),
    groups: byGroup(findings),
    drift: findings.some((f) => f.drift),
  };
}

type Add = (
  kind: FindingKind,
  at: Pick<Finding, "personId" | "userPrincipalName" | "slot" | "assignmentId">,
  message: string,
  extra?: { methodIds?: readonly string[] },
) => void;

/** The plan's notices about people (renamed, disabled, deleted), with what each still has at stake. */
function noticeFinding(
  notice: PlanNotice,
  people: ReadonlyMap<string, DirectoryPerson>,
  tasksOfPerson: ReadonlyMap<string, readonly TaskFact[]>,
  add: Add,
): void {
  const at = {
    personId: notice.personId,
    userPrincipalName: notice.userPrincipalName?.toLowerCase(),
    slot: undefined,
    assignmentId: undefined,
  };
  const own = tasksOfPerson.get(notice.personId) ?? [];
  const open = own.filter((t) => OPEN.has(t.state)).length;
  if (notice.kind === "stale-upn") {
    add("stale-upn", at, notice.message);
  } else if (notice.kind === "disabled") {
    const present = new Set(people.get(notice.personId)?.fido2Methods.map((m) => m.id));
    const held = own.filter((t) => t.state === "done" && t.methodId && present.has(t.methodId));
    add(
      "disabled",
      at,
      `${notice.message}; ${held.length} credential(s) Keyfleet registered, ${open} open task(s)`,
      { methodIds: held.map((t) => t.methodId as string) },
    );
  } else {
    add("deleted", at, `${notice.message}; ${own.length} task(s) refer to them, ${open} open`);
  }
}

/** Tasks of assignments no longer desired whose person the reader did not bring (the plan skips them). */
function unreadOrphans(
  actual: ActualState,
  assignments: ReadonlyMap<string, DesiredAssignment>,
  people: ReadonlyMap<string, DirectoryPerson>,
  tasks: ReadonlyMap<string, TaskFact[]>,
  add: Add,
): void {
  const deleted = new Set((actual.deletedPeople ?? []).map((d) => d.toLowerCase()));
  for (const [id, list] of tasks) {
    if (assignments.has(id)) continue;
    const parsed = parseAssignmentId(id);
    if (!parsed || people.has(parsed.objectId) || deleted.has(parsed.objectId)) continue;
    const live = list.filter((t) => OPEN.has(t.state) || (t.state === "done" && t.methodId));
    if (live.length === 0) continue;
    add(
      "orphan",
      { personId: parsed.objectId, userPrincipalName: undefined, slot: parsed.slot, assignmentId: id },
      `assignment removed from the spec; ${live.length} task(s) still open or registered (person not read from the directory)`,
    );
  }
}

/** One credential recorded by the done tasks of two assignments, and still in Entra. */
function sharedCredentials(
  actual: ActualState,
  people: ReadonlyMap<string, DirectoryPerson>,
  add: Add,
): void {
  const claims = new Map<string, Set<string>>();
  for (const t of actual.tasks) {
    if (t.state !== "done" || !t.methodId) continue;
    const set = claims.get(t.methodId) ?? new Set<string>();
    set.add(t.assignmentId);
    claims.set(t.methodId, set);
  }
  for (const [methodId, ids] of claims) {
    if (ids.size < 2) continue;
    const first = [...ids].sort()[0] as string;
    const person = people.get(parseAssignmentId(first)?.objectId ?? "");
    if (!person?.fido2Methods.some((m) => m.id === methodId)) continue;
    add(
      "duplicate",
      {
        personId: person.id,
        userPrincipalName: person.userPrincipalName.toLowerCase(),
        slot: undefined,
        assignmentId: undefined,
      },
      `credential ${methodId} is recorded for ${ids.size} slots (${[...ids].sort().join(", ")})`,
      { methodIds: [methodId] },
    );
  }
}

/** The group a person's findings without a slot count under: their first group slot, else their own. */
function groupOfPerson(assignments: Iterable<DesiredAssignment>): Map<string, string> {
  const out = new Map<string, string>();
  for (const a of assignments) {
    if (!a.personId) continue;
    const current = out.get(a.personId);
    if (current === undefined || (current === INDIVIDUAL && a.group !== undefined)) {
      out.set(a.personId, a.group ?? INDIVIDUAL);
    }
  }
  return out;
}

function findMethod(person: DirectoryPerson | undefined, methodId: string): Fido2Method | undefined {
  return person?.fido2Methods.find((m) => m.id === methodId);
}

function describe(m: Fido2Method): string {
  return `${m.model ?? m.aaGuid} (${m.id})`;
}

const SEVERITY_RANK = new Map<Severity, number>(SEVERITIES.map((s, i) => [s, i]));

/**
 * Severity first, then person, slot (none last), kind and credential. Field by field rather than through one
 * joined key per finding: the same order (no field holds U+0000), without building 100,000 strings.
 */
function rank(findings: Finding[]): void {
  findings.sort((x, y) => {
    const vx = SEVERITY_RANK.get(x.severity) ?? 9;
    const vy = SEVERITY_RANK.get(y.severity) ?? 9;
    if (vx !== vy) return vx - vy;
    const px = x.userPrincipalName ?? x.personId ?? "";
    const py = y.userPrincipalName ?? y.personId ?? "";
    if (px !== py) return px < py ? -1 : 1;
    const sx = x.slot ?? "\uffff";
    const sy = y.slot ?? "\uffff";
    if (sx !== sy) return sx < sy ? -1 : 1;
    if (x.kind !== y.kind) return x.kind < y.kind ? -1 : 1;
    const mx = x.methodIds[0] ?? "";
    const my = y.methodIds[0] ?? "";
    return mx < my ? -1 : mx > my ? 1 : 0;
  });
}

function byPerson(findings: readonly Finding[]): PersonDrift[] {
  const out = new Map<
    string,
    { personId: string | undefined; userPrincipalName: string | undefined; worst: Severity; findings: number }
  >();
  for (const f of findings) {
    const key = f.personId ?? f.userPrincipalName ?? "";
    const row = out.get(key);
    if (!row) {
      // Written out: `{ ...(a ? { x } : {}), more }` takes V8's slow path, per person at 100,000 people.
      out.set(key, {
        personId: f.personId,
        userPrincipalName: f.userPrincipalName,
        worst: f.severity,
        findings: 1,
      });
      continue;
    }
    row.findings++;
    row.userPrincipalName ??= f.userPrincipalName;
    if ((SEVERITY_RANK.get(f.severity) ?? 9) < (SEVERITY_RANK.get(row.worst) ?? 9)) row.worst = f.severity;
  }
  // Findings are ranked, so the first time a person appears is at their worst severity.
  return [...out.values()].map((r) => ({
    personId: r.personId,
    userPrincipalName: r.userPrincipalName,
    worst: r.worst,
    findings: r.findings,
  }));
}

function byGroup(findings: readonly Finding[]): GroupDrift[] {
  const out = new Map<string, { counts: Partial<Record<FindingKind, number>>; drift: number }>();
  for (const f of findings) {
    const name = f.group ?? UNASSIGNED;
    const row = out.get(name) ?? { counts: {}, drift: 0 };
    row.counts[f.kind] = (row.counts[f.kind] ?? 0) + 1;
    if (f.drift) row.drift++;
    out.set(name, row);
  }
  return [...out]
    .map(([group, r]) => ({ group, counts: r.counts, drift: r.drift }))
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
}
