// Keys that are not fresh, and keys the station must not take: a reused key (PIN and a credential on it)
// is reset only after the operator agrees, with the replug a key needs once its reset window has passed;
// declined, nothing is claimed. A key of another model, and a virtual key against a "real" Entra, are refused.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ctap2 } from "../../../station/ctap2/ctap2.js";
import { getInfo } from "../../../station/ctap2/getInfo.js";
import { CtapHidDevice } from "../../../station/ctaphid/hidDevice.js";
import { testKey } from "../../../station/keyCommands/keyTest.js";
import { virtualKeySource } from "../../../station/runner/keySource.js";
import { runStation } from "../../../station/runner/station.js";
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

/** A key someone used before: a PIN and a credential on another relying party. */
async function usedKey(resetWindowMs: number): Promise<VirtualKey> {
  const key = await VirtualKey.create({ resetWindowMs });
  const device = await CtapHidDevice.open(openVirtualConnection(key));
  const ctap = new Ctap2(device);
  const info = await getInfo(ctap);
  await testKey({ device, ctap, info, close: () => device.close() }, { pin: Buffer.from("13572468") });
  await device.close();
  return key;
}

const people = ordinaryPeople();

describe("station runner, reused and refused keys", () => {
  it("should reset a reused key once the operator agrees, guiding the replug its reset needs", async () => {
    const [task] = await world.raise([people[10]!], virtualProfile({ pinLength: 16 }));
    const key = await usedKey(50);
    await new Promise((r) => setTimeout(r, 120)); // past the reset window: the key will refuse at first
    const operator = new TestOperator({ replug: () => key.powerCycle() });
    const ctx = await world.station("desk-r", operator);
    const summary = await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:used", key]]))],
      untilIdle: true,
      pollMs: 20,
    });
    expect(summary.outcomes[0]?.status, JSON.stringify(operator.of("error"))).toBe("provisioned");
    expect(operator.resets).toBe(1);
    expect(operator.of("notice").some((n) => /within about 10 seconds/.test(n.message))).toBe(true);
    expect((await world.pipeline.get(task!.id))?.state).toBe("done");
    // The old credential went with the reset: the key holds the new one only.
    expect(key.authenticator.state.credentials.length).toBe(1);
  }, 60_000);

  it("should leave a reused key and every task alone when the operator declines the reset", async () => {
    const [task] = await world.raise([people[11]!], virtualProfile());
    const key = await usedKey(10_000);
    const operator = new TestOperator({ allowReset: false });
    const ctx = await world.station("desk-r", operator);
    const summary = await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:declined", key]]))],
      untilIdle: true,
      pollMs: 20,
    });
    expect(summary.outcomes[0]?.status).toBe("failed");
    expect(operator.of("error")[0]).toMatchObject({ reason: "reset-declined", task: "none" });
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    expect(key.authenticator.state.pin).not.toBeNull();
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should refuse a key the profile does not allow, and a virtual key against a real Entra", async () => {
    const [task] = await world.raise(
      [people[12]!],
      virtualProfile({
        allowedAaguids: ["cb69481e-8ff7-4039-93ec-0a2729a154a8"],
        allowedModels: ["YubiKey 5"],
      }),
    );
    const operator = new TestOperator();
    const ctx = await world.station("desk-r", operator);
    await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:wrong", await VirtualKey.create()]]))],
      untilIdle: true,
      pollMs: 20,
    });
    expect(operator.of("error")[0]?.message).toMatch(/YubiKey 5/);
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");

    const strict = new TestOperator();
    const real = await world.station("desk-r", strict, {
      trust: { graphIsEmulator: false, allowTestKeys: false },
    });
    await runStation(real, {
      sources: [virtualKeySource(new Map([["virtual:any", await VirtualKey.create()]]))],
      untilIdle: true,
      pollMs: 20,
    });
    expect(strict.of("error")[0]).toMatchObject({ step: "detect", task: "none" });
    expect(strict.of("error")[0]?.message).toMatch(/software keys are refused/);
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);
});
