// One stack per business unit, through the real engine: two stacks over one tenant and one task store each
// select a spec folder; a person the other stack manages stops the second before it raises or revokes
// anything, naming that stack; people split between them live side by side, neither counting the other's
// work as removed.
import "reflect-metadata";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { requireTool } from "../support/tools.js";
import { emulatorConfig, ykFleetYaml } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";
import { entraClientFor, fido2MethodIds, openStationStore, runOneTask } from "./stationStandIn.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
const chloe = "ddc71d2f-49e4-57c9-b8d3-dcdc68563b46";

let emu: RunningEmulator;
let north: PulumiProject;
let south: PulumiProject;
let store: TaskStore;
let entra: EntraClient;

async function stackFor(name: string, people: string[], shared: string): Promise<PulumiProject> {
  const specs = join(shared, `specs-${name}`);
  mkdirSync(specs, { recursive: true });
  writeFileSync(join(specs, "fleet.yaml"), ykFleetYaml(people));
  const project = await createPulumiProject({ specs, stack: name });
  await project.configure(
    emulatorConfig(emu, {
      taskStore: join(shared, "tasks.db"),
      pipelineKey: join(shared, "pipeline.ed25519"),
      recordsAnchor: join(shared, "records.anchor.json"),
      stationKeys: join(shared, "stations"),
    }),
    { "keyfleet:entraClientSecret": emu.clientSecret },
  );
  return project;
}

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  emu = await startEmulator();
  const shared = join(emu.dataDir, "..", `two-stacks-${process.pid}`);
  mkdirSync(shared, { recursive: true });
  writeNewSigningKey(join(shared, "pipeline.ed25519"));
  ({ store } = await openStationStore(join(shared, "tasks.db"), shared));
  entra = entraClientFor(emu);
  north = await stackFor("north", [ada, ben], shared);
  south = await stackFor("south", [ben, chloe], shared);
}, 300_000);

afterAll(async () => {
  await store?.close();
  await entra?.close();
  await emu?.stop();
  north?.remove();
  south?.remove();
});

describe("two stacks over one tenant and one task store", () => {
  it("should let the first stack raise its people's keys, stamped with its name", async () => {
    await north.ok(["up", "--yes", "--skip-preview"]);
    await runOneTask(store, entra, yubikey5);
    await runOneTask(store, entra, yubikey5);
    await north.ok(["up", "--refresh", "--yes", "--skip-preview"]);
    expect((await north.outputs()).counts).toEqual({ pending: 0, active: 2 });
    const tasks = await store.list({ kind: "provision" });
    expect(tasks.map((t) => t.provenance.stack)).toEqual(["north", "north"]);
  }, 300_000);

  it("should refuse the second stack for a person the first manages, before it raises or revokes anything", async () => {
    const before = await store.list();
    const up = await south.pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(
      /ben\.adeyemi@northwindforge\.example \(04a0bd23-7b75-581c-96d7-6d8a3642ac20\) is managed by stack 'north'/,
    );
    expect(await store.list()).toEqual(before);
    expect(await fido2MethodIds(entra, ben)).toHaveLength(1);
  }, 300_000);

  it("should let the stacks share the store once each person belongs to one, neither revoking the other's", async () => {
    writeFileSync(join(south.specsDir, "fleet.yaml"), ykFleetYaml([chloe]));
    await south.ok(["up", "--yes", "--skip-preview"]);
    expect((await south.outputs()).counts).toEqual({ pending: 1, active: 0 });
    await runOneTask(store, entra, yubikey5);
    await south.ok(["up", "--refresh", "--yes", "--skip-preview"]);
    // North's plan does not see chloe's key as an assignment removed from its specs, nor as unmanaged.
    const quiet = await north.pulumi(["preview", "--expect-no-changes"]);
    expect(quiet.code, quiet.stdout + quiet.stderr).toBe(0);
    await north.ok(["up", "--yes", "--skip-preview"]);
    expect(await fido2MethodIds(entra, chloe)).toHaveLength(1);
    expect((await north.outputs()).plan).toMatchObject({ revoke: 0, "unmanaged-report": 0 });
  }, 300_000);
});
