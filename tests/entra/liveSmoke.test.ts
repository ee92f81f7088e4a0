// The live smoke script, pointed at the emulator through the same environment variables a real tenant
// uses: it reads, runs the preflight, writes nothing, and fails clearly without credentials.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";

const run = promisify(execFile);
let t: TestTenant;

beforeAll(async () => {
  t = await startTestTenant();
});
afterAll(async () => {
  await t?.stop();
});

function smoke(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("AZURE_") && !k.startsWith("KEYFLEET_")),
  );
  return run("npx", ["tsx", "scripts/live-smoke.ts"], { env: { ...clean, ...env }, timeout: 60_000 }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );
}

describe("live smoke script", () => {
  it("should read people, methods and policy, run the preflight and write nothing", async () => {
    await t.emu.admin.clearRequests();
    const r = await smoke({
      AZURE_TENANT_ID: t.emu.tenantId,
      AZURE_CLIENT_ID: t.emu.clientId,
      AZURE_CLIENT_SECRET: t.emu.clientSecret,
      KEYFLEET_ENTRA_CLOUD: "custom",
      AZURE_AUTHORITY_HOST: t.emu.url,
      KEYFLEET_GRAPH_URL: t.emu.url,
      KEYFLEET_ENTRA_CA_FILE: t.emu.caCertPath,
      KEYFLEET_LIVE_PEOPLE: "ada.lindqvist@northwindforge.example,nobody@northwindforge.example",
      KEYFLEET_LIVE_GROUP: "6e83bc55-9e10-54b6-9d5d-e3b4904902ed",
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout.slice(0, r.stdout.lastIndexOf("}") + 1)) as {
      people: unknown[];
      missing: string[];
      preflight: { ok: boolean };
    };
    expect(report.people).toHaveLength(3);
    expect(report.missing).toEqual(["nobody@northwindforge.example"]);
    expect(report.preflight.ok).toBe(true);
    expect(r.stdout).not.toContain(t.emu.clientSecret);
    const writes = (await t.emu.admin.requests()).filter(
      (q) =>
        q.method !== "GET" &&
        !q.path.endsWith("/$batch") &&
        !q.path.includes("/oauth2/") &&
        !q.path.startsWith("/_emulator/"),
    );
    expect(writes).toEqual([]);
  });

  it("should fail with exit code 2 naming the missing settings when the environment has no credentials", async () => {
    const r = await smoke({ KEYFLEET_LIVE_PEOPLE: "someone@contoso.com" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no Entra credentials configured.*AZURE_TENANT_ID/);
  });
});
