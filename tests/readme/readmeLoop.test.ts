// The README's "loop, step by step" as a newcomer runs it: the ```sh block between the `readme-loop`
// markers, taken from README.md itself and run as written by one bash in a fresh copy of the repository
// (node_modules linked in, dist copied, everything the commands make in the copy), loopback only. It must
// reach a working stack: `pulumi up` raises tasks, the station provisions every key, the refresh makes every
// assignment active and drift exits 0; and whatever the block started in the background is stopped, also
// when a step fails. The same fresh copy runs the README's `npm run format`, `npm run check` and
// `npm run bench -- ctap` first.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTaskStore } from "../../core/tasks/openTaskStore.js";
import { type CliResult, cliPath, repoRoot, runProcess } from "../support/cli.js";
import { portRefuses, processesIn } from "../support/leftovers.js";
import { requireTool } from "../support/tools.js";
import { commandsOf, copyRepository, readmeLoopBlock, readReadme } from "./readmeBlock.js";

const install = "run 'bash scripts/setup.sh' (it installs the pulumi CLI)";
const EMULATOR_PORT = 8443; // as the README's block gives it

type BashRun = CliResult;

/** The environment a newcomer's shell has before the block: none of Keyfleet's or Pulumi's settings. */
function freshShellEnv(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(PULUMI_|AZURE_|KEYFLEET_)/.test(k) || k === "NODE_EXTRA_CA_CERTS") continue;
    env[k] = v;
  }
  return {
    ...env,
    PWD: dir,
    // The test's own Pulumi home (no login or plugin state of the machine's), and no traffic beyond loopback.
    PULUMI_HOME: join(dir, ".pulumi-home"),
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
}

/**
 * Runs the block under `set -e` (a failing step stops it and says which), in its own process group: the trap
 * stops the block's background jobs on any exit, and the group is killed if bash itself overruns.
 */
function runBlock(block: string, dir: string, timeoutMs: number): Promise<BashRun> {
  const script = [
    "set -eu",
    `trap 'echo "readme-loop: exit $? at line $LINENO: $BASH_COMMAND" >&2' ERR`,
    "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT",
    block,
  ].join("\n");
  return runProcess("bash", ["-c", script], { cwd: dir, env: freshShellEnv(dir), timeoutMs, group: true });
}

/** `npm <args>` in the copy, as a newcomer runs it (the README's `npm run format`). */
function runNpm(args: string[], dir: string): Promise<BashRun> {
  return runProcess("npm", args, { cwd: dir, env: freshShellEnv(dir) });
}

/** What the block's background processes wrote (.keyfleet/*.log), for a failure's message. */
function backgroundLogs(dir: string): string {
  const logs = join(dir, ".keyfleet");
  if (!existsSync(logs)) return "";
  return readdirSync(logs)
    .filter((f) => f.endsWith(".log"))
    .map((f) => `\n--- .keyfleet/${f}\n${readFileSync(join(logs, f), "utf8").slice(-4000)}`)
    .join("");
}

/** The `{"active":…,"pending":…}` maps `pulumi stack output counts` printed, in order. */
function countsPrinted(stdout: string): { active: number; pending: number }[] {
  return [...stdout.matchAll(/^\{\s*"active":\s*(\d+),\s*"pending":\s*(\d+)\s*\}$/gm)].map((m) => ({
    active: Number(m[1]),
    pending: Number(m[2]),
  }));
}

const block = readmeLoopBlock(readReadme(repoRoot));
let root: string;
let dir: string;
let run: BashRun;
let format: BashRun;
let check: BashRun;
let bench: BashRun;

beforeAll(async () => {
  requireTool("pulumi", install);
  requireTool("pulumi-language-nodejs", install);
  if (!existsSync(cliPath))
    throw new Error(`${cliPath} is missing: run 'npm run build' (npm test does it first)`);
  root = mkdtempSync(join(tmpdir(), "keyfleet-readme-"));
  dir = join(root, "keyfleet");
  copyRepository(repoRoot, dir);
  // The README's other commands that only a fresh tree shows working: `npm run format` before the loop
  // (after it, the stack's state and the loop's files would be in the tree it formats).
  format = await runNpm(["run", "format"], dir);
  check = await runNpm(["run", "check"], dir);
  bench = await runNpm(["run", "bench", "--", "ctap"], dir);
  run = await runBlock(block, dir, 240_000);
}, 420_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe("README: the loop, step by step, against the local emulator", () => {
  it("should show only commands that run as written (no placeholders)", () => {
    const commands = commandsOf(block);
    expect(commands.length).toBeGreaterThan(10);
    for (const c of commands) expect(c, c).not.toMatch(/…|\.\.\.|<[a-z-]+>/);
  });

  it("should run every command of the block, in order, to the end", () => {
    const where = /readme-loop: .*/.exec(run.stderr)?.[0] ?? "";
    expect(
      run.code,
      `${where}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}${backgroundLogs(dir)}`,
    ).toBe(0);
  });

  it("should have pulumi up raise a task for every key the plan provisions", async () => {
    const planned = Number(/\d+ desired keys: (\d+) to provision/.exec(run.stdout)?.[1]);
    expect(planned).toBeGreaterThan(0);
    const [afterUp] = countsPrinted(run.stdout);
    expect(afterUp).toEqual({ active: 0, pending: planned });
    const store = await openTaskStore(`sqlite:${join(dir, ".keyfleet", "keyfleet.db")}`, { readOnly: true });
    try {
      const provisions = await store.list({ kind: "provision", limit: 10_000 });
      expect(provisions).toHaveLength(planned);
      // every one provisioned by the block's station
      expect(provisions.filter((t) => t.state !== "done").map((t) => `${t.id} ${t.state}`)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("should leave one PIN envelope per key where the README says", () => {
    const planned = Number(/\d+ desired keys: (\d+) to provision/.exec(run.stdout)?.[1]);
    const envelopes = readdirSync(join(dir, ".keyfleet", "pin-envelopes"));
    expect(envelopes).toHaveLength(planned);
    expect(run.stdout).toMatch(new RegExp(`^${planned}$`, "m")); // the block's `ls … | wc -l`
  });

  it("should make every assignment active with the refresh, and drift should find nothing", () => {
    const counts = countsPrinted(run.stdout);
    expect(counts).toHaveLength(2);
    expect(counts[1]).toEqual({ active: counts[0]?.pending, pending: 0 });
    expect(run.stdout).toContain("No drift: git, the task store and Entra agree.");
  });

  it("should format a fresh tree with the README's `npm run format`", () => {
    expect(format.code, `${format.stdout}\n${format.stderr}`).toBe(0);
  });

  it("should pass the README's `npm run check` (types and lint) on a fresh tree", () => {
    expect(check.code, `${check.stdout}\n${check.stderr}`).toBe(0);
  });

  it("should print the CTAP benchmark's tables with the README's `npm run bench -- ctap`", () => {
    expect(bench.code, `${bench.stdout}\n${bench.stderr}`).toBe(0);
    expect(bench.stdout).toMatch(/^## ctap$/m);
    expect(bench.stdout).toMatch(/^\| .+ \|$/m);
  });

  it("should stop everything it started in the background", async () => {
    expect(await portRefuses(EMULATOR_PORT)).toBe(true);
    expect(processesIn(dir)).toEqual([]);
  });
});
