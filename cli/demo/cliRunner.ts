// The compiled `keyfleet` run from the demo folder against the emulator, as the pipeline runs it (the app's
// client secret) or as a station's operator does (device-code sign-in, which the emulator approves).
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { RunningEmulator } from "../../emulator/index.js";
import type { ChildRun, Children } from "./children.js";
import { type DemoFolder, packageRoot } from "./demoFolder.js";
import { DemoFailure } from "./output.js";

export type Cli = (args: string[], opts?: { operator?: boolean; timeoutMs?: number }) => Promise<ChildRun>;

/** The compiled `keyfleet` in a child process: the pipeline's app credential, or the operator's sign-in. */
export function cliRunner(folder: DemoFolder, emu: RunningEmulator, children: Children): Cli {
  const main = join(packageRoot, "dist", "cli", "main.js");
  if (!existsSync(main)) throw new DemoFailure(`${main} is missing: run 'npm run build' first`);
  return (args, opts = {}) =>
    children.run(process.execPath, [main, ...args], {
      cwd: folder.dir,
      timeoutMs: opts.timeoutMs ?? 180_000,
      env: {
        ...process.env,
        PWD: folder.dir,
        AZURE_TENANT_ID: emu.tenantId,
        AZURE_CLIENT_ID: emu.clientId,
        AZURE_CLIENT_SECRET: opts.operator ? "" : emu.clientSecret,
        KEYFLEET_ENTRA_CLOUD: "custom",
        AZURE_AUTHORITY_HOST: emu.url,
        KEYFLEET_GRAPH_URL: emu.url,
        KEYFLEET_GRAPH_SCOPE: "https://graph.microsoft.com/.default",
        KEYFLEET_ENTRA_CA_FILE: emu.caCertPath,
        KEYFLEET_TASK_STORE: `sqlite:${folder.taskStore}`,
        KEYFLEET_RECORDS_ANCHOR: folder.recordsAnchor,
        KEYFLEET_PIPELINE_KEY: folder.pipelineKey,
        KEYFLEET_STATION_KEYS: folder.stationKeys,
      },
    });
}
