// Keys used before that have no PIN. A credProtect-1 passkey for Entra's relying party answers a silent
// getAssertion (no touch, no PIN), so the station asks to reset before it claims anything. A credProtect-2
// credential hides from that look (UV is needed without an allow list); credential management counts it
// once the station has set its PIN, and the station asks then. Declined, the task goes back and the
// operator is told the key now carries a PIN nobody holds.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ctap2 } from "../../../station/ctap2/ctap2.js";
import { makeCredential } from "../../../station/ctap2/makeCredential.js";
import { CtapHidDevice } from "../../../station/ctaphid/hidDevice.js";
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

const people = ordinaryPeople();

/** A key without a PIN that someone made a discoverable credential on (no PIN needed for that). */
async function keyHolding(rpId: string, credProtect: 1 | 2): Promise<VirtualKey> {
  const key = await VirtualKey.create();
  const device = await CtapHidDevice.open(openVirtualConnection(key));
  await makeCredential(new Ctap2(device), {
    clientDataHash: new Uint8Array(32).fill(7),
    rp: { id: rpId },
    user: { id: new Uint8Array([1, 2, 3, 4]), name: "someone.else@example.org" },
    pubKeyCredParams: [{ alg: -7, type: "public-key" }],
    extensions: { credProtect },
    options: { rk: true },
  });
  await device.close();
  expect(key.authenticator.pinIsSet).toBe(false);
  expect(key.authenticator.credentials).toHaveLength(1);
  return key;
}

async function run(key: VirtualKey, operator: TestOperator, id: string) {
  const ctx = await world.station("desk-reuse", operator);
  return runStation(ctx, {
    sources: [virtualKeySource(new Map([[`virtual:${id}`, key]]))],
    untilIdle: true,
    pollMs: 20,
  });
}

describe("station runner, reused keys without a PIN", () => {
  it("should find an Entra passkey silently and reset before claiming, once the operator agrees", async () => {
    const [task] = await world.raise([people[15]!], virtualProfile());
    const key = await keyHolding("login.microsoft.com", 1);
    const old = key.authenticator.credentials[0]!.id;
    const operator = new TestOperator();
    const summary = await run(key, operator, "entra-used");
    expect(summary.outcomes[0]?.status, JSON.stringify(operator.of("error"))).toBe("provisioned");
    expect(operator.resets).toBe(1);
    const asked = operator.of("step").find((e) => e.step === "reset");
    expect(asked?.detail).toMatch(
      /no PIN but holds discoverable credentials \(1 for login\.microsoft\.com\)/,
    );
    // Asked before the claim: the reset step comes first.
    const steps = operator.of("step").map((e) => e.step);
    expect(steps.indexOf("reset")).toBeLessThan(steps.indexOf("claim"));
    expect((await world.pipeline.get(task!.id))?.state).toBe("done");
    expect(key.authenticator.credentials.map((c) => c.id)).not.toContain(old);
    expect(key.authenticator.credentials).toHaveLength(1);
  }, 60_000);

  it("should leave the key and the task alone when the operator declines the silent finding", async () => {
    const [task] = await world.raise([people[16]!], virtualProfile());
    const key = await keyHolding("login.microsoft.com", 1);
    const operator = new TestOperator({ allowReset: false });
    await run(key, operator, "entra-kept");
    expect(operator.of("error")[0]).toMatchObject({ reason: "reset-declined", task: "none", step: "reset" });
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    expect(key.authenticator.pinIsSet).toBe(false);
    expect(key.authenticator.credentials).toHaveLength(1);
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);

  it("should count a credProtect-2 credential once its PIN is set, and reset then with the operator's consent", async () => {
    const [task] = await world.raise([people[17]!], virtualProfile());
    const key = await keyHolding("github.com", 2);
    const operator = new TestOperator();
    const summary = await run(key, operator, "hidden-used");
    expect(summary.outcomes[0]?.status, JSON.stringify(operator.of("error"))).toBe("provisioned");
    expect(operator.resets).toBe(1);
    const steps = operator.of("step").map((e) => e.step);
    // Nothing showed before the PIN; the count after it asked for the reset, and a fresh PIN followed.
    expect(steps.indexOf("reset")).toBeGreaterThan(steps.indexOf("set-pin"));
    expect(steps.lastIndexOf("set-pin")).toBeGreaterThan(steps.indexOf("reset"));
    expect(operator.of("step").find((e) => e.step === "reset")?.detail).toMatch(
      /holds 1 discoverable credential though it had no PIN/,
    );
    const done = await world.pipeline.get(task!.id);
    expect(done?.state).toBe("done");
    expect(key.authenticator.credentials.map((c) => c.rpId)).toEqual(["login.microsoft.com"]);
    // The PIN delivered is the one set after the reset: the self-test and handover used it.
    expect((await world.emu.admin.storedMethods(task!.person.objectId)).map((m) => m.id)).toEqual([
      done?.result?.methodId,
    ]);
  }, 60_000);

  it("should hand the task back and say the key needs a reset when the operator declines after the PIN", async () => {
    const [task] = await world.raise([people[18]!], virtualProfile());
    const key = await keyHolding("github.com", 2);
    const operator = new TestOperator({ allowReset: false });
    await run(key, operator, "hidden-kept");
    const [error] = operator.of("error");
    expect(error).toMatchObject({ reason: "reset-declined", task: "released" });
    expect(error?.message).toMatch(/PIN is on the key now and nobody holds it: reset the key/);
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    expect(key.authenticator.credentials.map((c) => c.rpId)).toEqual(["github.com"]);
    expect(await world.emu.admin.storedMethods(task!.person.objectId)).toEqual([]);
    await world.pipeline.cancel(task!.id, { reason: "test over", signer: world.pipelineKey });
  }, 60_000);
});
