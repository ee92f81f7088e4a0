// `keyfleet emulator` as a newcomer runs it: the `pulumi config set` lines it prints and the stack file it
// writes (keeping `encryptionsalt`) work with the real pulumi CLI on a file:// backend, and the settings they
// give sign a real EntraClient in; --fault/--faults/--seed start it with fault rules; bad rules exit 2.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { EntraClient, entraSettingsFromPulumi, resolveEntraConfig } from "../../core/entra/index.js";
import type { RetryEvent } from "../../core/entra/retry.js";
import { EmulatorAdmin } from "../../emulator/index.js";
import { cliPath, runCli } from "../support/cli.js";
import { requireTool } from "../support/tools.js";

interface Details {
  url: string;
  caCertPath: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  adminSecret: string;
  pulumiConfig: string[];
  pulumiConfigFile?: string;
  stillToRun?: string[];
}

let dir: string;
let pulumiEnv: NodeJS.ProcessEnv;
const children: ChildProcess[] = [];

beforeAll(() => {
  requireTool("pulumi", "run 'bash scripts/setup.sh' (it installs the pulumi CLI)");
  dir = mkdtempSync(join(tmpdir(), "kf-emu-cli-"));
  mkdirSync(join(dir, "backend"));
  mkdirSync(join(dir, "project"));
  writeFileSync(join(dir, "project", "Pulumi.yaml"), "name: kfconfig\nruntime: nodejs\n");
  pulumiEnv = {
    ...process.env,
    PULUMI_HOME: join(dir, "pulumi-home"),
    PULUMI_BACKEND_URL: `file://${join(dir, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: "emulator-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function pulumi(args: string[]): string {
  return execFileSync("pulumi", [...args, "--non-interactive"], {
    cwd: join(dir, "project"),
    env: pulumiEnv,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Runs one printed line exactly as a person would paste it into a shell. */
function paste(line: string): void {
  execFileSync("bash", ["-c", line], { cwd: join(dir, "project"), env: pulumiEnv, stdio: "ignore" });
}

async function startCommand(args: string[]): Promise<Details> {
  const child = spawn(process.execPath, [cliPath, "emulator", "--json", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      try {
        resolve(JSON.parse(out) as Details);
      } catch {
        // Not all of it yet.
      }
    });
    child.on("exit", (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

function stackConfig(): Record<string, { value?: string; secret: boolean }> {
  return JSON.parse(pulumi(["config", "--show-secrets", "--json"]));
}

describe("keyfleet emulator and a Pulumi stack", () => {
  it("should write its settings into a stack file keeping encryptionsalt, and its lines should set the rest", async () => {
    pulumi(["stack", "init", "dev"]);
    pulumi(["config", "set", "keyfleet:taskStore", "sqlite:.keyfleet/keyfleet.db"]);
    pulumi(["config", "set", "--secret", "keyfleet:other", "kept-secret"]);
    const file = join(dir, "project", "Pulumi.dev.yaml");
    const before = parse(readFileSync(file, "utf8")) as { encryptionsalt: string };
    expect(before.encryptionsalt).toMatch(/^v1:/);

    const details = await startCommand([
      "--data-dir",
      join(dir, "data"),
      "--pulumi-config",
      file,
      "--fault",
      "POST /*/oauth2/v2.0/token drop 1 times=1",
      "--seed",
      "7",
    ]);
    const written = readFileSync(file, "utf8");
    expect((parse(written) as { encryptionsalt: string }).encryptionsalt).toBe(before.encryptionsalt);
    expect(written).not.toContain(details.clientSecret);
    expect(details.stillToRun).toEqual([
      expect.stringMatching(/^pulumi config set --secret keyfleet:entraClientSecret /),
    ]);
    for (const line of details.stillToRun ?? []) paste(line);

    const config = stackConfig();
    expect(config["keyfleet:taskStore"]?.value).toBe("sqlite:.keyfleet/keyfleet.db");
    expect(config["keyfleet:other"]?.value).toBe("kept-secret");
    expect(config["keyfleet:entraClientSecret"]).toEqual({ value: details.clientSecret, secret: true });
    expect(config["keyfleet:entraCaFile"]?.value).toBe(details.caCertPath);
    expect(config["keyfleet:entraAuthorityHost"]?.value).toBe(details.url);

    // The stack's settings, read the way the provider reads them, sign in and read Graph, through the
    // one dropped token request the --fault flag asked for.
    const get = (key: string) => config[`keyfleet:${key}`]?.value;
    const events: RetryEvent[] = [];
    const entra = new EntraClient(resolveEntraConfig(entraSettingsFromPulumi(get)), {
      credentialHooks: { retry: { baseDelayMs: 5 }, onRetry: (e) => events.push(e) },
    });
    const users = await entra.get<{ value: unknown[] }>("/users?$top=3");
    await entra.close();
    expect(users.value).toHaveLength(3);
    expect(events.map((e) => e.error.transport)).toEqual(["PARSE_ERROR"]);

    const admin = new EmulatorAdmin({
      url: details.url,
      adminSecret: details.adminSecret,
      caCertPem: readFileSync(details.caCertPath, "utf8"),
    });
    const { faults } = await admin.state();
    expect(faults.seed).toBe(7);
    expect(faults.rules).toEqual([expect.objectContaining({ kind: "drop", method: "POST", fired: 1 })]);
  });

  it("should print lines that, pasted into a shell, configure a fresh stack completely", async () => {
    pulumi(["stack", "init", "fresh"]);
    const details = await startCommand(["--data-dir", join(dir, "data")]);
    for (const line of details.pulumiConfig) paste(line);
    const config = stackConfig();
    expect(Object.keys(config).sort()).toEqual(
      [
        "keyfleet:entraAuth",
        "keyfleet:entraAuthorityHost",
        "keyfleet:entraCaFile",
        "keyfleet:entraClientId",
        "keyfleet:entraClientSecret",
        "keyfleet:entraCloud",
        "keyfleet:entraGraphScope",
        "keyfleet:entraGraphUrl",
        "keyfleet:entraTenantId",
      ].sort(),
    );
    expect(config["keyfleet:entraClientSecret"]?.secret).toBe(true);
    const get = (key: string) => config[`keyfleet:${key}`]?.value;
    const entra = new EntraClient(resolveEntraConfig(entraSettingsFromPulumi(get)));
    expect(
      (
        await entra.get<{ id: string }>(
          `/users/${encodeURIComponent("ada.lindqvist@northwindforge.example")}`,
        )
      ).id,
    ).toMatch(/^[0-9a-f-]{36}$/);
    await entra.close();
  });
});

describe("keyfleet emulator fault flags", () => {
  it("should load rules from a --faults file", async () => {
    const file = join(dir, "faults.json");
    writeFileSync(
      file,
      JSON.stringify({ seed: 3, rules: [{ kind: "429", route: "^/v1\\.0/users$", rate: 0.5 }] }),
    );
    const details = await startCommand(["--data-dir", join(dir, "data"), "--faults", file]);
    const admin = new EmulatorAdmin({
      url: details.url,
      adminSecret: details.adminSecret,
      caCertPem: readFileSync(details.caCertPath, "utf8"),
    });
    expect((await admin.state()).faults).toEqual({
      seed: 3,
      rules: [{ kind: "429", route: "^/v1\\.0/users$", rate: 0.5, fired: 0 }],
    });
  });

  it("should refuse a malformed --fault, a bad --faults file and a bad --seed with exit 2, starting nothing", async () => {
    const data = join(dir, "data");
    const badKind = await runCli(["emulator", "--data-dir", data, "--fault", "GET /v1.0/users 418 1"]);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain("kind must be 429, 503, drop or latency=MS");
    const badRate = await runCli(["emulator", "--data-dir", data, "--fault", "GET /v1.0/users 503 2"]);
    expect(badRate.code).toBe(2);
    expect(badRate.stderr).toContain("'2' is not a rate");
    const missing = await runCli(["emulator", "--data-dir", data, "--faults", join(dir, "nope.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot read fault file");
    const seed = await runCli(["emulator", "--data-dir", data, "--seed", "x"]);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toContain("--seed");
    for (const r of [badKind, badRate, missing, seed]) expect(r.stdout).not.toContain("running");
  });
});
