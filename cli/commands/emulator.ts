// `keyfleet emulator`: runs the local Entra ID + Microsoft Graph emulator until SIGINT/SIGTERM, after
// printing what a client needs (base URL, CA path, tenant id, the default app's client id and secret).
import type { Command } from "commander";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface EmulatorFlags {
  port?: string;
  tenant?: string;
  state?: string;
  dataDir: string;
  synthetic?: string;
  json?: boolean;
}

function whole(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

export function registerEmulator(program: Command): void {
  program
    .command("emulator")
    .description("Run the local Entra ID and Microsoft Graph emulator (HTTPS on 127.0.0.1)")
    .option("--port <port>", "port to listen on (0 = any free port)", "0")
    .option(
      "--tenant <file>",
      "tenant YAML (default: the Northwind Forge tenant shipped in emulator/tenant.yaml)",
    )
    .option("--state <file>", "persist tenant state in this file (shared by processes, atomic writes)")
    .option(
      "--data-dir <dir>",
      "where the CA, server certificate, keys and generated secrets live",
      ".keyfleet/emulator",
    )
    .option("--synthetic <n>", "add N deterministic synthetic users (and groups of 100)")
    .option("--json", "print the connection details as JSON")
    .action(
      action(async (flags: EmulatorFlags) => {
        const port = whole("port", flags.port, 0, 65535);
        const synthetic = whole("synthetic", flags.synthetic, 0, 1_000_000);
        const { startEmulator, TenantSeedError } = await import("../../emulator/index.js");
        let emu: Awaited<ReturnType<typeof startEmulator>>;
        try {
          emu = await startEmulator({
            ...(port !== undefined ? { port } : {}),
            ...(flags.tenant ? { tenant: flags.tenant } : {}),
            ...(flags.state ? { stateFile: flags.state } : {}),
            ...(synthetic ? { synthetic } : {}),
            dataDir: flags.dataDir,
          });
        } catch (err) {
          if (TenantSeedError.isInstance(err)) throw new UsageError(err.message);
          throw err;
        }
        const details = {
          url: emu.url,
          caCertPath: emu.caCertPath,
          tenantId: emu.tenantId,
          clientId: emu.clientId,
          // A local emulator's own generated secret: printing it is the point of this command.
          clientSecret: emu.clientSecret,
          adminSecret: emu.adminSecret,
        };
        if (flags.json) printJson(details);
        else {
          process.stdout.write(
            [
              "Keyfleet Entra emulator running",
              `  url (authority host and Graph base): ${details.url}`,
              `  CA certificate:  ${details.caCertPath}   (e.g. NODE_EXTRA_CA_CERTS=${details.caCertPath})`,
              `  tenant id:       ${details.tenantId}`,
              `  client id:       ${details.clientId}`,
              `  client secret:   ${details.clientSecret}`,
              `  admin secret:    ${details.adminSecret}   (header x-emulator-admin-secret on /_emulator/*)`,
              "Press Ctrl+C to stop.",
              "",
            ].join("\n"),
          );
        }
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
        });
        await emu.stop();
        return ExitCode.Ok;
      }),
    );
}
