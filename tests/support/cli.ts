// Runs the compiled `keyfleet` command in a child process, as an operator or a pipeline would.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { RunningEmulator } from "../../emulator/index.js";

/** The Entra settings a `keyfleet` CLI run needs to sign in to the emulator as its pipeline app. */
export function emulatorEntraEnv(
  emu: Pick<RunningEmulator, "tenantId" | "clientId" | "clientSecret" | "url" | "caCertPath">,
): NodeJS.ProcessEnv {
  return {
    KEYFLEET_ENTRA_AUTH: "client-secret",
    AZURE_TENANT_ID: emu.tenantId,
    AZURE_CLIENT_ID: emu.clientId,
    AZURE_CLIENT_SECRET: emu.clientSecret,
    KEYFLEET_ENTRA_CLOUD: "custom",
    AZURE_AUTHORITY_HOST: emu.url,
    KEYFLEET_GRAPH_SCOPE: "https://graph.microsoft.com/.default",
    KEYFLEET_GRAPH_URL: emu.url,
    KEYFLEET_ENTRA_CA_FILE: emu.caCertPath,
  };
}

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const cliPath = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  if (!existsSync(cliPath)) {
    throw new Error(`${cliPath} is missing: run 'npm run build' (npm test does it first)`);
  }
  return runProcess(process.execPath, [cliPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, ...opts.env },
    input: opts.input ?? "",
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
}

/**
 * Runs a command to its end and collects what it printed. With `group`, it runs in its own process group
 * and the whole group is killed when it ends or overruns, so nothing it started in the background survives.
 */
export function runProcess(
  command: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; group?: boolean },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      detached: opts.group === true,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const stop = () => {
      if (!opts.group) return child.kill("SIGKILL");
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // the group is gone
      }
    };
    const limit = opts.timeoutMs;
    const timer =
      limit === undefined
        ? undefined
        : setTimeout(() => {
            stderr += `\n(stopped after ${limit / 1000} s)`;
            stop();
          }, limit);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (opts.group) stop(); // anything it left in its group
      resolve({ code: code ?? -1, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
