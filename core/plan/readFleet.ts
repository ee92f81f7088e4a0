// The reads behind every plan, the one reader the pull-request comment (`keyfleet plan`), the Pulumi program
// and drift stand on: the specs (validation errors throw with file:line:col), the directory and everyone's
// passkeys through Entra (a failed group lookup fails the read, never "no members"), the task store's facts,
// and the tenant policy preflight. Everyone at stake is read: the people the specs name, their groups'
// members, and, by object id, every person the task store refers to, so that a person removed from git is
// counted against the revocation rails rather than invisible to them.
import { readActualState } from "../entra/actualState.js";
import { EntraClient } from "../entra/client.js";
import { type EntraSettings, resolveEntraConfig } from "../entra/config.js";
import type { PreflightReport } from "../entra/preflight.js";
import { runPreflight } from "../entra/preflightReader.js";
import { preflightInputFromSpec } from "../entra/specPreflight.js";
import { readSpec } from "../spec/load.js";
import type { Spec } from "../spec/model.js";
import type { Task } from "../tasks/model.js";
import { openTaskStore } from "../tasks/openTaskStore.js";
import type { ActualState, TaskFact } from "./actual.js";
import { profileKey } from "./taskProfile.js";

export interface FleetReadSettings {
  entra: EntraSettings;
  /** `sqlite:<path>` or an Azure Table location; undefined for the default store. */
  taskStore: string | undefined;
}

export interface FleetData {
  spec: Spec;
  actual: ActualState;
  /** Spec people the directory does not know. */
  unresolved: string[];
  preflight: PreflightReport;
}

const ASSIGNMENT = /^[0-9a-f-]{36}\/[a-z][a-z0-9-]*$/;

/** The plan's view of the task store: provision tasks, one fact per generation. */
export function taskFacts(tasks: readonly Task[]): TaskFact[] {
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
      // An adoption is the pipeline's own result (a credential the person already held): no station made it.
      const r = t.result as { kind: string; methodId?: string; aaGuid?: string } | undefined;
      if ((r?.kind === "registered" || r?.kind === "adopted") && r.methodId) {
        fact.methodId = r.methodId;
        if (typeof r.aaGuid === "string") fact.aaGuid = r.aaGuid.toLowerCase();
        if (r.kind === "registered") fact.credProtect = t.profile.credProtect;
        else fact.adopted = true;
      }
      return fact;
    });
}

/** The object ids a set of tasks refers to (lower case). */
export function peopleOfTasks(tasks: readonly Task[]): string[] {
  return [...new Set(tasks.map((t) => t.person.objectId.toLowerCase()))];
}

export async function readFleet(specDir: string, settings: FleetReadSettings): Promise<FleetData> {
  const spec = await readSpec(specDir);
  const entra = new EntraClient(resolveEntraConfig(settings.entra));
  try {
    const store = await openTaskStore(settings.taskStore);
    let tasks: Task[];
    try {
      tasks = await store.list();
    } finally {
      await store.close();
    }
    const { actual, unresolved } = await readActualState(entra, spec, {
      alsoObjectIds: peopleOfTasks(tasks),
    });
    actual.tasks = taskFacts(tasks);
    const input = preflightInputFromSpec(spec, actual);
    const { report } = await runPreflight(entra, input.people, input.keyProfiles);
    return { spec, actual, unresolved, preflight: report };
  } finally {
    await entra.close();
  }
}
