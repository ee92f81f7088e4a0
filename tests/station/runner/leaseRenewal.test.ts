// On both task-store backends (SQLite, and Azure Tables on Azurite), a ceremony keeps its claim while it
// waits: with a lease shorter than one touch of a slow key, the station renews the lease as the ceremony
// runs, so a second station polling the same queue never takes the task mid-ceremony (one claim, one
// credential in Entra). A ceremony whose task is cancelled under it loses the claim at the next renewal
// and stops at the next safe point: nothing registered, the key's new credential deleted.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecordStore } from "../../../core/records/openRecordStore.js";
import type { StationEvent } from "../../../station/runner/events.js";
import { virtualKeySource } from "../../../station/runner/keySource.js";
import { runStation, type StationSummary } from "../../../station/runner/station.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";
import { ordinaryPeople, startWorld, TestOperator, virtualProfile, type World } from "./world.js";

const people = ordinaryPeople();
/** Shorter than one touch of the slow keys below: without renewal the lease would run out at every touch. */
const LEASE_MS = 900;
const TOUCH_MS = 1500;

async function claimsOf(world: World, taskId: string): Promise<string[]> {
  const log = await openRecordStore(world.location);
  try {
    return (await log.list({ action: "claim" }))
      .filter((r) => r.subject.taskId === taskId)
      .map((r) => r.actor.stationId ?? "");
  } finally {
    await log.close();
  }
}

describe.each(["sqlite", "azure-table"] as const)(
  "station runner on %s, lease renewal during a ceremony",
  (backend) => {
    let world: World;
    beforeAll(async () => {
      world = await startWorld({ backend });
    }, 120_000);
    afterAll(async () => {
      await world?.close();
    });

    it("should keep the claim through slow touches while a second station races for the task", async () => {
      const [task] = await world.raise([people[13]!], virtualProfile({ pinLength: 12 }));
      const stop = new AbortController();
      const desk = async (id: string) => {
        const operator = new TestOperator();
        const ctx = await world.station(`${id}-${backend}`, operator, { leaseMs: LEASE_MS });
        const key = await VirtualKey.create({ presence: { approveDelayMs: TOUCH_MS } });
        const run = runStation(ctx, {
          sources: [virtualKeySource(new Map([[`virtual:${id}`, key]]))],
          pollMs: 20,
          noTaskRetryMs: 50,
          signal: stop.signal,
        });
        return { id: `${id}-${backend}`, operator, key, run };
      };
      const desks = [await desk("race-a"), await desk("race-b")];
      // Both stations keep looking until the task is done; the loser looks every 50 ms all along.
      for (;;) {
        const t = await world.pipeline.get(task!.id);
        if (t?.state === "done" || t?.state === "failed") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      stop.abort();
      const summaries: StationSummary[] = await Promise.all(desks.map((d) => d.run));

      const done = await world.pipeline.get(task!.id);
      expect(done?.state, JSON.stringify(desks.map((d) => d.operator.of("error")))).toBe("done");
      const winner = desks.find((d) => d.id === done?.resultSignature?.stationId)!;
      const loser = desks.find((d) => d !== winner)!;
      expect(winner).toBeDefined();
      // One claim in the records, the winner's: the loser never took the task mid-ceremony.
      expect(await claimsOf(world, task!.id)).toEqual([winner.id]);
      const [winnerSummary, loserSummary] = desks[0] === winner ? summaries : [...summaries].reverse();
      expect(winnerSummary!.outcomes.map((o) => o.status)).toContain("provisioned");
      expect(loserSummary!.outcomes.length).toBeGreaterThan(1);
      expect(new Set(loserSummary!.outcomes.map((o) => o.status))).toEqual(new Set(["no-task"]));
      expect(loser.key.authenticator.credentials).toHaveLength(0);
      expect(loser.operator.of("error")).toEqual([]);

      const stored = await world.emu.admin.storedMethods(task!.person.objectId);
      expect(stored.map((m) => m.id)).toEqual([done?.result?.methodId]);
      const report = await world.verifyRecords();
      expect(report.ok, JSON.stringify(report.findings)).toBe(true);
    }, 90_000);

    it("should stop at the next safe point when the task is cancelled mid-ceremony, registering nothing", async () => {
      const [task] = await world.raise([people[14]!], virtualProfile({ pinLength: 12 }));
      const operator = new TestOperator();
      const record = operator.event.bind(operator);
      let cancelled: Promise<unknown> | undefined;
      operator.event = (e: StationEvent) => {
        record(e);
        // The pipeline cancels the task while the key waits for its touch at makeCredential.
        if (e.type === "touch" && e.step === "make-credential" && !cancelled)
          cancelled = world.pipeline.cancel(task!.id, {
            reason: "person left mid-ceremony",
            signer: world.pipelineKey,
          });
      };
      const ctx = await world.station("desk-cancel", operator, { leaseMs: LEASE_MS });
      const key = await VirtualKey.create({ presence: { approveDelayMs: TOUCH_MS } });
      const summary = await runStation(ctx, {
        sources: [virtualKeySource(new Map([["virtual:cancel", key]]))],
        untilIdle: true,
        pollMs: 20,
      });
      await cancelled;
      expect(summary.outcomes.map((o) => o.status)).toEqual(["failed"]);
      const [error] = operator.of("error");
      expect(error).toMatchObject({ reason: "claim-lost", taskId: task!.id });
      expect(error?.message).toMatch(/claim on task .* was lost/);
      // It stopped before markRegistering and the Graph POST: the step after the touch.
      expect(error?.step).toBe("registering");
      expect(operator.of("step").some((s) => s.step === "register")).toBe(false);
      expect((await world.pipeline.get(task!.id))?.state).toBe("cancelled");
      expect(await world.emu.admin.storedMethods(task!.person.objectId)).toEqual([]);
      // The credential made for the cancelled task was deleted from the key with the PIN the ceremony set.
      expect(key.authenticator.credentials).toHaveLength(0);
    }, 60_000);
  },
);
