// The actual state a plan is computed against: the people Entra knows (with their FIDO2 methods), the
// transitive members of the groups the spec names, and what the task store knows per assignment.
// `keyfleet plan --actual state.json` reads it from a file today; the Entra client produces the same shape.
import { type Static, Type } from "@sinclair/typebox";
import type { ErrorObject } from "ajv";
import { API_VERSION, GUID_PATTERN } from "../spec/schema.js";
import { createAjv } from "../spec/validateDocument.js";

const Guid = Type.String({ pattern: GUID_PATTERN, patternErrorMessage: "must be a GUID" });
const strict = { additionalProperties: false } as const;

export const Fido2MethodSchema = Type.Object(
  {
    id: Type.String({ minLength: 1, description: "Graph authentication method id" }),
    displayName: Type.Union([Type.String(), Type.Null()]),
    aaGuid: Guid,
    model: Type.Union([Type.String(), Type.Null()]),
    createdDateTime: Type.String({
      pattern: "^[0-9]{4}-[0-9]{2}-[0-9]{2}T",
      description: "ISO 8601 timestamp",
      patternErrorMessage: "must be an ISO 8601 timestamp",
    }),
    passkeyType: Type.Optional(
      Type.Union([Type.Literal("deviceBound"), Type.Literal("synced")], {
        description: "Graph's passkeyType: a device-bound key or a synced passkey",
      }),
    ),
    attestationLevel: Type.Optional(
      Type.Union([Type.Literal("attested"), Type.Literal("notAttested")], {
        description: "Graph's attestationLevel",
      }),
    ),
  },
  {
    additionalProperties: true,
    description: "A fido2AuthenticationMethod as Graph lists it (other fields ignored)",
  },
);

export const DirectoryPersonSchema = Type.Object(
  {
    id: Guid,
    userPrincipalName: Type.String({ minLength: 3 }),
    displayName: Type.Optional(Type.String()),
    accountEnabled: Type.Optional(Type.Boolean({ description: "false when the account is disabled" })),
    fido2Methods: Type.Array(Fido2MethodSchema),
  },
  strict,
);

export const DirectoryGroupSchema = Type.Object(
  {
    id: Guid,
    displayName: Type.String(),
    members: Type.Array(Guid, { description: "Transitive user members (object ids)" }),
  },
  strict,
);

export const TASK_STATES = ["pending", "claimed", "registering", "done", "failed", "cancelled"] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TaskFactSchema = Type.Object(
  {
    assignmentId: Type.String({
      pattern: "^[0-9a-f-]{36}/[a-z][a-z0-9-]*$",
      patternErrorMessage: "must be <objectId>/<slot>",
    }),
    generation: Type.Integer({ minimum: 1 }),
    state: Type.Union(TASK_STATES.map((s) => Type.Literal(s))),
    methodId: Type.Optional(Type.String({ minLength: 1, description: "Graph method id (done tasks)" })),
    aaGuid: Type.Optional(Guid),
    credProtect: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3,
        description:
          "The credProtect level the task's key was made with (0 or absent: unknown, e.g. adopted)",
      }),
    ),
    userPrincipalName: Type.Optional(
      Type.String({ minLength: 1, description: "The UPN the task was raised for (finds renamed people)" }),
    ),
    profileKey: Type.Optional(
      Type.String({
        description: "Fingerprint of the profile the task was raised with (core/plan/taskProfile.ts)",
      }),
    ),
    stack: Type.Optional(
      Type.String({
        description: "The Pulumi stack that raised the task (absent: raised before stacks were named)",
      }),
    ),
    quarantined: Type.Optional(
      Type.String({ description: "Why the task's row or result failed verification: never acted on" }),
    ),
    quarantinedMethodId: Type.Optional(
      Type.String({
        description: "The method id a quarantined result claims (neither managed nor unmanaged)",
      }),
    ),
    adopted: Type.Optional(
      Type.Boolean({ description: "The credential was adopted, not made by a station" }),
    ),
    replacesMethodId: Type.Optional(
      Type.String({
        minLength: 1,
        description: "A replacement's predecessor, revoked once this one is active",
      }),
    ),
  },
  strict,
);

export const ActualStateSchema = Type.Object(
  {
    apiVersion: Type.Literal(API_VERSION),
    kind: Type.Literal("ActualState"),
    people: Type.Array(DirectoryPersonSchema, {
      description: "Every person the spec names, every group member, and everyone with a task",
    }),
    groups: Type.Array(DirectoryGroupSchema),
    tasks: Type.Array(TaskFactSchema, {
      description: "The task store's latest knowledge, one row per generation",
    }),
    deletedPeople: Type.Optional(
      Type.Array(Guid, {
        description: "Object ids the task store or the stack refer to that the directory no longer knows",
      }),
    ),
  },
  { ...strict, description: "What Entra and the task store hold, as the plan reads it" },
);

export type Fido2Method = Static<typeof Fido2MethodSchema>;
export type DirectoryPerson = Static<typeof DirectoryPersonSchema>;
export type DirectoryGroup = Static<typeof DirectoryGroupSchema>;
export type TaskFact = Static<typeof TaskFactSchema>;
export type ActualState = Static<typeof ActualStateSchema>;

/** Thrown when actual-state input is malformed or incomplete; never read as "nothing there". */
export class ActualStateError extends Error {
  readonly brand = "keyfleet.ActualStateError";
  static isInstance(e: unknown): e is ActualStateError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.ActualStateError"
    );
  }
}

let validate: ReturnType<ReturnType<typeof createAjv>["compile"]> | undefined;

/** Checks a parsed JSON value; throws ActualStateError listing every problem by JSON path. */
export function parseActualState(value: unknown, label = "actual state"): ActualState {
  validate ??= createAjv().compile(ActualStateSchema);
  if (validate(value)) return normaliseActual(value as ActualState);
  const lines = (validate.errors ?? []).slice(0, 20).map((e) => `  ${describe(e)}`);
  throw new ActualStateError(`${label} is not a valid ActualState:\n${lines.join("\n")}`);
}

function describe(e: ErrorObject): string {
  const path = e.instancePath || "/";
  if (e.keyword === "additionalProperties") {
    return `${path}: unknown field '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
  }
  const hint = (e.parentSchema as { patternErrorMessage?: string } | undefined)?.patternErrorMessage;
  return `${path}: ${e.keyword === "pattern" && hint ? hint : (e.message ?? "is invalid")}`;
}

/** GUIDs compare lower case everywhere in Keyfleet. */
function normaliseActual(s: ActualState): ActualState {
  return {
    ...s,
    people: s.people.map((p) => ({
      ...p,
      id: p.id.toLowerCase(),
      fido2Methods: p.fido2Methods.map((m) => ({ ...m, aaGuid: m.aaGuid.toLowerCase() })),
    })),
    groups: s.groups.map((g) => ({
      ...g,
      id: g.id.toLowerCase(),
      members: g.members.map((m) => m.toLowerCase()),
    })),
    tasks: s.tasks.map((t) => (t.aaGuid ? { ...t, aaGuid: t.aaGuid.toLowerCase() } : t)),
  };
}
