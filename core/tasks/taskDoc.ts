// Reading a stored task row. A row is whatever its writer left: one that is not JSON, or not shaped like a
// task, is named (by its row id) and never crashes a listing with a raw JavaScript error. Claims skip it
// (it cannot be verified, so it is never work); listings report it in its place; a lookup of it fails
// with a TaskStoreError naming it.
import { TaskStoreError } from "./errors.js";
import { TASK_STATES, type Task } from "./model.js";

/** A row a listing could not read as a task. */
export interface MalformedTaskRow {
  /** The row's key (the task id it is stored under). */
  id: string;
  problem: string;
}

export interface ListOptions {
  /** Called for each malformed row (then skipped); without it a malformed row fails the listing, named. */
  onMalformed?: (row: MalformedTaskRow) => void;
}

/** The task a row holds, or why it holds none. */
export function readTaskDoc(doc: unknown): { task: Task } | { problem: string } {
  if (typeof doc !== "string") return { problem: "the row has no task document" };
  let t: Task;
  try {
    t = JSON.parse(doc) as Task;
  } catch {
    return { problem: "the task document is not JSON" };
  }
  if (typeof t !== "object" || t === null || Array.isArray(t))
    return { problem: "the task document is not an object" };
  const missing: string[] = [];
  if (typeof t.id !== "string") missing.push("id");
  if (typeof t.assignmentId !== "string") missing.push("assignmentId");
  if (!Number.isSafeInteger(t.generation)) missing.push("generation");
  if (!(TASK_STATES as readonly unknown[]).includes(t.state)) missing.push("state");
  if (t.kind !== "provision" && t.kind !== "revoke") missing.push("kind");
  if (typeof t.person?.objectId !== "string" || typeof t.person?.userPrincipalName !== "string")
    missing.push("person");
  if (typeof t.profile !== "object" || t.profile === null) missing.push("profile");
  if (typeof t.createdAt !== "string") missing.push("createdAt");
  if (typeof t.provenance !== "object" || t.provenance === null) missing.push("provenance");
  if (missing.length > 0) return { problem: `the task document lacks a valid ${missing.join(", ")}` };
  return { task: t };
}

/** The row's task, or a TaskStoreError naming the row. */
export function taskFromRow(id: string, doc: unknown): Task {
  const r = readTaskDoc(doc);
  if ("task" in r) return r.task;
  throw new TaskStoreError("bad-input", `task row ${id} is malformed: ${r.problem}`);
}

/** For listings: the task, or undefined after reporting (or throwing, with no reporter) the bad row. */
export function listedTask(id: string, doc: unknown, opts: ListOptions | undefined): Task | undefined {
  const r = readTaskDoc(doc);
  if ("task" in r) return r.task;
  if (!opts?.onMalformed) throw new TaskStoreError("bad-input", `task row ${id} is malformed: ${r.problem}`);
  opts.onMalformed({ id, problem: r.problem });
  return undefined;
}

/** For claims and sweeps: the task, or undefined (a row that is not a task is never work). */
export function claimableTask(doc: unknown): Task | undefined {
  const r = readTaskDoc(doc);
  return "task" in r ? r.task : undefined;
}
