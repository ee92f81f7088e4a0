// Claiming a task this key can serve (and, when the operator picked one, that task): trusted claims that
// the store makes only among the tasks `accept` takes (ClaimOptions.only), so nothing is claimed and handed
// back on the way. Which tasks a key tries first follows from inventory serials (serialCheck.ts): a slot
// that names a serial can be served by one key only, any key serves the others.

import { claimTrusted } from "../../core/tasks/claimTrusted.js";
import type { Task } from "../../core/tasks/model.js";
import { isClaimable } from "../../core/tasks/transitions.js";
import type { RunnerContext } from "./context.js";
import { namesSerial, wantedSerials } from "./serialCheck.js";

export async function claimFitting(
  ctx: RunnerContext,
  accept: (task: Task) => boolean,
): Promise<Task | undefined> {
  const opts: Parameters<typeof claimTrusted>[1] = {
    stationId: ctx.stationId,
    leaseMs: ctx.leaseMs,
    pipelineKeys: ctx.pipelineKeys,
    // Judged inside the claim: keys of different models searching at once never hold each other's tasks.
    only: accept,
    onQuarantine: (t, reason) => ctx.operator.event({ type: "quarantined", taskId: t.id, reason }),
  };
  if (ctx.operatorName) opts.operator = ctx.operatorName;
  return (await claimTrusted(ctx.store, opts)).task;
}

/** What the station knows, before the claim, about the serial of the key that claims. */
export interface KeySerialFacts {
  keyId: string;
  /** The key's serial, when an earlier ceremony of this key read it. */
  known?: string;
  /** The key names its serial at makeCredential: getInfo lists "ep" (enterprise attestation). */
  selfNaming: boolean;
}

interface Preference {
  first: (t: Task) => boolean;
  /** Taken only when no open task of `first` is left for this key. */
  otherwise?: (t: Task) => boolean;
  /** What the notice says while `first`'s tasks are held by other ceremonies. */
  waiting?: string;
}

const plain = (t: Task) => wantedSerials(t) === undefined;

/**
 * A key whose serial is known takes its own slot, else one that names no serial: never another key's.
 * A key that names its serial (enterprise attestation) tries the slots that name one first: those only such
 * a key can serve, and its makeCredential reads the serial anyway (a mismatch teaches the station the key's
 * serial, and its next ceremony takes the right slot). A key that cannot name itself takes, unattended,
 * only slots that name no serial (it would be refused for the others); attended, the operator's label
 * decides, as before.
 */
function preference(ctx: RunnerContext, key: KeySerialFacts): Preference {
  const { known } = key;
  if (known !== undefined)
    return {
      first: (t) => namesSerial(t, known),
      otherwise: plain,
      waiting: `waiting for the slot that takes serial ${known}: another key's ceremony holds it`,
    };
  if (key.selfNaming)
    return {
      first: (t) => !plain(t),
      otherwise: plain,
      waiting:
        "waiting: the slots that name an inventory serial are held by other keys' ceremonies, and this key may be one of theirs",
    };
  if (!ctx.attended) return { first: plain };
  return { first: () => true };
}

const WAIT_STEP_MS = 250;

/**
 * The claim for one key, serial-aware: the preferred tasks first; while those are held by other ceremonies
 * (which hand them back on a mismatch) the key waits rather than take a slot another key could have served,
 * at most a lease's length; then the rest. A known serial whose slot is open but not claimable now (a retry
 * backoff) claims nothing else.
 */
export async function claimForKey(
  ctx: RunnerContext,
  accept: (task: Task) => boolean,
  key: KeySerialFacts,
): Promise<Task | undefined> {
  const pref = preference(ctx, key);
  const deadline = Date.now() + ctx.leaseMs;
  let told = false;
  for (;;) {
    const task = await claimFitting(ctx, (t) => accept(t) && pref.first(t));
    if (task || !pref.otherwise) return task;
    const open = await openTasks(ctx, (t) => accept(t) && pref.first(t));
    const now = new Date();
    const held = open.some(
      (t) => (t.state === "claimed" || t.state === "registering") && !isClaimable(t, now),
    );
    if (held && Date.now() < deadline) {
      if (!told && pref.waiting)
        ctx.operator.event({ type: "notice", keyId: key.keyId, message: pref.waiting });
      told = true;
      await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
      continue;
    }
    if (key.known !== undefined && open.length > 0) return undefined;
    const otherwise = pref.otherwise;
    return claimFitting(ctx, (t) => accept(t) && otherwise(t));
  }
}

/** Provision tasks still to be done that `accept` takes: waiting, held by a ceremony, or failed for a retry. */
async function openTasks(ctx: RunnerContext, accept: (t: Task) => boolean): Promise<Task[]> {
  const open = await ctx.store.list({
    state: ["pending", "claimed", "registering", "failed"],
    kind: "provision",
    limit: 1000,
  });
  return open.filter((t) => (t.state !== "failed" || t.failure?.retryable === true) && accept(t));
}
