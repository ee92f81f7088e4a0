// An upgrade across the thin-state change with the real engine: a stack created by the program as it was
// before (the resource modules compiled from commit be18e22, tests/providers/upgrade-before/*.js, which
// serialize Pulumi closures of about 3 KB as `__provider` and echo the run's decision in outputs) refreshes,
// updates and destroys once dist is the current build. Refresh and destroy run the old provider text stored in
// state, which loads today's implementation from dist: the text is a contract, the implementation is not.
import "reflect-metadata";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compiledText } from "./fixtures.js";
import { fido2MethodIds, runOneTask } from "./stationStandIn.js";
import {
  ada,
  upgradeFixtures as before,
  ben,
  dynamicResources as dynamic,
  type Exported,
  startUpgradeStack,
  typeOf,
  type UpgradeStack,
  yubikey5,
} from "./upgradeStack.js";

const types = ["KeyAssignment", "RunApproval"] as const;

let stack: UpgradeStack;
const oldText = Object.fromEntries(
  types.map((t) => [t, readFileSync(join(before, `${t}.provider.js`), "utf8")]),
) as Record<(typeof types)[number], string>;
const oldShape = JSON.parse(readFileSync(join(before, "shape.json"), "utf8")) as Record<
  string,
  { inputs: string[]; outputs: string[] }
>;
const exported = (): Promise<Exported> => stack.exported();

beforeAll(async () => {
  stack = await startUpgradeStack();
  // Today's build with the three resource modules of be18e22, and the declaration and KeyAssignment
  // implementation as they were until outputs carried a digest (2623ffe), which echoed the inputs as be18e22's did.
  const modules = (names: string[], from: string) =>
    names.map((m) => [`providers/${m}.js`, `${from}${m}.js`] as const);
  stack.installEarlierDist(
    Object.fromEntries([
      ...modules(["keyAssignment", "unmanagedRemoval", "runApprovalResource"], ""),
      ...modules(
        ["fleetDeclaration", "assignmentProvider", "assignmentDiff", "assignmentDecision", "assignmentTypes"],
        "2623ffe/",
      ),
    ]),
  );
}, 300_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a stack created before the thin provider text, after the upgrade", () => {
  it("should be created by the earlier program with its 3 KB provider texts and old-shaped state", async () => {
    await stack.project.ok(["up", "--yes", "--skip-preview"]);
    await runOneTask(stack.store, stack.entra, yubikey5);
    await stack.project.ok(["refresh", "--yes", "--skip-preview"]);
    const state = dynamic(await exported());
    expect(state.map(typeOf).sort()).toEqual(["KeyAssignment", "KeyAssignment", "RunApproval"]);
    for (const r of state) {
      const t = typeOf(r) as (typeof types)[number];
      // What the earlier code stored, byte for byte, and in the shape it stored it.
      expect(r.inputs?.__provider).toBe(oldText[t]);
      expect(r.outputs?.__provider).toBe(oldText[t]);
      expect(oldText[t].length).toBeGreaterThan(3000);
      expect(Object.keys(r.inputs ?? {}).sort()).toEqual(oldShape[t]?.inputs);
    }
    // The earlier implementation echoed the run's decision into outputs: give this state that shape too (the
    // refresh above ran today's read, which no longer writes it), so the upgrade starts from what it wrote.
    const full = await exported();
    for (const r of dynamic(full))
      if (typeOf(r) === "KeyAssignment" && r.outputs && r.inputs?.decision)
        r.outputs.decision = r.inputs.decision;
    for (const r of dynamic(full))
      expect(Object.keys(r.outputs ?? {}).sort()).toEqual(oldShape[typeOf(r)]?.outputs);
    const file = join(stack.project.dir, "before.json");
    writeFileSync(file, JSON.stringify(full));
    await stack.project.ok(["stack", "import", "--file", file]);
  }, 300_000);

  it("should refresh with today's build through the provider text stored in state", async () => {
    stack.installCurrentDist();
    await runOneTask(stack.store, stack.entra, yubikey5);
    await stack.project.ok(["refresh", "--yes", "--skip-preview"]);
    const state = dynamic(await exported());
    const keys = state.filter((r) => typeOf(r) === "KeyAssignment");
    // Both keys read active: the second one registered after the upgrade, seen by the old text's read.
    expect(keys.map((r) => r.outputs?.status)).toEqual(["active", "active"]);
    for (const r of keys) expect(r.outputs?.__provider).toBe(oldText.KeyAssignment);
  }, 300_000);

  it("should preview and up with no change to any key, the program's inputs now carrying the thin text", async () => {
    const preview = await stack.project.ok(["preview", "--diff"]);
    expect(preview).not.toMatch(/^\s*(\+|-|~|\+-|-\+)\s+pulumi-nodejs:dynamic\/keyfleet:KeyAssignment/m);
    await stack.project.ok(["up", "--yes", "--skip-preview"]);
    expect((await stack.project.outputs()).counts).toEqual({ pending: 0, active: 2 });
    const thin = compiledText("keyAssignment", "keyAssignmentProvider");
    expect(thin.length).toBeLessThan(400);
    for (const r of dynamic(await exported()).filter((k) => typeOf(k) === "KeyAssignment")) {
      expect(r.inputs?.__provider).toBe(thin);
      // A key with nothing to do is a "same" step: the engine keeps its outputs, the old text among them.
      expect(r.outputs?.__provider).toBe(oldText.KeyAssignment);
    }
    // The inputs now hold this run's decisions (keep), so a refresh finds nothing to change.
    const clean = await stack.project.pulumi(["refresh", "--preview-only", "--expect-no-changes"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
  }, 300_000);

  it("should destroy through the old text in state, leaving both keys registered", async () => {
    const held = [...(await fido2MethodIds(stack.entra, ada)), ...(await fido2MethodIds(stack.entra, ben))];
    expect(held).toHaveLength(2);
    await stack.project.ok(["destroy", "--yes", "--skip-preview"]);
    expect(dynamic(await exported())).toEqual([]);
    expect([
      ...(await fido2MethodIds(stack.entra, ada)),
      ...(await fido2MethodIds(stack.entra, ben)),
    ]).toEqual(held);
    expect((await stack.store.list({ state: ["pending", "claimed"] })).length).toBe(0);
  }, 300_000);
});
