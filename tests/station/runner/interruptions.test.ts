// The ways out of a ceremony that a real desk meets: a key pulled out mid-ceremony (the task is handed
// back, nothing registered, the orphan on the key reported), a challenge that expired while the operator
// was busy (fresh creationOptions, the first credential deleted from the key), and the operator picking
// which task a key takes by scanning its label.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecordStore } from "../../../core/records/openRecordStore.js";
import { CtapHidDevice } from "../../../station/ctaphid/hidDevice.js";
import type { KeySource } from "../../../station/runner/keySource.js";
import { virtualKeySource } from "../../../station/runner/keySource.js";
import { runStation } from "../../../station/runner/station.js";
import type { HidConnection } from "../../../station/transport/connection.js";
import { openVirtualConnection } from "../../../station/virtual/connection.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";
import { ordinaryPeople, startWorld, TestOperator, virtualProfile, type World } from "./world.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  await world?.close();
});

const people = ordinaryPeople();

/** A key that can be pulled out: every later read and write fails, as a vanished HID device does. */
function pullableSource(id: string, key: VirtualKey): { source: KeySource; pull(): void } {
  let pulled = false;
  const waiting: (() => void)[] = [];
  const gone = () => new Error("the device was unplugged");
  return {
    pull() {
      pulled = true;
      for (const w of waiting.splice(0)) w();
    },
    source: {
      list: async () => [
        {
          id,
          transport: "virtual",
          open: (o) => {
            const inner = openVirtualConnection(key);
            const conn: HidConnection = {
              write: async (r) => {
                if (pulled) throw gone();
                await inner.write(r);
              },
              read: (signal) =>
                pulled
                  ? Promise.reject(gone())
                  : new Promise((resolve, reject) => {
                      waiting.push(() => reject(gone()));
                      inner.read(signal).then(resolve, reject);
                    }),
              close: () => inner.close(),
            };
            return CtapHidDevice.open(conn, o ?? {});
          },
        },
      ],
    },
  };
}

describe("station runner, interrupted ceremonies", () => {
  it("should hand the task back when the key is pulled out during the self-test", async () => {
    const person = people[20]!;
    const [task] = await world.raise([person], virtualProfile());
    const key = await VirtualKey.create({ presence: { approveDelayMs: 300 } });
    const { source, pull } = pullableSource("virtual:pulled", key);
    const operator = new TestOperator();
    const event = operator.event.bind(operator);
    operator.event = (e) => {
      event(e);
      if (e.type === "touch" && e.step === "self-test") pull();
    };
    const ctx = await world.station("desk-i", operator, { callTimeoutMs: 3000 });
    await runStation(ctx, { sources: [source], untilIdle: true, pollMs: 20 });
    const [error] = operator.of("error");
    expect(error).toMatchObject({ step: "self-test", task: "released" });
    // Registered but never handed over: revoked, so Entra holds nothing the person cannot use.
    expect(operator.of("recovered")[0]).toMatchObject({ outcome: "revoked" });
    expect(await world.emu.admin.storedMethods(person.objectId)).toEqual([]);
    // The station's own records say so: the registration and then its revocation, by this station.
    const log = await openRecordStore(world.location);
    const revoked = await log.list({ taskId: task!.id, action: "revocation" }).finally(() => log.close());
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({
      actor: { role: "station", stationId: "desk-i" },
      detail: expect.stringContaining("before the PIN was handed over"),
    });
    expect(operator.of("notice").some((n) => /never registered|reset the key/.test(n.message))).toBe(true);
    const after = await world.pipeline.get(task!.id);
    expect(after?.state).toBe("pending");
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should fetch new creationOptions when the challenge expired, and delete the first credential", async () => {
    const person = people[21]!;
    const [task] = await world.raise([person], virtualProfile());
    const key = await VirtualKey.create({ presence: { approveDelayMs: 300 } });
    const operator = new TestOperator();
    const event = operator.event.bind(operator);
    let moved = false;
    operator.event = (e) => {
      event(e);
      // The operator was slow: by the time the key was touched (300 ms on), the 5-minute challenge was gone.
      if (e.type === "step" && e.step === "make-credential" && !moved) {
        moved = true;
        void world.emu.setClockOffset(6 * 60_000);
      }
      if (e.type === "step" && e.step === "options" && moved) void world.emu.setClockOffset(0);
    };
    const ctx = await world.station("desk-i", operator);
    const summary = await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:slow", key]]))],
      untilIdle: true,
      pollMs: 20,
    });
    await world.emu.setClockOffset(0);
    expect(summary.outcomes[0]?.status, JSON.stringify(operator.of("error"))).toBe("provisioned");
    expect(operator.of("notice").some((n) => /challenge expired/.test(n.message))).toBe(true);
    expect(key.authenticator.state.credentials).toHaveLength(1);
    const done = await world.pipeline.get(task!.id);
    expect((await world.emu.admin.storedMethods(person.objectId)).map((m) => m.id)).toEqual([
      done?.result?.methodId,
    ]);
  }, 60_000);

  it("should give a key the task whose label the operator scanned", async () => {
    const [first, second] = await world.raise([people[22]!, people[23]!], virtualProfile());
    const operator = new TestOperator({
      pick: () => ({ kind: "label", scanned: `${people[23]!.userPrincipalName} · primary` }),
    });
    const ctx = await world.station("desk-i", operator, { attended: true });
    await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:picked", await VirtualKey.create()]]))],
      untilIdle: true,
      pollMs: 20,
    });
    expect((await world.pipeline.get(second!.id))?.state).toBe("done");
    expect((await world.pipeline.get(first!.id))?.state).toBe("pending");
    expect((await world.verifyRecords()).ok).toBe(true);
  }, 60_000);

  it("should say how many PIN tries remain when the key refuses the PIN, and hand the task back", async () => {
    const [task] = await world.raise([people[24]!], virtualProfile());
    const key = await VirtualKey.create();
    const operator = new TestOperator();
    const event = operator.event.bind(operator);
    operator.event = (e) => {
      event(e);
      // Someone else changes the key's PIN behind the station's back (as another program on the desk could).
      if (e.type === "step" && e.step === "make-credential" && key.authenticator.state.pin) {
        const other = createHash("sha256").update("99999999").digest().subarray(0, 16).toString("base64");
        key.authenticator.state.pin = { hash: other, codePoints: 8 };
      }
    };
    const ctx = await world.station("desk-i", operator);
    await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:changed", key]]))],
      untilIdle: true,
      pollMs: 20,
    });
    const [error] = operator.of("error");
    expect(error).toMatchObject({ step: "make-credential", reason: "pin-invalid", task: "released" });
    expect(error?.message).toMatch(/\(7 PIN tries left\)/);
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);
});
