// Trusted state, not just trusted rows. A task row can be rewritten by anyone holding the store's
// credential (a station's SAS may update tasks; a SQLite file is writable by its owner), so neither the
// station (before working) nor the pipeline (before acting on a result) takes the row's word for its state:
//   - work the records say was cancelled, superseded or already finished is refused, whatever the row says
//     (refusing needs no proof: any record of it suffices, even one that fails its signature);
//   - a result is acted on only when it is signed by a trusted station's key AND that station's signed
//     record of it is in the chain (acting needs proof: hash, signature and signer are all checked).
// The records are the tamper-evident source: append-only for stations (their SAS may add, never update or
// delete), hash-chained and anchored, and indexed by task id inside the store's own atomic write.
import type { KeyObject } from "node:crypto";
import { hashRecordBody, recordBodyOf, signatureValid } from "../records/chain.js";
import type { AuditRecord } from "../records/model.js";
import type { TaskRecordLookup } from "../records/recordStore.js";
import { keyIdOf } from "../signing/ed25519.js";
import type { Task } from "./model.js";
import { resultSignedBy } from "./stateSignatures.js";
import { verifyTask } from "./taskSignature.js";

export interface TaskResultTrust {
  /** Public keys whose signatures make a task (and a cancellation) the pipeline's. */
  pipelineKeys: readonly KeyObject[];
  /** Public keys of the stations whose results the pipeline accepts (see loadStationKeys). */
  stationKeys: readonly KeyObject[];
  /** The record store (or any lookup of task outcome records by task id). */
  records: TaskRecordLookup;
}

export interface QuarantinedTask {
  task: Task;
  reason: string;
}

export interface VerifiedTasks {
  /** Tasks whose row the records and signatures bear out: safe to plan on and act on. */
  trusted: Task[];
  /** Everything else, with why: report these, never act on them (revoke, count as managed). */
  quarantined: QuarantinedTask[];
}

/** A record that is what it says: its hash matches its body and its signature the key it names. */
export function recordAuthentic(r: AuditRecord): boolean {
  try {
    return hashRecordBody(recordBodyOf(r)) === r.hash && signatureValid(r);
  } catch {
    return false;
  }
}

function signerText(r: AuditRecord, pipelineIds: ReadonlySet<string>): string {
  if (!recordAuthentic(r)) return "whose signature does not verify";
  return pipelineIds.has(r.signer.keyId)
    ? `signed by the pipeline's key ${r.signer.keyId}`
    : `signed by key ${r.signer.keyId}`;
}

const ENDING = new Set(["cancellation", "supersession"]);
const FINISHING = new Set(["registration", "revocation"]);

/**
 * Why a task must not be worked on, from its outcome records, or undefined when nothing settles it.
 * Used by claimTrusted: any record of a cancellation, supersession or completion refuses the claim.
 */
export function settledByRecords(
  task: Task,
  outcomes: readonly AuditRecord[],
  pipelineKeys: readonly KeyObject[] = [],
): string | undefined {
  const pipelineIds = new Set(pipelineKeys.map(keyIdOf));
  const ended = outcomes.find((r) => ENDING.has(r.action));
  if (ended) {
    const what = ended.action === "supersession" ? "superseded" : "cancelled";
    return `the records say task ${task.id} was ${what} (record ${ended.seq}, ${signerText(ended, pipelineIds)}) but its row says ${task.state}: the row was rewritten`;
  }
  const finished = outcomes.find((r) => FINISHING.has(r.action));
  if (finished) {
    return `the records say task ${task.id} was already done (${finished.action} record ${finished.seq}, ${signerText(finished, pipelineIds)}) but its row says ${task.state}: the row was rewritten`;
  }
  return undefined;
}

/**
 * Whether record a was written before b. Within one chain (and in the legacy chain) seq orders them; records of
 * different writers' chains are ordered by their times, a tie counting as before (the cautious reading).
 */
function recordedBefore(a: AuditRecord, b: AuditRecord): boolean {
  if (a.chain === b.chain) return a.seq < b.seq;
  return a.at <= b.at;
}

/** Checks one task against its outcome records; undefined when trusted, else the reason to quarantine. */
export function verifyTaskResult(
  task: Task,
  outcomes: readonly AuditRecord[],
  keys: Pick<TaskResultTrust, "pipelineKeys" | "stationKeys">,
): string | undefined {
  const sig = verifyTask(task, keys.pipelineKeys);
  if (!sig.trusted) return sig.reason;
  const pipelineIds = new Set(keys.pipelineKeys.map(keyIdOf));
  const ended = outcomes.find((r) => ENDING.has(r.action) && recordAuthentic(r));
  if (!task.result) {
    if (task.state === "done") return `task ${task.id} is done but carries no result`;
    if (ended && task.state !== "cancelled") {
      const what = ended.action === "supersession" ? "superseded" : "cancelled";
      return `the records say task ${task.id} was ${what} (record ${ended.seq}, ${signerText(ended, pipelineIds)}) but its row says ${task.state}: the row was rewritten`;
    }
    return undefined;
  }
  const result = task.result;
  if (task.state !== "done") return `task ${task.id} carries a result but is ${task.state}, not done`;
  if (!task.resultSignature) return `the result of task ${task.id} (method ${result.methodId}) is unsigned`;
  const { stationId, signature } = task.resultSignature;
  if (result.kind === "adopted") {
    // An adoption is the pipeline's own result: signed with its key, and on its own signed record.
    if (!resultSignedBy(task, keys.pipelineKeys)) {
      return `the adoption of task ${task.id} (method ${result.methodId}) is not signed by the pipeline's key: it was altered or written by someone else`;
    }
    const adoption = outcomes.find(
      (r) =>
        r.action === "adoption" &&
        recordAuthentic(r) &&
        pipelineIds.has(r.signer.keyId) &&
        r.subject.assignmentId === task.assignmentId &&
        r.subject.generation === task.generation &&
        r.subject.methodId === result.methodId,
    );
    if (!adoption)
      return `no adoption record signed by the pipeline matches task ${task.id} (method ${result.methodId})`;
    return undefined;
  }
  if (keys.stationKeys.length === 0) {
    return `no trusted station keys are configured, so the result of task ${task.id} cannot be checked (put each station's public key in the stations key folder)`;
  }
  if (!resultSignedBy(task, keys.stationKeys)) {
    return `the result of task ${task.id} (method ${result.methodId}) is not signed by a trusted station key (signature claims ${stationId}, key ${signature.keyId}): it was altered or written by someone else`;
  }
  const action = result.kind === "registered" ? "registration" : "revocation";
  const matching = outcomes.find(
    (r) =>
      r.action === action &&
      recordAuthentic(r) &&
      r.signer.keyId === signature.keyId &&
      r.actor.stationId === stationId &&
      r.subject.assignmentId === task.assignmentId &&
      r.subject.generation === task.generation &&
      r.subject.methodId === result.methodId &&
      (result.kind !== "registered" ||
        (r.subject.credentialId === result.credentialId && r.subject.aaGuid === result.aaGuid)),
  );
  if (!matching) {
    return `no ${action} record signed by station ${stationId} (key ${signature.keyId}) matches the result of task ${task.id} (method ${result.methodId})`;
  }
  if (ended && recordedBefore(ended, matching)) {
    return `task ${task.id} was ${ended.action === "supersession" ? "superseded" : "cancelled"} (record ${ended.seq}, ${signerText(ended, pipelineIds)}) before station ${stationId} reported this result (record ${matching.seq}): the work was resurrected`;
  }
  return undefined;
}

/**
 * Sorts tasks into those the pipeline may act on and those it must quarantine and report. The plan and the
 * providers count as managed, and revoke, only method ids from `trusted` results.
 */
export async function verifyTaskResults(
  tasks: readonly Task[],
  trust: TaskResultTrust,
): Promise<VerifiedTasks> {
  const outcomes = await trust.records.outcomesFor(tasks.map((t) => t.id));
  const out: VerifiedTasks = { trusted: [], quarantined: [] };
  for (const task of tasks) {
    const reason = verifyTaskResult(task, outcomes.get(task.id) ?? [], trust);
    if (reason === undefined) out.trusted.push(task);
    else out.quarantined.push({ task, reason });
  }
  return out;
}
