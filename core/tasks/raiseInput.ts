// Checks what the pipeline asks to raise and builds the task from known fields only, so nothing the
// caller attached by mistake (a PIN, a token) can reach the store.
import { TaskStoreError } from "./errors.js";
import type { RaiseInput, TaskProfile, TaskSpec } from "./model.js";
import { taskIdFor } from "./taskSignature.js";

const AAGUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function buildTaskSpec(input: RaiseInput, now: Date): TaskSpec {
  const bad = (msg: string): never => {
    throw new TaskStoreError("bad-input", `cannot raise task: ${msg}`);
  };
  if (typeof input !== "object" || input === null) bad("no input");
  const text = (v: unknown, name: string, max = 256): string => {
    if (typeof v !== "string" || v.length === 0 || v.length > max)
      bad(`${name} must be a string of 1–${max} characters`);
    assertNoSecretShape(v as string, name);
    return v as string;
  };
  if (!Number.isSafeInteger(input.generation) || input.generation < 0)
    bad("generation must be a whole number ≥ 0");
  const kind = input.kind ?? "provision";
  if (kind !== "provision" && kind !== "revoke") bad(`kind must be 'provision' or 'revoke'`);
  const p = input.profile as TaskProfile | undefined;
  if (!p || typeof p !== "object") bad("profile is required");
  const profile: TaskProfile = {
    name: text(p?.name, "profile.name"),
    allowedAaguids: (Array.isArray(p?.allowedAaguids) ? p.allowedAaguids : []).map((a) => {
      if (typeof a !== "string" || !AAGUID.test(a))
        bad(`profile.allowedAaguids has '${String(a)}', not an AAGUID`);
      return a;
    }),
    allowedModels: (Array.isArray(p?.allowedModels) ? p.allowedModels : []).map((m) =>
      text(m, "profile.allowedModels"),
    ),
    pinLength: p?.pinLength as number,
    forceChangePin: p?.forceChangePin === true,
    credProtect: p?.credProtect as 1 | 2 | 3,
    displayName: text(p?.displayName, "profile.displayName", 30),
  };
  if (p?.serials !== undefined) {
    if (!Array.isArray(p.serials) || p.serials.length === 0) bad("profile.serials must list serials");
    profile.serials = p.serials.map((x) => text(x, "profile.serials", 64));
  }
  if (!Number.isInteger(profile.pinLength) || profile.pinLength < 4 || profile.pinLength > 63) {
    bad("profile.pinLength must be 4–63");
  }
  if (![1, 2, 3].includes(profile.credProtect)) bad("profile.credProtect must be 1, 2 or 3");
  const spec: TaskSpec = {
    id: taskIdFor(text(input.assignmentId, "assignmentId"), input.generation),
    assignmentId: input.assignmentId,
    generation: input.generation,
    kind,
    person: {
      objectId: text(input.person?.objectId, "person.objectId"),
      userPrincipalName: text(input.person?.userPrincipalName, "person.userPrincipalName"),
    },
    slot: text(input.slot, "slot", 64),
    profile,
    provenance: {},
    createdAt: now.toISOString(),
  };
  for (const k of ["gitCommit", "pullRequest", "pipelineRun", "stack"] as const) {
    const v = input.provenance?.[k];
    if (v !== undefined) spec.provenance[k] = text(v, `provenance.${k}`, 512);
  }
  if (kind === "revoke") {
    const r = input.revoke;
    if (!r) bad("a revoke task needs revoke.methodId and the assignment that gates it");
    if (!Number.isSafeInteger(r?.afterGeneration) || (r?.afterGeneration ?? -1) < 0) {
      bad("revoke.afterGeneration must be a whole number ≥ 0");
    }
    spec.revoke = {
      methodId: text(r?.methodId, "revoke.methodId"),
      afterAssignmentId: text(r?.afterAssignmentId, "revoke.afterAssignmentId"),
      afterGeneration: r?.afterGeneration as number,
    };
  } else if (input.revoke) {
    bad("only a revoke task carries revoke details");
  }
  return spec;
}

/**
 * Free text that ends up in the store (failure reasons, names) must not carry credentials: refuses
 * strings shaped like a bearer token, a JWT or a SAS signature.
 */
export function assertNoSecretShape(value: string, name: string): void {
  if (
    /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/.test(value) ||
    /\bbearer\s+\S{16,}/i.test(value) ||
    /[?&]sig=/.test(value)
  ) {
    throw new TaskStoreError("bad-input", `${name} looks like it carries a token; refusing to store it`);
  }
}
