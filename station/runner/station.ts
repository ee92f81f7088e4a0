// The station loop: recover what a previous run left, then poll the key sources (node-hid has no plug
// events) and give every newly plugged key its own ceremony, all in parallel. A key that finished stays
// finished until it is unplugged; a key that found no task looks again after a while. With `untilIdle`
// the loop ends once every key present has had its ceremony and none is running. What a ceremony learns
// about a key (its serial) is kept for that key's later ceremonies until it is unplugged.

import { type KeyOutcome, provisionKey } from "./ceremony.js";
import type { RunnerContext } from "./context.js";
import { type DryRunReport, dryRun } from "./dryRun.js";
import type { KeyHandle, KeySource } from "./keySource.js";
import { type RecoveryReport, recoverOwnTasks } from "./recovery.js";
import type { KeyMemory } from "./serialCheck.js";

export interface StationOptions {
  sources: readonly KeySource[];
  /** How often to look for keys (default 500 ms). */
  pollMs?: number;
  /** End once every plugged key has had its ceremony and none runs (tests, batch runs). */
  untilIdle?: boolean;
  /** How long a key that found no task waits before it looks again (default 30 s). */
  noTaskRetryMs?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface StationSummary {
  recovery?: RecoveryReport;
  outcomes: KeyOutcome[];
  dryRun?: DryRunReport;
}

interface Slot {
  handle: KeyHandle;
  running?: Promise<void>;
  /** When the key may start again (no task found), or Infinity once it is done with. */
  nextAt: number;
  /** In memory only, dropped when the key is unplugged: another key may come in at the same place. */
  memory: KeyMemory;
}

async function listAll(sources: readonly KeySource[]): Promise<KeyHandle[]> {
  const lists = await Promise.all(sources.map((s) => s.list()));
  return lists.flat();
}

export async function runStation(ctx: RunnerContext, opts: StationOptions): Promise<StationSummary> {
  const summary: StationSummary = { outcomes: [] };
  ctx.operator.event({
    type: "station",
    stationId: ctx.stationId,
    ...(ctx.operatorName ? { operator: ctx.operatorName } : {}),
    mode: ctx.attended ? "attended" : "unattended",
    dryRun: opts.dryRun === true,
  });
  if (opts.dryRun) {
    summary.dryRun = await dryRun(ctx, await listAll(opts.sources));
    return summary;
  }
  summary.recovery = await recoverOwnTasks(ctx);

  const slots = new Map<string, Slot>();
  const aborted = opts.signal
    ? new Promise((r) => opts.signal!.addEventListener("abort", r, { once: true }))
    : undefined;
  const pollMs = opts.pollMs ?? 500;
  const retryMs = opts.noTaskRetryMs ?? 30_000;
  for (;;) {
    if (opts.signal?.aborted) break;
    let present: KeyHandle[];
    try {
      present = await listAll(opts.sources);
    } catch (e) {
      ctx.operator.event({ type: "notice", message: `cannot list keys: ${(e as Error).message}` });
      present = [];
    }
    const ids = new Set(present.map((h) => h.id));
    for (const [id, slot] of slots) {
      if (!ids.has(id) && !slot.running) {
        slots.delete(id);
        ctx.operator.event({ type: "key-detached", keyId: id });
      }
    }
    const now = Date.now();
    for (const h of present) {
      let slot = slots.get(h.id);
      if (!slot) {
        slot = { handle: h, nextAt: now, memory: {} };
        slots.set(h.id, slot);
        ctx.operator.event({
          type: "key-attached",
          key: { keyId: h.id, transport: h.transport, ...(h.model ? { model: h.model } : {}) },
        });
      }
      if (slot.running || slot.nextAt > now) continue;
      const s = slot;
      s.running = provisionKey(ctx, h, s.memory).then((outcome) => {
        summary.outcomes.push(outcome);
        s.nextAt =
          outcome.status === "no-task" && !opts.untilIdle ? Date.now() + retryMs : Number.POSITIVE_INFINITY;
        s.running = undefined;
      });
    }
    const busy = [...slots.values()].filter((s) => s.running);
    if (
      opts.untilIdle &&
      busy.length === 0 &&
      [...slots.values()].every((s) => s.nextAt === Number.POSITIVE_INFINITY)
    ) {
      ctx.operator.event({ type: "idle", keysBusy: 0 });
      break;
    }
    await Promise.race([
      new Promise((r) => setTimeout(r, pollMs)),
      ...busy.map((s) => s.running),
      ...(aborted ? [aborted] : []),
    ]);
  }
  await Promise.all([...slots.values()].map((s) => s.running));
  return summary;
}
