// The real engine end to end: the `pulumi` CLI (built by scripts/install-pulumi.sh) runs the compiled program
// against a file:// backend and the Entra emulator: up, refresh, drift seen after a key is deleted behind
// Pulumi's back, a spec change, and destroy leaving the keys registered; the records head among the outputs.
import "reflect-metadata";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { openRecordStore } from "../../core/records/openRecordStore.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { repoRoot } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { emulatorConfig } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";
import { entraClientFor, fido2MethodIds, openStationStore, runOneTask } from "./stationStandIn.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

let emu: RunningEmulator;
let project: PulumiProject;
let store: TaskStore;
let entra: EntraClient;

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  emu = await startEmulator();
  project = await createPulumiProject({ specs: join(repoRoot, "tests/providers/engine-specs") });
  const keyPath = join(project.dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  const dbPath = join(project.dir, "tasks.db");
  const station = await openStationStore(dbPath, project.dir);
  store = station.store;
  const config = emulatorConfig(emu, {
    taskStore: dbPath,
    pipelineKey: keyPath,
    stationKeys: station.stationKeys,
  });
  await project.configure(config, { "keyfleet:entraClientSecret": emu.clientSecret });
  entra = entraClientFor(emu);
}, 300_000);

afterAll(async () => {
  await store?.close();
  await entra?.close();
  await emu?.stop();
  project?.remove();
});

const methods = (objectId: string) => fido2MethodIds(entra, objectId);

describe("pulumi up/refresh/destroy with the real engine", () => {
  it("should raise a task per assignment on up and report them pending", async () => {
    await project.ok(["up", "--yes", "--skip-preview"]);
    const out = await project.outputs();
    expect(out.counts).toEqual({ pending: 2, active: 0 });
    expect((await store.list({ state: "pending" })).length).toBe(2);
    // The program publishes the records chain head after the creates: the run's approval and the two raises.
    const records = await openRecordStore(`sqlite:${join(project.dir, "tasks.db")}`);
    try {
      expect(out.recordsHead).toEqual(await records.head());
      expect(out.recordsHead).toMatchObject({ seq: 3 });
    } finally {
      await records.close();
    }
    const state = readFileSync(join(project.dir, ".state/.pulumi/stacks/keyfleet/test.json"), "utf8");
    expect(state).not.toContain(emu.clientSecret);
  }, 300_000);

  it("should see the keys active after the station ran, and refresh then show no drift", async () => {
    await runOneTask(store, entra, yubikey5);
    await runOneTask(store, entra, yubikey5);
    await project.ok(["refresh", "--yes"]);
    // Stack outputs come from the program, so the up after the refresh brings them up to date.
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect((await project.outputs()).counts).toEqual({ pending: 0, active: 2 });
    const clean = await project.pulumi(["refresh", "--preview-only", "--expect-no-changes"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  }, 300_000);

  it("should show drift when a key is deleted behind Pulumi's back", async () => {
    const [methodId] = await methods(ada);
    expect(methodId).toBeDefined();
    await entra.delete(`/users/${ada}/authentication/fido2Methods/${encodeURIComponent(methodId ?? "")}`);
    const drift = await project.pulumi(["refresh", "--preview-only", "--expect-no-changes"]);
    expect(drift.code).not.toBe(0);
    // Refresh drops it; the next up raises the key again.
    await project.ok(["up", "--refresh", "--yes", "--skip-preview"]);
    expect((await project.outputs()).counts).toEqual({ pending: 1, active: 1 });
  }, 300_000);

  it("should apply a spec change (display name) in place", async () => {
    const file = join(project.specsDir, "profiles.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace('displayName: "{slot} YK5"', 'displayName: "{slot} key"'),
    );
    const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
    const before = await methods(ben);
    const preview = await project.ok(["preview", "--diff"]);
    expect(preview).toMatch(/~ .*KeyAssignment|update/);
    expect(preview).not.toMatch(/\+- .*KeyAssignment/);
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect(await methods(ben)).toEqual(before);
  }, 300_000);

  it("should leave every key registered on destroy, cancelling open work (keyfleet:allowDestroyRevocations is off)", async () => {
    const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
    const held = await methods(ben);
    expect(held).toHaveLength(1);
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    expect(await methods(ben)).toEqual(held);
    expect((await store.list({ state: ["pending", "claimed"] })).length).toBe(0);
  }, 300_000);
});
