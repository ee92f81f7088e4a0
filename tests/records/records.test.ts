// The record store on both backends: a signed hash chain, a defined order under concurrent writers,
// the anchor, exports, and `verifyChain` catching each kind of tampering at its first bad seq.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAnchor } from "../../core/records/anchor.js";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { sealRecord } from "../../core/records/chain.js";
import type { AuditRecord, RecordDraft } from "../../core/records/model.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { toCsv, toJsonLines } from "../../core/records/recordExport.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import { verifyChain } from "../../core/records/verifyChain.js";
import { generateSigningKey } from "../../core/signing/ed25519.js";
import { type BackendFixture, backends, type StoreRef } from "../tasks/backends.js";
import { sampleRaise } from "../tasks/sampleTasks.js";
import { startAppender } from "./appenders.js";
import { rawRecords } from "./rawRecords.js";

const pipelineKey = generateSigningKey();
const stationKey = generateSigningKey();
const trusted = [pipelineKey.publicKey, stationKey.publicKey];

function draft(n: number): RecordDraft {
  return {
    action: "claim",
    actor: { role: "station", stationId: "s1", operator: "alice" },
    subject: { taskId: `task-${n}`, personObjectId: `person-${n % 3}` },
    detail: `step ${n}`,
    provenance: { gitCommit: "0123456789abcdef0123456789abcdef01234567" },
  };
}

describe.each(backends)("records ($name)", (backend) => {
  let fx: BackendFixture;
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    fx = await backend.start();
    dir = mkdtempSync(join(tmpdir(), "keyfleet-records-"));
  });
  afterAll(async () => {
    await fx?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function freshLog(count: number): Promise<{ ref: StoreRef; log: RecordStore; anchorPath: string }> {
    const ref = fx.fresh();
    const anchorPath = join(dir, `anchor-${++n}.json`);
    const log = await openRecordStore(ref.location, { ...ref.opts, signer: stationKey, anchorPath });
    for (let i = 1; i <= count; i++) await log.append(draft(i));
    return { ref, log, anchorPath };
  }

  async function check(ref: StoreRef, anchorPath: string) {
    const log = await openRecordStore(ref.location, ref.opts);
    const report = verifyChain(await log.rows(), { anchor: readAnchor(anchorPath), trustedKeys: trusted });
    await log.close();
    return report;
  }

  it("should chain, sign and number records, keep the anchor, and verify clean", async () => {
    const { ref, log, anchorPath } = await freshLog(6);
    const all = await log.list();
    expect(all.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(all[0]?.prevHash).toBe("0".repeat(64));
    for (let i = 1; i < all.length; i++) expect(all[i]?.prevHash).toBe(all[i - 1]?.hash);
    expect(readAnchor(anchorPath)).toMatchObject({ seq: 6, hash: all[5]?.hash });
    expect(await log.head()).toEqual({ seq: 6, hash: all[5]?.hash });
    expect((await log.list({ personObjectId: "person-1" })).map((r) => r.seq)).toEqual([1, 4]);
    expect((await log.list({ fromSeq: 2, toSeq: 3 })).map((r) => r.seq)).toEqual([2, 3]);
    const report = await check(ref, anchorPath);
    expect(report).toMatchObject({ ok: true, records: 6, findings: [], signersChecked: true });

    const lines = toJsonLines(all).trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as AuditRecord).hash)).toEqual(all.map((r) => r.hash));
    const csv = toCsv(all).split("\r\n");
    expect(csv[0]).toMatch(/^seq,at,action,role,stationId,operator,taskId/);
    expect(csv[1]).toMatch(/^1,.*,claim,station,s1,alice,task-1,/);
    await log.close();
  });

  it("should catch an edited record", async () => {
    const { ref, log, anchorPath } = await freshLog(6);
    await log.close();
    const raw = rawRecords(ref);
    const r3 = JSON.parse(await raw.get(3)) as AuditRecord;
    await raw.put(3, JSON.stringify({ ...r3, subject: { ...r3.subject, personObjectId: "someone-else" } }));
    const report = await check(ref, anchorPath);
    expect(report.ok).toBe(false);
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: "edit", seq: 3 }));
  });

  it("should catch an edited record whose hash was recomputed", async () => {
    const { ref, log, anchorPath } = await freshLog(6);
    await log.close();
    const raw = rawRecords(ref);
    const r4 = JSON.parse(await raw.get(4)) as AuditRecord;
    const { hash: _h, signature, ...body } = { ...r4, detail: "nothing happened" };
    const { hashRecordBody } = await import("../../core/records/chain.js");
    await raw.put(4, JSON.stringify({ ...body, hash: hashRecordBody(body), signature }));
    const report = await check(ref, anchorPath);
    expect(report.findings[0]).toMatchObject({ kind: "edit", seq: 4 });
  });

  it("should catch a deleted record", async () => {
    const { ref, log, anchorPath } = await freshLog(6);
    await log.close();
    await rawRecords(ref).remove(4);
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "delete", seq: 4 })]);
  });

  it("should catch reordered records", async () => {
    const { ref, log, anchorPath } = await freshLog(6);
    await log.close();
    const raw = rawRecords(ref);
    const [d2, d3] = [await raw.get(2), await raw.get(3)];
    await raw.put(2, d3);
    await raw.put(3, d2);
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "reorder", seq: 2 })]);
  });

  it("should catch a truncated tail through the anchor", async () => {
    const { ref, log, anchorPath } = await freshLog(6);
    await log.close();
    const raw = rawRecords(ref);
    await raw.remove(6);
    await raw.remove(5);
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "truncate", seq: 5 })]);
  });

  it("should catch a wholly rewritten chain, with or without a list of trusted keys", async () => {
    const { ref, log, anchorPath } = await freshLog(6);
    await log.close();
    const raw = rawRecords(ref);
    const forger = generateSigningKey();
    let prev = { seq: 0, hash: "0".repeat(64) };
    for (let seq = 1; seq <= 6; seq++) {
      const r = sealRecord(
        { ...draft(seq), detail: "forged" },
        { seq, prevHash: prev.hash, at: new Date() },
        forger,
      );
      await raw.put(seq, JSON.stringify(r));
      prev = r;
    }
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "rewrite", seq: 1 })]);
    const log2 = await openRecordStore(ref.location, ref.opts);
    const noKeys = verifyChain(await log2.rows(), { anchor: readAnchor(anchorPath) });
    await log2.close();
    expect(noKeys.signersChecked).toBe(false);
    expect(noKeys.findings).toEqual([expect.objectContaining({ kind: "rewrite", seq: 6 })]);
  });

  it("should give concurrent writers in 4 processes one unbroken order", async () => {
    const { ref, log, anchorPath } = await freshLog(0);
    const workers = Array.from({ length: 4 }, (_, i) => startAppender(ref, `writer-${i}`, 40));
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0 });
    const all = await log.list();
    expect(all.map((r) => r.seq)).toEqual(Array.from({ length: 160 }, (_, i) => i + 1));
    for (let w = 0; w < 4; w++) {
      const mine = all.filter((r) => r.actor.stationId === `writer-${w}`).map((r) => Number(r.detail));
      expect(mine).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
    const report = verifyChain(await log.rows(), { trustedKeys: [stationKey.publicKey] });
    expect(report.findings).toEqual([expect.objectContaining({ kind: "rewrite" })]);
    expect(verifyChain(await log.rows()).ok).toBe(true);
    expect(anchorPath).toBeTruthy();
    await log.close();
  }, 300_000);

  it("should record a task's whole life, signed, with provenance and no secrets", async () => {
    const ref = fx.fresh();
    const anchorPath = join(dir, `anchor-${++n}.json`);
    const tasks = await fx.open(ref);
    const pipelineRecords = await openRecordStore(ref.location, {
      ...ref.opts,
      signer: pipelineKey,
      anchorPath,
    });
    const pipeline = new AuditedTaskStore(tasks, pipelineRecords, {
      actor: { role: "pipeline" },
      provenance: { pipelineRun: "run-99" },
    });
    const raised = (await pipeline.raise(sampleRaise(1), pipelineKey)).task;
    await pipeline.raise(sampleRaise(1), pipelineKey);
    const station = new AuditedTaskStore(
      await fx.open(ref),
      await openRecordStore(ref.location, { ...ref.opts, signer: stationKey, anchorPath }),
      { actor: { role: "station", stationId: "desk-7" } },
    );
    const t = (await station.claimNext({ stationId: "desk-7", operator: "alice", leaseMs: 60_000 }))!;
    await station.markRegistering(t.id, t.lease!, { credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx" });
    await station.complete(t.id, t.lease!, {
      kind: "registered",
      methodId: "method-1",
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx",
      attestationCertSha256: "ab".repeat(32),
      registeredAt: new Date().toISOString(),
    });
    const recs = await pipelineRecords.list();
    expect(recs.map((r) => r.action)).toEqual(["raise", "claim", "registering", "registration"]);
    expect(recs[0]).toMatchObject({ actor: { role: "pipeline" }, signer: { keyId: pipelineKey.keyId } });
    expect(recs[0]?.provenance).toMatchObject({
      pipelineRun: "run-99",
      gitCommit: sampleRaise(1).provenance?.gitCommit,
    });
    expect(recs[3]).toMatchObject({
      actor: { role: "station", stationId: "desk-7", operator: "alice" },
      subject: { taskId: raised.id, aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8", methodId: "method-1" },
      signer: { keyId: stationKey.keyId },
    });
    expect(
      verifyChain(await pipelineRecords.rows(), { anchor: readAnchor(anchorPath), trustedKeys: trusted }).ok,
    ).toBe(true);
    const dump = await fx.dumpAll(ref);
    expect(dump).toContain("method-1");
    for (const secret of [
      "PRIVATE KEY",
      stationKey.privateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    ]) {
      expect(dump).not.toContain(secret);
    }
    await pipeline.close();
    await station.close();
  });
});
