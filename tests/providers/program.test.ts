// The Pulumi program under Pulumi's mocks: the resource graph declared from the example specs, the safety
// rails, the resource options, unmanaged credentials to remove, the records head output, and the optional
// azuread policy resources.
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readSpec } from "../../core/spec/load.js";
import { type AssignmentWire, assignmentFromWire } from "../../providers/assignmentWire.js";
import { gatherFleet } from "../../providers/fleetData.js";
import { fleetOptionsFromConfig } from "../../providers/fleetDeclaration.js";
import { providerSettings } from "../../providers/providerSettings.js";
import { repoRoot } from "../support/cli.js";

const run = promisify(execFile);

interface MockRun {
  resources: {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    protect?: boolean;
    retainOnDelete?: boolean;
  }[];
  counts: Record<string, number>;
  pending: { assignmentId: string }[];
  groupId: string;
  plan: Record<string, number>;
  unmanaged: { report: number; remove: number };
  recordsHead: { seq: number; hash: string } | "unknown" | "absent";
}

async function mockProgram(
  options: object = {},
  env: NodeJS.ProcessEnv = {},
  specDir = "specs",
): Promise<MockRun> {
  const { stdout } = await run(
    process.execPath,
    ["--import", "tsx", "tests/providers/mockProgram.ts", specDir, JSON.stringify(options)],
    { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as MockRun;
}

const keyType = "pulumi-nodejs:dynamic/keyfleet:KeyAssignment";
const removalType = "pulumi-nodejs:dynamic/keyfleet:UnmanagedRemoval";
// specs/policy.yaml: `unmanaged: remove` names this AAGUID (a withdrawn model); the YubiKey 5 it does not.
const withdrawn = "f8a011f3-8c0a-4d15-8006-17111f9edc7d";
const yubikey5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";

describe("the Pulumi program under mocks", () => {
  it("should declare one KeyAssignment per active (person, slot), named by object id and slot", async () => {
    const out = await mockProgram();
    const keys = out.resources.filter((r) => r.type === keyType);
    expect(keys.length).toBeGreaterThan(5);
    // Beside the keys, only the run's approval, which every key waits for.
    const others = out.resources.filter((r) => r.type !== keyType);
    expect(others.map((r) => r.type)).toEqual(["pulumi-nodejs:dynamic/keyfleet:RunApproval"]);
    expect(others[0]?.inputs).toMatchObject({ revocations: 0, unmanaged: [], allowMassRevoke: false });
    for (const k of keys) {
      // The wire form (providers/assignmentWire.ts): no objectId or slot beside the id, defaults left out.
      const optional = ["adopt", "lostSince"].filter((key) => key in k.inputs);
      expect(Object.keys(k.inputs).sort()).toEqual(
        ["__provider", "assignmentId", "decision", "profile", "userPrincipalName", ...optional].sort(),
      );
      const a = assignmentFromWire(k.inputs as unknown as AssignmentWire);
      expect(k.name).toBe(`${a.objectId}-${a.slot}`);
      expect(a.objectId).toMatch(/^[0-9a-f-]{36}$/);
      expect(String(a.userPrincipalName)).toContain("@");
      expect(typeof k.inputs.__provider).toBe("string");
      // Room is left for the station's registration marker.
      expect(a.profile.displayName.length).toBeLessThanOrEqual(19);
      expect(typeof k.inputs.decision).toBe("string");
      expect(a.decision).toMatchObject({ kind: "provision", generation: 1 });
    }
    expect(new Set(keys.map((k) => k.name)).size).toBe(keys.length);
    // The example specs' people with active slots all appear; retired and lost-only slots do not add keys.
    const spec = await readSpec(join(repoRoot, "specs"));
    const named = spec.people.flatMap((p) => p.slots.filter((s) => s.state === "active").map((s) => s.name));
    const slots = keys.map((k) => assignmentFromWire(k.inputs as unknown as AssignmentWire).slot);
    expect(slots.filter((slot) => !slot.startsWith("group-")).length).toBeGreaterThanOrEqual(
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

describe("the program's resource options", () => {
  it("should read keyfleet:protect and keyfleet:retainOnDelete as strict booleans, off by default", () => {
    const opts = (values: Record<string, string>) => fleetOptionsFromConfig((k) => values[k]);
    expect(opts({})).toMatchObject({ protect: false, retainOnDelete: false });
    expect(opts({ protect: "true", retainOnDelete: "yes" })).toMatchObject({
      protect: true,
      retainOnDelete: true,
    });
    expect(opts({ protect: "0", retainOnDelete: "False" })).toMatchObject({
      protect: false,
      retainOnDelete: false,
    });
    expect(() => opts({ protect: "always" })).toThrow("keyfleet:protect must be true or false, not 'always'");
    expect(() => opts({ retainOnDelete: "keep" })).toThrow(
      "keyfleet:retainOnDelete must be true or false, not 'keep'",
    );
  });

  it("should pass protect and retainOnDelete to every KeyAssignment", async () => {
    const on = await mockProgram({ protect: true, retainOnDelete: true });
    const keys = on.resources.filter((r) => r.type === keyType);
    expect(keys.length).toBeGreaterThan(5);
    for (const k of keys) expect(k).toMatchObject({ protect: true, retainOnDelete: true });
    const off = await mockProgram({ protect: false, retainOnDelete: true });
    for (const k of off.resources.filter((r) => r.type === keyType)) {
      expect(k).toMatchObject({ protect: false, retainOnDelete: true });
    }
  });
});

describe("unmanaged credentials under the program's mocks", () => {
  it("should declare an UnmanagedRemoval only for credentials whose AAGUID the policy removes", async () => {
    const out = await mockProgram(
      { allowMassRevoke: true, protect: true, retainOnDelete: true },
      // Entra's reader lowercases AAGUIDs (core/entra/model.ts), as the plan expects.
      { KEYFLEET_MOCK_UNMANAGED: `${withdrawn},${yubikey5},${withdrawn}` },
    );
    const removals = out.resources.filter((r) => r.type === removalType);
    expect(removals).toHaveLength(2);
    expect(out.unmanaged).toEqual({ report: 1, remove: 2 });
    for (const r of removals) {
      const { __provider, ...inputs } = r.inputs;
      expect(typeof __provider).toBe("string");
      expect(inputs).toMatchObject({ aaGuid: withdrawn, reason: expect.stringContaining(withdrawn) });
      expect(String(inputs.userPrincipalName)).toContain("@");
      expect(String(inputs.methodId)).toMatch(/^unmanaged\+[02]\/x=$/);
      // Entra's '+', '/' and '=' never reach the resource name; a hash of the real id keeps names apart.
      expect(r.name).toMatch(new RegExp(`^${String(inputs.objectId)}-unmanaged_[02]_x_-[0-9a-f]{8}$`));
      // Protect or retain would pin a resource whose credential is already gone: only keys carry them.
      expect(r.protect).toBeUndefined();
      expect(r.retainOnDelete).toBeUndefined();
    }
    expect(new Set(removals.map((r) => r.name)).size).toBe(2);
  });

  it("should declare none when the policy only reports unmanaged credentials", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-report-"));
    try {
      cpSync(join(repoRoot, "specs"), dir, { recursive: true });
      const policy = join(dir, "policy.yaml");
      writeFileSync(policy, readFileSync(policy, "utf8").replace("action: remove", "action: report"));
      const out = await mockProgram({}, { KEYFLEET_MOCK_UNMANAGED: `${withdrawn},${yubikey5}` }, dir);
      expect(out.resources.filter((r) => r.type === removalType)).toEqual([]);
      expect(out.unmanaged).toEqual({ report: 2, remove: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("should let a first roll-out remove one withdrawn key, and stop a mass removal unless allowed", async () => {
    // No managed credentials yet: the share counts every passkey at stake, so one removal goes ahead.
    const one = await mockProgram({}, { KEYFLEET_MOCK_UNMANAGED: withdrawn });
    expect(one.unmanaged).toEqual({ report: 0, remove: 1 });
    await expect(
      mockProgram({}, { KEYFLEET_MOCK_UNMANAGED: `${withdrawn},${withdrawn},${withdrawn}` }),
    ).rejects.toThrow(/would revoke 3 of the 3 passkeys held by the people it read/);
  });
});

describe("the records head stack output", () => {
  const hash = "ab".repeat(32);

  it("should publish the head the program reads once the resources have settled", async () => {
    const out = await mockProgram({}, { KEYFLEET_MOCK_HEAD: JSON.stringify({ seq: 7, hash }) });
    expect(out.recordsHead).toEqual({ seq: 7, hash });
  });

  it("should publish seq 0 for an empty chain, and nothing without a reader", async () => {
    expect((await mockProgram({}, { KEYFLEET_MOCK_HEAD: "null" })).recordsHead).toEqual({
      seq: 0,
      hash: "0".repeat(64),
    });
    expect((await mockProgram()).recordsHead).toBe("absent");
  });

  it("should leave the head unknown in a preview", async () => {
    const out = await mockProgram(
      {},
      { KEYFLEET_MOCK_PREVIEW: "1", KEYFLEET_MOCK_HEAD: JSON.stringify({ seq: 7, hash }) },
    );
    expect(out.recordsHead).toBe("unknown");
  });
});
