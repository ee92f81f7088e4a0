// The stack the upgrade tests (tests/providers/upgrade*.test.ts) carry across a change with the real engine:
// the emulator, a Pulumi project over tests/providers/engine-specs (two people, one slot each), a station's
// store, and the project's dist as an earlier build (today's build with some compiled modules of an earlier
// commit laid over it, from tests/providers/upgrade-before/) or as the current build.
import { cpSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import type { EntraClient } from "../../core/entra/client.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { repoRoot } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { emulatorConfig } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";
import { entraClientFor, openStationStore } from "./stationStandIn.js";

export const upgradeFixtures = join(repoRoot, "tests/providers/upgrade-before");
export const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
export const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
export const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

export interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}
export interface Exported {
  deployment: { resources?: StateResource[] };
}

export const typeOf = (r: StateResource) => r.type.split(":").at(-1) ?? "";
export const dynamicResources = (e: Exported) =>
  (e.deployment.resources ?? []).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));

export interface UpgradeStack {
  emu: RunningEmulator;
  project: PulumiProject;
  store: TaskStore;
  entra: EntraClient;
  exported(): Promise<Exported>;
  /** dist as an earlier build: today's, with `modules` (dist-relative path → fixture file) laid over it. */
  installEarlierDist(modules: Record<string, string>): void;
  /** The upgrade: dist becomes the current build, as a deploy after `npm run build` has it. */
  installCurrentDist(): void;
  stop(): Promise<void>;
}

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";

export async function startUpgradeStack(): Promise<UpgradeStack> {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  const emu = await startEmulator();
  const project = await createPulumiProject({ specs: join(repoRoot, "tests/providers/engine-specs") });
  const keyPath = join(project.dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  const dbPath = join(project.dir, "tasks.db");
  const station = await openStationStore(dbPath, project.dir);
  await project.configure(
    emulatorConfig(emu, { taskStore: dbPath, pipelineKey: keyPath, stationKeys: station.stationKeys }),
    { "keyfleet:entraClientSecret": emu.clientSecret },
  );
  const entra = entraClientFor(emu);
  const dist = join(project.dir, "dist");
  return {
    emu,
    project,
    store: station.store,
    entra,
    exported: async () => JSON.parse(await project.ok(["stack", "export"])) as Exported,
    installEarlierDist(modules) {
      rmSync(dist, { recursive: true, force: true });
      cpSync(join(repoRoot, "dist"), dist, { recursive: true, dereference: true });
      for (const [at, file] of Object.entries(modules)) cpSync(join(upgradeFixtures, file), join(dist, at));
    },
    installCurrentDist() {
      rmSync(dist, { recursive: true, force: true });
      symlinkSync(join(repoRoot, "dist"), dist, "dir");
    },
    async stop() {
      await station.store.close();
      await entra.close();
      await emu.stop();
      project.remove();
    },
  };
}
