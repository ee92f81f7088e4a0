// `keyfleet station` and `keyfleet revoke` as an operator runs them (the compiled CLI, the operator's
// device-code sign-in against the emulator): a dry run that checks keys and tasks and writes nothing, a
// failure that is a JSON error object with --json, and a lost key revoked at once with a signed record.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecordStore } from "../../../core/records/openRecordStore.js";
import { virtualKeySource } from "../../../station/runner/keySource.js";
import { runStation } from "../../../station/runner/station.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../../station/virtual/udpServer.js";
import { VirtualKey } from "../../../station/virtual/virtualKey.js";
import { runCli } from "../../support/cli.js";
import { runStationProcess, stationEnv } from "./stationProcess.js";
import { OPERATOR, ordinaryPeople, startWorld, TestOperator, virtualProfile, type World } from "./world.js";

let world: World;
let server: VirtualKeyUdpServer;
beforeAll(async () => {
  world = await startWorld();
  server = await startVirtualKeyUdp({ port: 0 });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await world?.close();
});

const people = ordinaryPeople();
/** Everything stored: the tasks and the record chain (read through SQLite, never with fs: see world.ts). */
async function snapshot(): Promise<string> {
  const log = await openRecordStore(world.location);
  try {
    return JSON.stringify([await world.pipeline.list(), await log.rows()]);
  } finally {
    await log.close();
  }
}

describe("keyfleet station and keyfleet revoke", () => {
  it("should check keys and tasks in a dry run and write nothing", async () => {
    const [task] = await world.raise([people[0]!], virtualProfile());
    const before = await snapshot();
    const run = await runStationProcess(world, "desk-cli", [
      "--dry-run",
      "--device",
      `udp:127.0.0.1:${server.address.port}`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const said = run.events
      .filter((e) => e.type === "dry-run")
      .map((e) => (e as { message: string }).message);
    expect(said.join("\n")).toMatch(/1 provision task\(s\) waiting/);
    expect(said.join("\n")).toMatch(/fits 1 waiting task/);
    expect(await snapshot()).toEqual(before);
    expect((await world.pipeline.get(task!.id))?.state).toBe("pending");
    expect(server.key.authenticator.state.pin).toBeNull();
    await world.pipeline.cancel(task!.id, { reason: "dry run over", signer: world.pipelineKey });
  }, 60_000);

  it("should report a failure as a JSON error object with --json", async () => {
    const run = await runStationProcess(world, "desk-cli", ["--device", "udp:127.0.0.1:1"], {
      KEYFLEET_PIPELINE_PUBLIC_KEY: join(world.dir, "no-such.pub"),
    });
    expect(run.code).toBe(2);
    expect(run.events.at(-1)).toMatchObject({ type: "error", retryable: false });
    expect((run.events.at(-1) as { message: string }).message).toMatch(/no-such\.pub/);
  }, 60_000);

  it("should revoke a lost key at once, recording the operator and the reason", async () => {
    const person = people[1]!;
    const [task] = await world.raise([person], virtualProfile());
    const ctx = await world.station("desk-cli", new TestOperator());
    await runStation(ctx, {
      sources: [virtualKeySource(new Map([["virtual:lost", await VirtualKey.create()]]))],
      untilIdle: true,
      pollMs: 20,
    });
    const done = await world.pipeline.get(task!.id);
    expect(done?.state).toBe("done");
    const run = await runCli(["revoke", "--task", task!.id, "--reason", "lost on a trip", "--json"], {
      env: stationEnv(world, "desk-cli"),
    });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: "deleted", methodId: done?.result?.methodId });
    expect(await world.emu.admin.storedMethods(person.objectId)).toEqual([]);
    const log = await openRecordStore(world.location);
    const rows = await log.rows();
    await log.close();
    const last = JSON.parse(rows.at(-1)!.doc) as {
      action: string;
      detail: string;
      actor: { operator?: string };
    };
    expect(last).toMatchObject({ action: "revocation", actor: { role: "operator", operator: OPERATOR } });
    expect(last.detail).toMatch(/lost on a trip/);
    expect((await world.verifyRecords()).ok).toBe(true);
  }, 60_000);

  it("should sign in with the station's own credential only when asked, and record no operator then", async () => {
    const [task] = await world.raise([people[2]!], virtualProfile());
    const run = await runStationProcess(
      world,
      "desk-app",
      ["--app-credential", "--device", `udp:127.0.0.1:${server.address.port}`],
      { AZURE_CLIENT_SECRET: world.emu.clientSecret },
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/devicelogin/);
    expect(run.events.find((e) => e.type === "station")).not.toHaveProperty("operator");
    expect((await world.pipeline.get(task!.id))?.state).toBe("done");
    const log = await openRecordStore(world.location);
    const rows = (await log.rows()).map(
      (r) =>
        JSON.parse(r.doc) as { action: string; actor: Record<string, string>; subject: { taskId?: string } },
    );
    await log.close();
    const claim = rows.find((r) => r.action === "claim" && r.subject.taskId === task!.id);
    expect(claim?.actor).toEqual(expect.objectContaining({ role: "station", stationId: "desk-app" }));
    expect(claim?.actor.operator).toBeUndefined();
  }, 60_000);
});
