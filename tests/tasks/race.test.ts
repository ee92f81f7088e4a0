// Racing stations in separate processes on each backend: every task done exactly once, none lost,
// and a station killed mid-task loses its lease to another that finishes the work.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "../../core/signing/ed25519.js";
import { type BackendFixture, backends } from "./backends.js";
import { sampleRaise } from "./sampleTasks.js";
import { startWorker, type WorkerRun } from "./workers.js";

const pipeline = generateSigningKey();

describe.each(backends)("racing stations ($name)", (backend) => {
  let fx: BackendFixture;
  const started: WorkerRun[] = [];

  beforeAll(async () => {
    fx = await backend.start();
  });
  afterAll(async () => {
    for (const w of started)
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
    await fx?.stop();
  });

  it("should have 8 claimer processes finish 500 tasks, each exactly once, with no lost update", async () => {
    const ref = fx.fresh();
    const store = await fx.open(ref);
    for (let i = 0; i < 500; i++) await store.raise(sampleRaise(i), pipeline);

    const workers = Array.from({ length: 8 }, (_, i) => startWorker(ref, `station-${i}`, 60_000));
    started.push(...workers);
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0 });

    const reported = workers.flatMap((w, i) =>
      w.lines.map((l) => ({ id: l.done!, station: `station-${i}` })),
    );
    expect(reported).toHaveLength(500);
    expect(new Set(reported.map((r) => r.id)).size).toBe(500);

    const tasks = await store.list();
    expect(tasks).toHaveLength(500);
    const byId = new Map(tasks.map((t) => [t.id, t]));
    for (const r of reported) {
      const t = byId.get(r.id)!;
      expect(t.state).toBe("done");
      expect(t.attempts).toBe(1);
      // The stored result is the reporting station's own: nobody overwrote anybody.
      expect(t.result?.methodId).toBe(`${r.station}:${r.id}`);
      expect(t.registration?.stationId).toBe(r.station);
    }
    await store.close();
  }, 300_000);

  it("should let another station finish the task of a station killed mid-task once its lease expires", async () => {
    const ref = fx.fresh();
    const store = await fx.open(ref);
    const raised = (await store.raise(sampleRaise(1), pipeline)).task;
    const leaseMs = 1500;

    const doomed = startWorker(ref, "station-doomed", leaseMs, "hang");
    started.push(doomed);
    expect((await doomed.firstLine).claimed).toBe(raised.id);
    doomed.child.kill("SIGKILL");
    expect((await doomed.exited).signal).toBe("SIGKILL");

    const held = (await store.get(raised.id))!;
    expect(held.state).toBe("registering");
    expect(held.lease?.stationId).toBe("station-doomed");

    // Until the lease runs out nobody else may take it; afterwards the second station does.
    let taken = await store.claimNext({ stationId: "station-b", leaseMs: 60_000 });
    if (taken === undefined) {
      expect(Date.now()).toBeLessThan(Date.parse(held.lease!.expiresAt) + 1000);
      while (taken === undefined) {
        await new Promise((r) => setTimeout(r, 100));
        taken = await store.claimNext({ stationId: "station-b", leaseMs: 60_000 });
      }
    }
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(held.lease!.expiresAt));
    expect(taken.id).toBe(raised.id);
    expect(taken.attempts).toBe(2);
    // The dead station's recorded credential id lets the new one check Entra before redoing anything.
    expect(taken.registration).toMatchObject({
      stationId: "station-doomed",
      credentialId: `Y3JlZC0${raised.id}`,
    });
    const done = await store.complete(taken.id, taken.lease!, {
      kind: "registered",
      methodId: "method-after-crash",
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      credentialId: `Y3JlZC0${raised.id}`,
      registeredAt: new Date().toISOString(),
    });
    expect(done.state).toBe("done");
    expect(done.lease?.stationId).toBe("station-b");
    await store.close();
  }, 120_000);
});
