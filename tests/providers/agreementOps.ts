// How the agreement test reads its three witnesses and compares them: `keyfleet plan --json` gives each
// assignment's actions; `pulumi preview --json` and `pulumi up --json` give each KeyAssignment's steps. The
// plan's actions translate into the one engine operation they must produce, and a table shows every
// assignment side by side when they do not agree.

/** One engine operation on a KeyAssignment, replacements told apart by their order. */
export type EngineOp =
  | "same"
  | "create"
  | "update"
  | "delete"
  | "replace (create before delete)"
  | "replace (delete before create)"
  | "none";

export interface PlanAction {
  kind: string;
  scope: "key" | "credential";
  reason: string;
  assignmentId?: string;
  cause?: string;
  methodId?: string;
  methodIds?: string[];
  retiringMethodId?: string;
  generation?: number;
  displayName?: string;
  cancelGenerations?: number[];
  supersedes?: number[];
}

export interface PlanJson {
  actions: PlanAction[];
  summary: { revocations: number; counts: Record<string, number> };
  blocked: boolean;
  blockedReasons: string[];
}

/** The plan's actions for one assignment: its key-scope action (if declared) and its credential actions. */
export interface PlanRow {
  key: PlanAction | undefined;
  credential: PlanAction[];
}

export function planRows(plan: PlanJson): Map<string, PlanRow> {
  const rows = new Map<string, PlanRow>();
  for (const a of plan.actions) {
    if (!a.assignmentId) continue;
    const row = rows.get(a.assignmentId) ?? { key: undefined, credential: [] };
    if (a.scope === "key") row.key = a;
    else row.credential.push(a);
    rows.set(a.assignmentId, row);
  }
  return rows;
}

/** What the plan says about an assignment, in a few words, for tables. */
export function describePlanRow(row: PlanRow | undefined): string {
  if (!row) return "(no action)";
  const parts = [row.key, ...row.credential]
    .filter((a): a is PlanAction => a !== undefined)
    .map((a) => (a.cause ? `${a.kind}:${a.cause}` : a.kind));
  return parts.join(" + ");
}

/**
 * The engine operation a plan row must produce, given whether the stack already holds the assignment's
 * resource: a new provision or adoption is a create; keep and wait change nothing; an adoption (or a
 * superseding provision) on an existing resource is an update; a replacement is created before the old key
 * retires; a lost key is deleted (revoked) before its replacement is created; a key the plan no longer
 * declares (retired, removed) is deleted.
 */
export function expectedOp(row: PlanRow | undefined, existed: boolean): EngineOp {
  const key = row?.key;
  const lost = row?.credential.some((a) => a.kind === "revoke" && a.cause === "lost") ?? false;
  if (!key || !["provision", "wait", "keep", "adopt", "replace"].includes(key.kind))
    return existed ? "delete" : "none";
  if (!existed) return "create";
  switch (key.kind) {
    case "keep":
    case "wait":
      return "same";
    case "adopt":
      return "update";
    case "replace":
      return "replace (create before delete)";
    default:
      if (lost) return "replace (delete before create)";
      return "update";
  }
}

export interface EngineStep {
  op: string;
  urn: string;
  type?: string;
  oldState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
}

export const KEY_ASSIGNMENT_TYPE = "pulumi-nodejs:dynamic/keyfleet:KeyAssignment";

/** The assignment id a KeyAssignment step is about (its resource's assignmentId input or output). */
export function assignmentOfStep(s: EngineStep): string | undefined {
  for (const state of [s.newState, s.oldState]) {
    const id = state?.inputs?.assignmentId ?? state?.outputs?.assignmentId;
    if (typeof id === "string") return id;
  }
  return undefined;
}

const typeOf = (s: EngineStep) => s.type ?? s.newState?.type ?? s.oldState?.type ?? "";

/** The KeyAssignment steps of a `pulumi preview --json` or `up --json` run, as raw op lists per assignment. */
export function stepsByAssignment(steps: readonly EngineStep[]): Map<string, EngineStep[]> {
  const out = new Map<string, EngineStep[]>();
  for (const s of steps) {
    if (typeOf(s) !== KEY_ASSIGNMENT_TYPE && !s.urn.includes("keyfleet:KeyAssignment::")) continue;
    const id = assignmentOfStep(s);
    if (!id) throw new Error(`a KeyAssignment step names no assignment: ${JSON.stringify(s).slice(0, 300)}`);
    const list = out.get(id) ?? [];
    list.push(s);
    out.set(id, list);
  }
  return out;
}

/** One assignment's steps as one operation; a replacement's kind comes from which half ran first. */
export function engineOp(steps: readonly EngineStep[] | undefined): EngineOp {
  if (!steps || steps.length === 0) return "none";
  const ops = steps.map((s) => s.op);
  const created = ops.indexOf("create-replacement");
  const deleted = ops.indexOf("delete-replaced");
  if (created >= 0 && deleted >= 0)
    return created < deleted ? "replace (create before delete)" : "replace (delete before create)";
  const distinct = [...new Set(ops)];
  if (distinct.length === 1 && ["same", "create", "update", "delete"].includes(distinct[0] ?? ""))
    return distinct[0] as EngineOp;
  return `unrecognised [${ops.join(", ")}]` as EngineOp;
}

export interface AgreementRow {
  assignmentId: string;
  /** What the fixture row is there to show ("" for none). */
  covers: string;
  plan: string;
  expected: EngineOp;
  preview: EngineOp;
  up?: EngineOp;
}

/** A table of every assignment, rows that disagree marked with `!!`. */
export function agreementTable(rows: readonly AgreementRow[]): string {
  const head = ["", "ASSIGNMENT", "ROW", "PLAN", "EXPECTED", "PREVIEW", "UP"];
  const cells = rows.map((r) => [
    r.preview !== r.expected || (r.up !== undefined && r.up !== r.expected) ? "!!" : "",
    r.assignmentId,
    r.covers,
    r.plan,
    r.expected,
    r.preview,
    r.up ?? "",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)));
  return [head, ...cells]
    .map((c) =>
      c
        .map((x, i) => x.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

interface EngineEvent {
  resourcePreEvent?: { metadata: EngineMetadata };
  resOutputsEvent?: { metadata: EngineMetadata };
}

interface EngineMetadata {
  op: string;
  urn: string;
  type: string;
  old?: EngineStep["oldState"] | null;
  new?: EngineStep["newState"] | null;
}

/**
 * The steps of a `pulumi preview|up --json` run from its event stream (one JSON event a line; preview streams
 * with PULUMI_ENABLE_STREAMING_JSON_PREVIEW): each step the engine announced, in order, and whether the engine
 * reported it finished. The stream, unlike preview's summary document, lists unchanged resources and both
 * halves of a replacement, in the order they ran.
 */
export function parseEngineEvents(stdout: string): (EngineStep & { finished: boolean })[] {
  const steps: (EngineStep & { finished: boolean })[] = [];
  const lines = stdout.split("\n").filter((l) => l.trim().startsWith("{"));
  if (lines.length === 0) throw new Error(`pulumi printed no JSON events:\n${stdout.slice(0, 2000)}`);
  for (const line of lines) {
    const e = JSON.parse(line) as EngineEvent;
    const pre = e.resourcePreEvent?.metadata;
    if (pre) {
      steps.push({
        op: pre.op,
        urn: pre.urn,
        type: pre.type,
        ...(pre.old ? { oldState: pre.old } : {}),
        ...(pre.new ? { newState: pre.new } : {}),
        finished: false,
      });
    }
    const done = e.resOutputsEvent?.metadata;
    if (done) {
      const step = steps.find((s) => s.urn === done.urn && s.op === done.op && !s.finished);
      if (step) step.finished = true;
    }
  }
  return steps;
}
