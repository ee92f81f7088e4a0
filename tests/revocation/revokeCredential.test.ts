// core/revocation as both of its callers reach it, against the emulator and a SQLite record store: the
// operator's `keyfleet revoke` (station/runner/revokeKey.ts) and the pipeline's revocations
// (providers/pipelineAudit.ts through the provider's Entra directory). Each deletes in Entra, records "already
// gone" when Entra no longer has the method, and writes one signed revocation record with its own actor, reason
// and provenance.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EntraClient,
  getCreationOptions,
  listFido2Methods,
  registerFido2Method,
} from "../../core/entra/index.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import { verifyChain } from "../../core/records/verifyChain.js";
import { generateSigningKey } from "../../core/signing/ed25519.js";
import { openDirectory } from "../../providers/entraDirectory.js";
import { revokeWithRecord } from "../../providers/pipelineAudit.js";
import { revokeKey } from "../../station/runner/revokeKey.js";
import { startTestTenant, type TestTenant } from "../entra/support/emulatorTenant.js";
import { makeNoneCredential } from "../entra/support/noneAttestation.js";

const ADA = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const BEN = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
const signer = generateSigningKey();
let t: TestTenant;
let dir: string;
let records: RecordStore;
let entra: EntraClient;

beforeAll(async () => {
  t = await startTestTenant();
  dir = mkdtempSync(join(tmpdir(), "keyfleet-revocation-"));
  records = await openRecordStore(`sqlite:${join(dir, "store.db")}`, { signer });
  entra = new EntraClient(t.config());
});
afterAll(async () => {
  await entra?.close();
  await records?.close();
  await t?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function registered(userId: string, nonce: string): Promise<string> {
  const made = makeNoneCredential(await getCreationOptions(entra, userId));
  const r = await registerFido2Method(entra, {
    userId,
    displayName: `primary ${nonce}`,
    nonce,
    credentialId: made.credentialId,
    publicKeyCredential: made.publicKeyCredential,
  });
  return r.method.id;
}

describe("one audited revocation for the operator and the pipeline", () => {
  it("should delete in Entra, record 'already gone' on a second revocation, and sign each with its caller's actor", async () => {
    const operator = { role: "operator", stationId: "desk-1", operator: "oona@contoso.test" } as const;
    const opKey = await registered(ADA, "r0a1");
    const first = await revokeKey(
      { entra, records },
      { user: ADA, methodId: opKey, reason: "lost on a trip", actor: operator },
    );
    expect(first).toMatchObject({ personObjectId: ADA, methodId: opKey, outcome: "deleted" });
    expect(first.userPrincipalName).toMatch(/@/);
    const again = await revokeKey(
      { entra, records },
      { user: ADA, methodId: opKey, reason: "lost on a trip", actor: operator },
    );
    expect(again.outcome).toBe("absent");

    const pipeKey = await registered(BEN, "r0b2");
    const directory = await openDirectory({
      auth: "client-secret",
      cloud: "custom",
      authorityHost: t.emu.url,
      graphUrl: t.emu.url,
      tenantId: t.emu.tenantId,
      clientId: t.emu.clientId,
      clientSecret: t.emu.clientSecret,
      caCertPem: t.emu.caCertPem,
    });
    const subject = { objectId: BEN, methodId: pipeKey, assignmentId: "a-ben-primary", slot: "primary" };
    const previous = process.env.KEYFLEET_PIPELINE_RUN;
    process.env.KEYFLEET_PIPELINE_RUN = "run-77";
    try {
      expect(
        await revokeWithRecord(directory, records, subject, "a-ben-primary: removed from the spec"),
      ).toBe("deleted");
      expect(
        await revokeWithRecord(directory, records, subject, "a-ben-primary: removed from the spec"),
      ).toBe("absent");
    } finally {
      if (previous === undefined) delete process.env.KEYFLEET_PIPELINE_RUN;
      else process.env.KEYFLEET_PIPELINE_RUN = previous;
      await directory.close();
    }

    expect(await listFido2Methods(entra, ADA)).not.toContainEqual(expect.objectContaining({ id: opKey }));
    expect(await listFido2Methods(entra, BEN)).not.toContainEqual(expect.objectContaining({ id: pipeKey }));
    const log = await records.list({ action: "revocation" });
    expect(log.map((r) => [r.actor, r.subject.methodId, r.detail, r.provenance])).toEqual([
      [operator, opKey, "revoked by an operator: lost on a trip", {}],
      [operator, opKey, "revoked by an operator: lost on a trip (already gone from Entra)", {}],
      [{ role: "pipeline" }, pipeKey, "a-ben-primary: removed from the spec", { pipelineRun: "run-77" }],
      [
        { role: "pipeline" },
        pipeKey,
        "a-ben-primary: removed from the spec (already gone from Entra)",
        { pipelineRun: "run-77" },
      ],
    ]);
    expect(log[2]?.subject).toEqual({
      personObjectId: BEN,
      methodId: pipeKey,
      assignmentId: "a-ben-primary",
      slot: "primary",
    });
    expect(verifyChain(await records.rows(), { trustedKeys: [signer.publicKey] }).ok).toBe(true);
  }, 60_000);

  it("should refuse a revocation without a reason and touch nothing", async () => {
    const key = await registered(ADA, "r0a3");
    await expect(
      revokeKey({ entra, records }, { user: ADA, methodId: key, reason: " ", actor: { role: "operator" } }),
    ).rejects.toThrow(/reason/);
    expect((await listFido2Methods(entra, ADA)).map((m) => m.id)).toContain(key);
  });
});
