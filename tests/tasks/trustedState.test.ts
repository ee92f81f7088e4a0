// Trusted state on both backends: a row rewritten by someone holding the store's credential — a cancelled
// task flipped back to pending with its decision removed, a result's method id changed — is refused by the
// station (claimTrusted) and quarantined by the pipeline (verifyTaskResults), each with its reason.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import { generateSigningKey, type SigningKey } from "../../core/signing/ed25519.js";
import { claimTrusted } from "../../core/tasks/claimTrusted.js";
import type { Task, TaskResult } from "../../core/tasks/model.js";
import { decisionSignedBy, resultSignedBy, signResult } from "../../core/tasks/stateSignatures.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { verifyTaskResults } from "../../core/tasks/verifyTaskResults.js";
import { type BackendFixture, backends, type StoreRef } from "./backends.js";
import { sampleRaise } from "./sampleTasks.js";

const pipelineKey = generateSigningKey();
const stationKey = generateSigningKey();
const LEASE = 60_000;

function registered(n: number, methodId = `method-${n}`): TaskResult {
  return {
    kind: "registered",
    methodId,
    aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
    credentialId: `Y3JlZGVudGlhbC1pZC0${String(n).padStart(4, "0")}`,
    registeredAt: "2030-01-01T00:00:00.000Z",
  };
}

/** The row as an attacker with write access leaves it: back to pending, every trace of the decision gone. */
function resurrected(t: Task): Task {
  const { decision: _d, failure: _f, lease: _l, ...rest } = t;
  return { ...rest, state: "pending", nextAttemptAt: "2000-01-01T00:00:00.000Z" };
}

describe.each(backends)("trusted task state ($name)", (backend) => {
  let fx: BackendFixture;
  const open: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    fx = await backend.start();
  });
  afterAll(async () => {
    for (const o of open) await o.close();
    await fx?.stop();
  });

  async function audited(ref: StoreRef, key: SigningKey, role: "pipeline" | "station") {
    const inner = await fx.open(ref);
    const records = await openRecordStore(ref.location, { ...ref.opts, signer: key });
    const store = new AuditedTaskStore(inner, records, {
      actor: role === "station" ? { role, stationId: "desk-1" } : { role },
    });
    open.push(store);
    return store;
  }

  async function setup() {
    const ref = fx.fresh();
    const pipeline = await audited(ref, pipelineKey, "pipeline");
    const station = await audited(ref, stationKey, "station");
    const trust = {
      pipelineKeys: [pipelineKey.publicKey],
      stationKeys: [stationKey.publicKey],
      records: pipeline.records as RecordStore,
    };
    const claim = () =>
      claimTrusted(station, {
        stationId: "desk-1",
        leaseMs: LEASE,
        pipelineKeys: [pipelineKey.publicKey],
      });
    return { ref, pipeline, station, trust, claim };
  }

  async function finish(station: TaskStore, t: Task, result: TaskResult): Promise<Task> {
    await station.markRegistering(t.id, t.lease!, { credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx" });
    return station.complete(t.id, t.lease!, result);
  }

  it("should refuse and report a cancelled task whose row was rewritten to pending with its decision removed", async () => {
    const { ref, pipeline, trust, claim } = await setup();
    const live = (await pipeline.raise(sampleRaise(1), pipelineKey)).task;
    const victim = (await pipeline.raise(sampleRaise(2), pipelineKey)).task;
    const cancelled = await pipeline.cancel(victim.id, { reason: "removed from the specs" });
    expect(cancelled.state).toBe("cancelled");
    expect(cancelled.decision?.kind).toBe("cancelled");
    expect(decisionSignedBy(cancelled, [pipelineKey.publicKey])).toBe(true);

    await fx.putRaw(ref, resurrected(cancelled));
    expect((await pipeline.get(victim.id))?.state).toBe("pending");

    // The pipeline sees the contradiction before any station claims it.
    const before = await verifyTaskResults(await pipeline.list(), trust);
    expect(before.trusted.map((t) => t.id)).toEqual([live.id]);
    expect(before.quarantined).toHaveLength(1);
    expect(before.quarantined[0]?.reason).toMatch(
      /records say task \w+ was cancelled \(record \d+, signed by the pipeline's key \w+\) but its row says pending: the row was rewritten/,
    );

    const reported: string[] = [];
    const claims: Task[] = [];
    for (;;) {
      const r = await claim();
      reported.push(...r.quarantined.map((t) => `${t.id}: ${t.failure?.reason}`));
      if (!r.task) break;
      claims.push(r.task);
    }
    expect(claims.map((t) => t.id)).toEqual([live.id]);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toMatch(
      new RegExp(`^${victim.id}: refused: the records say task ${victim.id} was cancelled`),
    );
    const stored = (await pipeline.get(victim.id))!;
    expect(stored.failure).toMatchObject({ quarantined: true, retryable: false });
    const quarantineRecords = await pipeline.records.list({ action: "quarantine", taskId: victim.id });
    expect(quarantineRecords).toHaveLength(1);
  });

  it("should refuse a superseded task brought back, naming the supersession", async () => {
    const { ref, pipeline, claim } = await setup();
    const old = (await pipeline.raise(sampleRaise(3), pipelineKey)).task;
    const next = (await pipeline.raise(sampleRaise(3, { generation: 2 }), pipelineKey)).task;
    const superseded = await pipeline.cancel(old.id, { reason: "lost key replaced", supersededBy: next.id });
    expect(superseded.decision).toMatchObject({ kind: "superseded", supersededBy: next.id });
    const rec = await pipeline.records.list({ action: "supersession", taskId: old.id });
    expect(rec[0]?.signer.keyId).toBe(pipelineKey.keyId);
    await fx.putRaw(ref, resurrected(superseded));
    // Claims start at a random row on Azure: claim until nothing is left, whichever comes first.
    const claims = [await claim()];
    while (claims.at(-1)?.task) claims.push(await claim());
    expect(claims.flatMap((c) => (c.task ? [c.task.id] : []))).toEqual([next.id]);
    expect(claims.flatMap((c) => c.quarantined).map((t) => t.failure?.reason)).toEqual([
      expect.stringMatching(/was superseded \(record \d+, signed by the pipeline's key/),
    ]);
  });

  it("should refuse a finished task flipped back to pending", async () => {
    const { ref, pipeline, station, claim } = await setup();
    await pipeline.raise(sampleRaise(4), pipelineKey);
    const t = (await claim()).task!;
    const done = await finish(station, t, registered(4));
    await fx.putRaw(ref, { ...resurrected(done), nextAttemptAt: "2000-01-01T00:00:00.000Z" });
    const r = await claim();
    expect(r.task).toBeUndefined();
    expect(r.quarantined[0]?.failure?.reason).toMatch(/was already done \(registration record \d+/);
  });

  it("should trust a station-signed result matching its record, and quarantine a rewritten method id", async () => {
    const { ref, pipeline, station, trust, claim } = await setup();
    await pipeline.raise(sampleRaise(5), pipelineKey);
    await pipeline.raise(sampleRaise(6), pipelineKey);
    await pipeline.raise(sampleRaise(7), pipelineKey);
    const done: Task[] = [];
    for (const n of [5, 6, 7]) {
      const t = (await claim()).task!;
      done.push(await finish(station, t, registered(n)));
    }
    for (const t of done) expect(resultSignedBy(t, [stationKey.publicKey])).toBe(true);
    const clean = await verifyTaskResults(await pipeline.list(), trust);
    expect(clean.quarantined).toEqual([]);
    expect(clean.trusted).toHaveLength(3);

    const [a, b, c] = done as [Task, Task, Task];
    // a: the method id rewritten to someone else's passkey, which the provider would revoke.
    await fx.putRaw(ref, { ...a, result: { ...a.result!, methodId: "victims-other-passkey" } });
    // b: rewritten and re-signed with a key the pipeline does not trust.
    const impostor = generateSigningKey();
    const bResult = { ...b.result!, methodId: "victims-other-passkey-2" };
    await fx.putRaw(ref, {
      ...b,
      result: bResult,
      resultSignature: signResult(b, "desk-1", bResult, impostor),
    });
    // c: the signature stripped.
    const { resultSignature: _rs, ...cBare } = c;
    await fx.putRaw(ref, cBare);

    const checked = await verifyTaskResults(await pipeline.list(), trust);
    expect(checked.trusted).toEqual([]);
    const why = new Map(checked.quarantined.map((q) => [q.task.id, q.reason]));
    expect(why.get(a.id)).toMatch(/method victims-other-passkey\) is not signed by a trusted station key/);
    expect(why.get(b.id)).toMatch(new RegExp(`not signed by a trusted station key .*key ${impostor.keyId}`));
    expect(why.get(c.id)).toMatch(/is unsigned/);
    // Nothing quarantined hands the pipeline a method id to act on through `trusted`.
    expect(JSON.stringify(checked.trusted)).not.toContain("victims-other-passkey");
  });

  it("should quarantine a signed result the station never recorded, and any result when no station key is trusted", async () => {
    const { ref, pipeline, trust } = await setup();
    const raised = (await pipeline.raise(sampleRaise(8), pipelineKey)).task;
    // A bare store (no records) completing with the station key: signed, but not in the chain.
    const bare = await fx.open(ref);
    open.push(bare);
    const t = (await bare.claimNext({ stationId: "desk-1", leaseMs: LEASE }))!;
    await bare.complete(t.id, t.lease!, registered(8), stationKey);
    const checked = await verifyTaskResults(await pipeline.list(), trust);
    expect(checked.quarantined.map((q) => q.reason)).toEqual([
      expect.stringMatching(/no registration record signed by station desk-1 .* matches the result of task/),
    ]);
    const noKeys = await verifyTaskResults(await pipeline.list(), { ...trust, stationKeys: [] });
    expect(noKeys.quarantined[0]?.reason).toMatch(/no trusted station keys are configured/);
    expect(raised.id).toBe(t.id);
  });

  it("should quarantine a result reported after the pipeline cancelled the task", async () => {
    const { ref, pipeline, station, trust } = await setup();
    const raised = (await pipeline.raise(sampleRaise(9), pipelineKey)).task;
    const cancelled = await pipeline.cancel(raised.id, { reason: "removed" });
    await fx.putRaw(ref, resurrected(cancelled));
    // A station without the records check (an old build) takes it and reports a genuine, signed result.
    const t = (await station.claimNext({ stationId: "desk-1", leaseMs: LEASE }))!;
    await finish(station, t, registered(9));
    const checked = await verifyTaskResults(await pipeline.list(), trust);
    expect(checked.trusted).toEqual([]);
    expect(checked.quarantined[0]?.reason).toMatch(
      /was cancelled \(record \d+, signed by the pipeline's key \w+\) before station desk-1 reported this result/,
    );
  });
});
