// Runs the program's declarations under Pulumi's mocks in a plain Node process (closure serialization must
// see compiled code, not Vite's rewrite) and prints every registered resource as JSON on stdout, with the
// resource options Pulumi's mocks do not pass to newResource (protect, retainOnDelete) caught by a stack
// transformation. argv: <specDir> <options JSON>. Run with `node --import tsx`.
// Env: KEYFLEET_MOCK_REMOVED=N (people holding keys for slots no longer in the specs), KEYFLEET_MOCK_UNMANAGED
// (comma-separated AAGUIDs: the first spec person holds one credential Keyfleet did not register per AAGUID),
// KEYFLEET_MOCK_PREVIEW=1 (a preview run), KEYFLEET_MOCK_HEAD (the records head the program reads, as JSON).
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ActualState, DirectoryGroup, DirectoryPerson } from "../../core/plan/actual.js";
import type { Spec } from "../../core/spec/model.js";

const [specDir = "specs", optionsJson = "{}"] = process.argv.slice(2);
const registered: {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  protect?: boolean;
  retainOnDelete?: boolean;
}[] = [];
const resourceOptions = new Map<string, { protect?: boolean; retainOnDelete?: boolean }>();

pulumi.runtime.setMocks(
  {
    newResource(args) {
      if (args.type === "pulumi:pulumi:Stack") return { id: undefined, state: {} };
      registered.push({
        type: args.type,
        name: args.name,
        inputs: args.inputs,
        ...resourceOptions.get(`${args.type}::${args.name}`),
      });
      // The dynamic provider is never called under mocks: fill the outputs a fresh create would give.
      const outs = args.type.startsWith("pulumi-nodejs:dynamic")
        ? { ...args.inputs, status: "pending", taskState: "pending", failure: "" }
        : { ...args.inputs, objectId: `${args.name}-object-id` };
      return { id: `${args.name}-id`, state: outs };
    },
    call: (args) => args.inputs,
  },
  "keyfleet",
  "test",
  process.env.KEYFLEET_MOCK_PREVIEW === "1",
);

/** A deterministic GUID for a name, so the synthetic directory is stable between runs. */
function guid(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The directory as Entra would answer for the spec: everyone named, and two members per group. */
function syntheticActual(spec: Spec): ActualState {
  const people: DirectoryPerson[] = spec.people.map((p) => ({
    id: p.objectId ?? guid(p.userPrincipalName ?? ""),
    userPrincipalName: p.userPrincipalName ?? `${p.objectId}@example.test`,
    fido2Methods: [],
  }));
  const groups: DirectoryGroup[] = spec.groups.map((g, i) => {
    const a = {
      id: guid(`member-a-${i}`),
      userPrincipalName: `member-a-${i}@example.test`,
      fido2Methods: [],
    };
    const b = {
      id: guid(`member-b-${i}`),
      userPrincipalName: `member-b-${i}@example.test`,
      fido2Methods: [],
    };
    people.push(a, b);
    return {
      id: "objectId" in g.group ? g.group.objectId : guid(g.group.displayName),
      displayName: "displayName" in g.group ? g.group.displayName : g.name,
      members: [a.id, b.id],
    };
  });
  // KEYFLEET_MOCK_REMOVED=N: N people hold keys Keyfleet registered for slots no longer in the specs.
  const tasks: ActualState["tasks"] = [];
  for (let i = 0; i < Number(process.env.KEYFLEET_MOCK_REMOVED ?? 0); i++) {
    const id = guid(`removed-${i}`);
    people.push({
      id,
      userPrincipalName: `removed-${i}@example.test`,
      fido2Methods: [
        {
          id: `m-${i}`,
          displayName: "old",
          aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
          model: "YubiKey 5",
          createdDateTime: "2025-01-01T00:00:00Z",
        },
      ],
    });
    tasks.push({ assignmentId: `${id}/primary`, generation: 1, state: "done", methodId: `m-${i}` });
  }
  const holder = people[0];
  for (const [i, aaGuid] of (process.env.KEYFLEET_MOCK_UNMANAGED ?? "")
    .split(",")
    .filter(Boolean)
    .entries()) {
    holder?.fido2Methods.push({
      id: `unmanaged+${i}/x=`,
      displayName: `someone's key ${i}`,
      aaGuid,
      model: null,
      createdDateTime: "2024-06-01T00:00:00Z",
    });
  }
  return { apiVersion: "keyfleet.dev/v1", kind: "ActualState", people, groups, tasks };
}

const { readSpec } = await import("../../core/spec/load.js");
const { declareFleet, fleetOptionsFromConfig } = (await import(
  new URL("../../dist/providers/fleetDeclaration.js", import.meta.url).href
)) as typeof import("../../providers/fleetDeclaration.js");
const spec = await readSpec(specDir);
const options = { ...fleetOptionsFromConfig(() => undefined), ...JSON.parse(optionsJson) };
const headJson = process.env.KEYFLEET_MOCK_HEAD;
let declared: ReturnType<typeof declareFleet> | undefined;
// Inside a root stack, as the real program runs: stack transformations need one.
await pulumi.runtime.runInPulumiStack(async () => {
  pulumi.runtime.registerStackTransformation((args) => {
    const o: { protect?: boolean; retainOnDelete?: boolean } = {};
    if (args.opts.protect !== undefined) o.protect = args.opts.protect;
    if (args.opts.retainOnDelete !== undefined) o.retainOnDelete = args.opts.retainOnDelete;
    resourceOptions.set(`${args.type}::${args.name}`, o);
    return undefined;
  });
  declared = declareFleet(
    { spec, actual: syntheticActual(spec), unresolved: [], preflight: { ok: true, findings: [] } },
    options,
    headJson === undefined ? undefined : async () => JSON.parse(headJson),
  );
  return {};
});
if (!declared) throw new Error("declareFleet did not run");
const outputs = declared;
const [counts, pending, groupId] = await new Promise<unknown[]>((resolve) =>
  pulumi
    .all([outputs.counts, outputs.pending, outputs.groupId ?? "", outputs.conditionalAccessPolicyId ?? ""])
    .apply(resolve),
);
// An unknown output never runs its apply: ask whether it is known (the SDK's own, untyped promise) first.
const head = outputs.recordsHead;
const recordsHead =
  head === undefined
    ? "absent"
    : (await (head as unknown as { isKnown: Promise<boolean> }).isKnown)
      ? await new Promise<unknown>((resolve) => head.apply(resolve))
      : "unknown";
process.stdout.write(
  JSON.stringify({
    resources: registered,
    counts,
    pending,
    groupId,
    plan: outputs.plan,
    unmanaged: outputs.unmanaged,
    recordsHead,
  }),
);
