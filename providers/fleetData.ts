// What the Pulumi program reads before it declares anything: the specs (validation errors fail the run with
// file:line:col), the directory and everyone's passkeys through Entra (a failed group lookup fails the run,
// never "no members"), the task store's facts, and the tenant policy preflight.

import { readActualState } from "../core/entra/actualState.js";
import { EntraClient } from "../core/entra/client.js";
import { resolveEntraConfig } from "../core/entra/config.js";
import type { PreflightReport } from "../core/entra/preflight.js";
import { runPreflight } from "../core/entra/preflightReader.js";
import { preflightInputFromSpec } from "../core/entra/specPreflight.js";
import type { ActualState, TaskFact } from "../core/plan/actual.js";
import { readSpec } from "../core/spec/load.js";
import type { Spec } from "../core/spec/model.js";
import type { Task } from "../core/tasks/model.js";
import { openTaskStore } from "../core/tasks/openTaskStore.js";
import type { ProviderSettings } from "./providerSettings.js";

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
    .map((t) => ({
      assignmentId: t.assignmentId,
      generation: t.generation,
      state: t.state,
      ...(t.result?.kind === "registered" ? { methodId: t.result.methodId, aaGuid: t.result.aaGuid } : {}),
    }));
}

export async function gatherFleet(specDir: string, settings: ProviderSettings): Promise<FleetData> {
  // Any validation issue throws a SpecError listing every issue with its file:line:col.
  const spec = await readSpec(specDir);
  const entra = new EntraClient(resolveEntraConfig(settings.entra));
  try {
    const { actual, unresolved } = await readActualState(entra, spec);
    const store = await openTaskStore(settings.taskStore);
    try {
      actual.tasks = taskFacts(await store.list());
    } finally {
      await store.close();
    }
    const input = preflightInputFromSpec(spec, actual);
    const { report } = await runPreflight(entra, input.people, input.keyProfiles);
    return { spec, actual, unresolved, preflight: report };
  } finally {
    await entra.close();
  }
}
