// A `pulumi up` killed part-way, with PULUMI_SKIP_CHECKPOINTS (the setting the README recommends at fleet
// scale, where the file backend's per-step checkpoint makes a first `up` quadratic). The stack then records
// none of the resources the killed run created, although their tasks were raised: the next `up` must find
// those tasks through the task store and raise nothing twice.
import "reflect-metadata";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import { openSqliteTaskStore } from "../../core/tasks/sqliteTaskStore.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { addSyntheticUsers, loadTenantSeed } from "../../emulator/tenant.js";
import { requireTool } from "../support/tools.js";
import { emulatorConfig, ykFleetYaml } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const people = 60;

let emu: RunningEmulator;
let project: PulumiProject;
let store: TaskStore;
let specs: string;

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  emu = await startEmulator({ synthetic: people });
  const ids = (addSyntheticUsers(loadTenantSeed(undefined), people, 1).users ?? []).slice(-people);
  specs = mkdtempSync(join(tmpdir(), "keyfleet-crash-specs-"));
  writeFileSync(join(specs, "fleet.yaml"), ykFleetYaml(ids.map((u) => u.id)));
  project = await createPulumiProject({ specs, env: { PULUMI_SKIP_CHECKPOINTS: "true" } });
  const keyPath = join(project.dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  const dbPath = join(project.dir, "tasks.db");
  const config = emulatorConfig(emu, { taskStore: dbPath, pipelineKey: keyPath });
  await project.configure(config, { "keyfleet:entraClientSecret": emu.clientSecret });
  store = openSqliteTaskStore(dbPath);
}, 300_000);

afterAll(async () => {
  await store?.close();
  await emu?.stop();
  project?.remove();
  if (specs) rmSync(specs, { recursive: true, force: true });
});

/** Starts `pulumi up` in its own process group and SIGKILLs the group once `atLeast` tasks exist. */
async function killMidway(atLeast: number): Promise<{ signal: NodeJS.Signals | null; raised: number }> {
  const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--non-interactive"], {
    cwd: project.dir,
    env: project.env,
    detached: true,
    stdio: "ignore",
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_c, s) => resolve(s)));
  let done = false;
  void exited.then(() => {
    done = true;
  });
  let raised = 0;
  while (!done) {
    raised = (await store.list({ kind: "provision" })).length;
    if (raised >= atLeast) {
      process.kill(-(child.pid ?? 0), "SIGKILL");
      break;
    }
    await sleep(50);
  }
  return { signal: await exited, raised };
}

/** A killed CLI leaves the diy backend's stack lock behind; removing it is the documented recovery. */
function removeStaleLocks(): void {
  const locks = join(project.dir, ".state", ".pulumi", "locks");
  try {
    for (const entry of readdirSync(locks, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) rmSync(join(entry.parentPath, entry.name));
    }
  } catch {
    // No locks directory: nothing was held.
  }
}

describe("a killed `pulumi up` without per-step checkpoints", () => {
  it("should converge on the next up with exactly one task per assignment", async () => {
    const killed = await killMidway(5);
    expect(killed.signal).toBe("SIGKILL");
    expect(killed.raised).toBeGreaterThanOrEqual(5);
    expect(killed.raised).toBeLessThan(people);

    removeStaleLocks();
    await project.ok(["up", "--yes", "--skip-preview"]);
    const tasks = await store.list({ kind: "provision" });
    expect(tasks).toHaveLength(people);
    expect(new Set(tasks.map((t) => t.assignmentId)).size).toBe(people);
    expect(tasks.every((t) => t.generation === 1 && t.state === "pending")).toBe(true);
    expect((await project.outputs()).counts).toEqual({ pending: people, active: 0 });

    const again = await project.pulumi(["preview", "--expect-no-changes"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
  }, 600_000);
});
