// From a real `pulumi up` to `pulumi up --refresh` with the real station in between: the engine raises a
// task per assignment (the provider signs them with the pipeline's key), `keyfleet station` provisions two
// virtual keys over UDP against the emulator, and the refreshed stack shows every assignment active.
import "reflect-metadata";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { generateIdentity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRecordStore } from "../../../core/records/openRecordStore.js";
import { verifyChain } from "../../../core/records/verifyChain.js";
import { writeNewSigningKey } from "../../../core/signing/keyFiles.js";
import { openSqliteTaskStore } from "../../../core/tasks/sqliteTaskStore.js";
import { type RunningEmulator, startEmulator } from "../../../emulator/index.js";
import type { StationEvent } from "../../../station/runner/events.js";
import { startVirtualKeyUdp, type VirtualKeyUdpServer } from "../../../station/virtual/udpServer.js";
import { defaultSeed } from "../../entra/support/emulatorTenant.js";
import { emulatorConfig } from "../../providers/fixtures.js";
import { createPulumiProject, type PulumiProject } from "../../providers/pulumiProject.js";
import { repoRoot, runCli } from "../../support/cli.js";
import { requireTool } from "../../support/tools.js";
import { OPERATOR } from "./world.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

let emu: RunningEmulator;
let project: PulumiProject;
const servers: VirtualKeyUdpServer[] = [];

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  emu = await startEmulator({ tenant: { ...defaultSeed(), deviceCodeIntervalSeconds: 1 } });
  await emu.admin.setSignInOperator(OPERATOR);
  project = await createPulumiProject({ specs: join(repoRoot, "tests/providers/engine-specs") });
  writeNewSigningKey(join(project.dir, "pipeline.ed25519"));
  // The station is enrolled: its public key in the folder the pipeline trusts results from.
  writeNewSigningKey(join(project.dir, "station.ed25519"));
  mkdirSync(join(project.dir, "stations"));
  copyFileSync(join(project.dir, "station.ed25519.pub"), join(project.dir, "stations", "desk-1.pub"));
  const config = emulatorConfig(emu, {
    taskStore: join(project.dir, "tasks.db"),
    pipelineKey: join(project.dir, "pipeline.ed25519"),
    stationKeys: join(project.dir, "stations"),
  });
  await project.configure(config, { "keyfleet:entraClientSecret": emu.clientSecret });
}, 300_000);

afterAll(async () => {
  for (const s of servers) await s.close();
  await emu?.stop();
  project?.remove();
});

describe("pulumi up → keyfleet station → pulumi up --refresh", () => {
  it("should turn every pending assignment active", async () => {
    await project.ok(["up", "--yes", "--skip-preview"]);
    expect((await project.outputs()).counts).toEqual({ pending: 2, active: 0 });

    for (let i = 0; i < 2; i++)
      servers.push(await startVirtualKeyUdp({ port: 0, aaguid: yubikey5, model: "YubiKey 5 NFC" }));
    const pinDir = join(project.dir, "pins");
    mkdirSync(pinDir, { mode: 0o700 });
    const recipient = await identityToRecipient(await generateIdentity());
    const run = await runCli(
      [
        "station",
        "--json",
        "--no-hid",
        "--until-idle",
        "--unattended",
        ...servers.flatMap((s) => ["--device", `udp:127.0.0.1:${s.address.port}`]),
        "--pin-recipient",
        recipient,
        "--pin-folder",
        pinDir,
      ],
      {
        env: {
          AZURE_TENANT_ID: emu.tenantId,
          AZURE_CLIENT_ID: emu.clientId,
          AZURE_CLIENT_SECRET: "",
          KEYFLEET_ENTRA_CLOUD: "custom",
          AZURE_AUTHORITY_HOST: emu.url,
          KEYFLEET_GRAPH_URL: emu.url,
          KEYFLEET_GRAPH_SCOPE: "https://graph.microsoft.com/.default",
          KEYFLEET_ENTRA_CA_FILE: emu.caCertPath,
          KEYFLEET_TASK_STORE: `sqlite:${join(project.dir, "tasks.db")}`,
          KEYFLEET_STATION_KEY: join(project.dir, "station.ed25519"),
          KEYFLEET_PIPELINE_PUBLIC_KEY: join(project.dir, "pipeline.ed25519.pub"),
          KEYFLEET_RECORDS_ANCHOR: project.env.KEYFLEET_RECORDS_ANCHOR,
          KEYFLEET_STATION_ID: "desk-engine",
        },
        timeoutMs: 120_000,
      },
    );
    const events = run.stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StationEvent);
    expect(run.code, run.stderr + JSON.stringify(events.filter((e) => e.type === "error"))).toBe(0);
    expect(events.filter((e) => e.type === "provisioned")).toHaveLength(2);

    await project.ok(["up", "--refresh", "--yes", "--skip-preview"]);
    expect((await project.outputs()).counts).toEqual({ pending: 0, active: 2 });
    const clean = await project.pulumi(["refresh", "--preview-only", "--expect-no-changes"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);

    const store = openSqliteTaskStore(join(project.dir, "tasks.db"));
    const records = await openRecordStore(`sqlite:${join(project.dir, "tasks.db")}`);
    try {
      expect((await store.list()).map((t) => t.state)).toEqual(["done", "done"]);
      const { loadPublicKey } = await import("../../../core/signing/keyFiles.js");
      const report = verifyChain(await records.rows(), {
        trustedKeys: [
          loadPublicKey(join(project.dir, "pipeline.ed25519.pub")),
          loadPublicKey(join(project.dir, "station.ed25519.pub")),
        ],
      });
      expect(report.ok, JSON.stringify(report.findings)).toBe(true);
    } finally {
      await store.close();
      await records.close();
    }
  }, 600_000);
});
