// The real engine with the program's resource options and removals (and its SDK settings): one project (file:// backend, Entra
// emulator, SQLite store) through `pulumi up` runs where an unmanaged credential the policy names is removed and
// the records head is published, a protected person's removal fails and revokes nothing, and with
// retainOnDelete a removed person's key stays registered while the stack forgets it.
import "reflect-metadata";
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { repoRoot, runCli } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { emulatorConfig } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";
import {
  entraClientFor,
  fido2MethodIds,
  openStationStore,
  registerPasskey,
  runOneTask,
} from "./stationStandIn.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const withdrawn = "f8a011f3-8c0a-4d15-8006-17111f9edc7d";
const otherKey = "ee882879-721c-4913-9775-3dfcce97072a";
const keyType = "pulumi-nodejs:dynamic/keyfleet:KeyAssignment";
const removalType = "pulumi-nodejs:dynamic/keyfleet:UnmanagedRemoval";

let emu: RunningEmulator;
let project: PulumiProject;
let store: TaskStore;
let entra: EntraClient;
let dbPath: string;
let keysDir: string;
let anchorPath: string;

interface ExportedResource {
  urn: string;
  type: string;
  protect?: boolean;
  retainOnDelete?: boolean;
}

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  emu = await startEmulator();
  project = await createPulumiProject({ specs: join(repoRoot, "tests/providers/engine-specs") });
  // The policy removes the withdrawn model; a share of 1 lets this small fleet lose a key without the rail.
  writeFileSync(
    join(project.specsDir, "policy.yaml"),
    `apiVersion: keyfleet.dev/v1\nkind: Policy\nunmanaged:\n  action: remove\n  aaguids:\n    - ${withdrawn}\nmaxRevokeShare: 1\n`,
  );
  keysDir = join(project.dir, "keys");
  const keyPath = join(keysDir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  dbPath = join(project.dir, "tasks.db");
  anchorPath = join(project.dir, "records.anchor.json");
  const station = await openStationStore(dbPath, project.dir);
  // records verify trusts the pipeline's key and the enrolled station's, as an auditor's key folder would.
  copyFileSync(join(station.stationKeys, "test-station.pub"), join(keysDir, "test-station.pub"));
  const config: Record<string, string> = {
    ...emulatorConfig(emu, {
      taskStore: dbPath,
      pipelineKey: keyPath,
      recordsAnchor: anchorPath,
      stationKeys: station.stationKeys,
    }),
    "keyfleet:protect": "true",
    "keyfleet:retainOnDelete": "true",
  };
  await project.configure(config, { "keyfleet:entraClientSecret": emu.clientSecret });
  store = station.store;
  entra = entraClientFor(emu);
}, 300_000);

afterAll(async () => {
  await store?.close();
  await entra?.close();
  await emu?.stop();
  project?.remove();
});

const methods = (objectId: string) => fido2MethodIds(entra, objectId);

async function exported(): Promise<ExportedResource[]> {
  const state = JSON.parse(await project.ok(["stack", "export"])) as {
    deployment: { resources?: ExportedResource[] };
  };
  return state.deployment.resources ?? [];
}

async function withRecords<T>(fn: (records: RecordStore) => Promise<T>): Promise<T> {
  const records = await openRecordStore(`sqlite:${dbPath}`);
  try {
    return await fn(records);
  } finally {
    await records.close();
  }
}

/** `keyfleet records verify` against the head as `pulumi stack output recordsHead --json` prints it. */
async function verifyAgainstStackHead() {
  const head = await project.ok(["stack", "output", "recordsHead", "--json"]);
  return runCli(
    ["records", "verify", "--store", `sqlite:${dbPath}`, "--trusted-keys", keysDir, "--head", head, "--json"],
    { env: { KEYFLEET_RECORDS_ANCHOR: anchorPath } },
  );
}

describe("pulumi up with protect, retainOnDelete and unmanaged removal", () => {
  let benKey: string;

  it("should send the engine the SDK's per-resource debug messages only when KEYFLEET_PULUMI_SDK_DEBUG=1", async () => {
    // providers/programRuntime.ts: each is a gRPC call per registration, dropped unless run with --debug.
    const registering = /Registering resource: t=pulumi-nodejs:dynamic\/keyfleet:KeyAssignment/;
    const quiet = await project.ok(["preview", "--debug"]);
    expect(quiet).toContain("keyfleet:KeyAssignment");
    expect(quiet).not.toMatch(registering);
    project.env.KEYFLEET_PULUMI_SDK_DEBUG = "1";
    try {
      expect(await project.ok(["preview", "--debug"])).toMatch(registering);
    } finally {
      delete project.env.KEYFLEET_PULUMI_SDK_DEBUG;
    }
  }, 300_000);

  it("should remove an unmanaged credential the policy names and publish the records head", async () => {
    const old = await registerPasskey(entra, ada, withdrawn, "old Security Key");
    const kept = await registerPasskey(entra, ada, otherKey, "own key");
    const preview = await project.ok(["preview", "--diff"]);
    expect(preview).toContain(`${ada}-${old}`);
    expect(preview).toMatch(/\+ .*UnmanagedRemoval/);

    await project.ok(["up", "--yes", "--skip-preview"]);
    expect(await methods(ada)).toEqual([kept]);
    const out = await project.outputs();
    expect(out.unmanaged).toEqual({ report: 1, remove: 1 });
    expect(out.counts).toEqual({ pending: 2, active: 0 });

    const head = await withRecords(async (records) => {
      const revocations = await records.list({ action: "revocation" });
      expect(revocations.map((r) => r.subject.methodId)).toEqual([old]);
      return records.head();
    });
    // The run's approval, two raises and the revocation, all before the program read the head.
    expect(head?.seq).toBe(4);
    expect(out.recordsHead).toEqual(head);
    const verified = await verifyAgainstStackHead();
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, stackHead: head, signersChecked: true });

    const resources = await exported();
    const keys = resources.filter((r) => r.type === keyType);
    expect(keys).toHaveLength(2);
    for (const k of keys) expect(k).toMatchObject({ protect: true, retainOnDelete: true });
    const removal = resources.find((r) => r.type === removalType);
    expect(removal?.urn).toContain(`${ada}-${old}`);
    expect(removal?.protect ?? false).toBe(false);
    const state = JSON.stringify(resources);
    expect(state).not.toContain(emu.clientSecret);
  }, 300_000);

  it("should fail with Pulumi's protected-resource error when a protected person is removed, revoking nothing", async () => {
    await runOneTask(store, entra, yubikey5);
    await runOneTask(store, entra, yubikey5);
    [benKey = ""] = await methods(ben);
    expect(benKey).not.toBe("");
    writeFileSync(
      join(project.specsDir, "people.yaml"),
      "apiVersion: keyfleet.dev/v1\nkind: People\npeople:\n  - userPrincipalName: ada.lindqvist@northwindforge.example\n    slots:\n      primary: { profile: yubikey-5 }\n",
    );
    const up = await project.pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(/cannot be deleted\s+because it is protected/);
    expect(up.stdout + up.stderr).not.toContain(emu.clientSecret);
    expect(await methods(ben)).toEqual([benKey]);
    await withRecords(async (records) => {
      expect((await records.list({ personObjectId: ben, action: "revocation" })).length).toBe(0);
    });
    expect((await exported()).filter((r) => r.urn.includes(ben))).toHaveLength(1);
  }, 300_000);

  it("should drop a removed person from the stack and leave their key registered under retainOnDelete", async () => {
    // Protect is only lifted in state (or by an `up` that still declares the resource): the removal waits for it.
    await project.ok(["state", "unprotect", "--all", "--yes"]);
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect(await methods(ben)).toEqual([benKey]);
    await withRecords(async (records) => {
      expect((await records.list({ personObjectId: ben, action: "revocation" })).length).toBe(0);
    });
    const resources = await exported();
    expect(resources.filter((r) => r.urn.includes(ben))).toEqual([]);
    expect(resources.filter((r) => r.type === keyType)).toHaveLength(1);
    const verified = await verifyAgainstStackHead();
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  }, 300_000);
});
