// What drift reads, through the plan's own reader parts (core/plan/readFleet.ts): the spec's people and every
// group member with their passkeys ($batch), everyone the task store refers to by object id (those the
// directory no longer knows become `deletedPeople`), the task store's facts, and, for drift only, the
// tasks' times and failure reasons. Any failed read fails the call: drift never reports "no keys" for
// "could not read".
import { readActualState } from "../entra/actualState.js";
import type { EntraClient } from "../entra/client.js";
import type { ActualState } from "../plan/actual.js";
import { peopleOfTasks, taskFacts } from "../plan/readFleet.js";
import type { Spec } from "../spec/model.js";
import type { Task } from "../tasks/model.js";
import type { TaskTiming } from "./model.js";
import { taskTimings } from "./taskTimings.js";

export interface DriftState {
  actual: ActualState;
  timings: TaskTiming[];
  /** Spec people the directory does not know (UPN or object id as written). */
  unresolved: string[];
}

export async function readDriftState(
  entra: EntraClient,
  spec: Spec,
  tasks: readonly Task[],
): Promise<DriftState> {
  const { actual, unresolved } = await readActualState(entra, spec, { alsoObjectIds: peopleOfTasks(tasks) });
  return { actual: { ...actual, tasks: taskFacts(tasks) }, timings: taskTimings(tasks), unresolved };
}
