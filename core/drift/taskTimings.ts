// The task store's times and failure reasons per provision task, which the plan's task facts leave out:
// drift needs them for a pending task's age and a failed task's reason.
import type { Task } from "../tasks/model.js";
import type { TaskTiming } from "./model.js";

export function taskTimings(tasks: readonly Task[]): TaskTiming[] {
  return tasks
    .filter((t) => t.kind === "provision")
    .map((t) => ({
      assignmentId: t.assignmentId,
      generation: t.generation,
      createdAt: t.createdAt,
      updatedAt: t.updatedAt,
      failureReason: t.state === "failed" ? t.failure?.reason : undefined,
    }));
}
