// Pulumi at fleet scale: the KeyAssignment provider driven over gRPC through Pulumi's dynamic-provider host
// (create and read per assignment), and — when the `pulumi` CLI is installed — preview and up through the
// real engine with a synthetic tenant: the state file's size, and where each KeyAssignment's bytes go in it
// (the provider text stored twice, inputs, outputs, the engine's own fields) beside the goals.
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNewSigningKey } from "../core/signing/keyFiles.js";
import { startEmulator } from "../emulator/index.js";
import { addSyntheticUsers, loadTenantSeed } from "../emulator/tenant.js";
import {
  compiledProviderText,
  declaredInputs,
  emulatorConfig,
  ykFleetYaml,
} from "../tests/providers/fixtures.js";
import { createPulumiProject } from "../tests/providers/pulumiProject.js";
import { repoRoot } from "../tests/support/cli.js";
import { startDynamicProviderHost, urnFor } from "../tests/support/pulumiHost.js";
import { measure, printTable } from "./table.js";

const type = "pulumi-nodejs:dynamic/keyfleet:KeyAssignment";

function benchConfig(emu: Awaited<ReturnType<typeof startEmulator>>, dir: string): Record<string, string> {
  const keyPath = join(dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  return emulatorConfig(emu, {
    taskStore: join(dir, "tasks.db"),
    pipelineKey: keyPath,
    recordsAnchor: join(dir, "records.anchor.json"),
  });
}

async function grpcFigures(n: number): Promise<(string | number)[]> {
  const dir = mkdtempSync(join(tmpdir(), "keyfleet-bench-"));
  const emu = await startEmulator({ synthetic: n });
  const host = await startDynamicProviderHost({ cwd: join(repoRoot, "dist"), project: "keyfleet" });
  try {
    await host.configure({ ...benchConfig(emu, dir), "keyfleet:entraClientSecret": emu.clientSecret });
    const provider = compiledProviderText();
    const ids = (addSyntheticUsers(loadTenantSeed(undefined), n, 1).users ?? []).slice(-n).map((u) => u.id);
    const states: Record<string, unknown>[] = [];
    const created = await measure(async () => {
      for (const objectId of ids) {
        const inputs = declaredInputs({ objectId, userPrincipalName: `${objectId}@bench.example` });
        const r = await host.create(urnFor("keyfleet", type, `${objectId}-primary`), {
          ...inputs,
          __provider: provider,
        });
        states.push(r.properties);
      }
    });
    const read = await measure(async () => {
      for (const s of states) await host.read(String(s.assignmentId), urnFor("keyfleet", type, "x"), s);
    });
    return [n, provider.length, created.ms / n, read.ms / n];
  } finally {
    await host.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface StateResource {
  type: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  sourcePosition?: string;
  stackTrace?: unknown;
  propertyDependencies?: unknown;
}

/** Bytes per KeyAssignment in the exported deployment (compact JSON, as the checkpoint holds each entry). */
function keyAssignmentBytes(exported: string): (string | number)[] {
  const all = (JSON.parse(exported) as { deployment: { resources?: StateResource[] } }).deployment.resources;
  const keys = (all ?? []).filter((r) => r.type === type);
  const size = (v: unknown) => JSON.stringify(v ?? {}).length;
  const mean = (f: (r: StateResource) => number) => keys.reduce((sum, r) => sum + f(r), 0) / keys.length;
  const text = (r: StateResource) =>
    String(r.inputs?.__provider ?? "").length + String(r.outputs?.__provider ?? "").length;
  const without = (o: Record<string, unknown> | undefined) => size({ ...o, __provider: undefined });
  const entry = mean((r) => size(r));
  const inputs = mean((r) => without(r.inputs));
  const outputs = mean((r) => without(r.outputs));
  // A field's bytes in the entry: its key, its value and the comma (0 when absent).
  const field = (r: StateResource, k: keyof StateResource) =>
    r[k] === undefined ? 0 : JSON.stringify({ [k]: r[k] }).length - 1;
  const positions = mean((r) => field(r, "sourcePosition") + field(r, "stackTrace"));
  const dependencies = mean((r) => field(r, "propertyDependencies"));
  return [
    keys.length,
    `${mean((r) => String(r.inputs?.__provider ?? "").length)} (goal ≤ 1,024)`,
    mean(text),
    inputs,
    outputs,
    entry - mean(text) - inputs - outputs,
    positions,
    dependencies,
    `${entry.toFixed(0)} (goal ≤ 3,000)`,
  ];
}

async function engineFigures(
  n: number,
  skipCheckpoints: boolean,
): Promise<{ timing: (string | number)[]; bytes: (string | number)[] }> {
  const emu = await startEmulator({ synthetic: n });
  const work = mkdtempSync(join(tmpdir(), "keyfleet-bench-specs-"));
  // One profile and every synthetic user by object id, one slot each.
  const synthetic = addSyntheticUsers(loadTenantSeed(undefined), n, 1).users ?? [];
  const people = synthetic.slice(-n).map((u) => u.id);
  writeFileSync(join(work, "fleet.yaml"), ykFleetYaml(people));
  // The file backend rewrites the whole checkpoint after every step, so a first `up` is quadratic in the
  // number of resources; PULUMI_SKIP_CHECKPOINTS writes it once at the end (safe here: see README, Pulumi).
  const project = await createPulumiProject({
    specs: work,
    env: { PULUMI_SKIP_CHECKPOINTS: skipCheckpoints ? "true" : "false" },
  });
  try {
    const config = benchConfig(emu, project.dir);
    await project.configure(config, { "keyfleet:entraClientSecret": emu.clientSecret });
    const preview = await measure(() => project.ok(["preview"]));
    const up = await measure(() => project.ok(["up", "--yes", "--skip-preview"]));
    // The daily run: nothing changed in git, so every resource is a "same" step.
    const again = await measure(() => project.ok(["up", "--yes", "--skip-preview"]));
    const refresh = await measure(() => project.ok(["refresh", "--preview-only"]));
    const bytes = keyAssignmentBytes(await project.ok(["stack", "export"]));
    return {
      timing: [
        people.length,
        skipCheckpoints ? "at the end" : "every step",
        preview.ms / 1000,
        up.ms / 1000,
        again.ms / 1000,
        refresh.ms / 1000,
        project.stateBytes() / 2 ** 20,
        `${(project.stateBytes() / people.length).toFixed(0)} (goal ≤ 3,000)`,
      ],
      bytes,
    };
  } finally {
    project.remove();
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const rows = [];
  for (const n of (process.env.KEYFLEET_BENCH_SIZES ?? "200,1000").split(",").map(Number))
    rows.push(await grpcFigures(n));
  printTable(["assignments", "provider text (bytes)", "create ms/each", "read ms/each"], rows);
  let hasPulumi = true;
  try {
    execFileSync("bash", ["-c", "command -v pulumi"], { stdio: "ignore" });
  } catch {
    hasPulumi = false;
  }
  if (!hasPulumi) {
    process.stdout.write(
      "The `pulumi` CLI is not installed (bash scripts/install-pulumi.sh): real-engine figures skipped.\n\n",
    );
    return;
  }
  const engine = [];
  const bytes = [];
  // 1,000 assignments by default; the README gives the 10,000 figures
  // (KEYFLEET_BENCH_ENGINE_SIZES=10000 KEYFLEET_BENCH_CHECKPOINTS=skip).
  const modes = (process.env.KEYFLEET_BENCH_CHECKPOINTS ?? "every,skip").split(",");
  for (const n of (process.env.KEYFLEET_BENCH_ENGINE_SIZES ?? "1000").split(",").map(Number)) {
    for (const mode of modes) {
      const figures = await engineFigures(n, mode === "skip");
      engine.push(figures.timing);
      if (mode === modes[0]) bytes.push(figures.bytes);
    }
  }
  printTable(
    [
      "assignments",
      "checkpoint written",
      // The goals are for 10,000 assignments (KEYFLEET_BENCH_ENGINE_SIZES=10000).
      "first preview (s; goal ≤ 60 at 10,000)",
      "first up (s; goal ≤ 90 at 10,000)",
      "unchanged up (s; goal ≤ 60 at 10,000)",
      "refresh preview (s)",
      "state file (MiB; goal ≤ 30 at 10,000)",
      "state file per assignment (bytes)",
    ],
    engine,
  );
  printTable(
    [
      "KeyAssignments in state",
      "provider text (bytes)",
      "provider text ×2, inputs and outputs",
      "inputs without it",
      "outputs without it",
      "engine's fields",
      "of which source positions",
      "of which property dependencies",
      "state per KeyAssignment, all in (bytes)",
    ],
    bytes,
  );
}
