// Pulumi at fleet scale: the KeyAssignment provider driven over gRPC through Pulumi's dynamic-provider host
// (create and read per assignment, state bytes per resource), and — when the `pulumi` CLI is installed —
// preview and up through the real engine with a synthetic tenant, with the state file's size.
import "reflect-metadata";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeNewSigningKey } from "../core/signing/keyFiles.js";
import { startEmulator } from "../emulator/index.js";
import { addSyntheticUsers, loadTenantSeed } from "../emulator/tenant.js";
import { assignmentInputs, compiledProviderText } from "../tests/providers/fixtures.js";
import { createPulumiProject } from "../tests/providers/pulumiProject.js";
import { repoRoot } from "../tests/support/cli.js";
import { startDynamicProviderHost, urnFor } from "../tests/support/pulumiHost.js";
import { measure, printTable } from "./table.js";

const type = "pulumi-nodejs:dynamic/keyfleet:KeyAssignment";

function emulatorConfig(emu: Awaited<ReturnType<typeof startEmulator>>, dir: string): Record<string, string> {
  const keyPath = join(dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  return {
    "keyfleet:entraTenantId": emu.tenantId,
    "keyfleet:entraClientId": emu.clientId,
    "keyfleet:entraCloud": "custom",
    "keyfleet:entraAuthorityHost": emu.url,
    "keyfleet:entraGraphUrl": emu.url,
    "keyfleet:entraGraphScope": "https://graph.microsoft.com/.default",
    "keyfleet:entraCaFile": emu.caCertPath,
    "keyfleet:taskStore": `sqlite:${join(dir, "tasks.db")}`,
    "keyfleet:pipelineKeyFile": keyPath,
  };
}

async function grpcFigures(n: number): Promise<(string | number)[]> {
  const dir = mkdtempSync(join(tmpdir(), "keyfleet-bench-"));
  const emu = await startEmulator({ synthetic: n });
  const host = await startDynamicProviderHost({ cwd: join(repoRoot, "dist"), project: "keyfleet" });
  try {
    await host.configure({ ...emulatorConfig(emu, dir), "keyfleet:entraClientSecret": emu.clientSecret });
    const provider = compiledProviderText();
    const ids = (addSyntheticUsers(loadTenantSeed(undefined), n, 1).users ?? []).slice(-n).map((u) => u.id);
    const states: Record<string, unknown>[] = [];
    const created = await measure(async () => {
      for (const objectId of ids) {
        const inputs = assignmentInputs({ objectId, userPrincipalName: `${objectId}@bench.example` });
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
    const perResource = JSON.stringify(states[0]).length * 2; // inputs and outputs both hold it
    return [n, provider.length, perResource, created.ms / n, read.ms / n, (perResource * 10_000) / 2 ** 20];
  } finally {
    await host.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function engineFigures(n: number): Promise<(string | number)[]> {
  const emu = await startEmulator({ synthetic: n });
  const work = mkdtempSync(join(tmpdir(), "keyfleet-bench-specs-"));
  // One profile and every synthetic user by UPN, one slot each.
  const synthetic = addSyntheticUsers(loadTenantSeed(undefined), n, 1).users ?? [];
  const people = synthetic.slice(-n).map((u) => u.id);
  writeFileSync(
    join(work, "fleet.yaml"),
    `apiVersion: keyfleet.dev/v1\nkind: KeyProfile\nname: yk\naaguids: [cb69481e-8ff7-4039-93ec-0a2729a154a8]\ncredProtect: 2\n---\napiVersion: keyfleet.dev/v1\nkind: People\npeople:\n${people.map((u) => `  - objectId: ${u}\n    slots: { primary: { profile: yk } }`).join("\n")}\n`,
  );
  const project = await createPulumiProject({ specs: work });
  try {
    const config = emulatorConfig(emu, project.dir);
    for (const [k, v] of Object.entries(config)) await project.ok(["config", "set", k, v]);
    await project.ok(["config", "set", "--secret", "keyfleet:entraClientSecret", emu.clientSecret]);
    const preview = await measure(() => project.ok(["preview"]));
    const up = await measure(() => project.ok(["up", "--yes", "--skip-preview"]));
    return [people.length, preview.ms / 1000, up.ms / 1000, project.stateBytes() / 2 ** 20];
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
  printTable(
    [
      "assignments",
      "provider text (bytes)",
      "state per resource (bytes)",
      "create ms/each",
      "read ms/each",
      "state at 10k (MiB, est.)",
    ],
    rows,
  );
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
  // 1,000 assignments took over 8 minutes through the engine on 2 cores: default to sizes that fit the budget.
  for (const n of (process.env.KEYFLEET_BENCH_ENGINE_SIZES ?? "100,300").split(",").map(Number)) {
    engine.push(await engineFigures(n));
  }
  printTable(["assignments", "preview (s)", "up (s)", "state file (MiB)"], engine);
}
