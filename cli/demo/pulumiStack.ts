// The demo's stack: `pulumi` run in the demo folder against its file:// backend with a passphrase secrets
// provider, configured for the running emulator (every setting as the README gives it, the client secret as
// a Pulumi secret read from standard input, never from the command line).
import type { RunningEmulator } from "../../emulator/index.js";
import type { ChildRun, Children } from "./children.js";
import type { DemoFolder } from "./demoFolder.js";
import { DemoFailure } from "./output.js";

export const STACK = "demo";

export interface DemoStack {
  env: NodeJS.ProcessEnv;
  pulumi(args: readonly string[], input?: string): Promise<ChildRun>;
  ok(args: readonly string[], input?: string): Promise<string>;
  /** The stack's `counts` output: assignments pending and active. */
  counts(): Promise<{ pending: number; active: number }>;
}

export function pulumiEnv(folder: DemoFolder): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PWD: folder.dir,
    PULUMI_BACKEND_URL: `file://${folder.state}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: folder.passphraseFile,
    PULUMI_CONFIG_PASSPHRASE: undefined,
    PULUMI_HOME: folder.pulumiHome,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_SKIP_CHECKPOINTS: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    KEYFLEET_RECORDS_ANCHOR: folder.recordsAnchor,
  };
}

export async function createStack(
  folder: DemoFolder,
  emu: Pick<RunningEmulator, "tenantId" | "clientId" | "clientSecret" | "url" | "caCertPath">,
  children: Children,
): Promise<DemoStack> {
  const env = pulumiEnv(folder);
  const pulumi = (args: readonly string[], input?: string) =>
    children.run("pulumi", [...args, "--non-interactive"], {
      cwd: folder.dir,
      env,
      timeoutMs: 600_000,
      ...(input !== undefined ? { input } : {}),
    });
  const ok = async (args: readonly string[], input?: string) => {
    const r = await pulumi(args, input);
    if (r.code !== 0) {
      throw new DemoFailure(`pulumi ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`.trimEnd());
    }
    return r.stdout;
  };
  await ok(["stack", "init", STACK, "--secrets-provider", "passphrase"]);
  const settings: Record<string, string> = {
    "keyfleet:entraAuth": "client-secret",
    "keyfleet:entraTenantId": emu.tenantId,
    "keyfleet:entraClientId": emu.clientId,
    "keyfleet:entraCloud": "custom",
    "keyfleet:entraAuthorityHost": emu.url,
    "keyfleet:entraGraphUrl": emu.url,
    "keyfleet:entraGraphScope": "https://graph.microsoft.com/.default",
    "keyfleet:entraCaFile": emu.caCertPath,
    "keyfleet:taskStore": `sqlite:${folder.taskStore}`,
    "keyfleet:pipelineKeyFile": folder.pipelineKey,
    "keyfleet:recordsAnchor": folder.recordsAnchor,
    "keyfleet:stationKeys": folder.stationKeys,
  };
  await ok([
    "config",
    "set-all",
    ...Object.entries(settings).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]),
  ]);
  await ok(["config", "set", "--secret", "keyfleet:entraClientSecret"], emu.clientSecret);
  return {
    env,
    pulumi,
    ok,
    async counts() {
      const out = JSON.parse(await ok(["stack", "output", "counts", "--json"])) as {
        pending?: number;
        active?: number;
      };
      return { pending: out.pending ?? 0, active: out.active ?? 0 };
    },
  };
}

/** The lines of a pulumi run worth showing: resource changes, the summary and the duration. */
export function pulumiKeyLines(line: string): boolean {
  return /^\s*(Resources:|\d+ (to )?(create|update|delete|replace|unchanged|created|updated|deleted|replaced))|Duration:|^\s*[+~-]{1,2}\s+\S|^\s*\+-\s/.test(
    line,
  );
}
