// An upgrade across the change that put a digest of the compared inputs in KeyAssignment outputs, with the real
// engine: a stack created by the program as it was at 2623ffe (tests/providers/upgrade-before/2623ffe/*.js:
// outputs echo the profile and the adoption criteria, and the SDK's source positions are in state) previews and
// ups with no key change once dist is the current build, a refresh rewrites its outputs to the digest and
// finds nothing else to change, a profile edit still updates in place, and destroy works on state of either
// shape.
import "reflect-metadata";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { comparedDigest } from "../../providers/assignmentDiff.js";
import { type AssignmentWire, assignmentFromWire } from "../../providers/assignmentWire.js";
import { fido2MethodIds, runOneTask } from "./stationStandIn.js";
import {
  ada,
  ben,
  dynamicResources,
  type StateResource,
  startUpgradeStack,
  typeOf,
  type UpgradeStack,
  yubikey5,
} from "./upgradeStack.js";

// The program's declaration and the KeyAssignment modules as they were; the rest of dist is today's.
const earlier = [
  "fleetDeclaration",
  "keyAssignment",
  "assignmentProvider",
  "assignmentDiff",
  "assignmentDecision",
  "assignmentTypes",
];
const keyChange = /^\s*(\+|-|~|\+-|-\+|\+\+|--)\s+pulumi-nodejs:dynamic\/keyfleet:KeyAssignment/m;

let stack: UpgradeStack;
const keys = async () =>
  dynamicResources(await stack.exported()).filter((r) => typeOf(r) === "KeyAssignment");
const of = (rs: StateResource[], objectId: string) => rs.find((r) => r.outputs?.objectId === objectId);

beforeAll(async () => {
  stack = await startUpgradeStack();
  stack.installEarlierDist({
    "index.js": "2623ffe/index.js",
    ...Object.fromEntries(earlier.map((m) => [`providers/${m}.js`, `2623ffe/${m}.js`])),
  });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a stack whose outputs echo the compared inputs, after the upgrade to their digest", () => {
  it("should be created by the earlier program: outputs echo the profile, state has source positions", async () => {
    await stack.project.ok(["up", "--yes", "--skip-preview"]);
    await runOneTask(stack.store, stack.entra, yubikey5);
    await stack.project.ok(["refresh", "--yes", "--skip-preview"]);
    const state = await keys();
    expect(state.map((r) => r.outputs?.status).sort()).toEqual(["active", "pending"]);
    for (const r of state) {
      expect(r.outputs?.profile).toEqual(r.inputs?.profile);
      expect(r.outputs?.adoptCriteria).toEqual(r.inputs?.adoptCriteria);
      expect(r.outputs).not.toHaveProperty("compared");
      expect(r).toHaveProperty("sourcePosition");
    }
  }, 300_000);

  it("should preview and up with no key change after the upgrade, the outputs kept as they were", async () => {
    stack.installCurrentDist();
    // The pending key registers after the upgrade: the next plan keeps it, which changes nothing either.
    await runOneTask(stack.store, stack.entra, yubikey5);
    const preview = await stack.project.ok(["preview", "--diff"]);
    expect(preview).not.toMatch(keyChange);
    await stack.project.ok(["up", "--yes", "--skip-preview"]);
    for (const r of await keys()) {
      expect(r.outputs).toHaveProperty("profile");
      // Today's program records no source position for what it declares.
      expect(r).not.toHaveProperty("sourcePosition");
    }
  }, 300_000);

  it("should rewrite one key's outputs to the digest on refresh, and then find nothing to change", async () => {
    const adaUrn = of(await keys(), ada)?.urn;
    expect(adaUrn).toBeDefined();
    await stack.project.ok(["refresh", "--yes", "--skip-preview", "--target", String(adaUrn)]);
    const state = await keys();
    const rewritten = of(state, ada);
    expect(rewritten?.outputs).not.toHaveProperty("profile");
    expect(rewritten?.outputs).not.toHaveProperty("adoptCriteria");
    expect(rewritten?.outputs?.compared).toBe(
      comparedDigest(assignmentFromWire(rewritten?.inputs as unknown as AssignmentWire)),
    );
    expect(rewritten?.outputs?.status).toBe("active");
    // Ben keeps the shape the earlier build wrote until his own refresh.
    expect(of(state, ben)?.outputs).toHaveProperty("profile");
    const clean = await stack.project.pulumi(["preview", "--expect-no-changes"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  }, 300_000);

  it("should update both shapes in place for a display-name change, replacing no key", async () => {
    const profiles = join(stack.project.specsDir, "profiles.yaml");
    const original = readFileSync(profiles, "utf8");
    writeFileSync(profiles, original.replace('displayName: "{slot} YK5"', 'displayName: "{slot} YubiKey"'));
    try {
      const preview = await stack.project.ok(["preview", "--diff"]);
      expect(preview).not.toMatch(/^\s*(\+-|-\+|\+\+|--)\s+pulumi-nodejs:dynamic\/keyfleet:KeyAssignment/m);
      expect(preview.match(/^\s*~\s+pulumi-nodejs:dynamic\/keyfleet:KeyAssignment/gm)).toHaveLength(2);
    } finally {
      writeFileSync(profiles, original);
    }
  }, 300_000);

  it("should destroy state of both shapes, leaving both keys registered", async () => {
    const held = [...(await fido2MethodIds(stack.entra, ada)), ...(await fido2MethodIds(stack.entra, ben))];
    expect(held).toHaveLength(2);
    await stack.project.ok(["destroy", "--yes", "--skip-preview"]);
    expect(dynamicResources(await stack.exported())).toEqual([]);
    expect([
      ...(await fido2MethodIds(stack.entra, ada)),
      ...(await fido2MethodIds(stack.entra, ben)),
    ]).toEqual(held);
    expect((await stack.store.list({ state: ["pending", "claimed"] })).length).toBe(0);
  }, 300_000);
});
