// The reads behind every plan, the one reader the pull-request comment (`keyfleet plan`), the Pulumi program
// and drift stand on: the specs (validation errors throw with file:line:col), the directory and everyone's
// passkeys through Entra (a failed group lookup fails the read, never "no members"), the task store's facts,
// and the tenant policy preflight. Everyone at stake is read: the people the specs name, their groups'
// members, and, by object id, every person the task store refers to, so that a person removed from git is
// counted against the revocation rails rather than invisible to them.
import type { KeyObject } from "node:crypto";
import { readActualState } from "../entra/actualState.js";
import { EntraClient } from "../entra/client.js";
import { type EntraSettings, resolveEntraConfig } from "../entra/config.js";
import type { PreflightReport } from "../entra/preflight.js";
import { runPreflight } from "../entra/preflightReader.js";
import { preflightInputFromSpec } from "../entra/specPreflight.js";
import { openRecordStore } from "../records/openRecordStore.js";
import { loadPipelinePublicKeys, loadStationKeys } from "../signing/keyFiles.js";
import { readSpec } from "../spec/load.js";
import type { Spec } from "../spec/model.js";
import type { Task } from "../tasks/model.js";
import { openTaskStore } from "../tasks/openTaskStore.js";
import { verifyTaskResults } from "../tasks/verifyTaskResults.js";
import type { ActualState, TaskFact } from "./actual.js";
import { profileKey } from "./taskProfile.js";

/** The keys task rows and results are checked against. */
export interface FleetTrust {
  pipelineKeys: readonly KeyObject[];
  stationKeys: readonly KeyObject[];
}

export interface FleetReadSettings {
  entra: EntraSettings;
  /** `sqlite:<path>` or an Azure Table location; undefined for the default store. */
  taskStore: string | undefined;
  /** From the environment's key folder (core/signing/keyFiles.ts) when not given. */
  trust?: FleetTrust;
  /**
   * The pipeline owns its store and may meet it before its first task exists; every other reader (the
   * pull-request plan) opens the store read-only and refuses one that does not exist.
   */
  storeMayBeNew?: boolean;
  /**
   * The pipeline has never run, so there is no task store yet: plan as if it held no tasks. Said explicitly
   * (`keyfleet plan --first-run`), never assumed, so a mistyped store location is an error, not an empty plan.
   */
  firstRun?: boolean;
}

/** A task whose row or result failed verification: reported, never acted on. */
export interface QuarantinedFact {
  taskId: string;
  assignmentId: string;
  reason: string;
}

export interface FleetData {
  spec: Spec;
  actual: ActualState;
  /** Spec people the directory does not know. */
  unresolved: string[];
  preflight: PreflightReport;
  /** Tasks refused by verification (core/tasks/verifyTaskResults.ts). */
  quarantined: QuarantinedFact[];
}

const ASSIGNMENT = /^[0-9a-f-]{36}\/[a-z][a-z0-9-]*$/;

/**
 * The plan's view of the task store: provision tasks, one fact per generation. A task in `quarantined` (by id,
 * with the reason) keeps no method id: its credential is never counted as managed nor revoked.
 */
export function taskFacts(
  tasks: readonly Task[],
  quarantined: ReadonlyMap<string, string> = new Map(),
): TaskFact[] {
  return tasks
    .filter((t) => t.kind === "provision" && ASSIGNMENT.test(t.assignmentId) && t.generation >= 1)
    .map((t) => {
      const fact: TaskFact = {
        assignmentId: t.assignmentId,
        generation: t.generation,
        state: t.state,
        userPrincipalName: t.person.userPrincipalName.toLowerCase(),
        profileKey: profileKey(t.profile),
      };
      if (t.provenance.stack) fact.stack = t.provenance.stack;
      // An adoption is the pipeline's own result (a credential the person already held): no station made it.
      const r = t.result as { kind: string; methodId?: string; aaGuid?: string } | undefined;
      const refused = quarantined.get(t.id);
      if (refused !== undefined) {
        fact.quarantined = refused;
        if (r?.methodId) fact.quarantinedMethodId = r.methodId;
        return fact;
      }
      if ((r?.kind === "registered" || r?.kind === "adopted") && r.methodId) {
        fact.methodId = r.methodId;
        if (typeof r.aaGuid === "string") fact.aaGuid = r.aaGuid.toLowerCase();
        if (r.kind === "registered") fact.credProtect = t.profile.credProtect;
        else fact.adopted = true;
      }
      return fact;
    });
}

/** Verifies rows and results against the records and the trusted keys; returns the refused ones. */
export async function quarantinedTasks(
  tasks: readonly Task[],
  location: string | undefined,
  trust: FleetTrust,
  opts: { storeMayBeNew?: boolean } = {},
): Promise<QuarantinedFact[]> {
  if (tasks.length === 0) return [];
  const records = await openRecordStore(location, opts.storeMayBeNew ? {} : { readOnly: true });
  try {
    const { quarantined } = await verifyTaskResults(tasks, { ...trust, records });
    return quarantined.map((q) => ({
      taskId: q.task.id,
      assignmentId: q.task.assignmentId,
      reason: q.reason,
    }));
  } finally {
    await records.close();
  }
}

/** The object ids a set of tasks refers to (lower case). */
export function peopleOfTasks(tasks: readonly Task[]): string[] {
  return [...new Set(tasks.map((t) => t.person.objectId.toLowerCase()))];
}

export async function readFleet(specDir: string, settings: FleetReadSettings): Promise<FleetData> {
  const spec = await readSpec(specDir);
  const entra = new EntraClient(resolveEntraConfig(settings.entra));
  try {
    let tasks: Task[] = [];
    if (!settings.firstRun) {
      const store = await openTaskStore(settings.taskStore, settings.storeMayBeNew ? {} : { readOnly: true });
      try {
        tasks = await store.list();
      } finally {
        await store.close();
      }
    }
    const trust = settings.trust ?? {
      pipelineKeys: loadPipelinePublicKeys(),
      stationKeys: loadStationKeys(),
    };
    const quarantined = await quarantinedTasks(tasks, settings.taskStore, trust, settings);
    const { actual, unresolved } = await readActualState(entra, spec, {
      alsoObjectIds: peopleOfTasks(tasks),
    });
    actual.tasks = taskFacts(tasks, new Map(quarantined.map((q) => [q.taskId, q.reason])));
    const input = preflightInputFromSpec(spec, actual);
    const { report } = await runPreflight(entra, input.people, input.keyProfiles);
    return { spec, actual, unresolved, preflight: report, quarantined };
  } finally {
    await entra.close();
  }
}
