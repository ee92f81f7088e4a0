// `keyfleet emulator`: runs the local Entra ID + Microsoft Graph emulator until SIGINT/SIGTERM, after
// printing what a client needs (base URL, CA path, tenant id, the default app's client id and secret) and the
// exact `pulumi config set keyfleet:…` lines that point a stack at it; optionally writes those settings into
// a stack config file (keeping everything else in it, `encryptionsalt` and secrets included), and starts
// with fault rules (`--fault`, `--faults FILE`, `--seed`). For the hand-run loop it also writes the same
// settings as environment variables for the other `keyfleet` commands (`--env-out`), approves station
// sign-ins as a named operator (`--sign-in-operator`) and trusts attestation roots from a path
// (`--trust-roots`), as the demo does through the admin routes.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { isMap, parseDocument } from "yaml";
import { ENTRA_SETTINGS, type EntraSettings } from "../../core/entra/config.js";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface EmulatorFlags {
  port?: string;
  tenant?: string;
  state?: string;
  dataDir: string;
  synthetic?: string;
  fault: string[];
  faults?: string;
  seed?: string;
  pulumiConfig?: string;
  envOut?: string;
  signInOperator?: string;
  trustRoots?: string;
  json?: boolean;
}

function whole(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
}

/** What the emulator tells a client, and the Entra settings that say it (names from core/entra's table). */
interface Connection {
  url: string;
  caCertPath: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

function stackSettings(c: Connection): { key: string; env: string; value: string; secret: boolean }[] {
  const values: Partial<Record<keyof EntraSettings, string>> = {
    auth: "client-secret",
    cloud: "custom",
    authorityHost: c.url,
    graphUrl: c.url,
    graphScope: "https://graph.microsoft.com/.default",
    caCertPath: resolve(c.caCertPath),
    tenantId: c.tenantId,
    clientId: c.clientId,
    clientSecret: c.clientSecret,
  };
  return ENTRA_SETTINGS.filter((doc) => values[doc.setting] !== undefined).map((doc) => ({
    key: doc.pulumi,
    env: doc.env,
    value: values[doc.setting] as string,
    secret: doc.secret,
  }));
}

function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

export function pulumiConfigLines(c: Connection): string[] {
  return stackSettings(c).map(
    (s) => `pulumi config set ${s.secret ? "--secret " : ""}${s.key} ${shellWord(s.value)}`,
  );
}

/**
 * Sets the emulator's non-secret settings in a Pulumi stack file, creating it if needed and keeping every
 * other key, comment, `encryptionsalt` and encrypted secret as it was; the client secret is left to
 * `pulumi config set --secret`, which encrypts it with the stack's key. Returns the secret lines still to run.
 */
export function writePulumiConfig(file: string, c: Connection): string[] {
  const doc = parseDocument(existsSync(file) ? readFileSync(file, "utf8") : "");
  if (doc.errors.length > 0)
    throw new UsageError(`${file}: not valid YAML (${doc.errors[0]?.message ?? ""})`);
  if (doc.contents !== null && !isMap(doc.contents))
    throw new UsageError(`${file}: a stack config file is a YAML mapping`);
  const config = doc.get("config", true);
  if (config !== undefined && config !== null && !isMap(config))
    throw new UsageError(`${file}: 'config' is not a mapping`);
  const secrets: string[] = [];
  for (const s of stackSettings(c)) {
    if (s.secret) secrets.push(`pulumi config set --secret ${s.key} ${shellWord(s.value)}`);
    else doc.setIn(["config", s.key], s.value);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, doc.toString());
  renameSync(tmp, file);
  return secrets;
}

/**
 * The same settings as `export NAME=value` lines for the CLI's own commands (station, drift, plan), which
 * read Entra settings from the environment; the file holds the client secret, so only its owner may read it.
 */
export function writeEnvFile(file: string, c: Connection): void {
  const lines = stackSettings(c).map((s) => `export ${s.env}=${shellWord(s.value)}`);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `# keyfleet emulator at ${c.url}: source it with '. ${file}'\n${lines.join("\n")}\n`, {
    mode: 0o600,
  });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
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
    .option(
      "--fault <rule>",
      'inject a fault (repeatable): "<METHOD|*> <path-glob> <429|503|drop|latency=MS> [rate 0..1] [times=N] [retryAfter=S]", e.g. "POST /*/oauth2/v2.0/token drop 1 times=1"',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      "--faults <file>",
      'fault rules as JSON: {"rules": [...], "seed": N} (the PUT /_emulator/faults body)',
    )
    .option("--seed <n>", "seed of the fault generator: the same seed and requests give the same faults")
    .option(
      "--pulumi-config <file>",
      "write the emulator's settings into this Pulumi stack config file (keeps encryptionsalt and every other key)",
    )
    .option(
      "--env-out <file>",
      "write the same settings as `export` lines for the keyfleet commands (mode 0600: it holds the client secret)",
    )
    .option(
      "--sign-in-operator <upn>",
      "approve every device-code sign-in at once as this operator (a station's sign-in, no browser)",
    )
    .option(
      "--trust-roots <path>",
      "also trust the attestation roots in this PEM file or folder of *.pem (read at each registration)",
    )
    .option("--json", "print the connection details as JSON")
    .action(
      action(async (flags: EmulatorFlags) => {
        const port = whole("port", flags.port, 0, 65535);
        const synthetic = whole("synthetic", flags.synthetic, 0, 1_000_000);
        const faultSeed = whole("seed", flags.seed, 0, 2 ** 32 - 1);
        const { startEmulator, TenantSeedError, FaultRuleError, parseFaultSpec, readFaultFile } =
          await import("../../emulator/index.js");
        let faults: ReturnType<typeof parseFaultSpec>[] = [];
        let fileSeed: number | undefined;
        try {
          if (flags.faults) {
            const file = readFaultFile(flags.faults);
            faults = file.rules;
            fileSeed = file.seed;
          }
          faults = [...faults, ...flags.fault.map(parseFaultSpec)];
        } catch (err) {
          if (FaultRuleError.isInstance(err)) throw new UsageError(err.message);
          throw err;
        }
        let emu: Awaited<ReturnType<typeof startEmulator>>;
        try {
          emu = await startEmulator({
            ...(port !== undefined ? { port } : {}),
            ...(flags.tenant ? { tenant: flags.tenant } : {}),
            ...(flags.state ? { stateFile: flags.state } : {}),
            ...(synthetic ? { synthetic } : {}),
            ...(faults.length > 0 ? { faults } : {}),
            ...((faultSeed ?? fileSeed) !== undefined ? { faultSeed: faultSeed ?? fileSeed } : {}),
            ...(flags.trustRoots ? { trustRootsPath: resolve(flags.trustRoots) } : {}),
            dataDir: flags.dataDir,
          });
        } catch (err) {
          if (TenantSeedError.isInstance(err)) throw new UsageError(err.message);
          throw err;
        }
        const details = {
          url: emu.url,
          caCertPath: resolve(emu.caCertPath),
          tenantId: emu.tenantId,
          clientId: emu.clientId,
          // A local emulator's own generated secret: printing it is the point of this command.
          clientSecret: emu.clientSecret,
          adminSecret: emu.adminSecret,
        };
        let secretLines: string[] = [];
        try {
          if (flags.signInOperator) await emu.admin.setSignInOperator(flags.signInOperator);
          if (flags.pulumiConfig) secretLines = writePulumiConfig(flags.pulumiConfig, details);
          if (flags.envOut) {
            writeEnvFile(flags.envOut, details);
            // With the secret in the environment file, the secret goes to pulumi on standard input.
            secretLines = secretLines.map((l) =>
              l.replace(/^(pulumi config set --secret \S+) .*$/, `printf '%s' "$AZURE_CLIENT_SECRET" | $1`),
            );
          }
        } catch (err) {
          await emu.stop();
          throw err;
        }
        const lines = pulumiConfigLines(details);
        if (flags.json) {
          printJson({
            ...details,
            pulumiConfig: lines,
            ...(flags.pulumiConfig
              ? { pulumiConfigFile: resolve(flags.pulumiConfig), stillToRun: secretLines }
              : {}),
            ...(flags.envOut ? { envFile: resolve(flags.envOut) } : {}),
            ...(flags.signInOperator ? { signInOperator: flags.signInOperator } : {}),
            faults,
          });
        } else {
          process.stdout.write(
            [
              "Keyfleet Entra emulator running",
              `  url (authority host and Graph base): ${details.url}`,
              `  CA certificate:  ${details.caCertPath}   (e.g. NODE_EXTRA_CA_CERTS=${details.caCertPath})`,
              `  tenant id:       ${details.tenantId}`,
              `  client id:       ${details.clientId}`,
              `  client secret:   ${details.clientSecret}`,
              `  admin secret:    ${details.adminSecret}   (header x-emulator-admin-secret on /_emulator/*)`,
              ...(faults.length > 0
                ? [`  faults:          ${faults.length} rule(s), see GET /_emulator/faults`]
                : []),
              ...(flags.signInOperator
                ? [`  sign-ins:        approved at once as ${flags.signInOperator}`]
                : []),
              ...(flags.trustRoots
                ? [`  also trusted:    attestation roots in ${resolve(flags.trustRoots)}`]
                : []),
              ...(flags.envOut
                ? [`  environment:     ${resolve(flags.envOut)}   (for keyfleet commands: . ${flags.envOut})`]
                : []),
              "",
              ...(flags.pulumiConfig
                ? [
                    `Stack settings written to ${resolve(flags.pulumiConfig)}; set the secret with${flags.envOut ? ` (after . ${flags.envOut})` : ""}:`,
                    ...secretLines.map((l) => `  ${l}`),
                  ]
                : [
                    "Point a Pulumi stack at it (in the project folder, after `pulumi stack select`):",
                    ...lines.map((l) => `  ${l}`),
                  ]),
              ...(port === 0
                ? ["  (the port changes on every start: use --port N for settings that last)"]
                : []),
              "",
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
