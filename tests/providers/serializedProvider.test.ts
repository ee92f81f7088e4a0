// The thin serialized provider, loaded by Pulumi's own dynamic-provider host over gRPC: it stays small,
// carries no machine path, loads the compiled implementation at call time, and checks and diffs as the
// engine expects.
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignmentToWire } from "../../providers/assignmentWire.js";
import { repoRoot } from "../support/cli.js";
import { type DynamicProviderHost, startDynamicProviderHost, urnFor } from "../support/pulumiHost.js";
import {
  assignmentInputs,
  compiledProviderText,
  declaredInputs,
  otherKey,
  project,
  resourceType,
  yubikey5,
} from "./fixtures.js";

let host: DynamicProviderHost;
let providerText: string;
const urn = urnFor(project, resourceType, "11111111-2222-3333-4444-555555555555-primary");

beforeAll(async () => {
  providerText = compiledProviderText();
  host = await startDynamicProviderHost({ cwd: join(repoRoot, "dist"), project });
  await host.configure({});
});
afterAll(async () => {
  await host?.stop();
});

function activeState(over: Record<string, unknown> = {}) {
  return {
    ...assignmentInputs(),
    status: "active",
    generation: 1,
    taskState: "",
    failure: "",
    methodId: "m1",
    aaguid: yubikey5,
    model: "YubiKey 5",
    registeredAt: "2026-01-01T00:00:00Z",
    keyCredProtect: 2,
    adopted: false,
    retiring: [],
    __provider: providerText,
    ...over,
  };
}

describe("the serialized KeyAssignment provider", () => {
  it("should stay under 400 bytes (stored twice per resource) and carry no path or implementation logic", () => {
    expect(providerText.length).toBeLessThan(400);
    expect(providerText).not.toContain(repoRoot);
    expect(providerText).toContain('"providers/assignmentProvider.js"');
    expect(providerText).not.toContain("keyFitsProfile");
  });

  it("should give the host every method it calls and nothing that makes the provider a thenable", () => {
    // The host's getProvider is async: a provider object with a `then` would be awaited instead of returned.
    const module = { exports: {} as { handler?: () => Record<string, unknown> } };
    new Function("exports", "require", providerText)(module.exports, createRequire(import.meta.url));
    const provider = module.exports.handler?.() ?? {};
    expect(Object.keys(provider).sort()).toEqual(
      ["check", "configure", "create", "delete", "diff", "read", "update"].sort(),
    );
    expect(Object.values(provider).every((f) => typeof f === "function")).toBe(true);
  });

  it("should accept valid inputs and report bad ones through Check", async () => {
    const good = await host.check(urn, {}, { ...declaredInputs(), __provider: providerText });
    expect(good.failures).toEqual([]);
    expect(good.inputs.__provider).toBe(providerText);
    const bad = await host.check(
      urn,
      {},
      {
        ...declaredInputs({ assignmentId: "wrong" }),
        profile: { ...assignmentInputs().profile, displayName: "x".repeat(31), credProtect: 7 },
        __provider: providerText,
      },
    );
    expect(bad.failures.map((f) => f.reason)).toEqual(
      expect.arrayContaining([
        "assignmentId must be '<objectId>/<slot>'",
        "profile.credProtect must be 1, 2 or 3",
        "profile.displayName must be 1–30 characters (Entra's limit)",
      ]),
    );
  });

  it("should report no change when the inputs match the state", async () => {
    const d = await host.diff("a@1", urn, activeState(), { ...declaredInputs(), __provider: providerText });
    expect(d).toEqual({ changes: "none", replaces: [], deleteBeforeReplace: false });
  });

  it("should update in place when only the display name or UPN changes", async () => {
    const inputs = assignmentInputs({ userPrincipalName: "ada.l@contoso.example" });
    inputs.profile = { ...inputs.profile, displayName: "primary key" };
    const d = await host.diff("a@1", urn, activeState(), {
      ...assignmentToWire(inputs),
      __provider: providerText,
    });
    expect(d).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
  });

  it("should replace (create first) when the key on hand no longer fits the profile", async () => {
    const models = assignmentInputs();
    models.profile = { ...models.profile, allowedAaguids: [otherKey] };
    const byModel = await host.diff("a@1", urn, activeState(), {
      ...assignmentToWire(models),
      __provider: providerText,
    });
    expect(byModel).toEqual({ changes: "some", replaces: ["profile"], deleteBeforeReplace: false });
    const stronger = assignmentInputs();
    stronger.profile = { ...stronger.profile, credProtect: 3 };
    const byCredProtect = await host.diff("a@1", urn, activeState(), {
      ...assignmentToWire(stronger),
      __provider: providerText,
    });
    expect(byCredProtect.replaces).toEqual(["profile"]);
  });

  it("should update a pending assignment in place whatever the profile change", async () => {
    const inputs = assignmentInputs();
    inputs.profile = { ...inputs.profile, allowedAaguids: [otherKey], credProtect: 3 };
    const d = await host.diff("a@1", urn, activeState({ status: "pending", methodId: "", aaguid: "" }), {
      ...assignmentToWire(inputs),
      __provider: providerText,
    });
    expect(d).toEqual({ changes: "some", replaces: [], deleteBeforeReplace: false });
  });

  it("should ask for an update when an active assignment still has credentials to retire", async () => {
    const d = await host.diff("a@2", urn, activeState({ retiring: ["old"] }), {
      ...declaredInputs(),
      __provider: providerText,
    });
    expect(d.changes).toBe("some");
    expect(d.replaces).toEqual([]);
  });

  it("should refuse to create or delete without a configured Graph connection", async () => {
    const props = { ...declaredInputs(), __provider: providerText };
    await expect(host.create(urn, props)).rejects.toThrow(
      /cannot provision .*no Entra credentials configured/,
    );
    await expect(host.delete("a@1", urn, activeState())).rejects.toThrow(
      /deleting needs a configured Graph connection/,
    );
  });
});
