// Contract: tenant state persisted in a file shared by processes — a method registered through one
// emulator is seen by another sharing the file, survives a restart, and concurrent writers lose nothing;
// a tenant mismatch is refused; secrets and tokens never reach the state file or the request log.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { cliPath, runCli } from "../support/cli.js";
import { people } from "./support/fixture.js";
import { graphClient, graphScope, secretCredential } from "./support/graphClients.js";
import { type CreationOptionsJson, makeRegistration } from "./support/softAuthenticator.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "kf-emu-state-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function registerNone(emu: RunningEmulator, upn: string): Promise<string> {
  const g = graphClient(emu, secretCredential(emu));
  try {
    const opts = (
      await g.client
        .api(`/users/${encodeURIComponent(upn)}/authentication/fido2Methods/creationOptions`)
        .get()
    ).publicKey as CreationOptionsJson;
    const reg = makeRegistration(opts, { attestation: "none" });
    return (
      await g.client.api(`/users/${encodeURIComponent(upn)}/authentication/fido2Methods`).post(reg.body)
    ).id;
  } finally {
    await g.close();
  }
}

async function listIds(emu: RunningEmulator, upn: string): Promise<string[]> {
  const g = graphClient(emu, secretCredential(emu));
  try {
    return (
      await g.client.api(`/users/${encodeURIComponent(upn)}/authentication/fido2Methods`).get()
    ).value.map((m: { id: string }) => m.id);
  } finally {
    await g.close();
  }
}

describe("shared state file", () => {
  it("should share methods between two emulators, keep them across a restart and lose no concurrent write", async () => {
    const dataDir = join(dir, "data");
    const stateFile = join(dir, "state.json");
    const a = await startEmulator({ dataDir, stateFile });
    const b = await startEmulator({ dataDir, stateFile });
    try {
      const id = await registerNone(a, people.ada);
      expect(await listIds(b, people.ada)).toEqual([id]);
      const ids = await Promise.all([
        registerNone(a, people.ben),
        registerNone(b, people.ben),
        registerNone(a, people.ben),
        registerNone(b, people.ben),
      ]);
      expect((await listIds(a, people.ben)).sort()).toEqual([...ids].sort());
    } finally {
      await a.stop();
      await b.stop();
    }
    const c = await startEmulator({ dataDir, stateFile });
    try {
      expect(await listIds(c, people.ben)).toHaveLength(4);
      expect(c.clientSecret).toBe(a.clientSecret);
      const text = readFileSync(stateFile, "utf8");
      expect(text).not.toContain(c.clientSecret);
      expect(text).not.toContain(c.adminSecret);
      const token = (await secretCredential(c).getToken(graphScope)).token;
      expect(text).not.toContain(token);
      expect(JSON.stringify(await c.admin.requests())).not.toContain(token);
    } finally {
      await c.stop();
    }
  });

  it("should refuse a state file that belongs to another tenant", async () => {
    const stateFile = join(dir, "other.json");
    const first = await startEmulator({
      stateFile,
      tenant: { tenantId: "11111111-1111-4111-8111-111111111111", users: [] },
    });
    await first.stop();
    await expect(startEmulator({ stateFile })).rejects.toThrow(/belongs to tenant/);
  });
});

describe("keyfleet emulator command", () => {
  it("should print the connection details, serve metadata and stop cleanly on SIGTERM", async () => {
    const dataDir = join(dir, "cli-data");
    const child = spawn(
      process.execPath,
      [cliPath, "emulator", "--json", "--data-dir", dataDir, "--synthetic", "10"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      let out = "";
      const details = await new Promise<{
        url: string;
        caCertPath: string;
        tenantId: string;
        clientId: string;
        clientSecret: string;
      }>((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          try {
            resolve(JSON.parse(out));
          } catch {
            // Not all of it yet.
          }
        });
        child.on("exit", (code) => reject(new Error(`exited ${code}`)));
      });
      expect(details.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(readFileSync(details.caCertPath, "utf8")).toContain("BEGIN CERTIFICATE");
      const emu = { ...details, caCertPem: readFileSync(details.caCertPath, "utf8") };
      const g = graphClient(emu, secretCredential(emu));
      try {
        const users = await g.client.api("/users").top(999).get();
        // 12 seed users, the example organisation's 36 (specs/) and the 10 synthetic ones.
        expect(users.value).toHaveLength(12 + 36 + 10);
      } finally {
        await g.close();
      }
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });

  it("should exit 2 with a clear message for a bad port or tenant file", async () => {
    const port = await runCli(["emulator", "--port", "70000", "--data-dir", join(dir, "bad")]);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain("--port");
    const tenant = await runCli([
      "emulator",
      "--tenant",
      join(dir, "missing.yaml"),
      "--data-dir",
      join(dir, "bad"),
    ]);
    expect(tenant.code).toBe(2);
    expect(tenant.stderr).toContain("cannot read tenant file");
  });
});
