// `keyfleet station` as a child process, as an operator runs it: the compiled CLI, Entra settings for the
// emulator (the operator's device-code sign-in), the world's store, keys in files, --json events parsed.
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { privateKeyPem, publicKeyPem } from "../../../core/signing/ed25519.js";
import type { StationEvent } from "../../../station/runner/events.js";
import { cliPath, repoRoot } from "../../support/cli.js";
import type { World } from "./world.js";

export interface StationRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: (StationEvent & { at: string })[];
  stderr: string;
}

export function stationEnv(world: World, stationId: string): NodeJS.ProcessEnv {
  const stationKey = join(world.dir, `${stationId}.ed25519`);
  const pipelinePub = join(world.dir, "pipeline.ed25519.pub");
  if (!existsSync(stationKey)) writeFileSync(stationKey, privateKeyPem(world.stationKey), { mode: 0o600 });
  if (!existsSync(pipelinePub)) writeFileSync(pipelinePub, publicKeyPem(world.pipelineKey.publicKey));
  return {
    AZURE_TENANT_ID: world.emu.tenantId,
    AZURE_CLIENT_ID: world.emu.clientId,
    AZURE_CLIENT_SECRET: "",
    KEYFLEET_ENTRA_CLOUD: "custom",
    AZURE_AUTHORITY_HOST: world.emu.url,
    KEYFLEET_GRAPH_URL: world.emu.url,
    KEYFLEET_GRAPH_SCOPE: "https://graph.microsoft.com/.default",
    KEYFLEET_ENTRA_CA_FILE: world.emu.caCertPath,
    KEYFLEET_TASK_STORE: world.location,
    KEYFLEET_STATION_KEY: stationKey,
    KEYFLEET_PIPELINE_PUBLIC_KEY: pipelinePub,
    KEYFLEET_RECORDS_ANCHOR: join(world.dir, "records.anchor.json"),
    KEYFLEET_STATION_ID: stationId,
  };
}

export function runStationProcess(
  world: World,
  stationId: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 60_000,
): Promise<StationRun> {
  if (!existsSync(cliPath))
    throw new Error(`${cliPath} is missing: run 'npm run build' (npm test does it first)`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        cliPath,
        "station",
        "--json",
        "--no-hid",
        "--until-idle",
        "--unattended",
        "--pin-recipient",
        world.recipient,
        "--pin-folder",
        world.pinDir,
        ...args,
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, ...stationEnv(world, stationId), ...env },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const events = stdout
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as StationEvent & { at: string });
      resolve({ code, signal, events, stderr });
    });
  });
}
