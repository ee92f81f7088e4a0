// A slot that names an inventory serial gets only that key. The station reads the plugged key's serial
// from where it really exists: the label the operator scans at an attended desk, or the key's enterprise
// attestation certificate (enabled by the station, asked for as the platform). A match is recorded with
// its source in the signed result and the audit record; a mismatch is refused with both serials named
// and nothing registered; an unattended desk with a key that cannot name itself refuses too.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desiredAssignments } from "../../../core/assignment.js";
import { taskProfileOf } from "../../../core/plan/taskProfile.js";
import { openRecordStore } from "../../../core/records/openRecordStore.js";
import { loadSpecFiles } from "../../../core/spec/index.js";
import type { TaskProfile } from "../../../core/tasks/model.js";
import { virtualKeySource } from "../../../station/runner/keySource.js";
import { runStation } from "../../../station/runner/station.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";
import {
  ordinaryPeople,
  startWorld,
  TestOperator,
  VIRTUAL_AAGUID,
  virtualProfile,
  type World,
} from "./world.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  await world?.close();
});

const people = ordinaryPeople();
const inventory = (serial: string): TaskProfile => virtualProfile({ serials: [serial] });

async function registrationRecord(taskId: string) {
  const log = await openRecordStore(world.location);
  try {
    return (await log.list({ action: "registration" })).find((r) => r.subject.taskId === taskId);
  } finally {
    await log.close();
  }
}

async function provision(key: VirtualKey, operator: TestOperator, attended: boolean) {
  const ctx = await world.station("desk-serial", operator, { attended });
  return runStation(ctx, {
    sources: [virtualKeySource(new Map([["virtual:inventory", key]]))],
    untilIdle: true,
    pollMs: 20,
  });
}

/** The task profile the pipeline raises for a person whose slot names inventory serial `serial`. */
function specProfile(upn: string, serial: string): TaskProfile {
  const r = loadSpecFiles([
    {
      path: "profiles.yaml",
      text: `apiVersion: keyfleet.dev/v1\nkind: KeyProfile\nname: virtual\naaguids: [${VIRTUAL_AAGUID}]\npin: { length: 10 }\ncredProtect: 2\n`,
    },
    {
      path: "inventory.yaml",
      text: `apiVersion: keyfleet.dev/v1\nkind: Inventory\nkeys:\n  - { serial: "${serial}", aaguid: ${VIRTUAL_AAGUID}, assignedTo: ${upn} }\n`,
    },
    {
      path: "people.yaml",
      text: `apiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: ${upn}\nslots:\n  primary: { profile: virtual, serial: "${serial}" }\n`,
    },
  ]);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.file}:${i.line}: ${i.message}`).join("\n"));
  const person = people.find((p) => p.userPrincipalName === upn)!;
  const [assignment] = desiredAssignments(r.spec, {
    people: [{ id: person.objectId, userPrincipalName: upn, fido2Methods: [] }],
    groups: [],
  });
  return taskProfileOf(assignment!, r.spec.inventory);
}

describe("station runner, inventory serials", () => {
  it("should carry the serial the spec gives the slot, and take the key whose label carries it", async () => {
    const upn = people[24]!.userPrincipalName;
    const profile = specProfile(upn, "00420017");
    expect(profile.serials).toEqual(["00420017"]);
    const [task] = await world.raise([people[24]!], profile);
    expect(task?.profile.serials).toEqual(["00420017"]);
    const operator = new TestOperator({ label: () => "00420017" });
    const summary = await provision(await VirtualKey.create(), operator, true);
    expect(summary.outcomes[0]?.status, JSON.stringify(operator.of("error"))).toBe("provisioned");
    expect((await world.pipeline.get(task!.id))?.result).toMatchObject({
      serial: "00420017",
      serialSource: "label",
    });
  }, 60_000);

  it("should take a key whose scanned label carries the slot's serial, and record serial and source", async () => {
    const [task] = await world.raise([people[25]!], inventory("KF-0001"));
    expect(task?.profile.serials).toEqual(["KF-0001"]);
    const operator = new TestOperator({ label: () => " kf-0001 " });
    const summary = await provision(await VirtualKey.create(), operator, true);
    expect(summary.outcomes[0]?.status, JSON.stringify(operator.of("error"))).toBe("provisioned");
    expect(operator.serialQuestions).toBe(1);
    const done = await world.pipeline.get(task!.id);
    expect(done?.result).toMatchObject({ kind: "registered", serial: "kf-0001", serialSource: "label" });
    expect((await registrationRecord(task!.id))?.subject).toMatchObject({
      serial: "kf-0001",
      serialSource: "label",
    });
    expect((await world.verifyRecords()).ok).toBe(true);
  }, 60_000);

  it("should refuse a key whose label carries another serial, registering nothing", async () => {
    const [task] = await world.raise([people[26]!], inventory("KF-0002"));
    const key = await VirtualKey.create();
    const operator = new TestOperator({ label: () => "KF-7777" });
    await provision(key, operator, true);
    const [error] = operator.of("error");
    expect(error).toMatchObject({ reason: "serial-mismatch", task: "released" });
    expect(error?.message).toMatch(/serial KF-7777 \(its label reads it\).*takes inventory serial KF-0002/);
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    expect(await world.emu.admin.storedMethods(task!.person.objectId)).toEqual([]);
    // Refused before the PIN: the key is as it came.
    expect(key.authenticator.pinIsSet).toBe(false);
    expect(key.authenticator.credentials).toHaveLength(0);
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should read the serial from the key's enterprise attestation, without asking, unattended", async () => {
    const [task] = await world.raise([people[27]!], inventory("KF-0003"));
    const key = await VirtualKey.create({ enterpriseAttestation: { serial: "KF-0003" } });
    const operator = new TestOperator({ label: () => "never asked" });
    const summary = await provision(key, operator, false);
    expect(summary.outcomes[0]?.status, JSON.stringify(operator.of("error"))).toBe("provisioned");
    expect(operator.serialQuestions).toBe(0);
    // The station enabled enterprise attestation (a fresh key has it off) before asking for it.
    expect(key.authenticator.state.enterprise?.enabled).toBe(true);
    const done = await world.pipeline.get(task!.id);
    expect(done?.result).toMatchObject({ serial: "KF-0003", serialSource: "enterprise-attestation" });
    expect((await registrationRecord(task!.id))?.subject).toMatchObject({
      serial: "KF-0003",
      serialSource: "enterprise-attestation",
    });
    expect((await world.emu.admin.storedMethods(task!.person.objectId)).map((m) => m.id)).toEqual([
      done?.result?.methodId,
    ]);
  }, 60_000);

  it("should refuse a key whose enterprise attestation names another serial, and delete its credential", async () => {
    const [task] = await world.raise([people[28]!], inventory("KF-0004"));
    const key = await VirtualKey.create({ enterpriseAttestation: { serial: "KF-9999", enabled: true } });
    const operator = new TestOperator();
    await provision(key, operator, false);
    const [error] = operator.of("error");
    expect(error).toMatchObject({ reason: "serial-mismatch", step: "make-credential", task: "released" });
    expect(error?.message).toMatch(/serial KF-9999 \(its enterprise attestation names it\)/);
    expect(operator.of("step").some((e) => e.step === "registering" || e.step === "register")).toBe(false);
    expect(await world.emu.admin.storedMethods(task!.person.objectId)).toEqual([]);
    expect(key.authenticator.credentials).toHaveLength(0);
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should say in a dry run which fitting tasks name a serial and where the key's would come from", async () => {
    const [task] = await world.raise([people[23]!], inventory("KF-0006"));
    const key = await VirtualKey.create({ enterpriseAttestation: { serial: "KF-0006" } });
    const operator = new TestOperator();
    const ctx = await world.station("desk-serial", operator);
    const summary = await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:dry", key]]))],
      dryRun: true,
    });
    expect(summary.dryRun?.keys[0]).toMatchObject({ serialTasks: 1, serialFrom: "enterprise-attestation" });
    expect(operator.of("dry-run").some((e) => /name an inventory serial/.test(e.message))).toBe(true);
    expect(key.authenticator.state.enterprise?.enabled).toBe(false);
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should refuse at an unattended desk a key that cannot name its serial", async () => {
    const [task] = await world.raise([people[29]!], inventory("KF-0005"));
    const operator = new TestOperator({ label: () => "KF-0005" });
    await provision(await VirtualKey.create(), operator, false);
    expect(operator.serialQuestions).toBe(0);
    const [error] = operator.of("error");
    expect(error).toMatchObject({ reason: "serial-unknown", task: "released" });
    expect(error?.message).toMatch(
      /no enterprise attestation, and an unattended station cannot read its label/,
    );
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);
});
