// State where teams keep it: keyfleet's own program run by the real engine with Pulumi's Azure Blob backend
// (`pulumi login azblob://<container>?domain=127.0.0.1:<port>&protocol=http`, account and key from
// AZURE_STORAGE_ACCOUNT / AZURE_STORAGE_KEY) against Azurite's Blob service on loopback and the Entra emulator.
// `pulumi up` (with PULUMI_SKIP_CHECKPOINTS, as the deploy pipeline runs it) leaves the stack's checkpoint as
// a blob that this suite reads with its own Shared Key client; preview, refresh and a second machine's
// PULUMI_HOME read it back; read and list alone (a preview's role) preview, and cannot write. The file:// default is what engine.test.ts runs. docs/state-backends.md.
import "reflect-metadata";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { AZURITE_ACCOUNT, AZURITE_KEY } from "../support/azurite.js";
import { type AzuriteBlob, startAzuriteBlob } from "../support/azuriteBlob.js";
import { repoRoot } from "../support/cli.js";
import { requireTool } from "../support/tools.js";
import { emulatorConfig, resourceType } from "./fixtures.js";
import { createPulumiProject, type PulumiProject } from "./pulumiProject.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const container = "keyfleet-state";
const checkpoint = ".pulumi/stacks/keyfleet/test.json";

let emu: RunningEmulator;
let blob: AzuriteBlob;
let project: PulumiProject;
let backendUrl: string;

interface Checkpoint {
  checkpoint: { latest: { resources?: { type: string; urn: string }[] } };
}

async function readCheckpoint(): Promise<{ text: string; json: Checkpoint }> {
  const text = (await blob.getBlob(container, checkpoint)).toString("utf8");
  return { text, json: JSON.parse(text) as Checkpoint };
}

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  [emu, blob] = await Promise.all([startEmulator(), startAzuriteBlob()]);
  // Pulumi's backend never creates the container: a team makes it once (az storage container create).
  await blob.createContainer(container);
  // gocloud's azureblob URL: a 127.0.0.1 domain puts the account in the path (http://127.0.0.1:<port>/<account>),
  // as Azurite expects; `localemu=true` does the same for any other host name.
  backendUrl = `azblob://${container}?domain=127.0.0.1:${blob.port}&protocol=http`;
  project = await createPulumiProject({
    specs: join(repoRoot, "tests/providers/engine-specs"),
    env: {
      PULUMI_BACKEND_URL: backendUrl,
      AZURE_STORAGE_ACCOUNT: AZURITE_ACCOUNT,
      AZURE_STORAGE_KEY: AZURITE_KEY,
      PULUMI_SKIP_CHECKPOINTS: "true",
    },
  });
  const keyPath = join(project.dir, "pipeline.ed25519");
  writeNewSigningKey(keyPath);
  await project.configure(
    emulatorConfig(emu, { taskStore: join(project.dir, "tasks.db"), pipelineKey: keyPath }),
    { "keyfleet:entraClientSecret": emu.clientSecret },
  );
}, 300_000);

afterAll(async () => {
  await emu?.stop();
  await blob?.stop();
  project?.remove();
});

describe("Pulumi state in Azure Blob Storage (Azurite)", () => {
  it("should create the stack in the container, not on the local disk", async () => {
    const names = await blob.listBlobs(container, ".pulumi/");
    expect(names).toContain(".pulumi/meta.yaml");
    expect(names).toContain(checkpoint);
    expect(existsSync(join(project.dir, ".state", ".pulumi"))).toBe(false);
    const who = await project.ok(["whoami", "--verbose"]);
    expect(who).toContain(`Backend URL: ${backendUrl}`);
  });

  it("should store the checkpoint of pulumi up as a blob, every KeyAssignment in it and no secret", async () => {
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect((await project.outputs()).counts).toEqual({ pending: 2, active: 0 });
    const { text, json } = await readCheckpoint();
    const assignments = (json.checkpoint.latest.resources ?? []).filter((r) => r.type === resourceType);
    expect(assignments).toHaveLength(2);
    expect(text).not.toContain(emu.clientSecret);
    // What the engine reads back is what the blob holds.
    const exported = JSON.parse(await project.ok(["stack", "export"])) as {
      deployment: { resources: { urn: string }[] };
    };
    expect(exported.deployment.resources.map((r) => r.urn).sort()).toEqual(
      (json.checkpoint.latest.resources ?? []).map((r) => r.urn).sort(),
    );
  }, 300_000);

  it("should read the state back: preview and refresh find nothing to change", async () => {
    const preview = await project.pulumi(["preview", "--expect-no-changes"]);
    expect(preview.code, preview.stdout + preview.stderr).toBe(0);
    const refresh = await project.pulumi(["refresh", "--yes", "--expect-no-changes"]);
    expect(refresh.code, refresh.stdout + refresh.stderr).toBe(0);
    const { json } = await readCheckpoint();
    expect((json.checkpoint.latest.resources ?? []).filter((r) => r.type === resourceType)).toHaveLength(2);
  }, 300_000);

  it("should let a read-only identity preview, and have the container refuse its up", async () => {
    // What Storage Blob Data Reader grants a pull-request preview: read and list, by a SAS instead of the key.
    const env: NodeJS.ProcessEnv = { ...project.env, AZURE_STORAGE_SAS_TOKEN: blob.accountSas("rl") };
    delete env.AZURE_STORAGE_KEY;
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile("pulumi", [...args, "--non-interactive"], { cwd: project.dir, env }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, out: stdout + stderr }),
        );
      });
    const before = (await readCheckpoint()).text;
    const preview = await run(["preview", "--expect-no-changes"]);
    expect(preview.code, preview.out).toBe(0);
    const up = await run(["up", "--yes", "--skip-preview", "--refresh"]);
    expect(up.code).not.toBe(0);
    expect(up.out).toContain("AuthorizationPermissionMismatch");
    expect((await readCheckpoint()).text).toBe(before);
  }, 300_000);

  it("should serve the stack to a second machine that only shares the container", async () => {
    const home = mkdtempSync(join(tmpdir(), "keyfleet-pulumi-home-"));
    try {
      const env = { ...project.env, PULUMI_HOME: home };
      const run = (args: string[]) =>
        new Promise<string>((resolve, reject) => {
          execFile(
            "pulumi",
            [...args, "--non-interactive"],
            { cwd: project.dir, env },
            (err, stdout, stderr) =>
              err ? reject(new Error(`pulumi ${args.join(" ")}: ${stdout}${stderr}`)) : resolve(stdout),
          );
        });
      const stacks = JSON.parse(await run(["stack", "ls", "--json"])) as {
        name: string;
        resourceCount?: number;
      }[];
      expect(stacks.map((s) => s.name)).toContain("test");
      const out = JSON.parse(await run(["stack", "output", "--stack", "test", "--json"])) as {
        counts?: unknown;
      };
      expect(out.counts).toEqual({ pending: 2, active: 0 });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 120_000);
});
