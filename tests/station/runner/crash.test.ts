// A station killed (SIGKILL, as a power cut) right after each named step of the ceremony, then started
// again: the restarted station resumes or hands the task back, so every task ends done exactly once, Entra
// holds exactly one passkey for the person, the records verify and no PIN is on disk. The station runs as
// the compiled CLI in a child process; its key is a virtual key over UDP that outlives the crash.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CeremonyStep } from "../../../station/runner/steps.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../../station/virtual/udpServer.js";
import { runStationProcess } from "./stationProcess.js";
import { ordinaryPeople, startWorld, virtualProfile, type World } from "./world.js";

let world: World;
const servers: VirtualKeyUdpServer[] = [];
beforeAll(async () => {
  world = await startWorld();
}, 60_000);
afterAll(async () => {
  for (const s of servers) await s.close();
  await world?.close();
});

const STEPS: CeremonyStep[] = [
  "claim",
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
];
const people = ordinaryPeople().slice(0, STEPS.length);

describe("station runner, SIGKILL at each step and a restart", () => {
  it.each(STEPS.map((step, i) => [step, i] as const))(
    "should finish the task exactly once after a crash right after %s",
    async (step, i) => {
      const person = people[i]!;
      const [task] = await world.raise([person], virtualProfile({ pinLength: 16 }));
      // A key whose reset window stays open: the restarted station may have to erase what the crash left.
      const server = await startVirtualKeyUdp({ port: 0, resetWindowMs: 600_000 });
      servers.push(server);
      const device = ["--device", `udp:127.0.0.1:${server.address.port}`, "--reset-without-asking"];

      const crashed = await runStationProcess(world, "desk-crash", device, {
        KEYFLEET_STATION_CRASH_AFTER: step,
      });
      expect(crashed.signal, `code ${crashed.code} ${crashed.stderr}${JSON.stringify(crashed.events)}`).toBe(
        "SIGKILL",
      );
      expect(crashed.events.some((e) => e.type === "step" && e.step === step)).toBe(true);

      const restarted = await runStationProcess(world, "desk-crash", device);
      expect(
        restarted.code,
        restarted.stderr + JSON.stringify(restarted.events.filter((e) => e.type === "error")),
      ).toBe(0);

      const after = await world.pipeline.get(task!.id);
      expect(after?.state).toBe("done");
      const stored = await world.emu.admin.storedMethods(person.objectId);
      expect(stored.map((m) => m.id)).toEqual([after?.result?.methodId]);
      const report = await world.verifyRecords();
      expect(report.ok, JSON.stringify(report.findings)).toBe(true);
      const completions = (await world.pipeline.list({ assignmentId: task!.assignmentId })).filter(
        (t) => t.state === "done",
      );
      expect(completions).toHaveLength(1);
      const pins = [...(await world.deliveredPins()).values()];
      expect(world.filesHolding(pins)).toEqual([]);
      const text =
        JSON.stringify([...crashed.events, ...restarted.events]) + crashed.stderr + restarted.stderr;
      for (const p of pins) expect(text).not.toContain(p.toString());
    },
    120_000,
  );
});
