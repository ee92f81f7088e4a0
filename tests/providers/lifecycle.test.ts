// The provider driven as the engine drives it: Pulumi's dynamic-provider host over gRPC with the serialized
// provider, against the Entra emulator and a SQLite task store, through create → read → update → replace →
// delete, with adoption, drift and the no-lockout replacement.
// @peculiar/x509 (the emulator's certificates) needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { readAnchor } from "../../core/records/anchor.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import type { RecordsHead } from "../../core/records/recordsHead.js";
import { verifyChain } from "../../core/records/verifyChain.js";
import { loadPublicKey, writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { comparedDigest } from "../../providers/assignmentDiff.js";
import type { AssignmentInputs, AssignmentOutputs } from "../../providers/assignmentTypes.js";
import { assignmentToWire } from "../../providers/assignmentWire.js";
import { readRecordsHead } from "../../providers/openBackends.js";
import { repoRoot } from "../support/cli.js";
import {
  type DynamicProviderHost,
  type Props,
  startDynamicProviderHost,
  urnFor,
} from "../support/pulumiHost.js";
import {
  approval,
  approveRun,
  assignmentInputs,
  compiledProviderText,
  compiledText,
  emulatorConfig,
  otherKey,
  project,
  resourceType,
  yubikey5,
} from "./fixtures.js";
import {
  entraClientFor,
  fido2MethodIds,
  openStationStore,
  registerPasskey,
  runOneTask,
} from "./stationStandIn.js";

const gitCommit = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";

let emu: RunningEmulator;
let host: DynamicProviderHost;
let store: TaskStore;
let entra: EntraClient;
let dir: string;
let provider: string;
let approvalProvider: string;

beforeAll(async () => {
  provider = compiledProviderText();
  approvalProvider = compiledText("runApprovalResource", "runApprovalProvider");
  dir = mkdtempSync(join(tmpdir(), "keyfleet-provider-"));
  emu = await startEmulator();
  const keyPath = join(dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  host = await startDynamicProviderHost({
    cwd: join(repoRoot, "dist"),
    project,
    env: {
      KEYFLEET_TASK_STORE: "",
      AZURE_CLIENT_SECRET: "",
      KEYFLEET_GIT_COMMIT: gitCommit,
      KEYFLEET_PIPELINE_RUN: "run-42",
      KEYFLEET_PULL_REQUEST: "",
    },
  });
  const station = await openStationStore(join(dir, "tasks.db"), dir);
  await host.configure({
    ...emulatorConfig(emu, {
      taskStore: join(dir, "tasks.db"),
      pipelineKey: keyPath,
      recordsAnchor: join(dir, "records.anchor.json"),
      stationKeys: station.stationKeys,
    }),
    "keyfleet:entraClientSecret": emu.clientSecret,
  });
  store = station.store;
  entra = entraClientFor(emu);
});

afterAll(async () => {
  await host?.stop();
  await store?.close();
  await entra?.close();
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const urn = (name: string) => urnFor(project, resourceType, name);
// What the engine hands the host: the inputs in the wire form today's program declares.
const withProvider = (p: AssignmentInputs): Props => ({ ...assignmentToWire(p), __provider: provider });
const methodIds = (objectId: string) => fido2MethodIds(entra, objectId);

describe("KeyAssignment through the dynamic-provider host", () => {
  const inputs = assignmentInputs({
    objectId: ada,
    slot: "primary",
    userPrincipalName: "ada.lindqvist@northwindforge.example",
  });
  const name = urn(`${ada}-primary`);
  let id = "";
  let state: Props = {};

  it("should raise a signed task on create and report the assignment pending", async () => {
    const created = await host.create(name, withProvider(inputs));
    id = created.id;
    state = created.properties;
    expect(id).toBe(`${ada}/primary@1`);
    expect(state).toMatchObject({
      status: "pending",
      generation: 1,
      taskState: "pending",
      methodId: "",
      retiring: [],
    });
    expect(state.__provider).toBe(provider);
    const tasks = await store.list({ assignmentId: `${ada}/primary` });
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.signature).toBeDefined();
  });

  it("should read pending, then active with method id, AAGUID, model and time once the station registered", async () => {
    expect((await host.read(id, name, state)).properties).toMatchObject({ status: "pending" });
    await runOneTask(store, entra, yubikey5);
    const read = await host.read(id, name, state);
    expect(read.id).toBe(id);
    state = read.properties;
    expect(state).toMatchObject({ status: "active", generation: 1, aaguid: yubikey5, keyCredProtect: 2 });
    expect(state.methodId).not.toBe("");
    expect(state.model).not.toBe("");
    expect(Number.isNaN(Date.parse(String(state.registeredAt)))).toBe(false);
  });

  it("should update a display-name change in place, keeping the key", async () => {
    const renamed = { ...inputs, profile: { ...inputs.profile, displayName: "primary key" } };
    const diff = await host.diff(id, name, state, withProvider(renamed));
    expect(diff).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    const updated = await host.update(id, name, state, withProvider(renamed));
    expect(updated.properties).toMatchObject({
      status: "active",
      methodId: state.methodId,
      compared: comparedDigest(renamed),
    });
    state = updated.properties;
    // State holds the renamed profile's digest: the same inputs again are no change.
    expect((await host.diff(id, name, state, withProvider(renamed))).changes).toBe("none");
  });

  it("should replace without lockout: the old key stays until the new one is active, then is revoked", async () => {
    const oldMethod = String(state.methodId);
    const stricter = { ...inputs, profile: { ...inputs.profile, allowedAaguids: [otherKey] } };
    const diff = await host.diff(id, name, state, withProvider(stricter));
    expect(diff.replaces).toEqual(["profile"]);
    // Create-before-delete, as the engine does it.
    const created = await host.create(name, withProvider(stricter));
    expect(created.properties).toMatchObject({ status: "pending", generation: 2, retiring: [oldMethod] });
    // The run's plan approved the replacement: the old resource's delete defers the revocation.
    await approveRun(
      host,
      approvalProvider,
      approval({
        assignments: {
          [`${ada}/primary`]: { kind: "replace", methodIds: [], retiring: [], reason: "profile changed" },
        },
      }),
    );
    await host.delete(id, name, state);
    expect(await methodIds(ada)).toContain(oldMethod);
    const retire = await store.list({ kind: "revoke" });
    expect(retire.map((t) => t.revoke)).toEqual([
      { methodId: oldMethod, afterAssignmentId: `${ada}/primary`, afterGeneration: 2 },
    ]);

    // The station provisions generation 2; the revocation stays gated until then, so it is not claimed first.
    const done = await runOneTask(store, entra, otherKey);
    expect(done?.kind).toBe("provision");
    id = created.id;
    const read = await host.read(id, name, created.properties);
    expect(read.properties).toMatchObject({
      status: "active",
      generation: 2,
      aaguid: otherKey,
      retiring: [oldMethod],
    });
    // The next run finds an active replacement with a retiring key and revokes it through update.
    const again = await host.diff(id, name, read.properties, withProvider(stricter));
    expect(again).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
    await approveRun(
      host,
      approvalProvider,
      approval({
        assignments: {
          [`${ada}/primary`]: {
            kind: "keep",
            methodIds: [],
            retiring: [oldMethod],
            reason: "replacement active",
          },
        },
      }),
    );
    const updated = await host.update(id, name, read.properties, withProvider(stricter));
    expect(updated.properties).toMatchObject({ status: "active", retiring: [] });
    expect(await methodIds(ada)).not.toContain(oldMethod);
    state = updated.properties;
    const settled = await host.diff(id, name, state, withProvider(stricter));
    expect(settled.changes).toBe("none");
  });

  it("should revoke the credential and cancel open tasks on delete", async () => {
    const methodId = String(state.methodId);
    await approveRun(
      host,
      approvalProvider,
      approval({
        revocations: 1,
        assignments: {
          [`${ada}/primary`]: {
            kind: "revoke",
            methodIds: [methodId],
            retiring: [],
            reason: "removed from the specs",
          },
        },
      }),
    );
    await host.delete(id, name, state);
    expect(await methodIds(ada)).not.toContain(methodId);
    expect((await host.read(id, name, state)).id).toBe("");
  });

  it("should return no id on read when the key was deleted behind Pulumi's back", async () => {
    const backup = assignmentInputs({
      objectId: ada,
      slot: "backup",
      userPrincipalName: "ada.lindqvist@northwindforge.example",
    });
    const n = urn(`${ada}-backup`);
    const created = await host.create(n, withProvider(backup));
    await runOneTask(store, entra, yubikey5);
    const gone = {
      kind: "gone" as const,
      methodIds: [],
      retiring: [],
      reason: "removed from the specs; its key was already deleted",
    };
    const active = await host.read(created.id, n, created.properties);
    expect(active.properties.status).toBe("active");
    await entra.delete(
      `/users/${ada}/authentication/fido2Methods/${encodeURIComponent(String(active.properties.methodId))}`,
    );
    expect((await host.read(created.id, n, active.properties)).id).toBe("");
    // The next up creates it again: a new generation is raised rather than the gone key being trusted.
    const recreated = await host.create(n, withProvider(backup));
    expect(recreated.properties).toMatchObject({ status: "pending", generation: 2 });
    await approveRun(host, approvalProvider, approval({ assignments: { [`${ada}/backup`]: gone } }));
    await host.delete(recreated.id, n, recreated.properties);
    expect((await store.list({ assignmentId: `${ada}/backup`, state: "pending" })).length).toBe(0);
  });

  it("should adopt a fitting credential the person already holds instead of raising a task", async () => {
    const existing = await registerPasskey(entra, ben, yubikey5, "Ben's own key");
    const adopt = {
      ...assignmentInputs({
        objectId: ben,
        slot: "primary",
        userPrincipalName: "ben.adeyemi@northwindforge.example",
      }),
      adopt: true,
    };
    const created = await host.create(urn(`${ben}-primary`), withProvider(adopt));
    expect(created.properties).toMatchObject({
      status: "active",
      adopted: true,
      methodId: existing,
      generation: 1,
    });
    // The adoption is recorded as a signed task, done at once, so every later plan counts the key as managed.
    const [task, ...more] = await store.list({ assignmentId: `${ben}/primary` });
    expect(more).toEqual([]);
    expect(task).toMatchObject({ state: "done", result: { kind: "adopted", methodId: existing } });
    const read = await host.read(created.id, urn(`${ben}-primary`), created.properties);
    expect(read.properties).toMatchObject({ status: "active", methodId: existing });
  });

  it("should have written a signed pipeline record for every raise, cancellation and revocation, in a sound chain", async () => {
    const records = await openRecordStore(`sqlite:${join(dir, "tasks.db")}`);
    try {
      // The station stand-in's own records (claims, registrations) sit in its own chain, signed by its key.
      const all = (await records.list()).filter((r) => r.actor.role === "pipeline");
      const actions = new Set(all.map((r) => r.action));
      expect([...actions].sort()).toEqual(["adoption", "approval", "cancellation", "raise", "revocation"]);
      expect(all.every((r) => r.actor.role === "pipeline")).toBe(true);
      expect(
        all.every((r) => r.provenance.gitCommit === gitCommit && r.provenance.pipelineRun === "run-42"),
      ).toBe(true);
      // Every raised task has its raise record (an adopted one its adoption); every cancelled one its cancellation.
      const tasks = await store.list();
      const raised = new Set(
        all.filter((r) => r.action === "raise" || r.action === "adoption").map((r) => r.subject.taskId),
      );
      expect(tasks.every((t) => raised.has(t.id))).toBe(true);
      const cancelled = new Set(all.filter((r) => r.action === "cancellation").map((r) => r.subject.taskId));
      expect(tasks.filter((t) => t.state === "cancelled").every((t) => cancelled.has(t.id))).toBe(true);
      // The replaced key's deferred revocation and the removed assignment's key are both on record.
      const revoked = all.filter((r) => r.action === "revocation");
      expect(revoked.length).toBeGreaterThanOrEqual(2);
      for (const r of revoked) {
        expect(r.subject).toMatchObject({
          personObjectId: ada,
          assignmentId: `${ada}/primary`,
          slot: "primary",
        });
        expect(r.subject.methodId).toBeTruthy();
        expect(await methodIds(ada)).not.toContain(r.subject.methodId);
      }
      const anchor = readAnchor(join(dir, "records.anchor.json"));
      const report = verifyChain(await records.rows(), {
        ...(anchor ? { anchor } : {}),
        trustedKeys: [
          loadPublicKey(join(dir, "pipeline.ed25519.pub")),
          loadPublicKey(join(dir, "stations", "test-station.pub")),
        ],
      });
      expect(report.findings).toEqual([]);
      expect(report.ok).toBe(true);
      // Each writer key has its own chain: the anchor and the head list where the pipeline's ends.
      const last = all.at(-1)!;
      expect(anchor?.chains?.[last.chain!]).toEqual({ seq: last.seq, hash: last.hash });
      const head = await readRecordsHead({
        entra: {},
        taskStore: `sqlite:${join(dir, "tasks.db")}`,
        pipelineKeyPath: "",
        stationKeysDir: "",
      });
      expect((head as RecordsHead | undefined)?.chains?.[last.chain!]).toEqual({
        seq: last.seq,
        hash: last.hash,
      });
      expect(JSON.stringify(all)).not.toContain(emu.clientSecret);
    } finally {
      await records.close();
    }
  });

  it("should keep the client secret out of state, errors and the host's logs", async () => {
    const outs = JSON.stringify(state satisfies Props as Partial<AssignmentOutputs>);
    expect(outs).not.toContain(emu.clientSecret);
    expect(host.stderr()).not.toContain(emu.clientSecret);
    const tasks = JSON.stringify(await store.list());
    expect(tasks).not.toContain(emu.clientSecret);
  });
});
