// A throwaway Pulumi project for real-engine runs: Pulumi.yaml, a package.json marking it an ES module, the
// repository's node_modules and compiled dist linked in, a spec directory, a file:// backend and a passphrase
// secrets provider, and an environment that never reaches the network.
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../support/cli.js";

export interface PulumiRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PulumiProject {
  dir: string;
  specsDir: string;
  env: NodeJS.ProcessEnv;
  pulumi(args: string[], opts?: { timeoutMs?: number }): Promise<PulumiRun>;
  /** `pulumi` that must succeed; throws with its output otherwise. */
  ok(args: string[]): Promise<string>;
  /** `pulumi config set` for each value, and `--secret` for each secret. */
  configure(values: Record<string, string>, secrets?: Record<string, string>): Promise<void>;
  outputs(): Promise<Record<string, unknown>>;
  stateBytes(): number;
  remove(): void;
}

export async function createPulumiProject(opts: {
  specs: string;
  env?: NodeJS.ProcessEnv;
  stack?: string;
}): Promise<PulumiProject> {
  const dir = mkdtempSync(join(tmpdir(), "keyfleet-pulumi-"));
  const stateDir = join(dir, ".state");
  mkdirSync(stateDir);
  writeFileSync(join(dir, "Pulumi.yaml"), readFileSync(join(repoRoot, "Pulumi.yaml")));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "keyfleet-stack", type: "module", private: true }),
  );
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
  symlinkSync(join(repoRoot, "dist"), join(dir, "dist"), "dir");
  const specsDir = join(dir, "specs");
  cpSync(opts.specs, specsDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE: "keyfleet-test-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: join(dir, ".pulumi-home"),
    // dist links to the repository's build, and the engine starts the provider host in its real path, so the
    // host would take the repository for the project: keep each test project's records anchor in the project.
    KEYFLEET_RECORDS_ANCHOR: join(dir, ".keyfleet", "records.anchor.json"),
    ...opts.env,
  };
  const pulumi = (args: string[], o: { timeoutMs?: number } = {}) =>
    new Promise<PulumiRun>((resolve) => {
      execFile(
        "pulumi",
        [...args, "--non-interactive"],
        { cwd: dir, env, timeout: o.timeoutMs ?? 600_000, maxBuffer: 256 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  const ok = async (args: string[]) => {
    const r = await pulumi(args);
    if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  await ok(["stack", "init", opts.stack ?? "test", "--secrets-provider", "passphrase"]);
  return {
    dir,
    specsDir,
    env,
    pulumi,
    ok,
    async configure(values, secrets = {}) {
      for (const [k, v] of Object.entries(values)) await ok(["config", "set", k, v]);
      for (const [k, v] of Object.entries(secrets)) await ok(["config", "set", "--secret", k, v]);
    },
    async outputs() {
      return JSON.parse(await ok(["stack", "output", "--json", "--show-secrets"])) as Record<string, unknown>;
    },
    stateBytes() {
      const file = join(stateDir, ".pulumi", "stacks", "keyfleet", `${opts.stack ?? "test"}.json`);
      try {
        return readFileSync(file).length;
      } catch {
        return 0;
      }
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
