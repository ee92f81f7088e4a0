// The KeyAssignment provider's implementation, loaded at call time by the thin serialized provider
// (providers/keyAssignment.ts). It reads the task store afresh on every call, and Entra whenever what it
// does depends on Entra (all but a plain provision); nothing is cached across runs. Compiled to
// dist/providers/assignmentProvider.js by `npm run build`.
//
// Deferred revocation (a replacement never locks a person out): when a profile change needs a new key, Pulumi
// creates the replacement first (raising task generation g+1) and deletes the old resource afterwards. That
// delete sees the newer generation and, instead of revoking, raises a signed revoke task for the old credential
// gated on generation g+1 being done. The station carries it out once the new key is registered; failing that,
// the next `pulumi up --refresh` does: read reports the credential under `retiring`, diff sees an active
// assignment with retiring credentials and asks for an update, and update revokes them in Entra.
//
// Lost keys are the exception: whoever holds a lost key can still sign in, so it is revoked at once. A slot
// marked lost (`lostSince`) whose active key was registered before that day is replaced delete-first (see
// assignmentDiff.ts): delete revokes the key and cancels open work, create raises the next generation. Every
// call also revokes, at once, any credential of the assignment registered before `lostSince` that Entra still
// lists, and none of them ever counts as the working key (no re-adoption; read reports pending or gone).
// Every credential the provider deletes goes through `revokeCredential`, which writes a signed record.
import type * as dynamic from "@pulumi/pulumi/dynamic/index.js";
import { isLostCredential, keyFits } from "../core/plan/fit.js";
import type { RaiseInput, Task } from "../core/tasks/model.js";
import { verifyTaskResults } from "../core/tasks/verifyTaskResults.js";
import { freshDecision } from "./assignmentDecision.js";
import { checkAssignmentInputs, comparedDigest, diffAssignment, storedDigest } from "./assignmentDiff.js";
import type {
  AssignmentDecision,
  AssignmentInputs,
  AssignmentOutputs,
  StoredAssignment,
} from "./assignmentTypes.js";
import { type AssignmentWire, assignmentFromWire } from "./assignmentWire.js";
import type { Fido2Credential, ProviderBackends, RevocationSubject } from "./backends.js";
import { backendsFor, configureBackends, stackOptions } from "./configuredBackends.js";
import { PIPELINE_ACTOR, pipelineProvenance } from "./pipelineAudit.js";
import { admitRevocation, currentApproval, UnapprovedRevocationError } from "./runApproval.js";

const OPEN: readonly Task["state"][] = ["pending", "claimed", "registering", "failed"];
const isOpen = (t: Task) => OPEN.includes(t.state);
const today = () => new Date().toISOString().slice(0, 10);

/** Revoke tasks for an assignment's retiring credentials live under their own id: task ids are per (id, generation). */
export const retireAssignmentId = (assignmentId: string) => `${assignmentId}~retire`;

/** Whom a revocation of `methodId` held under this assignment is about, for its record. */
function subjectOf(
  a: Pick<AssignmentInputs, "objectId" | "userPrincipalName" | "assignmentId" | "slot">,
  methodId: string,
): RevocationSubject {
  return {
    objectId: a.objectId,
    userPrincipalName: a.userPrincipalName,
    assignmentId: a.assignmentId,
    slot: a.slot,
    methodId,
  };
}

type Echoed = Pick<
  AssignmentOutputs,
  "assignmentId" | "objectId" | "userPrincipalName" | "slot" | "lostSince"
>;

/**
 * Outputs before Entra and the store are consulted: the inputs read and delete need, and the digest of those
 * only diff compares (assignmentDiff.ts). No decision: it is this run's instruction, read from the inputs only.
 */
function emptyOutputs(inputs: Echoed, compared: string): AssignmentOutputs {
  return {
    assignmentId: inputs.assignmentId,
    objectId: inputs.objectId,
    userPrincipalName: inputs.userPrincipalName,
    slot: inputs.slot,
    // State written before lostSince existed carries none.
    lostSince: inputs.lostSince ?? "",
    compared,
    status: "pending",
    generation: 0,
    taskState: "",
    failure: "",
    methodId: "",
    aaguid: "",
    model: "",
    registeredAt: "",
    keyCredProtect: 0,
    adopted: false,
    retiring: [],
  };
}

function active(
  base: AssignmentOutputs,
  cred: Fido2Credential,
  generation: number,
  keyCredProtect: number,
  adopted: boolean,
): AssignmentOutputs {
  return {
    ...base,
    status: "active",
    generation,
    taskState: "",
    failure: "",
    methodId: cred.id,
    aaguid: cred.aaGuid.toLowerCase(),
    model: cred.model,
    registeredAt: cred.createdDateTime,
    keyCredProtect,
    adopted,
  };
}

function pending(base: AssignmentOutputs, task: Task): AssignmentOutputs {
  return {
    ...base,
    status: "pending",
    generation: task.generation,
    taskState: task.state,
    failure: task.failure?.reason ?? "",
    methodId: "",
    aaguid: "",
    model: "",
    registeredAt: "",
    keyCredProtect: 0,
    adopted: false,
  };
}

function raiseInput(inputs: AssignmentInputs, generation: number): RaiseInput {
  const stack = inputs.decision?.stack;
  return {
    assignmentId: inputs.assignmentId,
    generation,
    kind: "provision",
    person: { objectId: inputs.objectId, userPrincipalName: inputs.userPrincipalName },
    slot: inputs.slot,
    profile: inputs.profile,
    provenance: { ...pipelineProvenance(), ...(stack ? { stack } : {}) },
  };
}

/** The credential a done provision task registered or adopted, if Entra still lists it. */
function heldBy(task: Task, creds: readonly Fido2Credential[]): Fido2Credential | undefined {
  const m = resultMethodId(task);
  return m === "" ? undefined : creds.find((c) => c.id === m);
}

/** The credential a done task registered or adopted ("" for none). */
const resultMethodId = (t: Task) =>
  t.state === "done" && (t.result?.kind === "registered" || t.result?.kind === "adopted")
    ? t.result.methodId
    : "";

/** The credProtect a task's key was made with; 0 (unknown) for an adopted one. */
const credProtectOf = (t: Task) => (t.result?.kind === "registered" ? t.profile.credProtect : 0);

/**
 * The person's provision tasks (all slots), oldest generation first, each checked against the records and
 * the trusted keys: a task that fails keeps its row but loses its result, so nothing is kept, counted or
 * revoked on its word (core/tasks/verifyTaskResults.ts).
 */
async function personTasks(b: ProviderBackends, objectId: string): Promise<Task[]> {
  const tasks = await b.tasks.list({ personObjectId: objectId, kind: "provision" });
  const { quarantined } = await verifyTaskResults(tasks, { ...b.trust, records: b.records });
  const refused = new Set(quarantined.map((q) => q.task.id));
  return tasks
    .map((t) => (refused.has(t.id) ? { ...t, result: undefined } : t))
    .sort((x, y) => x.generation - y.generation);
}

async function retiringTasks(b: ProviderBackends, assignmentId: string): Promise<Task[]> {
  return (await b.tasks.list({ assignmentId: retireAssignmentId(assignmentId), kind: "revoke" })).filter(
    isOpen,
  );
}

/** Methods still awaiting deferred revocation for this assignment (only those Entra still lists). */
function retiringIds(retire: Task[], creds: readonly Fido2Credential[]): string[] {
  const present = new Set(creds.map((c) => c.id));
  return [...new Set(retire.map((t) => t.revoke?.methodId ?? "").filter((id) => present.has(id)))].sort();
}

/**
 * Raises the revoke task for `old.methodId`, gated on `after` (the replacement's task) being done. It carries
 * the replacement task's profile: a revoke task needs one, and the old assignment's state no longer holds its
 * own (the create that raised `after` raises this same task first, with that same profile).
 */
async function raiseDeferredRevocation(
  b: ProviderBackends,
  old: Pick<
    AssignmentOutputs,
    "assignmentId" | "objectId" | "userPrincipalName" | "slot" | "methodId" | "generation"
  >,
  after: Pick<Task, "generation" | "profile">,
): Promise<void> {
  if (!old.methodId) return;
  await b.tasks.raise(
    {
      assignmentId: retireAssignmentId(old.assignmentId),
      generation: old.generation,
      kind: "revoke",
      person: { objectId: old.objectId, userPrincipalName: old.userPrincipalName },
      slot: old.slot,
      profile: after.profile,
      revoke: {
        methodId: old.methodId,
        afterAssignmentId: old.assignmentId,
        afterGeneration: after.generation,
      },
      provenance: pipelineProvenance(),
    },
    b.signer,
  );
}

/** Cancels tasks, signed by the pipeline. */
async function cancelAll(b: ProviderBackends, tasks: readonly Task[], reason: string, supersededBy?: string) {
  for (const t of tasks) {
    if (t.state === "done" || t.state === "cancelled") continue;
    await b.tasks.cancel(t.id, {
      reason,
      force: true,
      signer: b.signer,
      ...(supersededBy ? { supersededBy } : {}),
    });
  }
}

/**
 * Revokes credentials of this assignment now (each admitted by the run's approval first, each recorded), and
 * cancels the deferred revocations that become moot. Returns the credentials Entra still lists.
 */
async function revokeApproved(
  b: ProviderBackends,
  a: Pick<AssignmentInputs, "objectId" | "userPrincipalName" | "assignmentId" | "slot">,
  methodIds: readonly string[],
  creds: readonly Fido2Credential[],
  retire: readonly Task[],
  reason: string,
): Promise<Fido2Credential[]> {
  const approval = currentApproval();
  const listed = new Set(creds.map((c) => c.id));
  const gone = new Set<string>();
  for (const m of methodIds) {
    if (!listed.has(m)) continue;
    if (!approval) {
      throw new UnapprovedRevocationError(
        `keyfleet: ${a.assignmentId}: revoking ${m} needs this run's approval, and the program declared none (is the program older than the provider?); nothing was revoked`,
      );
    }
    admitRevocation(approval, { assignmentId: a.assignmentId, objectId: a.objectId, methodId: m });
    await b.revokeCredential(subjectOf(a, m), reason);
    gone.add(m);
  }
  await cancelAll(
    b,
    retire.filter((t) => gone.has(t.revoke?.methodId ?? "")),
    reason,
  );
  return creds.filter((c) => !gone.has(c.id));
}

class StalePlanError extends Error {
  readonly brand = "keyfleet.StalePlanError";
}

/** Executes the decision for an assignment (create and update alike); returns the resource's outputs. */
async function execute(inputs: AssignmentInputs): Promise<{ id: string; outs: AssignmentOutputs }> {
  const b = await backendsFor(`provision ${inputs.assignmentId}`);
  const base = emptyOutputs(inputs, comparedDigest(inputs));
  // A provision that revokes nothing and has no deferred revocations never reads Entra's answer (it raises
  // a task and cancels superseded ones, both judged on the store): the first `up` of a fleet asks Graph
  // nothing per person. Every other decision is checked against a fresh read.
  const plain = (d?: AssignmentDecision) => d?.kind === "provision" && d.revokeNow.length === 0;
  const [all, retireNow, fresh] = await Promise.all([
    personTasks(b, inputs.objectId),
    retiringTasks(b, inputs.assignmentId),
    plain(inputs.decision) ? undefined : b.directory.listFido2(inputs.objectId),
  ]);
  const listed =
    fresh ??
    (retireNow.length > 0 ? await b.directory.listFido2(inputs.objectId) : ([] as Fido2Credential[]));
  const d: AssignmentDecision | undefined = inputs.decision ?? freshDecision(inputs, all, listed, today());
  if (!d) throw new Error(`keyfleet: ${inputs.assignmentId}: the plan holds no key for this assignment`);
  const tasks = all.filter((t) => t.assignmentId === inputs.assignmentId);
  const id = (generation: number) => `${inputs.assignmentId}@${generation}`;
  const stale = (why: string) =>
    new StalePlanError(
      `keyfleet: ${inputs.assignmentId}: the plan said '${d.kind}' (${d.reason}), but ${why}; nothing was changed for it: run 'pulumi up' again`,
    );

  // Lost keys go first, and retiring keys whose replacement is active; both were approved with the plan.
  const creds = await revokeApproved(b, inputs, d.revokeNow, listed, retireNow, d.reason);
  // A revocation cancels the deferred ones it makes moot: read them again only then.
  const retire = (
    creds.length < listed.length ? await retiringTasks(b, inputs.assignmentId) : retireNow
  ).filter((t) => creds.some((c) => c.id === t.revoke?.methodId));
  const retiring = () => retiringIds(retire, creds);
  const byGeneration = (g: number) => tasks.find((t) => t.generation === g);

  switch (d.kind) {
    case "hold":
      // A task of this key failed verification: report it, act on nothing.
      return { id: id(0), outs: { ...base, failure: d.reason, retiring: retiring() } };
    case "keep": {
      const cred = creds.find((c) => c.id === d.methodId);
      const task = tasks.find((t) => heldBy(t, creds)?.id === d.methodId);
      if (!cred || !task) throw stale(`Entra or the task store no longer has ${d.methodId}`);
      return {
        id: id(task.generation),
        outs: {
          ...active(base, cred, task.generation, credProtectOf(task), task.result?.kind === "adopted"),
          retiring: retiring(),
        },
      };
    }
    case "wait": {
      const task = byGeneration(d.generation);
      if (!task) throw stale(`task g${d.generation} is not in the store`);
      const cred = heldBy(task, creds);
      if (cred)
        return {
          id: id(task.generation),
          outs: { ...active(base, cred, task.generation, credProtectOf(task), false), retiring: retiring() },
        };
      return { id: id(task.generation), outs: { ...pending(base, task), retiring: retiring() } };
    }
    case "adopt": {
      const cred = creds.find((c) => c.id === d.methodId);
      const elsewhere = all.some(
        (t) =>
          t.assignmentId !== inputs.assignmentId && t.state === "done" && heldBy(t, creds)?.id === d.methodId,
      );
      if (!cred || elsewhere)
        throw stale(`${d.methodId} is ${cred ? "held by another slot" : "gone from Entra"}`);
      if (
        !keyFits({ aaGuid: cred.aaGuid, model: cred.model }, fitProfile(inputs)) ||
        isLostCredential(cred.createdDateTime, inputs.lostSince)
      )
        throw stale(`${d.methodId} does not fit the slot`);
      await cancelAll(
        b,
        tasks.filter((t) => d.cancelGenerations.includes(t.generation)),
        `${inputs.assignmentId}: adopted ${d.methodId} instead`,
      );
      const { task } = await b.tasks.adopt(
        raiseInput(inputs, d.generation),
        {
          methodId: cred.id,
          aaGuid: cred.aaGuid.toLowerCase(),
          ...(cred.model ? { model: cred.model } : {}),
          registeredAt: cred.createdDateTime,
        },
        b.signer,
      );
      return {
        id: id(task.generation),
        outs: { ...active(base, cred, task.generation, 0, true), retiring: retiring() },
      };
    }
    case "replace": {
      const { task } = await b.tasks.raise(raiseInput(inputs, d.generation), b.signer);
      const old = tasks.find((t) => heldBy(t, creds)?.id === d.methodId);
      if (old) {
        await raiseDeferredRevocation(b, { ...base, methodId: d.methodId, generation: old.generation }, task);
      }
      return {
        id: id(task.generation),
        outs: { ...pending(base, task), retiring: [...new Set([...retiring(), d.methodId])].sort() },
      };
    }
    case "provision": {
      const superseded = tasks.filter((t) => d.cancelGenerations.includes(t.generation));
      const { task } = await b.tasks.raise(raiseInput(inputs, d.generation), b.signer);
      await cancelAll(b, superseded, `superseded: ${inputs.assignmentId} changed in the specs`, task.id);
      return { id: id(task.generation), outs: { ...pending(base, task), retiring: retiring() } };
    }
  }
}

function fitProfile(inputs: AssignmentInputs) {
  return {
    aaguids: inputs.profile.allowedAaguids,
    models: inputs.profile.allowedModels,
    credProtect: inputs.profile.credProtect,
  };
}

/** What `pulumi destroy` does to a key: it leaves the stack; the credential stays unless the stack allows revoking. */
async function release(
  b: ProviderBackends,
  olds: StoredAssignment,
  tasks: readonly Task[],
  retire: readonly Task[],
) {
  const why = `pulumi destroy: ${olds.assignmentId} left the stack`;
  await cancelAll(b, [...tasks, ...retire], why);
  await b.records.append({
    action: "release",
    actor: { ...PIPELINE_ACTOR },
    subject: {
      assignmentId: olds.assignmentId,
      personObjectId: olds.objectId,
      userPrincipalName: olds.userPrincipalName,
      slot: olds.slot,
      ...(olds.methodId ? { methodId: olds.methodId } : {}),
    },
    detail: olds.methodId
      ? `${why}; its credential ${olds.methodId} stays registered in Entra (keyfleet:allowDestroyRevocations is not set)`
      : `${why}; nothing was registered`,
    provenance: pipelineProvenance(),
  });
}

export const assignmentProvider: Required<dynamic.ResourceProvider<AssignmentWire, StoredAssignment>> = {
  async configure(req) {
    configureBackends(req.config);
  },

  // The checked inputs go back as declared: they are what state keeps (assignmentWire.ts).
  async check(_olds, news) {
    return { inputs: news, failures: checkAssignmentInputs(assignmentFromWire(news)) };
  },

  async diff(_id, olds, news) {
    return diffAssignment(olds, assignmentFromWire(news));
  },

  async create(inputs) {
    return execute(assignmentFromWire(inputs));
  },

  async read(id, props) {
    const olds = props as StoredAssignment;
    const b = await backendsFor(`read ${olds.assignmentId}`);
    const [all, creds, retire] = await Promise.all([
      personTasks(b, olds.objectId),
      b.directory.listFido2(olds.objectId),
      retiringTasks(b, olds.assignmentId),
    ]);
    const tasks = all.filter((t) => t.assignmentId === olds.assignmentId);
    // State written before the digest is rewritten with it: a refresh leaves no echoed profile behind.
    const base: AssignmentOutputs = {
      ...emptyOutputs(olds, storedDigest(olds)),
      retiring: retiringIds(retire, creds),
    };
    const gone = { id: "" } as const;
    // A key registered before the slot's lost date is never the working key, even while Entra still lists it.
    const usable = creds.filter((c) => !isLostCredential(c.createdDateTime, olds.lostSince));

    // Adopted before adoptions were recorded as tasks: the state alone says which credential it is.
    if (olds.adopted && !tasks.some((t) => t.result?.kind === "adopted")) {
      const cred = usable.find((c) => c.id === olds.methodId);
      return cred ? { id, props: active(base, cred, 0, 0, true) } : gone;
    }
    const mine = tasks.filter((t) => t.generation >= olds.generation && t.state !== "cancelled");
    // The newest generation that is registered (or adopted) and still in Entra wins; then an open one is pending.
    for (const t of [...mine].reverse()) {
      const cred = heldBy(t, usable);
      if (cred)
        return {
          id,
          props: active(base, cred, t.generation, credProtectOf(t), t.result?.kind === "adopted"),
        };
    }
    const open = mine.filter(isOpen).at(-1);
    if (open) return { id, props: pending(base, open) };
    // Registered but deleted behind Pulumi's back, cancelled out of band, or the store lost it: gone, so the
    // engine shows the drift and the next `up` raises the key again.
    return gone;
  },

  async update(_id, _olds, news) {
    const { outs } = await execute(assignmentFromWire(news));
    return { outs };
  },

  async delete(_id, props) {
    const olds = props as StoredAssignment;
    // Without Graph, Pulumi would drop the resource from state while Entra keeps the key: refuse instead.
    const b = await backendsFor(`revoke ${olds.assignmentId} (deleting needs a configured Graph connection)`);
    const [all, retire] = await Promise.all([
      personTasks(b, olds.objectId),
      retiringTasks(b, olds.assignmentId),
    ]);
    const tasks = all.filter((t) => t.assignmentId === olds.assignmentId);
    const approval = currentApproval();
    if (!approval) {
      // No program ran: `pulumi destroy`. Revoke only when the stack explicitly allows it.
      if (!stackOptions().allowDestroyRevocations) return release(b, olds, tasks, retire);
      const reason = `pulumi destroy: ${olds.assignmentId} (keyfleet:allowDestroyRevocations is set)`;
      await cancelAll(b, [...tasks, ...retire], reason);
      const listed = new Set((await b.directory.listFido2(olds.objectId)).map((c) => c.id));
      const methods = new Set([
        olds.methodId,
        ...tasks.map(resultMethodId),
        ...retire.map((t) => t.revoke?.methodId ?? ""),
      ]);
      for (const m of methods) if (m && listed.has(m)) await b.revokeCredential(subjectOf(olds, m), reason);
      return;
    }
    const entry = approval.assignments[olds.assignmentId];
    if (!entry || entry.kind === "keep") {
      throw new UnapprovedRevocationError(
        `keyfleet: ${olds.assignmentId} (${olds.userPrincipalName}) is being deleted, but this run's plan did not approve it: nothing was revoked. The plan did not see this assignment (run 'keyfleet plan'); if it really must go, remove it with 'pulumi state delete' after revoking by hand.`,
      );
    }
    if (entry.kind === "replace") {
      // A replacement: its create raised the newer generation. Keep the old key until that one is active.
      const gate = tasks.filter((t) => t.generation > olds.generation && t.state !== "cancelled").at(-1);
      if (gate) await raiseDeferredRevocation(b, olds, gate);
      await cancelAll(
        b,
        tasks.filter((t) => t.generation <= olds.generation),
        "replaced",
      );
      return;
    }
    // A removal (revoke / gone) or a lost key's delete-first replacement: cancel open work and revoke exactly
    // what the plan approved for this assignment.
    await cancelAll(b, tasks, entry.reason);
    const listed = await b.directory.listFido2(olds.objectId);
    await revokeApproved(b, olds, entry.methodIds, listed, retire, `${olds.assignmentId}: ${entry.reason}`);
    if (entry.kind !== "lost") await cancelAll(b, retire, entry.reason);
  },
};
