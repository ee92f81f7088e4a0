// `keyfleet demo` as CI runs it: the compiled CLI in a child process, its folder a fresh temporary one. The
// demo must go through every step (and say so), leave its PIN envelopes and HTML reports in that folder,
// stop every process it started, and print neither a PIN nor the app's client secret. Interrupted, it still
// stops everything; pointed at a folder it did not make, it refuses and touches nothing.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliPath, repoRoot, runCli } from "../support/cli.js";
import { portRefuses, processesIn } from "../support/leftovers.js";
import { requireTool } from "../support/tools.js";

const install = "run 'bash scripts/install-pulumi.sh' (or 'bash scripts/setup.sh')";
const roots: string[] = [];

function freshRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "keyfleet-demo-test-"));
  roots.push(root);
  return root;
}

/** The section of the demo's output under one step's heading. */
function section(stdout: string, step: number): string {
  const start = stdout.indexOf(`== Step ${step}:`);
  const end = stdout.indexOf(`== Step ${step + 1}:`);
  return start < 0 ? "" : stdout.slice(start, end < 0 ? undefined : end);
}

function portOf(stdout: string): number {
  const m = /Emulator at https:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
  if (!m?.[1]) throw new Error(`the demo printed no emulator address:\n${stdout}`);
  return Number(m[1]);
}

afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

describe("keyfleet demo", () => {
  let dir: string;
  let run: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    requireTool("pulumi", install);
    requireTool("pulumi-language-nodejs", install);
    dir = join(freshRoot(), "keyfleet-demo");
    run = await runCli(["demo", "--dir", dir], { timeoutMs: 480_000 });
  }, 500_000);

  it("should go through every step and exit 0", () => {
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain(`Keyfleet demo in ${dir}`);
    for (let step = 1; step <= 6; step++)
      expect(run.stdout).toMatch(new RegExp(`^== Step ${step}: .+ ==$`, "m"));
    expect(run.stdout).toContain("The demo behaved as expected.");
  });

  it("should provision every waiting assignment and then find no drift", () => {
    const up = section(run.stdout, 2);
    const pending = Number(/Assignments: (\d+) pending, 0 active/.exec(up)?.[1]);
    expect(pending).toBeGreaterThan(0);
    expect(section(run.stdout, 3)).toContain(`${pending} keys provisioned; ${pending} PIN envelopes`);
    const refreshed = section(run.stdout, 4);
    expect(refreshed).toContain(`Assignments: 0 pending, ${pending} active`);
    expect(refreshed).toContain("No drift: git, the task store and Entra agree.");
    expect(refreshed).toContain("drift exit 0");
  });

  it("should catch the deleted key in the drift report and in pulumi preview", () => {
    const s = section(run.stdout, 5);
    const who = /Deleted (\S+)'s (\S+) key in Entra/.exec(s);
    expect(who, s).not.toBeNull();
    const [, upn, slot] = who as RegExpExecArray;
    expect(s).toMatch(new RegExp(`HIGH\\s+missing\\s+${upn?.replaceAll(".", "\\.")}\\s+${slot}\\b`));
    expect(s).toContain("drift exit 1");
    expect(s).toMatch(/\+\s+pulumi-nodejs:dynamic\/keyfleet:KeyAssignment \S+ create/);
    expect(s).toMatch(/\+ 1 to create/);
  });

  it("should show the plan revoking the keys of the person removed from git", () => {
    const s = section(run.stdout, 5);
    expect(s).toContain("Removed luca.pacioli@northwindforge.example from specs/");
    expect(s).toMatch(/^\s+revoke\s+luca\.pacioli@northwindforge\.example\s+primary\s+assignment removed/m);
    expect(s).toMatch(/^\s+revoke\s+luca\.pacioli@northwindforge\.example\s+backup\s+assignment removed/m);
    // shown, not applied: the copied specs lack the person, and Entra still holds their keys
    expect(readFileSync(join(dir, "specs", "people", "finance.yaml"), "utf8")).not.toContain("luca.pacioli");
  });

  it("should leave the PIN envelopes and the HTML reports in its folder and say where", () => {
    const envelopes = readdirSync(join(dir, "pin-envelopes"));
    expect(envelopes.length).toBeGreaterThan(0);
    expect(envelopes.every((f) => f.endsWith(".html"))).toBe(true);
    for (const report of ["drift-report.html", "drift-report-after-delete.html"]) {
      expect(readFileSync(join(dir, report), "utf8")).toMatch(/^<!doctype html>/i);
      expect(section(run.stdout, 6)).toContain(join(dir, report));
    }
    expect(section(run.stdout, 6)).toContain(join(dir, "pin-envelopes"));
  });

  it("should stop every process it started", async () => {
    expect(await portRefuses(portOf(run.stdout))).toBe(true);
    expect(processesIn(dir)).toEqual([]);
  });

  it("should print neither a PIN nor the client secret", () => {
    const pins = readdirSync(join(dir, "pin-envelopes")).map((f) => {
      const m = /<p class="pin">(\d+)<\/p>/.exec(readFileSync(join(dir, "pin-envelopes", f), "utf8"));
      if (!m?.[1]) throw new Error(`${f} holds no PIN`);
      return m[1];
    });
    expect(pins.length).toBeGreaterThan(0);
    const printed = `${run.stdout}\n${run.stderr}`;
    // A PIN as a number of its own: digits inside ids and hashes are not a PIN printed.
    for (const pin of pins) expect(new RegExp(`(?<!\\d)${pin}(?!\\d)`).test(printed)).toBe(false);
    const identity = JSON.parse(readFileSync(join(dir, "emulator", "identity.json"), "utf8")) as Record<
      string,
      unknown
    >;
    const secrets = Object.entries(identity)
      .filter(([k, v]) => /secret/i.test(k) && typeof v === "string")
      .map(([, v]) => v as string);
    expect(secrets.length).toBeGreaterThan(0);
    secrets.push(readFileSync(join(dir, "keys", "pulumi-passphrase.txt"), "utf8"));
    for (const s of secrets) expect(printed).not.toContain(s);
  });
});

describe("keyfleet demo, interrupted or misdirected", () => {
  it("should stop everything it started on Ctrl-C", async () => {
    const dir = join(freshRoot(), "keyfleet-demo");
    const child = spawn(process.execPath, [cliPath, "demo", "--dir", dir], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the demo never reached pulumi up:\n${stdout}`)),
        120_000,
      );
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        // Interrupt while pulumi (and its language host and provider) run.
        if (stdout.includes("Stack demo, state in")) {
          clearTimeout(timer);
          setTimeout(resolve, 1500);
        }
      });
    });
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stdout).toContain("SIGINT, stopping everything it started");
    expect(await portRefuses(portOf(stdout))).toBe(true);
    // pulumi's helpers get SIGKILL 2 s after SIGTERM if they linger
    await new Promise((r) => setTimeout(r, 2500));
    expect(processesIn(dir)).toEqual([]);
  }, 180_000);

  it("should refuse a folder it did not make and leave it as it was", async () => {
    const dir = freshRoot();
    mkdirSync(join(dir, "work"));
    writeFileSync(join(dir, "work", "notes.txt"), "mine");
    const run = await runCli(["demo", "--dir", join(dir, "work")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not a Keyfleet demo folder; choose another with --dir");
    expect(readdirSync(join(dir, "work"))).toEqual(["notes.txt"]);
  });
});
