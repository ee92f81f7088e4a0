// A slot that names an inventory serial gets only that key. The station reads the plugged key's serial
// from where it really exists: the label the operator scans at an attended desk, or the key's enterprise
// attestation certificate (enabled by the station, asked for as the platform). A match is recorded with
// its source in the signed result and the audit record; a mismatch is refused with both serials named
// and nothing registered, and the key's next ceremony takes the slot of the serial it learned; an unattended
// desk leaves the slots that name a serial to keys that can name theirs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { desiredAssignments } from "../../../core/assignment.js";
import { taskProfileOf } from "../../../core/plan/taskProfile.js";
import { openRecordStore } from "../../../core/records/openRecordStore.js";
import { loadSpecFiles } from "../../../core/spec/index.js";
import type { Task, TaskProfile } from "../../../core/tasks/model.js";
import { claimFitting } from "../../../station/runner/claimFitting.js";
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

  it("should leave, at an unattended desk, the slots that name a serial to keys that can name theirs", async () => {
    const [task] = await world.raise([people[29]!], inventory("KF-0005"));
    const operator = new TestOperator({ label: () => "KF-0005" });
    const summary = await provision(await VirtualKey.create(), operator, false);
    // Not claimed and refused: a key without enterprise attestation could never prove the serial here.
    expect(summary.outcomes[0]?.status).toBe("no-task");
    expect(operator.serialQuestions).toBe(0);
    expect(operator.of("error")).toEqual([]);
    const still = await world.pipeline.get(task!.id);
    expect(still).toMatchObject({ state: "pending", attempts: 0 });
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should hand the serial a mismatch taught to the key's next ceremony, which takes that key's slot", async () => {
    const [other] = await world.raise([people[30]!], inventory("KF-2001"));
    await new Promise((r) => setTimeout(r, 5));
    const [own] = await world.raise([people[31]!], inventory("KF-2002"));
    const key = await VirtualKey.create({ enterpriseAttestation: { serial: "KF-2002" } });
    const operator = new TestOperator();
    const summary = await provision(key, operator, false);
    // The oldest task first (KF-2001's), refused at makeCredential; then, in the same plugging, its own.
    expect(operator.of("error")).toMatchObject([
      { reason: "serial-mismatch", step: "make-credential", task: "released", taskId: other!.id },
    ]);
    expect(summary.outcomes).toMatchObject([{ status: "provisioned", taskId: own!.id }]);
    expect((await world.pipeline.get(own!.id))?.result).toMatchObject({
      serial: "KF-2002",
      serialSource: "enterprise-attestation",
    });
    expect(await world.pipeline.get(other!.id)).toMatchObject({ state: "pending" });
    expect(await world.emu.admin.storedMethods(other!.person.objectId)).toEqual([]);
    expect(key.authenticator.credentials).toHaveLength(1);
    await world.pipeline.cancel(other!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should converge unattended: every serial slot gets its own key, every plain slot one of the rest", async () => {
    const serials = ["KF-3001", "KF-3002", "KF-3003", "KF-3004", "KF-3005"];
    const serialPeople = people.slice(2, 7);
    const plainPeople = people.slice(7, 11);
    const serialTasks: Task[] = [];
    for (const [i, p] of serialPeople.entries())
      serialTasks.push(...(await world.raise([p], inventory(serials[i]!))));
    const plainTasks = await world.raise(plainPeople);
    // Keys in the reverse order of their slots, so that first claims mostly miss.
    const keys = new Map<string, VirtualKey>();
    for (const serial of [...serials].reverse())
      keys.set(`virtual:ea-${serial}`, await VirtualKey.create({ enterpriseAttestation: { serial } }));
    for (let i = 0; i < plainPeople.length; i++) keys.set(`virtual:plain-${i}`, await VirtualKey.create());
    const operator = new TestOperator();
    const ctx = await world.station("desk-farm", operator);
    const summary = await runStation(ctx, { sources: [virtualKeySource(keys)], untilIdle: true, pollMs: 20 });

    expect(summary.outcomes.map((o) => o.status)).toEqual(Array(keys.size).fill("provisioned"));
    // Whatever went wrong on the way was a mismatch that handed the task back before anything was registered,
    // at most one a key: the serial it taught is the next claim's.
    expect(operator.of("error").length).toBeLessThanOrEqual(serials.length);
    for (const e of operator.of("error"))
      expect(e).toMatchObject({ reason: "serial-mismatch", step: "make-credential", task: "released" });
    for (const [i, task] of serialTasks.entries()) {
      const done = await world.pipeline.get(task.id);
      expect(done?.state).toBe("done");
      expect(done?.result).toMatchObject({ serial: serials[i], serialSource: "enterprise-attestation" });
      expect((await world.emu.admin.storedMethods(task.person.objectId)).map((m) => m.id)).toEqual([
        done?.result?.methodId,
      ]);
      expect(keys.get(`virtual:ea-${serials[i]}`)!.authenticator.credentials).toHaveLength(1);
    }
    for (const task of plainTasks) {
      const done = await world.pipeline.get(task.id);
      expect(done?.state).toBe("done");
      expect(done?.result).not.toHaveProperty("serial");
      expect(await world.emu.admin.storedMethods(task.person.objectId)).toHaveLength(1);
    }
    // Each task done exactly once: one registration record each.
    const log = await openRecordStore(world.location);
    try {
      const registrations = await log.list({ action: "registration" });
      for (const task of [...serialTasks, ...plainTasks])
        expect(registrations.filter((r) => r.subject.taskId === task.id)).toHaveLength(1);
    } finally {
      await log.close();
    }
    expect((await world.verifyRecords()).ok).toBe(true);
  }, 120_000);

  it("should wait while the serial slots are held by another ceremony, rather than take a plain slot", async () => {
    const [serialTask] = await world.raise([people[12]!], inventory("KF-4001"));
    const [plainTask] = await world.raise([people[13]!]);
    // Another desk holds the serial slot; its lease runs out soon (a stopped station's, say).
    const other = await world.station("desk-other", new TestOperator(), { leaseMs: 1500 });
    expect((await claimFitting(other, (t) => t.id === serialTask!.id))?.id).toBe(serialTask!.id);
    const key = await VirtualKey.create({ enterpriseAttestation: { serial: "KF-4001" } });
    const operator = new TestOperator();
    const summary = await provision(key, operator, false);
    expect(
      operator.of("notice").some((n) => /^waiting: the slots that name an inventory serial/.test(n.message)),
    ).toBe(true);
    expect(summary.outcomes).toMatchObject([{ status: "provisioned", taskId: serialTask!.id }]);
    expect((await world.pipeline.get(serialTask!.id))?.result).toMatchObject({ serial: "KF-4001" });
    expect(await world.pipeline.get(plainTask!.id)).toMatchObject({ state: "pending", attempts: 0 });
    await world.pipeline.cancel(plainTask!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);
});
