// The program's reads against the emulator: a group that cannot be read fails the run (it never reads as a
// group without members, which would revoke its members' keys), whether it is missing or Graph keeps failing.
// @peculiar/x509 (the emulator's certificates) needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { gatherFleet } from "../../providers/fleetData.js";
import { type ProviderSettings, providerSettings } from "../../providers/providerSettings.js";
import { ykProfileYaml } from "./fixtures.js";

const engineering = "ea721d0a-bf67-5aae-bc84-6a2be743ccfd";

let emu: RunningEmulator;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-fleetdata-"));
});

afterEach(async () => {
  await emu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function specsFor(groupObjectId: string): string {
  const specs = join(dir, "specs");
  const yaml = [
    ykProfileYaml,
    "---",
    "apiVersion: keyfleet.dev/v1",
    "kind: GroupAssignment",
    "name: engineering",
    "group:",
    `  objectId: ${groupObjectId}`,
    "profile: yk",
    "keys: 1",
    "",
  ].join("\n");
  mkdirSync(specs, { recursive: true });
  writeFileSync(join(specs, "fleet.yaml"), yaml);
  return specs;
}

function settingsFor(e: RunningEmulator): ProviderSettings {
  const config: Record<string, string> = {
    entraTenantId: e.tenantId,
    entraClientId: e.clientId,
    entraClientSecret: e.clientSecret,
    entraCloud: "custom",
    entraAuthorityHost: e.url,
    entraGraphUrl: e.url,
    entraGraphScope: "https://graph.microsoft.com/.default",
    entraCaFile: e.caCertPath,
    entraDeadlineSeconds: "5",
    entraMaxAttempts: "2",
    taskStore: `sqlite:${join(dir, "tasks.db")}`,
  };
  return providerSettings((k) => config[k], {});
}

describe("the program's reads", () => {
  it("should read a group's members when the lookup works", async () => {
    emu = await startEmulator();
    const data = await gatherFleet(specsFor(engineering), settingsFor(emu));
    expect(data.actual.groups.find((g) => g.id === engineering)?.members.length).toBeGreaterThan(0);
  });

  it("should fail the run when the group does not exist, naming it", async () => {
    emu = await startEmulator();
    const missing = "00000000-0000-4000-8000-00000000dead";
    await expect(gatherFleet(specsFor(missing), settingsFor(emu))).rejects.toThrow(new RegExp(missing));
  });

  it("should fail the run when Graph keeps failing the members lookup, never reading it as empty", async () => {
    emu = await startEmulator({
      faults: [{ kind: "503", route: `/groups/${engineering}/transitiveMembers` }],
    });
    await expect(gatherFleet(specsFor(engineering), settingsFor(emu))).rejects.toThrow(/503|unavailable/i);
  });
});
