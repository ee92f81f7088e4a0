// An upgrade across the thin-state change with the real engine: a stack created by the program as it was
// before (the resource modules compiled from commit be18e22, tests/providers/upgrade-before/*.js, which
// serialize Pulumi closures of about 3 KB as `__provider` and echo the run's decision in outputs) refreshes,
// updates and destroys once dist is the current build. Refresh and destroy run the old provider text stored in
// state, which loads today's implementation from dist: the text is a contract, the implementation is not.
import "reflect-metadata";
import { cpSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntraClient } from "../../core/entra/client.js";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import type { TaskStore } from "../../core/tasks/store.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { repoRoot } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { compiledText, emulatorConfig } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";
import { entraClientFor, fido2MethodIds, openStationStore, runOneTask } from "./stationStandIn.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const before = join(repoRoot, "tests/providers/upgrade-before");
const ada = "9a0d258a-5fee-579a-93d8-9362d5365d67";
const ben = "04a0bd23-7b75-581c-96d7-6d8a3642ac20";
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const types = ["KeyAssignment", "RunApproval"] as const;

interface StateResource {
  urn: string;
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}
interface Exported {
  deployment: { resources?: StateResource[] };
}

let emu: RunningEmulator;
let project: PulumiProject;
let store: TaskStore;
let entra: EntraClient;
const oldText = Object.fromEntries(
  types.map((t) => [t, readFileSync(join(before, `${t}.provider.js`), "utf8")]),
) as Record<(typeof types)[number], string>;
const oldShape = JSON.parse(readFileSync(join(before, "shape.json"), "utf8")) as Record<
  string,
  { inputs: string[]; outputs: string[] }
>;

const typeOf = (r: StateResource) => r.type.split(":").at(-1) ?? "";
const dynamic = (e: Exported) =>
  (e.deployment.resources ?? []).filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
const exported = async () => JSON.parse(await project.ok(["stack", "export"])) as Exported;

/** The project's dist as the earlier program: today's build with the three resource modules of be18e22. */
function installEarlierDist(): void {
  const dist = join(project.dir, "dist");
  rmSync(dist, { recursive: true, force: true });
  cpSync(join(repoRoot, "dist"), dist, { recursive: true, dereference: true });
  for (const m of ["keyAssignment", "unmanagedRemoval", "runApprovalResource"])
    cpSync(join(before, `${m}.js`), join(dist, "providers", `${m}.js`));
}

/** The upgrade: dist becomes the current build, as a deploy after `npm run build` has it. */
function installCurrentDist(): void {
  const dist = join(project.dir, "dist");
  rmSync(dist, { recursive: true, force: true });
  symlinkSync(join(repoRoot, "dist"), dist, "dir");
}

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
  await project.configure(
    emulatorConfig(emu, { taskStore: dbPath, pipelineKey: keyPath, stationKeys: station.stationKeys }),
    { "keyfleet:entraClientSecret": emu.clientSecret },
  );
  entra = entraClientFor(emu);
  installEarlierDist();
}, 300_000);

afterAll(async () => {
  await store?.close();
  await entra?.close();
  await emu?.stop();
  project?.remove();
});

describe("a stack created before the thin provider text, after the upgrade", () => {
  it("should be created by the earlier program with its 3 KB provider texts and old-shaped state", async () => {
    await project.ok(["up", "--yes", "--skip-preview"]);
    await runOneTask(store, entra, yubikey5);
    await project.ok(["refresh", "--yes", "--skip-preview"]);
    const state = dynamic(await exported());
    expect(state.map(typeOf).sort()).toEqual(["KeyAssignment", "KeyAssignment", "RunApproval"]);
    for (const r of state) {
      const t = typeOf(r) as (typeof types)[number];
      // What the earlier code stored, byte for byte, and in the shape it stored it.
      expect(r.inputs?.__provider).toBe(oldText[t]);
      expect(r.outputs?.__provider).toBe(oldText[t]);
      expect(oldText[t].length).toBeGreaterThan(3000);
      expect(Object.keys(r.inputs ?? {}).sort()).toEqual(oldShape[t]?.inputs);
    }
    // The earlier implementation echoed the run's decision into outputs: give this state that shape too (the
    // refresh above ran today's read, which no longer writes it), so the upgrade starts from what it wrote.
    const full = await exported();
    for (const r of dynamic(full))
      if (typeOf(r) === "KeyAssignment" && r.outputs && r.inputs?.decision)
        r.outputs.decision = r.inputs.decision;
    for (const r of dynamic(full))
      expect(Object.keys(r.outputs ?? {}).sort()).toEqual(oldShape[typeOf(r)]?.outputs);
    const file = join(project.dir, "before.json");
    writeFileSync(file, JSON.stringify(full));
    await project.ok(["stack", "import", "--file", file]);
  }, 300_000);

  it("should refresh with today's build through the provider text stored in state", async () => {
    installCurrentDist();
    await runOneTask(store, entra, yubikey5);
    await project.ok(["refresh", "--yes", "--skip-preview"]);
    const state = dynamic(await exported());
    const keys = state.filter((r) => typeOf(r) === "KeyAssignment");
    // Both keys read active: the second one registered after the upgrade, seen by the old text's read.
    expect(keys.map((r) => r.outputs?.status)).toEqual(["active", "active"]);
    for (const r of keys) expect(r.outputs?.__provider).toBe(oldText.KeyAssignment);
  }, 300_000);

  it("should preview and up with no change to any key, the program's inputs now carrying the thin text", async () => {
    const preview = await project.ok(["preview", "--diff"]);
    expect(preview).not.toMatch(/^\s*(\+|-|~|\+-|-\+)\s+pulumi-nodejs:dynamic\/keyfleet:KeyAssignment/m);
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect((await project.outputs()).counts).toEqual({ pending: 0, active: 2 });
    const thin = compiledText("keyAssignment", "keyAssignmentProvider");
    expect(thin.length).toBeLessThan(400);
    for (const r of dynamic(await exported()).filter((k) => typeOf(k) === "KeyAssignment")) {
      expect(r.inputs?.__provider).toBe(thin);
      // A key with nothing to do is a "same" step: the engine keeps its outputs, the old text among them.
      expect(r.outputs?.__provider).toBe(oldText.KeyAssignment);
    }
    // The inputs now hold this run's decisions (keep), so a refresh finds nothing to change.
    const clean = await project.pulumi(["refresh", "--preview-only", "--expect-no-changes"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  }, 300_000);

  it("should destroy through the old text in state, leaving both keys registered", async () => {
    const held = [...(await fido2MethodIds(entra, ada)), ...(await fido2MethodIds(entra, ben))];
    expect(held).toHaveLength(2);
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    expect(dynamic(await exported())).toEqual([]);
    expect([...(await fido2MethodIds(entra, ada)), ...(await fido2MethodIds(entra, ben))]).toEqual(held);
    expect((await store.list({ state: ["pending", "claimed"] })).length).toBe(0);
  }, 300_000);
});
