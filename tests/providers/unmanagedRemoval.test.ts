// The UnmanagedRemoval provider as the engine drives it: Pulumi's dynamic-provider host over gRPC with the
// serialized thin provider, against the Entra emulator and a SQLite store. Create revokes through the audited
// path (a signed revocation record), read tracks the credential's absence, delete touches nothing.
// @peculiar/x509 (the emulator's certificates) needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { verifyChain } from "../../core/records/verifyChain.js";
import { loadPublicKey, writeNewSigningKey } from "../../core/signing/keyFiles.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import type { UnmanagedRemovalInputs } from "../../providers/unmanagedRemoval.js";
import { repoRoot } from "../support/cli.js";
import {
  type DynamicProviderHost,
  type Props,
  startDynamicProviderHost,
  urnFor,
} from "../support/pulumiHost.js";
import { approval, approveRun, compiledText, emulatorConfig, project } from "./fixtures.js";
import { entraClientFor, fido2MethodIds, registerPasskey } from "./stationStandIn.js";

const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const withdrawn = "f8a011f3-8c0a-4d15-8006-17111f9edc7d";
const resourceType = "pulumi-nodejs:dynamic/keyfleet:UnmanagedRemoval";
const reason = `not registered by Keyfleet; policy removes AAGUID ${withdrawn}`;

/** The compiled thin provider text read in a plain Node process, exactly as `pulumi up` stores it. */
function compiledRemovalProviderText(): string {
  const script = `
    import("./dist/providers/unmanagedRemoval.js").then((m) => process.stdout.write(m.unmanagedRemovalProviderText));`;
  return execFileSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8" });
}

let emu: RunningEmulator;
let host: DynamicProviderHost;
let bare: DynamicProviderHost;
let entra: EntraClient;
let dir: string;
let provider: string;
let approvalProvider: string;
let storeUrl: string;
let keyPath: string;

beforeAll(async () => {
  provider = compiledRemovalProviderText();
  approvalProvider = compiledText("runApprovalResource", "runApprovalProvider");
  dir = mkdtempSync(join(tmpdir(), "keyfleet-removal-"));
  emu = await startEmulator();
  keyPath = join(dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  storeUrl = `sqlite:${join(dir, "tasks.db")}`;
  const env = { KEYFLEET_TASK_STORE: "", AZURE_CLIENT_SECRET: "", KEYFLEET_RECORDS_ANCHOR: "" };
  host = await startDynamicProviderHost({ cwd: join(repoRoot, "dist"), project, env });
  await host.configure({
    ...emulatorConfig(emu, {
      taskStore: join(dir, "tasks.db"),
      pipelineKey: keyPath,
      recordsAnchor: join(dir, "anchor.json"),
    }),
    "keyfleet:entraClientSecret": emu.clientSecret,
  });
  bare = await startDynamicProviderHost({ cwd: join(repoRoot, "dist"), project, env });
  await bare.configure({});
  entra = entraClientFor(emu);
});

afterAll(async () => {
  await host?.stop();
  await bare?.stop();
  await entra?.close();
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const urn = (methodId: string) => urnFor(project, resourceType, `${ada}-${methodId}`);
const listed = () => fido2MethodIds(entra, ada);
const inputs = (methodId: string): Props => {
  const declared: UnmanagedRemovalInputs = {
    objectId: ada,
    userPrincipalName: "ada.lindqvist@northwindforge.example",
    methodId,
    aaGuid: withdrawn,
    reason,
  };
  return { ...declared, __provider: provider };
};

describe("the serialized UnmanagedRemoval provider", () => {
  it("should stay under 4 KiB and carry no absolute path or implementation logic", () => {
    expect(provider.length).toBeLessThan(4096);
    expect(provider).not.toContain(repoRoot);
    expect(provider).toContain('"providers/unmanagedRemovalProvider.js"');
    expect(provider).not.toContain("revokeCredential");
  });

  it("should check inputs and replace only for another person or credential", async () => {
    expect((await host.check(urn("m"), {}, inputs("m"))).failures).toEqual([]);
    const bad = await host.check(urn("m"), {}, { ...inputs(""), objectId: "ada", aaGuid: "x" });
    expect(bad.failures.map((f) => f.property).sort()).toEqual(["aaGuid", "methodId", "objectId"]);
    const state = {
      ...inputs("m"),
      status: "removed",
      outcome: "deleted",
      removedAt: "2026-01-01T00:00:00Z",
    };
    expect(await host.diff(`${ada}/m`, urn("m"), state, inputs("m"))).toEqual({
      changes: "none",
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect((await host.diff(`${ada}/m`, urn("m"), state, inputs("n"))).replaces).toEqual(["methodId"]);
    const renamed = { ...inputs("m"), userPrincipalName: "ada.l@northwindforge.example" };
    expect(await host.diff(`${ada}/m`, urn("m"), state, renamed)).toMatchObject({
      changes: "some",
      replaces: [],
    });
  });

  it("should revoke the credential on create and write a signed revocation record", async () => {
    const methodId = await registerPasskey(entra, ada, withdrawn, "old Security Key");
    expect(await listed()).toContain(methodId);
    // Nothing is removed that the run's plan did not approve.
    await approveRun(host, approvalProvider, approval({ unmanaged: [], revocations: 0 }));
    await expect(host.create(urn(methodId), inputs(methodId))).rejects.toThrow(/did not approve/);
    expect(await listed()).toContain(methodId);
    await approveRun(host, approvalProvider, approval({ unmanaged: [`${ada}/${methodId}`], revocations: 1 }));
    const created = await host.create(urn(methodId), inputs(methodId));
    expect(created.id).toBe(`${ada}/${methodId}`);
    expect(created.properties).toMatchObject({
      objectId: ada,
      methodId,
      aaGuid: withdrawn,
      status: "removed",
      outcome: "deleted",
    });
    expect(Number.isNaN(Date.parse(String(created.properties.removedAt)))).toBe(false);
    expect(await listed()).not.toContain(methodId);

    const records = await openRecordStore(storeUrl);
    try {
      const revocations = await records.list({ action: "revocation" });
      expect(revocations.at(-1)).toMatchObject({
        actor: { role: "pipeline" },
        subject: { personObjectId: ada, methodId, userPrincipalName: "ada.lindqvist@northwindforge.example" },
        detail: reason,
      });
      const rows = await records.rows();
      const report = verifyChain(rows, { trustedKeys: [loadPublicKey(`${keyPath}.pub`)] });
      expect(report).toMatchObject({ ok: true, signersChecked: true });
      // The anchor moved with the append; no secret reached the records or the host's log.
      expect(JSON.parse(readFileSync(join(dir, "anchor.json"), "utf8"))).toMatchObject(report.head ?? {});
      expect(rows.map((r) => r.doc).join("\n")).not.toContain(emu.clientSecret);
      expect(host.stderr()).not.toContain(emu.clientSecret);
    } finally {
      await records.close();
    }

    // Read keeps the resource while Entra no longer lists the credential.
    const read = await host.read(created.id, urn(methodId), created.properties);
    expect(read.id).toBe(created.id);
    expect(read.properties).toMatchObject({ status: "removed", methodId });
  });

  it("should record an already-gone credential as absent, and drop a listed one on read", async () => {
    await approveRun(host, approvalProvider, approval({ unmanaged: [`${ada}/never-there`], revocations: 1 }));
    const created = await host.create(urn("never-there"), inputs("never-there"));
    expect(created.properties.outcome).toBe("absent");
    const records = await openRecordStore(storeUrl);
    try {
      expect((await records.list({ action: "revocation" })).at(-1)?.detail).toBe(
        `${reason} (already gone from Entra)`,
      );
    } finally {
      await records.close();
    }
    // A credential Entra lists again reads as gone, so the next `up` removes it once more.
    const back = await registerPasskey(entra, ada, withdrawn, "old Security Key");
    const state = { ...created.properties, methodId: back };
    expect((await host.read(`${ada}/${back}`, urn(back), state)).id).toBe("");
    await host.delete(`${ada}/${back}`, urn(back), state);
    expect(await listed()).toContain(back);
  });

  it("should delete without touching Entra or needing a Graph connection, and refuse to create without one", async () => {
    const state = {
      ...inputs("m"),
      status: "removed",
      outcome: "deleted",
      removedAt: "2026-01-01T00:00:00Z",
    };
    await bare.delete(`${ada}/m`, urn("m"), state);
    await expect(bare.create(urn("m"), inputs("m"))).rejects.toThrow(/cannot remove m of .*: /);
  });
});
