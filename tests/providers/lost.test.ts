// Lost keys through Pulumi's dynamic-provider host, against the Entra emulator and a SQLite task store: a
// slot marked lost replaces its key delete-first (the lost key is revoked at once, on record), the next
// generation is raised and registered, and a lost key is never the assignment's working key again.
// The emulator keeps its tenant in a state file so that a registration can be dated before the lost day.
// @peculiar/x509 (the emulator's certificates) needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { readAnchor } from "../../core/records/anchor.js";
import type { AuditRecord } from "../../core/records/model.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import type { RecordStore } from "../../core/records/recordStore.js";
import { verifyChain } from "../../core/records/verifyChain.js";
import { loadPublicKey, writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { diffAssignment } from "../../providers/assignmentDiff.js";
import type { AssignmentInputs, AssignmentOutputs } from "../../providers/assignmentTypes.js";
import { assignmentToWire } from "../../providers/assignmentWire.js";
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

const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
const lostOn = "2024-02-01";
const beforeLoss = "2024-01-10T09:30:00Z";

let emu: RunningEmulator;
let host: DynamicProviderHost;
let store: TaskStore;
let records: RecordStore;
let entra: EntraClient;
let dir: string;
let stateFile: string;
let provider: string;
let approvalProvider: string;

beforeAll(async () => {
  provider = compiledProviderText();
  approvalProvider = compiledText("runApprovalResource", "runApprovalProvider");
  dir = mkdtempSync(join(tmpdir(), "keyfleet-lost-"));
  stateFile = join(dir, "tenant.json");
  emu = await startEmulator({ stateFile });
  const keyPath = join(dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  host = await startDynamicProviderHost({
    cwd: join(repoRoot, "dist"),
    project,
    env: { KEYFLEET_TASK_STORE: "", AZURE_CLIENT_SECRET: "" },
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
  records = await openRecordStore(`sqlite:${join(dir, "tasks.db")}`);
  entra = entraClientFor(emu);
});

afterAll(async () => {
  await host?.stop();
  await store?.close();
  await records?.close();
  await entra?.close();
  await emu?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const urn = (name: string) => urnFor(project, resourceType, name);
// What the engine hands the host: the inputs in the wire form today's program declares.
const withProvider = (p: AssignmentInputs): Props => ({ ...assignmentToWire(p), __provider: provider });
const methodIds = (objectId: string) => fido2MethodIds(entra, objectId);
const revocationsOf = async (methodId: string): Promise<AuditRecord[]> =>
  (await records.list({ action: "revocation" })).filter((r) => r.subject.methodId === methodId);

/**
 * Dates a registered method as Entra would show a key registered on `createdDateTime`: rewrites the emulator's
 * state file (the emulator re-reads it on the next request), as a key registered weeks ago would be.
 */
function backdate(methodId: string, createdDateTime: string): void {
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as {
    methods: Record<string, { id: string; createdDateTime: string }[]>;
  };
  const method = Object.values(state.methods)
    .flat()
    .find((m) => m.id === methodId);
  if (!method) throw new Error(`the emulator holds no method ${methodId}`);
  method.createdDateTime = createdDateTime;
  const tmp = `${stateFile}.test.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, stateFile);
}

/** The run's plan approves revoking a slot's lost key at once (as the program derives it from the plan). */
async function approveLost(slot: string, methodId: string) {
  await approveRun(
    host,
    approvalProvider,
    approval({
      revocations: 1,
      assignments: {
        [`${ada}/${slot}`]: {
          kind: "lost",
          methodIds: [methodId],
          retiring: [],
          reason: `key reported lost on ${lostOn}`,
        },
      },
    }),
  );
}

/** Creates the assignment, lets the station stand-in register its key and reads it active. */
async function activeAssignment(slot: string, objectId = ada) {
  const inputs = assignmentInputs({
    objectId,
    slot,
    userPrincipalName: "ada.lindqvist@northwindforge.example",
  });
  const name = urn(`${objectId}-${slot}`);
  const created = await host.create(name, withProvider(inputs));
  await runOneTask(store, entra, yubikey5);
  const read = await host.read(created.id, name, created.properties);
  expect(read.properties.status).toBe("active");
  return { inputs, name, id: created.id, state: read.properties };
}

describe("a lost key through the dynamic-provider host", () => {
  it("should replace the lost key delete-first, revoke it at once on record, then raise and activate the next generation", async () => {
    const active = await activeAssignment("primary");
    const { inputs, name, id } = active;
    const lostKey = String(active.state.methodId);
    backdate(lostKey, beforeLoss);
    const state = (await host.read(id, name, active.state)).properties;
    expect(state).toMatchObject({ status: "active", methodId: lostKey, registeredAt: beforeLoss });

    const marked = { ...inputs, lostSince: lostOn };
    expect((await host.check(name, state, withProvider(marked))).failures).toEqual([]);
    expect(await host.diff(id, name, state, withProvider(marked))).toEqual({
      changes: "some",
      replaces: ["lostSince"],
      deleteBeforeReplace: true,
    });

    // Delete-before-replace, as the engine does it: the lost key goes before anything is created.
    await approveLost("primary", lostKey);
    await host.delete(id, name, state);
    expect(await methodIds(ada)).not.toContain(lostKey);
    const revoked = await revocationsOf(lostKey);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({
      actor: { role: "pipeline" },
      subject: { personObjectId: ada, assignmentId: `${ada}/primary`, slot: "primary", methodId: lostKey },
    });
    expect(revoked[0]?.detail).toContain(lostOn);

    const created = await host.create(name, withProvider(marked));
    expect(created.id).toBe(`${ada}/primary@2`);
    expect(created.properties).toMatchObject({
      status: "pending",
      generation: 2,
      lostSince: lostOn,
      methodId: "",
    });
    const done = await runOneTask(store, entra, yubikey5);
    expect(done?.generation).toBe(2);
    const read = await host.read(created.id, name, created.properties);
    expect(read.properties).toMatchObject({ status: "active", generation: 2, lostSince: lostOn });
    const newKey = String(read.properties.methodId);
    expect(newKey).not.toBe(lostKey);
    expect(await methodIds(ada)).toContain(newKey);

    // The mark is removed later: an update in place that keeps the new key.
    const unmarked = { ...inputs, lostSince: "" };
    expect(await host.diff(created.id, name, read.properties, withProvider(unmarked))).toEqual({
      changes: "some",
      replaces: [],
      deleteBeforeReplace: false,
    });
    const updated = await host.update(created.id, name, read.properties, withProvider(unmarked));
    expect(updated.properties).toMatchObject({
      status: "active",
      methodId: newKey,
      generation: 2,
      lostSince: "",
    });
    expect(await methodIds(ada)).toContain(newKey);
    expect((await host.diff(created.id, name, updated.properties, withProvider(unmarked))).changes).toBe(
      "none",
    );
    expect(await revocationsOf(newKey)).toEqual([]);
  });

  it("should revoke a lost key still registered on create and raise a new generation rather than take it back", async () => {
    const { inputs, name, state } = await activeAssignment("backup");
    const lostKey = String(state.methodId);
    backdate(lostKey, beforeLoss);
    // The state was lost (or the delete never ran): create finds the lost key still in Entra.
    await approveLost("backup", lostKey);
    const created = await host.create(name, withProvider({ ...inputs, lostSince: lostOn }));
    expect(created.properties).toMatchObject({ status: "pending", generation: 2, methodId: "" });
    expect(await methodIds(ada)).not.toContain(lostKey);
    const revoked = await revocationsOf(lostKey);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]?.detail).toContain(lostOn);
    await host.delete(created.id, name, created.properties);
    expect(await store.list({ assignmentId: `${ada}/backup`, state: "pending" })).toEqual([]);
  });

  it("should never read a key registered before the lost day as the active key", async () => {
    const { inputs, name, id, state } = await activeAssignment("spare");
    const lostKey = String(state.methodId);
    backdate(lostKey, beforeLoss);
    // State that already carries the mark, while Entra still lists the lost key (say its revocation failed).
    const read = await host.read(id, name, { ...state, lostSince: lostOn });
    expect(read.id).toBe("");
    expect(await methodIds(ada)).toContain(lostKey);
    await approveLost("spare", lostKey);
    await host.delete(id, name, { ...state, ...inputs });
    expect(await methodIds(ada)).not.toContain(lostKey);
  });

  it("should not adopt a credential registered before the slot's lost day", async () => {
    const old = await registerPasskey(entra, ben, yubikey5, "Ben's old key");
    backdate(old, beforeLoss);
    const adopt = {
      ...assignmentInputs({
        objectId: ben,
        slot: "primary",
        userPrincipalName: "ben.adeyemi@northwindforge.example",
      }),
      adopt: true,
      lostSince: lostOn,
    };
    const created = await host.create(urn(`${ben}-primary`), withProvider(adopt));
    expect(created.properties).toMatchObject({ status: "pending", adopted: false, generation: 1 });
    await approveRun(
      host,
      approvalProvider,
      approval({
        assignments: { [`${ben}/primary`]: { kind: "gone", methodIds: [], retiring: [], reason: "removed" } },
      }),
    );
    await host.delete(created.id, urn(`${ben}-primary`), created.properties);
  });

  it("should leave every revocation, raise and cancellation on a sound, signed pipeline chain", async () => {
    // The station stand-in's own records (claims, registrations) sit in its own chain, signed by its key.
    const all = (await records.list()).filter((r) => r.actor.role === "pipeline");
    expect(new Set(all.map((r) => r.action))).toEqual(
      new Set(["approval", "raise", "cancellation", "revocation"]),
    );
    expect(all.every((r) => r.actor.role === "pipeline")).toBe(true);
    const anchor = readAnchor(join(dir, "records.anchor.json"));
    // Each writer key has its own chain: the anchor lists where the pipeline's ends.
    const last = all.at(-1)!;
    expect(anchor?.chains?.[last.chain!]).toEqual({ seq: last.seq, hash: last.hash });
    const report = verifyChain(await records.rows(), {
      ...(anchor ? { anchor } : {}),
      trustedKeys: [
        loadPublicKey(join(dir, "pipeline.ed25519.pub")),
        loadPublicKey(join(dir, "stations", "test-station.pub")),
      ],
    });
    expect(report.findings).toEqual([]);
    expect(JSON.stringify(all)).not.toContain(emu.clientSecret);
  });
});

describe("diffAssignment and the lost mark", () => {
  const inputs = assignmentInputs();
  const state = (over: Partial<AssignmentOutputs>): AssignmentOutputs => ({
    ...inputs,
    status: "active",
    generation: 1,
    taskState: "",
    failure: "",
    methodId: "m1",
    aaguid: yubikey5,
    model: "YubiKey 5",
    registeredAt: "2024-03-05T10:00:00Z",
    keyCredProtect: 2,
    adopted: false,
    retiring: [],
    ...over,
  });

  it("should update in place when the active key was registered on or after the lost day", () => {
    expect(diffAssignment(state({}), { ...inputs, lostSince: "2024-03-05" })).toEqual({ changes: true });
  });

  it("should replace delete-first when the active key was registered before the lost day", () => {
    expect(diffAssignment(state({}), { ...inputs, lostSince: "2024-03-06" })).toEqual({
      changes: true,
      replaces: ["lostSince"],
      deleteBeforeReplace: true,
    });
  });

  it("should update a pending assignment in place when it is marked lost", () => {
    const pending = state({ status: "pending", methodId: "", registeredAt: "", taskState: "pending" });
    expect(diffAssignment(pending, { ...inputs, lostSince: "2024-03-06" })).toEqual({ changes: true });
  });

  it("should see no change in state written before lostSince existed", () => {
    const { lostSince: _dropped, ...older } = state({});
    expect(diffAssignment(older as AssignmentOutputs, inputs)).toEqual({ changes: false });
  });
});
