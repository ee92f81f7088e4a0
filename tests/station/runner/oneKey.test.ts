// The real runner, one in-process virtual key, the SQLite store and the emulator: a pipeline-signed task
// becomes a key registered in Entra, self-tested, PIN forced to change, the PIN sealed to the operator's
// age recipient, the task done and signed, every step recorded — and the PIN nowhere on disk.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { virtualKeySource } from "../../../station/runner/keySource.js";
import { runStation } from "../../../station/runner/station.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";
import { ordinaryPeople, startWorld, TestOperator, virtualProfile, type World } from "./world.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  await world?.close();
});

describe("station runner, one key", () => {
  it("should provision a virtual key end to end and leave no PIN on disk", async () => {
    const [person] = ordinaryPeople();
    const [task] = await world.raise([person!], virtualProfile({ pinLength: 16 }));
    const key = await VirtualKey.create({ presence: { approveDelayMs: 150 } });
    const operator = new TestOperator();
    const ctx = await world.station("desk-1", operator);
    const summary = await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:1", key]]))],
      untilIdle: true,
      pollMs: 20,
    });
    expect(summary.outcomes, JSON.stringify(operator.of("error"))).toEqual([
      expect.objectContaining({ keyId: "virtual:1", status: "provisioned", taskId: task!.id }),
    ]);

    const done = await world.pipeline.get(task!.id);
    expect(done?.state).toBe("done");
    expect(done?.result?.kind).toBe("registered");
    expect(done?.resultSignature?.stationId).toBe("desk-1");
    const stored = await world.emu.admin.storedMethods(person!.objectId);
    expect(stored.map((m) => m.id)).toEqual([done?.result?.methodId]);

    const steps = operator.of("step").map((e) => e.step);
    expect(steps).toEqual(
      expect.arrayContaining([
        "info",
        "set-pin",
        "min-pin-length",
        "make-credential",
        "registering",
        "register",
        "confirm",
        "self-test",
        "force-change-pin",
        "handover",
        "complete",
        "label",
      ]),
    );
    expect(operator.of("touch").length).toBeGreaterThan(0);
    const [provisioned] = operator.of("provisioned");
    expect(provisioned?.label).toBe(`${person!.userPrincipalName} · primary`);

    // The key asks for a new PIN at first use, and the PIN handed over is the key's.
    expect(key.authenticator.state.forcePinChange).toBe(true);
    const pins = [...(await world.deliveredPins()).values()];
    expect(pins).toHaveLength(1);
    expect(pins[0]!.length).toBe(16);
    const { createHash } = await import("node:crypto");
    const hash = createHash("sha256").update(pins[0]!).digest().subarray(0, 16).toString("base64");
    expect(key.authenticator.state.pin?.hash).toBe(hash);

    const report = await world.verifyRecords();
    expect(report.ok, JSON.stringify(report.findings)).toBe(true);
    expect(world.filesHolding(pins)).toEqual([]);
    expect(JSON.stringify(operator.events)).not.toContain(pins[0]!.toString());
  }, 60_000);
});
