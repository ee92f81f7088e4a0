// The Pulumi program under Pulumi's mocks: the resource graph declared from the example specs, the safety
// rails, and the optional azuread policy resources.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readSpec } from "../../core/spec/load.js";
import { gatherFleet } from "../../providers/fleetData.js";
import { providerSettings } from "../../providers/providerSettings.js";
import { repoRoot } from "../support/cli.js";

const run = promisify(execFile);

interface MockRun {
  resources: { type: string; name: string; inputs: Record<string, unknown> }[];
  counts: Record<string, number>;
  pending: { assignmentId: string }[];
  groupId: string;
  plan: Record<string, number>;
}

async function mockProgram(options: object = {}, env: NodeJS.ProcessEnv = {}): Promise<MockRun> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "tests/providers/mockProgram.ts", "specs", JSON.stringify(options)],
    { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as MockRun;
}

const keyType = "pulumi-nodejs:dynamic/keyfleet:KeyAssignment";

describe("the Pulumi program under mocks", () => {
  it("should declare one KeyAssignment per active (person, slot), named by object id and slot", async () => {
    const out = await mockProgram();
    const keys = out.resources.filter((r) => r.type === keyType);
    expect(keys.length).toBeGreaterThan(5);
    expect(out.resources.filter((r) => r.type !== keyType)).toEqual([]);
    for (const k of keys) {
      expect(k.name).toBe(`${k.inputs.objectId}-${k.inputs.slot}`);
      expect(k.inputs.assignmentId).toBe(`${k.inputs.objectId}/${k.inputs.slot}`);
      expect(String(k.inputs.userPrincipalName)).toContain("@");
      expect(typeof k.inputs.__provider).toBe("string");
      expect((k.inputs.profile as { displayName: string }).displayName.length).toBeLessThanOrEqual(30);
    }
    expect(new Set(keys.map((k) => k.name)).size).toBe(keys.length);
    // The example specs' people with active slots all appear; retired and lost-only slots do not add keys.
    const spec = await readSpec(join(repoRoot, "specs"));
    const named = spec.people.flatMap((p) => p.slots.filter((s) => s.state === "active").map((s) => s.name));
    expect(keys.filter((k) => !String(k.inputs.slot).startsWith("group-")).length).toBeGreaterThanOrEqual(
      named.length - spec.people.filter((p) => p.leaving !== undefined).length * 2,
    );
    expect(out.counts.pending).toBe(keys.length);
    expect(out.pending).toHaveLength(keys.length);
    expect(out.plan.provision).toBeGreaterThan(0);
  });

  it("should declare the key-holder group and a report-only conditional access policy when configured", async () => {
    const out = await mockProgram({ manageGroup: true, conditionalAccess: "reportOnly" });
    const group = out.resources.find((r) => r.type === "azuread:index/group:Group");
    expect(group?.inputs).toMatchObject({ securityEnabled: true, displayName: "Keyfleet key holders" });
    const policy = out.resources.find(
      (r) => r.type === "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy",
    );
    expect(policy?.inputs).toMatchObject({
      state: "enabledForReportingButNotEnforced",
      grantControls: {
        operator: "OR",
        authenticationStrengthPolicyId:
          "/policies/authenticationStrengthPolicies/00000000-0000-0000-0000-000000000004",
      },
      conditions: { users: { includedGroups: ["keyfleet-provisioned-object-id"] } },
    });
  });

  it("should use an authentication strength limited to FIDO2 keys when asked", async () => {
    const out = await mockProgram({ conditionalAccess: "enabled", authenticationStrength: "fido2" });
    const strength = out.resources.find(
      (r) => r.type === "azuread:index/authenticationStrengthPolicy:AuthenticationStrengthPolicy",
    );
    expect(strength?.inputs.allowedCombinations).toEqual(["fido2"]);
    const policy = out.resources.find(
      (r) => r.type === "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy",
    );
    expect(policy?.inputs.state).toBe("enabled");
  });

  it("should stop a run that would revoke more than the policy's share, unless explicitly allowed", async () => {
    await expect(mockProgram({}, { KEYFLEET_MOCK_REMOVED: "40" })).rejects.toThrow(
      /keyfleet:allowMassRevoke true/,
    );
    const allowed = await mockProgram({ allowMassRevoke: true }, { KEYFLEET_MOCK_REMOVED: "40" });
    expect(allowed.plan.revoke).toBe(40);
  });

  it("should fail on invalid specs with the loader's file:line:col messages, before reaching Entra", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-badspec-"));
    try {
      cpSync(join(repoRoot, "specs", "profiles.yaml"), join(dir, "profiles.yaml"));
      writeFileSync(
        join(dir, "people.yaml"),
        "apiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: x@y.z\nslots:\n  - name: primary\n    profile: yubikey-5\n    colour: red\n",
      );
      const settings = providerSettings(() => undefined, {});
      await expect(gatherFleet(dir, settings)).rejects.toThrow(/people\.yaml:\d+:\d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
