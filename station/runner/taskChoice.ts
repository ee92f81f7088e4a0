// Which waiting tasks a key could take, and whether a task is the one the operator picked (by person, or
// by the label scanned off the key).
import type { Task } from "../../core/tasks/model.js";
import { isClaimable } from "../../core/tasks/transitions.js";
import type { AuthenticatorInfo } from "../ctap2/getInfo.js";
import type { RunnerContext } from "./context.js";
import type { TaskView } from "./events.js";
import type { TaskPick } from "./operator.js";
import { checkProfileFit } from "./profileCheck.js";

export function taskView(t: Task): TaskView {
  return {
    taskId: t.id,
    userPrincipalName: t.person.userPrincipalName,
    personObjectId: t.person.objectId,
    slot: t.slot,
  };
}

export interface Waiting {
  all: Task[];
  fitting: Task[];
  /** Why the first few misfits refuse this key. */
  refusals: string[];
}

/**
 * Provision tasks a claim could take now (pending, failed and retryable past its backoff, or held under a
 * lease that ran out: a stopped station's) and those this key fits.
 */
export async function pendingFor(ctx: RunnerContext, info: AuthenticatorInfo): Promise<Waiting> {
  const now = new Date();
  const open = await ctx.store.list({
    state: ["pending", "failed", "claimed", "registering"],
    kind: "provision",
    limit: 1000,
  });
  const all = open.filter((t) => isClaimable(t, now));
  const fitting: Task[] = [];
  const refusals: string[] = [];
  for (const t of all) {
    const fit = checkProfileFit(info, t.profile);
    if (fit.fits) fitting.push(t);
    else if (refusals.length < 3) refusals.push(...fit.refusals);
  }
  return { all, fitting, refusals };
}

/** The label on a key as Keyfleet prints it ("upn · slot"), or the person's UPN or object id alone. */
export function pickMatches(t: Task, pick: TaskPick): boolean {
  switch (pick.kind) {
    case "next":
      return true;
    case "skip":
      return false;
    case "person": {
      const who = pick.who.trim().toLowerCase();
      return t.person.userPrincipalName.toLowerCase() === who || t.person.objectId.toLowerCase() === who;
    }
    case "label": {
      const scanned = pick.scanned.trim().toLowerCase();
      const [upn, slot] = scanned.split(/\s*[·|/]\s*/);
      if (slot !== undefined)
        return t.person.userPrincipalName.toLowerCase() === upn && t.slot.toLowerCase() === slot;
      return t.person.userPrincipalName.toLowerCase() === scanned || t.assignmentId.toLowerCase() === scanned;
    }
  }
}
