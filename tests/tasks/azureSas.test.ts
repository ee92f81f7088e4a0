// A station's access to the Azure task table: a SAS with read+update only. It can claim and complete
// tasks but cannot create (or delete) one; Azurite enforces table SAS permissions as Azure does.
import { AzureNamedKeyCredential, AzureSASCredential, TableClient } from "@azure/data-tables";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKey } from "../../core/signing/ed25519.js";
import { stationTaskSas } from "../../core/tasks/azureTaskStore.js";
import { TaskStoreError } from "../../core/tasks/errors.js";
import { openTaskStore, redactLocation } from "../../core/tasks/openTaskStore.js";
import { AZURITE_ACCOUNT, AZURITE_KEY, type AzuriteTable, startAzuriteTable } from "../support/azurite.js";
import { sampleRaise } from "./sampleTasks.js";

describe("station SAS on the Azure task table", () => {
  let azurite: AzuriteTable;
  beforeAll(async () => {
    azurite = await startAzuriteTable();
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it("should let a station with a read+update SAS claim and complete, but not insert or delete", async () => {
    const pipelineKey = generateSigningKey();
    const opts = { azure: { tablePrefix: "sastest" } };
    const pipeline = await openTaskStore(`azure-table:${azurite.connectionString}`, opts);
    const raised = (await pipeline.raise(sampleRaise(1), pipelineKey)).task;

    const sas = stationTaskSas(new AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY), {
      tablePrefix: "sastest",
      expiresOn: new Date(Date.now() + 3600_000),
    });
    expect(sas).toMatch(/sp=ru(&|$)/);
    const station = await openTaskStore(`azure-table:${azurite.endpoint}`, { azure: { ...opts.azure, sas } });
    expect(station.location).not.toContain("sig=");

    const t = (await station.claimNext({ stationId: "s1", leaseMs: 60_000 }))!;
    expect(t.id).toBe(raised.id);
    await station.markRegistering(t.id, t.lease!, { credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx" });
    const done = await station.complete(t.id, t.lease!, {
      kind: "registered",
      methodId: "m-1",
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      credentialId: "Y3JlZGVudGlhbC1pZC0wMDAx",
      registeredAt: new Date().toISOString(),
    });
    expect(done.state).toBe("done");
    expect((await pipeline.get(t.id))?.state).toBe("done");

    const err = await station.raise(sampleRaise(2), pipelineKey).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(TaskStoreError.isInstance(err) && err.code).toBe("forbidden");
    expect(String((err as Error).message)).not.toContain(sas);
    expect(await pipeline.list()).toHaveLength(1);

    const raw = new TableClient(azurite.endpoint, "sastesttasks", new AzureSASCredential(sas), {
      allowInsecureConnection: true,
    });
    const del = await raw.deleteEntity("task", t.id).then(
      () => 200,
      (e: { statusCode?: number }) => e.statusCode,
    );
    expect(del).toBe(403);
    expect(await pipeline.get(t.id)).toBeDefined();
    await station.close();
    await pipeline.close();
  });

  it("should refuse plain http to anything but loopback, and never print account keys", async () => {
    const err = await openTaskStore("azure-table:http://storage.example.net/acct").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(TaskStoreError.isInstance(err) && err.code).toBe("bad-config");
    expect(redactLocation(`azure-table:${azurite.connectionString}`)).not.toContain(AZURITE_KEY);
    const sasInUrl = await openTaskStore("azure-table:https://a.table.core.windows.net?sv=1&sig=abc").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(String(sasInUrl)).not.toContain("sig=abc");
  });
});
