// `keyfleet plan` against a tenant: the compiled CLI reads people, groups and passkeys from the emulator
// over HTTPS with a client secret, adds the task store's facts, runs the preflight and prints the plan.
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSqliteTaskStore } from "../../core/tasks/sqliteTaskStore.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { repoRoot, runCli } from "../support/cli.js";

let emu: RunningEmulator;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfleet-plan-entra-"));
  emu = await startEmulator({ dataDir: join(dir, "emulator") });
  // The pipeline's store exists before anyone plans against it (a read never creates one).
  await openSqliteTaskStore(join(dir, "tasks.db")).close();
});
afterAll(async () => {
  await emu?.stop();
  await rm(dir, { recursive: true, force: true });
});

function env(secret: string): NodeJS.ProcessEnv {
  return {
    KEYFLEET_ENTRA_AUTH: "client-secret",
    AZURE_TENANT_ID: emu.tenantId,
    AZURE_CLIENT_ID: emu.clientId,
    AZURE_CLIENT_SECRET: secret,
    KEYFLEET_ENTRA_CLOUD: "custom",
    AZURE_AUTHORITY_HOST: emu.url,
    // The emulator issues tokens for Graph's own audience, as Entra does for a national cloud's Graph.
    KEYFLEET_GRAPH_SCOPE: "https://graph.microsoft.com/.default",
    KEYFLEET_GRAPH_URL: emu.url,
    KEYFLEET_ENTRA_CA_FILE: emu.caCertPath,
    KEYFLEET_TASK_STORE: `sqlite:${join(dir, "tasks.db")}`,
  };
}

describe("keyfleet plan against Entra", () => {
  it("should read the tenant and list a key to provision for each person, exiting 1", async () => {
    const specs = join(repoRoot, "tests/providers/engine-specs");
    const r = await runCli(["plan", specs, "--json"], { env: env(emu.clientSecret) });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { actions: { kind: string; upn?: string }[] };
    const provisions = out.actions.filter((a) => a.kind === "provision");
    expect(provisions.length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).not.toContain(emu.clientSecret);
  });

  it("should refuse a mistyped --store rather than plan against a new, empty store", async () => {
    const typo = join(dir, "taks.db");
    const r = await runCli(
      ["plan", join(repoRoot, "tests/providers/engine-specs"), "--store", `sqlite:${typo}`],
      {
        env: env(emu.clientSecret),
      },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/taks\.db/);
    expect(existsSync(typo)).toBe(false);
  });

  it("should fail with exit 2 and no secret in the message when the credentials are wrong", async () => {
    const wrong = "not-the-secret-Zq8~x";
    const r = await runCli(["plan", join(repoRoot, "tests/providers/engine-specs")], { env: env(wrong) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/keyfleet: /);
    expect(r.stderr + r.stdout).not.toContain(wrong);
  });
});
