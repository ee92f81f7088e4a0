// The record store on both backends: one signed hash chain per writer key, unbroken under concurrent
// writers (each with its own key, and several sharing one), the anchor and head covering every chain, exports,
// `verifyChain` catching each kind of tampering in the chain it happened in at its first bad seq — a dropped
// chain through the anchor — and stores written before chains were per writer still reading and verifying.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAnchor } from "../../core/records/anchor.js";
import { AuditedTaskStore } from "../../core/records/auditedTaskStore.js";
import { hashRecordBody, sealRecord } from "../../core/records/chain.js";
import { type AuditRecord, LEGACY_CHAIN, type RecordDraft } from "../../core/records/model.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { toCsv, toJsonLines } from "../../core/records/recordExport.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import { recordsHeadOf } from "../../core/records/recordsHead.js";
import { verifyChain } from "../../core/records/verifyChain.js";
import { generateSigningKey, privateKeyPem } from "../../core/signing/ed25519.js";
import { type BackendFixture, backends, type StoreRef } from "../tasks/backends.js";
import { sampleRaise } from "../tasks/sampleTasks.js";
import { startAppender } from "./appenders.js";
import { rawRecords } from "./rawRecords.js";

const pipelineKey = generateSigningKey();
const stationKey = generateSigningKey();
const trusted = [pipelineKey.publicKey, stationKey.publicKey];
const P = pipelineKey.keyId;
const S = stationKey.keyId;

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

  /** A store where the station and the pipeline each wrote `count` records, interleaved, sharing one anchor. */
  async function twoWriters(
    count: number,
  ): Promise<{ ref: StoreRef; station: RecordStore; pipeline: RecordStore; anchorPath: string }> {
    const ref = fx.fresh();
    const anchorPath = join(dir, `anchor-${++n}.json`);
    const station = await openRecordStore(ref.location, { ...ref.opts, signer: stationKey, anchorPath });
    const pipeline = await openRecordStore(ref.location, { ...ref.opts, signer: pipelineKey, anchorPath });
    for (let i = 1; i <= count; i++) {
      await station.append(draft(i));
      await pipeline.append({ ...draft(i), actor: { role: "pipeline" } });
    }
    return { ref, station, pipeline, anchorPath };
  }

  async function tampered(count = 6) {
    const w = await twoWriters(count);
    await w.station.close();
    await w.pipeline.close();
    return { ...w, raw: rawRecords(w.ref) };
  }

  async function check(ref: StoreRef, anchorPath: string) {
    const log = await openRecordStore(ref.location, ref.opts);
    const report = verifyChain(await log.rows(), { anchor: readAnchor(anchorPath), trustedKeys: trusted });
    await log.close();
    return report;
  }

  it("should chain, sign and number each writer's records, keep the anchor over both chains, and verify clean", async () => {
    const { ref, station, pipeline, anchorPath } = await twoWriters(6);
    const mine = await station.list({ chain: S });
    expect(mine.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(mine.every((r) => r.v === 2 && r.chain === S && r.signer.keyId === S)).toBe(true);
    expect(mine[0]?.prevHash).toBe("0".repeat(64));
    for (let i = 1; i < mine.length; i++) expect(mine[i]?.prevHash).toBe(mine[i - 1]?.hash);
    const theirs = await station.list({ chain: P });
    expect(theirs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    // One reading order over both: by time, each chain in its own order.
    const all = await station.list();
    expect(all).toHaveLength(12);
    expect(all.filter((r) => r.chain === S)).toEqual(mine);

    const heads = { [S]: { seq: 6, hash: mine[5]!.hash }, [P]: { seq: 6, hash: theirs[5]!.hash } };
    expect(await station.head()).toEqual(recordsHeadOf(heads));
    expect(await station.head()).toMatchObject({ seq: 12, chains: heads });
    expect(readAnchor(anchorPath)).toMatchObject({ seq: 12, chains: heads });
    expect((await station.list({ chain: S, personObjectId: "person-1" })).map((r) => r.seq)).toEqual([1, 4]);
    expect((await station.list({ chain: S, fromSeq: 2, toSeq: 3 })).map((r) => r.seq)).toEqual([2, 3]);
    const report = await check(ref, anchorPath);
    expect(report).toMatchObject({ ok: true, records: 12, chains: 2, findings: [], signersChecked: true });
    expect(report.head).toEqual(await station.head());

    const lines = toJsonLines(mine).trimEnd().split("\n");
    expect(lines.map((l) => (JSON.parse(l) as AuditRecord).hash)).toEqual(mine.map((r) => r.hash));
    const csv = toCsv(mine).split("\r\n");
    expect(csv[0]).toMatch(/^seq,chain,at,action,role,stationId,operator,taskId/);
    expect(csv[1]).toMatch(new RegExp(`^1,${S},.*,claim,station,s1,alice,task-1,`));
    await station.close();
    await pipeline.close();
  });

  it("should write appends made at once in their order, as one batch, and the head after them", async () => {
    const ref = fx.fresh();
    const log = await openRecordStore(ref.location, { ...ref.opts, signer: stationKey });
    const written = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(draft(i + 1))));
    expect(written.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(written.map((r) => r.detail)).toEqual(Array.from({ length: 50 }, (_, i) => `step ${i + 1}`));
    expect(verifyChain(await log.rows(), { trustedKeys: trusted }).findings).toEqual([]);
    expect(await log.head()).toMatchObject({
      seq: 50,
      chains: { [S]: { seq: 50, hash: written[49]!.hash } },
    });
    await log.close();
  });

  it("should catch an edited record, in its own chain only", async () => {
    const { ref, raw, anchorPath } = await tampered();
    const r3 = JSON.parse(await raw.get(S, 3)) as AuditRecord;
    await raw.put(
      S,
      3,
      JSON.stringify({ ...r3, subject: { ...r3.subject, personObjectId: "someone-else" } }),
    );
    const report = await check(ref, anchorPath);
    expect(report.ok).toBe(false);
    expect(report.findings).toContainEqual(expect.objectContaining({ kind: "edit", chain: S, seq: 3 }));
    expect(report.findings.filter((f) => f.chain !== S)).toEqual([]);
  });

  it("should catch an edited record whose hash was recomputed", async () => {
    const { ref, raw, anchorPath } = await tampered();
    const r4 = JSON.parse(await raw.get(S, 4)) as AuditRecord;
    const { hash: _h, signature, ...body } = { ...r4, detail: "nothing happened" };
    await raw.put(S, 4, JSON.stringify({ ...body, hash: hashRecordBody(body), signature }));
    const report = await check(ref, anchorPath);
    expect(report.findings[0]).toMatchObject({ kind: "edit", chain: S, seq: 4 });
  });

  it("should catch a deleted record", async () => {
    const { ref, raw, anchorPath } = await tampered();
    await raw.remove(P, 4);
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "delete", chain: P, seq: 4 })]);
  });

  it("should catch reordered records, and a record moved into another chain", async () => {
    const { ref, raw, anchorPath } = await tampered();
    const [d2, d3] = [await raw.get(S, 2), await raw.get(S, 3)];
    await raw.put(S, 2, d3);
    await raw.put(S, 3, d2);
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "reorder", chain: S, seq: 2 })]);

    // The pipeline's record 5 copied over the station's record 5: signed, hashed, but not the chain's.
    await raw.put(S, 2, d2);
    await raw.put(S, 3, d3);
    await raw.put(S, 5, await raw.get(P, 5));
    const moved = await check(ref, anchorPath);
    expect(moved.findings).toContainEqual(expect.objectContaining({ kind: "reorder", chain: S, seq: 5 }));
    expect(moved.findings.every((f) => f.chain === S)).toBe(true);
  });

  it("should catch a record another key put into a writer's chain, even without trusted keys", async () => {
    const { ref, raw } = await tampered();
    // Someone with the store's add right and a trusted key of their own appends to the station's chain.
    const last = JSON.parse(await raw.get(S, 6)) as AuditRecord;
    const intruder = sealRecord(
      draft(7),
      { chain: S, seq: 7, prevHash: last.hash, at: new Date() },
      pipelineKey,
    );
    await raw.put(S, 7, JSON.stringify(intruder));
    const log = await openRecordStore(ref.location, ref.opts);
    const report = verifyChain(await log.rows());
    await log.close();
    expect(report.findings).toEqual([
      expect.objectContaining({
        kind: "rewrite",
        chain: S,
        seq: 7,
        message: expect.stringMatching(/not the chain's own key/),
      }),
    ]);
  });

  it("should catch a truncated tail through the anchor", async () => {
    const { ref, raw, anchorPath } = await tampered();
    await raw.remove(S, 6);
    await raw.remove(S, 5);
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "truncate", chain: S, seq: 5 })]);
  });

  it("should catch a dropped chain through the anchor and through a published head", async () => {
    const { ref, raw, anchorPath, pipeline } = await tampered();
    const log = await openRecordStore(ref.location, ref.opts);
    const published = (await log.head())!;
    await log.close();
    expect(pipeline).toBeTruthy();
    await raw.removeChain(P);
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "drop", chain: P, seq: 1 })]);
    // What is left is consistent in itself: only something kept outside the store shows what is gone.
    const after = await openRecordStore(ref.location, ref.opts);
    const rows = await after.rows();
    await after.close();
    expect(verifyChain(rows, { trustedKeys: trusted }).ok).toBe(true);
    const byHead = verifyChain(rows, { trustedKeys: trusted, anchor: { ...published, at: "" } });
    expect(byHead.findings).toEqual([expect.objectContaining({ kind: "drop", chain: P })]);
  });

  it("should catch a wholly rewritten chain, with or without a list of trusted keys", async () => {
    const { ref, raw, anchorPath } = await tampered();
    const forger = generateSigningKey();
    let prev = { seq: 0, hash: "0".repeat(64) };
    for (let seq = 1; seq <= 6; seq++) {
      const r = sealRecord(
        { ...draft(seq), detail: "forged" },
        { chain: S, seq, prevHash: prev.hash, at: new Date() },
        forger,
      );
      await raw.put(S, seq, JSON.stringify(r));
      prev = r;
    }
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "rewrite", chain: S, seq: 1 })]);
    const log2 = await openRecordStore(ref.location, ref.opts);
    const noKeys = verifyChain(await log2.rows(), { anchor: readAnchor(anchorPath) });
    await log2.close();
    expect(noKeys.signersChecked).toBe(false);
    expect(noKeys.findings).toEqual([expect.objectContaining({ kind: "rewrite", chain: S, seq: 1 })]);
  });

  it("should catch a chain rebuilt with its own key from some point, through the anchor", async () => {
    const { ref, raw, anchorPath } = await tampered();
    let prevHash = (JSON.parse(await raw.get(S, 3)) as AuditRecord).hash;
    for (const seq of [4, 5, 6]) {
      const r = sealRecord(
        { ...draft(seq), detail: "nothing to see" },
        { chain: S, seq, prevHash, at: new Date() },
        stationKey,
      );
      await raw.put(S, seq, JSON.stringify(r));
      prevHash = r.hash;
    }
    const report = await check(ref, anchorPath);
    expect(report.findings).toEqual([expect.objectContaining({ kind: "rewrite", chain: S, seq: 6 })]);
  });

  it("should give concurrent writers in 4 processes each an unbroken chain, and 2 sharing a key one between them", async () => {
    const ref = fx.fresh();
    const own = Array.from({ length: 4 }, (_, i) => startAppender(ref, `writer-${i}`, 40));
    const sharedKey = generateSigningKey();
    const shared = [0, 1].map((i) => startAppender(ref, `sharer-${i}`, 30, privateKeyPem(sharedKey)));
    const exits = await Promise.all([...own, ...shared].map((w) => w.exited));
    for (const e of exits) expect(e, e.stderr).toMatchObject({ code: 0 });
    const log = await openRecordStore(ref.location, ref.opts);
    const all = await log.list();
    expect(all).toHaveLength(220);
    for (let w = 0; w < 4; w++) {
      const mine = all.filter((r) => r.actor.stationId === `writer-${w}`);
      expect(new Set(mine.map((r) => r.chain)).size).toBe(1);
      expect(mine.map((r) => r.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(mine.map((r) => Number(r.detail))).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
    const sharedChain = all.filter((r) => r.chain === sharedKey.keyId);
    expect(sharedChain.map((r) => r.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    for (const s of [0, 1]) {
      const mine = sharedChain
        .filter((r) => r.actor.stationId === `sharer-${s}`)
        .map((r) => Number(r.detail));
      expect(mine).toEqual(Array.from({ length: 30 }, (_, i) => i));
    }
    const report = verifyChain(await log.rows());
    expect(report).toMatchObject({ ok: true, records: 220, chains: 5 });
    expect(await log.head()).toMatchObject({ seq: 220 });
    expect(Object.keys((await log.head())?.chains ?? {})).toHaveLength(5);
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
    const pipelines = await pipelineRecords.list({ chain: P });
    const stations = await pipelineRecords.list({ chain: S });
    expect(pipelines.map((r) => r.action)).toEqual(["raise"]);
    expect(stations.map((r) => r.action)).toEqual(["claim", "registering", "registration"]);
    expect(pipelines[0]).toMatchObject({ actor: { role: "pipeline" }, signer: { keyId: pipelineKey.keyId } });
    expect(pipelines[0]?.provenance).toMatchObject({
      pipelineRun: "run-99",
      gitCommit: sampleRaise(1).provenance?.gitCommit,
    });
    expect(stations[2]).toMatchObject({
      actor: { role: "station", stationId: "desk-7", operator: "alice" },
      subject: { taskId: raised.id, aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8", methodId: "method-1" },
      signer: { keyId: stationKey.keyId },
    });
    // The station's registration is found through the task index, with its own chain's seq.
    const outcomes = (await pipelineRecords.outcomesFor([raised.id])).get(raised.id);
    expect(outcomes?.map((r) => [r.action, r.chain, r.seq])).toEqual([["registration", S, 3]]);
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

  describe("a store written before chains were per writer", () => {
    /** A store holding one legacy chain of `count` v1 records (as older builds wrote it), and its anchor. */
    async function legacyStore(count: number) {
      const ref = fx.fresh();
      const raw = rawRecords(ref);
      const recs: AuditRecord[] = [];
      let prev = { seq: 0, hash: "0".repeat(64) };
      for (let seq = 1; seq <= count; seq++) {
        const outcome = seq === 2;
        const d: RecordDraft = outcome
          ? { action: "cancellation", actor: { role: "pipeline" }, subject: { taskId: "old-task" } }
          : { ...draft(seq), actor: { role: "pipeline" } };
        const r = sealRecord(
          d,
          { seq, prevHash: prev.hash, at: new Date(Date.now() - 60_000 + seq) },
          pipelineKey,
        );
        await raw.putLegacy(seq, JSON.stringify(r), outcome ? "old-task" : undefined);
        recs.push(r);
        prev = r;
      }
      const anchorPath = join(dir, `anchor-${++n}.json`);
      // The anchor an older build kept: the one chain's (seq, hash).
      writeFileSync(anchorPath, `${JSON.stringify({ seq: count, hash: prev.hash, at: "" })}\n`);
      return { ref, raw, recs, anchorPath };
    }

    it("should read, look up and verify the legacy chain as before, with its old anchor and head", async () => {
      const { ref, recs, anchorPath } = await legacyStore(4);
      const log = await openRecordStore(ref.location, { ...ref.opts, readOnly: true });
      expect((await log.list()).map((r) => [r.v, r.chain, r.seq])).toEqual(
        recs.map((r) => [1, undefined, r.seq]),
      );
      expect(await log.head()).toEqual({ seq: 4, hash: recs[3]!.hash });
      const found = (await log.outcomesFor(["old-task"])).get("old-task");
      expect(found?.map((r) => r.action)).toEqual(["cancellation"]);
      const report = verifyChain(await log.rows(), { anchor: readAnchor(anchorPath), trustedKeys: trusted });
      expect(report).toMatchObject({
        ok: true,
        records: 4,
        chains: 1,
        head: { seq: 4, hash: recs[3]!.hash },
      });
      await log.close();
    });

    it("should append new records to the writer's own chain, keep the legacy chain in the anchor and head, and catch tampering in either", async () => {
      const { ref, raw, recs, anchorPath } = await legacyStore(4);
      const log = await openRecordStore(ref.location, { ...ref.opts, signer: stationKey, anchorPath });
      const mine = await log.append(draft(9));
      expect(mine).toMatchObject({ v: 2, chain: S, seq: 1, prevHash: "0".repeat(64) });
      const heads = { [LEGACY_CHAIN]: { seq: 4, hash: recs[3]!.hash }, [S]: { seq: 1, hash: mine.hash } };
      expect(await log.head()).toEqual(recordsHeadOf(heads));
      expect(readAnchor(anchorPath)).toMatchObject({ seq: 5, chains: heads });
      // The legacy chain reads first, then the writers' chains.
      expect((await log.list()).map((r) => r.chain ?? LEGACY_CHAIN)).toEqual([
        LEGACY_CHAIN,
        LEGACY_CHAIN,
        LEGACY_CHAIN,
        LEGACY_CHAIN,
        S,
      ]);
      await log.close();
      expect((await check(ref, anchorPath)).findings).toEqual([]);

      // A head published by the older build still checks the legacy chain.
      const reader = await openRecordStore(ref.location, ref.opts);
      const rows = await reader.rows();
      await reader.close();
      const old = { seq: 3, hash: recs[2]!.hash, at: "" };
      expect(verifyChain(rows, { anchor: old, trustedKeys: trusted }).ok).toBe(true);

      await raw.remove(LEGACY_CHAIN, 4);
      const cut = await check(ref, anchorPath);
      expect(cut.findings).toEqual([
        expect.objectContaining({ kind: "truncate", chain: LEGACY_CHAIN, seq: 4 }),
      ]);
      await raw.remove(LEGACY_CHAIN, 2);
      const holed = await check(ref, anchorPath);
      expect(holed.findings).toContainEqual(
        expect.objectContaining({ kind: "delete", chain: LEGACY_CHAIN, seq: 2 }),
      );
      expect(holed.findings.every((f) => f.chain === LEGACY_CHAIN)).toBe(true);
    });
  });
});
