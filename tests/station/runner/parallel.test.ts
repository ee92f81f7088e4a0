// Eight keys at once, four in process and four over UDP, each its own ceremony: eight tasks done exactly
// once, Entra holding exactly one new passkey per person, records verifying, no PIN on disk.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedKeySource, virtualKeySource } from "../../../station/runner/keySource.js";
import { runStation } from "../../../station/runner/station.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../../station/virtual/udpServer.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";
import { ordinaryPeople, startWorld, TestOperator, virtualProfile, type World } from "./world.js";

let world: World;
const servers: VirtualKeyUdpServer[] = [];
beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  for (const s of servers) await s.close();
  await world?.close();
});

describe("station runner, eight keys in parallel", () => {
  it("should run one ceremony per key at the same time and provision each person once", async () => {
    const people = ordinaryPeople().slice(0, 8);
    expect(people).toHaveLength(8);
    const tasks = await world.raise(people, virtualProfile({ pinLength: 16 }));
    const local = new Map<string, VirtualKey>();
    for (let i = 0; i < 4; i++)
      local.set(`virtual:${i}`, await VirtualKey.create({ presence: { approveDelayMs: 100 } }));
    for (let i = 0; i < 4; i++)
      servers.push(await startVirtualKeyUdp({ port: 0, presence: { approveDelayMs: 100 } }));
    const operator = new TestOperator();
    const ctx = await world.station("desk-8", operator);
    const summary = await runStation(ctx, {
      sources: [
        virtualKeySource(local),
        fixedKeySource(servers.map((s) => `udp:127.0.0.1:${s.address.port}`)),
      ],
      untilIdle: true,
      pollMs: 20,
    });
    expect(
      summary.outcomes.filter((o) => o.status === "provisioned"),
      JSON.stringify(operator.of("error")),
    ).toHaveLength(8);
    // In parallel: every key reached make-credential before any key completed.
    const steps = operator.of("step");
    const firstComplete = steps.findIndex((e) => e.step === "complete");
    const makesBefore = new Set(
      steps
        .slice(0, firstComplete)
        .filter((e) => e.step === "make-credential")
        .map((e) => e.keyId),
    );
    expect(makesBefore.size).toBeGreaterThan(1);

    const done = await world.pipeline.list({ state: "done" });
    expect(done.map((t) => t.id).sort()).toEqual(tasks.map((t) => t.id).sort());
    for (const t of done) {
      const stored = await world.emu.admin.storedMethods(t.person.objectId);
      expect(stored.map((m) => m.id)).toEqual([t.result?.methodId]);
    }
    const ids = new Set(done.map((t) => (t.result?.kind === "registered" ? t.result.credentialId : "")));
    expect(ids.size).toBe(8);
    const report = await world.verifyRecords();
    expect(report.ok, JSON.stringify(report.findings)).toBe(true);
    const pins = [...(await world.deliveredPins()).values()];
    expect(pins).toHaveLength(8);
    expect(world.filesHolding(pins)).toEqual([]);
  }, 120_000);
});
