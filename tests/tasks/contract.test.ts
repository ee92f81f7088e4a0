// The TaskStore contract, run unchanged against every backend: SQLite and Azure Table (Azurite).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { generateSigningKey } from "../../core/signing/ed25519.js";
import { claimTrusted } from "../../core/tasks/claimTrusted.js";
import { TaskStoreError } from "../../core/tasks/errors.js";
import type { RaiseInput, Task } from "../../core/tasks/model.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { signTask, taskIdFor, verifyTask } from "../../core/tasks/taskSignature.js";
import { DEFAULT_RETRY_POLICY } from "../../core/tasks/transitions.js";
import { type BackendFixture, backends, type StoreRef } from "./backends.js";
import { sampleRaise, TestClock } from "./sampleTasks.js";

const pipeline = generateSigningKey();
const LEASE = 60_000;

async function rejects(p: Promise<unknown>, code: TaskStoreError["code"]): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(TaskStoreError.isInstance(err), `expected a TaskStoreError(${code}), got ${String(err)}`).toBe(true);
  expect((err as TaskStoreError).code).toBe(code);
}

describe.each(backends)("TaskStore contract ($name)", (backend) => {
  let fx: BackendFixture;
  let ref: StoreRef;
  let clock: TestClock;
  let store: TaskStore;

  beforeAll(async () => {
    fx = await backend.start();
  });
  afterAll(async () => {
    await fx?.stop();
  });

  async function fresh(): Promise<TaskStore> {
    clock = new TestClock();
    ref = fx.fresh();
    store = await fx.open(ref, { now: clock.now });
    return store;
  }

  async function raise(n: number, overrides: Partial<RaiseInput> = {}): Promise<Task> {
    return (await store.raise(sampleRaise(n, overrides), pipeline)).task;
  }

  it("should raise a signed pending task, and return the same task when raised again", async () => {
    await fresh();
    const first = await store.raise(sampleRaise(1), pipeline);
    expect(first.created).toBe(true);
    expect(first.task.state).toBe("pending");
    expect(first.task.attempts).toBe(0);
    expect(verifyTask(first.task, [pipeline.publicKey])).toEqual({ trusted: true });
    clock.advance(1000);
    const again = await store.raise(sampleRaise(1), pipeline);
    expect(again.created).toBe(false);
    expect(again.task).toEqual(first.task);
    const next = await store.raise(sampleRaise(1, { generation: 2 }), pipeline);
    expect(next.created).toBe(true);
    expect(next.task.id).not.toBe(first.task.id);
    expect(await store.list()).toHaveLength(2);
    await store.close();
  });

  it("should keep and sign the inventory serials a slot names", async () => {
    await fresh();
    const input = sampleRaise(1);
    const { task } = await store.raise(
      { ...input, profile: { ...input.profile, serials: ["18000001"] } },
      pipeline,
    );
    expect((await store.get(task.id))?.profile.serials).toEqual(["18000001"]);
    expect(verifyTask(task, [pipeline.publicKey])).toEqual({ trusted: true });
    const swapped = { ...task, profile: { ...task.profile, serials: ["18000002"] } };
    expect(verifyTask(swapped, [pipeline.publicKey]).trusted).toBe(false);
    await store.close();
  });

  it("should refuse malformed input and store nothing", async () => {
    await fresh();
    const bad: Partial<RaiseInput>[] = [
      { generation: -1 },
      { assignmentId: "" },
      { profile: { ...sampleRaise(1).profile, pinLength: 2 } },
      { profile: { ...sampleRaise(1).profile, allowedAaguids: ["not-an-aaguid"] } },
      { kind: "revoke" },
      { provenance: { pipelineRun: "Bearer abcdefghijklmnopqrstuvwxyz" } },
      { profile: { ...sampleRaise(1).profile, serials: [] } },
      { profile: { ...sampleRaise(1).profile, serials: [""] } },
    ];
    for (const b of bad) await rejects(store.raise(sampleRaise(1, b), pipeline), "bad-input");
    expect(await store.list()).toEqual([]);
    await store.close();
  });

  it("should give each claim to one station only, and nothing when all are taken", async () => {
    await fresh();
    await raise(1);
    await raise(2);
    const a = await store.claimNext({ stationId: "station-a", operator: "alice", leaseMs: LEASE });
    const b = await store.claimNext({ stationId: "station-b", leaseMs: LEASE });
    expect(a?.state).toBe("claimed");
    expect(b?.state).toBe("claimed");
    expect(a?.id).not.toBe(b?.id);
    expect(a?.lease).toMatchObject({ stationId: "station-a", operator: "alice" });
    expect(a?.attempts).toBe(1);
    expect(await store.claimNext({ stationId: "station-c", leaseMs: LEASE })).toBeUndefined();
    await store.close();
  });

  it("should move a claimed task through registering to done, idempotently", async () => {
    await fresh();
    await raise(1);
    const t = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    const reg = await store.markRegistering(t.id, t.lease!, {
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx",
      nonce: "k7",
    });
    expect(reg.state).toBe("registering");
    expect(reg.registration).toMatchObject({
      stationId: "s1",
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx",
      nonce: "k7",
    });
    const result = {
      kind: "registered" as const,
      methodId: "method-1",
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx",
      registeredAt: clock.now().toISOString(),
    };
    const done = await store.complete(t.id, t.lease!, result);
    expect(done.state).toBe("done");
    expect(done.result).toEqual(result);
    expect(await store.complete(t.id, t.lease!, result)).toEqual(done);
    await rejects(store.complete(t.id, t.lease!, { ...result, methodId: "other" }), "lease-lost");
    await rejects(store.cancel(t.id), "invalid-state");
    expect((await store.get(t.id))?.state).toBe("done");
    await store.close();
  });

  it("should renew and release leases only for their holder", async () => {
    await fresh();
    await raise(1);
    const t = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    await rejects(store.renew(t.id, { stationId: "s2", claimId: t.lease!.claimId }, LEASE), "lease-lost");
    await rejects(
      store.complete(
        t.id,
        { stationId: "s1", claimId: "forged" },
        {
          kind: "registered",
          methodId: "m",
          aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
          credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx",
          registeredAt: clock.now().toISOString(),
        },
      ),
      "lease-lost",
    );
    clock.advance(30_000);
    const renewed = await store.renew(t.id, t.lease!, LEASE);
    expect(Date.parse(renewed.lease!.expiresAt)).toBe(clock.now().getTime() + LEASE);
    const released = await store.release(t.id, t.lease!);
    expect(released.state).toBe("pending");
    expect(released.lease).toBeUndefined();
    const again = await store.claimNext({ stationId: "s2", leaseMs: LEASE });
    expect(again?.id).toBe(t.id);
    expect(again?.attempts).toBe(2);
    await store.close();
  });

  it("should back off retryable failures, count attempts, and give up after the last", async () => {
    await fresh();
    await raise(1);
    let backoff = DEFAULT_RETRY_POLICY.baseDelayMs;
    for (let attempt = 1; attempt <= DEFAULT_RETRY_POLICY.maxAttempts; attempt++) {
      const t = await store.claimNext({ stationId: "s1", leaseMs: LEASE });
      expect(t?.attempts).toBe(attempt);
      const failed = await store.fail(t!.id, t!.lease!, { reason: "key not answering", retryable: true });
      expect(failed.state).toBe("failed");
      if (attempt < DEFAULT_RETRY_POLICY.maxAttempts) {
        expect(failed.failure).toMatchObject({
          retryable: true,
          reason: "key not answering",
          stationId: "s1",
        });
        expect(Date.parse(failed.nextAttemptAt)).toBe(clock.now().getTime() + backoff);
        clock.advance(backoff - 1);
        expect(await store.claimNext({ stationId: "s1", leaseMs: LEASE })).toBeUndefined();
        clock.advance(1);
        backoff *= 2;
      } else {
        expect(failed.failure?.retryable).toBe(false);
        expect(failed.failure?.reason).toMatch(/gave up after 5 attempts/);
      }
    }
    clock.advance(365 * 24 * 3600_000);
    expect(await store.claimNext({ stationId: "s1", leaseMs: LEASE })).toBeUndefined();
    const retried = await store.retry((await store.list())[0]!.id);
    expect(retried.state).toBe("pending");
    expect((await store.claimNext({ stationId: "s1", leaseMs: LEASE }))?.id).toBe(retried.id);
    await store.close();
  });

  it("should fail a task for good when the failure is final", async () => {
    await fresh();
    await raise(1);
    const t = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    const failed = await store.fail(t.id, t.lease!, {
      reason: "AAGUID not allowed by tenant policy",
      retryable: false,
    });
    expect(failed.failure).toMatchObject({ retryable: false });
    clock.advance(365 * 24 * 3600_000);
    expect(await store.claimNext({ stationId: "s1", leaseMs: LEASE })).toBeUndefined();
    await rejects(store.fail(t.id, t.lease!, { reason: "x", retryable: false }), "lease-lost");
    await rejects(
      store.fail(t.id, t.lease!, { reason: "token eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0NTY3", retryable: true }),
      "bad-input",
    );
    await store.close();
  });

  it("should cancel open tasks, and refuse a cancelled task's completion", async () => {
    await fresh();
    const p = await raise(1);
    const c = await raise(2);
    expect((await store.cancel(p.id, { reason: "person left" })).state).toBe("cancelled");
    const held = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    expect(held.id).toBe(c.id);
    const reg = await store.markRegistering(held.id, held.lease!, {
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDAy",
    });
    await rejects(store.cancel(reg.id), "invalid-state");
    expect((await store.cancel(reg.id, { force: true })).state).toBe("cancelled");
    await rejects(store.renew(held.id, held.lease!, LEASE), "lease-lost");
    expect(await store.claimNext({ stationId: "s1", leaseMs: LEASE })).toBeUndefined();
    await rejects(store.cancel("no-such-task"), "not-found");
    await store.close();
  });

  it("should let another station take an expired lease, keeping the pending registration", async () => {
    await fresh();
    await raise(1);
    const t = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    await store.markRegistering(t.id, t.lease!, { credentialId: "Y3JlZGVudGlhbC1pZC0wMDAz" });
    clock.advance(LEASE - 1);
    expect(await store.claimNext({ stationId: "s2", leaseMs: LEASE })).toBeUndefined();
    clock.advance(1);
    const taken = (await store.claimNext({ stationId: "s2", leaseMs: LEASE }))!;
    expect(taken.id).toBe(t.id);
    expect(taken.lease?.stationId).toBe("s2");
    expect(taken.registration?.credentialId).toBe("Y3JlZGVudGlhbC1pZC0wMDAz");
    await rejects(store.renew(t.id, t.lease!, LEASE), "lease-lost");
    await store.close();
  });

  it("should return expired leases to pending when reclaiming", async () => {
    await fresh();
    await raise(1);
    await raise(2);
    const a = (await store.claimNext({ stationId: "s1", leaseMs: 1000 }))!;
    await store.claimNext({ stationId: "s1", leaseMs: 10_000 });
    clock.advance(1000);
    const moved = await store.reclaimExpired();
    expect(moved.map((t) => t.id)).toEqual([a.id]);
    expect((await store.get(a.id))?.state).toBe("pending");
    expect(await store.list({ state: "claimed" })).toHaveLength(1);
    await store.close();
  });

  it("should list by state, kind, person, user principal name and age", async () => {
    await fresh();
    await raise(1);
    clock.advance(60_000);
    const cut = clock.now();
    await raise(2);
    await raise(3);
    await store.claimNext({ stationId: "s1", leaseMs: LEASE });
    expect(await store.list({ state: "claimed" })).toHaveLength(1);
    expect(await store.list({ state: ["pending", "claimed"] })).toHaveLength(3);
    expect((await store.list({ personObjectId: sampleRaise(2).person.objectId })).map((t) => t.slot)).toEqual(
      ["primary"],
    );
    expect(await store.list({ userPrincipalName: "PERSON3@contoso.example" })).toHaveLength(1);
    expect((await store.list({ createdBefore: cut })).map((t) => t.person.userPrincipalName)).toEqual([
      "person1@contoso.example",
    ]);
    expect(await store.list({ createdAfter: cut })).toHaveLength(2);
    expect(await store.list({ kind: "revoke" })).toEqual([]);
    expect(await store.list({ limit: 2 })).toHaveLength(2);
    await store.close();
  });

  it("should hold a revocation until its replacement is done", async () => {
    await fresh();
    await raise(1, { slot: "backup", assignmentId: "person-1/backup" });
    const replacement = await raise(1);
    await raise(1, {
      kind: "revoke",
      assignmentId: "person-1/old",
      revoke: { methodId: "old-method", afterAssignmentId: replacement.assignmentId, afterGeneration: 1 },
    });
    const first = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    const second = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    expect([first.kind, second.kind]).toEqual(["provision", "provision"]);
    expect(await store.claimNext({ stationId: "s1", leaseMs: LEASE })).toBeUndefined();
    const rep = first.id === replacement.id ? first : second;
    await store.complete(rep.id, rep.lease!, {
      kind: "registered",
      methodId: "new-method",
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDA0",
      registeredAt: clock.now().toISOString(),
    });
    const revoke = (await store.claimNext({ stationId: "s1", leaseMs: LEASE }))!;
    expect(revoke.kind).toBe("revoke");
    expect(revoke.revoke?.methodId).toBe("old-method");
    await rejects(
      store.complete(revoke.id, revoke.lease!, {
        kind: "registered",
        methodId: "x",
        aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
        credentialId: "Y3JlZGVudGlhbC1pZC0wMDA0",
        registeredAt: clock.now().toISOString(),
      }),
      "bad-input",
    );
    const done = await store.complete(revoke.id, revoke.lease!, {
      kind: "revoked",
      methodId: "old-method",
      revokedAt: clock.now().toISOString(),
    });
    expect(done.state).toBe("done");
    await store.close();
  });

  it("should look past a long run of gated revocations to claimable work", async () => {
    await fresh();
    for (let i = 0; i < 70; i++) {
      await raise(100 + i, {
        kind: "revoke",
        revoke: { methodId: `old-${i}`, afterAssignmentId: "never-done/primary", afterGeneration: 1 },
      });
    }
    clock.advance(1000);
    const work = await raise(1);
    const claimed = await store.claimNext({ stationId: "s1", leaseMs: LEASE });
    expect(claimed?.id).toBe(work.id);
    expect(await store.claimNext({ stationId: "s1", leaseMs: LEASE })).toBeUndefined();
    await store.close();
  });

  it("should quarantine unsigned, re-signed and altered tasks, and hand out only the pipeline's", async () => {
    await fresh();
    const good = await raise(1);
    const impostor = generateSigningKey();
    const resigned = (await store.raise(sampleRaise(2), impostor)).task;
    const { signature: _s, ...unsignedBody } = (await store.raise(sampleRaise(3), pipeline)).task;
    await fx.putRaw(ref, unsignedBody as Task);
    const altered = (await store.raise(sampleRaise(4), pipeline)).task;
    await fx.putRaw(ref, {
      ...altered,
      person: { ...altered.person, objectId: "attacker-chosen-object-id" },
    });
    // A fully forged row: signed by an impostor with a fresh id.
    const forgedSpec = { ...good, generation: 9, id: taskIdFor(good.assignmentId, 9) };
    await fx.putRaw(ref, { ...forgedSpec, signature: signTask(forgedSpec, impostor) });

    const seen: string[] = [];
    const claims: Task[] = [];
    const records = await openRecordStore(ref.location, ref.opts);
    for (;;) {
      const r = await claimTrusted(store, {
        stationId: "s1",
        leaseMs: LEASE,
        pipelineKeys: [pipeline.publicKey],
        records,
        onQuarantine: (t) => {
          seen.push(t.id);
        },
      });
      if (!r.task) break;
      claims.push(r.task);
    }
    expect(claims.map((t) => t.id)).toEqual([good.id]);
    expect(seen).toHaveLength(4);
    const failed = await store.list({ state: "failed" });
    expect(failed).toHaveLength(4);
    for (const f of failed) expect(f.failure).toMatchObject({ quarantined: true, retryable: false });
    expect(failed.find((f) => f.id === resigned.id)?.failure?.reason).toMatch(/not the pipeline's/);
    expect(failed.find((f) => f.id === unsignedBody.id)?.failure?.reason).toMatch(/unsigned/);
    // Even an operator's retry cannot get them provisioned.
    await store.retry(resigned.id);
    const r = await claimTrusted(store, {
      stationId: "s1",
      leaseMs: LEASE,
      pipelineKeys: [pipeline.publicKey],
      records,
    });
    expect(r.task).toBeUndefined();
    expect(r.quarantined.map((t) => t.id)).toEqual([resigned.id]);
    await expect(
      claimTrusted(store, { stationId: "s1", leaseMs: LEASE, pipelineKeys: [pipeline.publicKey] }),
    ).rejects.toThrow(/needs the record store/);
    await records.close();
    await store.close();
  });

  it("should store nothing secret: no planted PIN, token or key", async () => {
    await fresh();
    const PIN = "58293017";
    const TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJncmFwaCJ9.c2lnbmF0dXJlLXBsYW50ZWQ";
    // A careless caller attaches secrets to the raise input; the store keeps known fields only.
    const input = { ...sampleRaise(1), pin: PIN, accessToken: TOKEN } as RaiseInput;
    const t = (await store.raise(input, pipeline)).task;
    const held = (await store.claimNext({ stationId: "s1", operator: "alice", leaseMs: LEASE }))!;
    await rejects(
      store.fail(held.id, held.lease!, { reason: `Graph said 401 for Bearer ${TOKEN}`, retryable: true }),
      "bad-input",
    );
    await store.markRegistering(t.id, held.lease!, { credentialId: "Y3JlZGVudGlhbC1pZC0wMDA1" });
    await store.complete(t.id, held.lease!, {
      kind: "registered",
      methodId: "m-1",
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDA1",
      registeredAt: clock.now().toISOString(),
    });
    const dump = await fx.dumpAll(ref);
    expect(dump).toContain(t.id);
    for (const secret of [
      PIN,
      TOKEN,
      "eyJ0eXAi",
      pipeline.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    ]) {
      expect(dump).not.toContain(secret);
    }
    await store.close();
  });
});
