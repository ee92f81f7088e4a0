// The KeyAssignment provider's implementation, loaded at call time by the thin serialized provider
// (providers/keyAssignment.ts). It reads Entra and the task store afresh on every call; nothing is cached
// across runs. Compiled to dist/providers/assignmentProvider.js by `npm run build`.
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
import type { RaiseInput, Task } from "../core/tasks/model.js";
import { checkAssignmentInputs, diffAssignment, keyFitsProfile, lostCredential } from "./assignmentDiff.js";
import type { AssignmentInputs, AssignmentOutputs } from "./assignmentTypes.js";
import type { Fido2Credential, ProviderBackends, RevocationSubject } from "./backends.js";
import { backendsFor, configureBackends } from "./configuredBackends.js";
import { pipelineProvenance } from "./pipelineAudit.js";

const OPEN: readonly Task["state"][] = ["pending", "claimed", "registering", "failed"];
const isOpen = (t: Task) => OPEN.includes(t.state);

/** Revoke tasks for an assignment's retiring credentials live under their own id: task ids are per (id, generation). */
export const retireAssignmentId = (assignmentId: string) => `${assignmentId}~retire`;

/** Whom a revocation of `methodId` held under this assignment is about, for its record. */
function subjectOf(a: AssignmentInputs, methodId: string): RevocationSubject {
  return {
    objectId: a.objectId,
    userPrincipalName: a.userPrincipalName,
    assignmentId: a.assignmentId,
    slot: a.slot,
    methodId,
  };
}

/**
 * assignmentId → the lost date, noted by diff when it asks for a lost-key replacement, so that the delete that
 * follows (in this process) can say why in the revocation record. Delete's own inputs are the old state,
 * which predates the lost mark; without the note the record gives the generic reason.
 */
const lostReplacements = new Map<string, string>();

function emptyOutputs(inputs: AssignmentInputs): AssignmentOutputs {
  return {
    assignmentId: inputs.assignmentId,
    objectId: inputs.objectId,
    userPrincipalName: inputs.userPrincipalName,
    slot: inputs.slot,
    profile: inputs.profile,
    adopt: inputs.adopt,
    adoptCriteria: inputs.adoptCriteria,
    // State written before lostSince existed carries none.
    lostSince: inputs.lostSince ?? "",
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
  return {
    assignmentId: inputs.assignmentId,
    generation,
    kind: "provision",
    person: { objectId: inputs.objectId, userPrincipalName: inputs.userPrincipalName },
    slot: inputs.slot,
    profile: inputs.profile,
    provenance: pipelineProvenance(),
  };
}

/** The registered credential a done provision task points at, if Entra still lists it. */
function registered(task: Task, creds: Fido2Credential[]): Fido2Credential | undefined {
  if (task.state !== "done" || task.result?.kind !== "registered") return undefined;
  const methodId = task.result.methodId;
  return creds.find((c) => c.id === methodId);
}

async function provisionTasks(b: ProviderBackends, assignmentId: string): Promise<Task[]> {
  const tasks = await b.tasks.list({ assignmentId });
  return tasks.filter((t) => t.kind === "provision").sort((x, y) => x.generation - y.generation);
}

async function retiringTasks(b: ProviderBackends, assignmentId: string): Promise<Task[]> {
  return (await b.tasks.list({ assignmentId: retireAssignmentId(assignmentId), kind: "revoke" })).filter(
    isOpen,
  );
}

/** Methods still awaiting deferred revocation for this assignment (only those Entra still lists). */
function retiringIds(retire: Task[], creds: Fido2Credential[]): string[] {
  const present = new Set(creds.map((c) => c.id));
  return [...new Set(retire.map((t) => t.revoke?.methodId ?? "").filter((id) => present.has(id)))].sort();
}

/** Credentials Keyfleet registered or adopted for other slots of this person: an `adopt` slot must not take them. */
async function claimedElsewhere(b: ProviderBackends, inputs: AssignmentInputs): Promise<Set<string>> {
  const tasks = await b.tasks.list({ personObjectId: inputs.objectId, kind: "provision" });
  const ids = new Set<string>();
  for (const t of tasks) {
    if (t.assignmentId !== inputs.assignmentId && t.result?.kind === "registered") ids.add(t.result.methodId);
  }
  return ids;
}

async function raiseDeferredRevocation(
  b: ProviderBackends,
  old: AssignmentOutputs,
  afterGeneration: number,
): Promise<void> {
  if (!old.methodId) return;
  await b.tasks.raise(
    {
      assignmentId: retireAssignmentId(old.assignmentId),
      generation: old.generation,
      kind: "revoke",
      person: { objectId: old.objectId, userPrincipalName: old.userPrincipalName },
      slot: old.slot,
      profile: old.profile,
      revoke: { methodId: old.methodId, afterAssignmentId: old.assignmentId, afterGeneration },
      provenance: pipelineProvenance(),
    },
    b.signer,
  );
}

/** Carries out deferred revocations in Entra (each one recorded), then cancels their station tasks. */
async function revokeNow(b: ProviderBackends, retire: Task[], reason: string): Promise<void> {
  for (const t of retire) {
    if (t.revoke) {
      await b.revokeCredential(
        {
          objectId: t.person.objectId,
          userPrincipalName: t.person.userPrincipalName,
          assignmentId: t.revoke.afterAssignmentId,
          slot: t.slot,
          methodId: t.revoke.methodId,
        },
        reason,
      );
    }
    await b.tasks.cancel(t.id, { reason, force: true });
  }
}

const lostReason = (assignmentId: string, since: string) => `${assignmentId}: key reported lost on ${since}`;

/**
 * Revokes, at once, this assignment's credentials that Entra still lists and that were registered before the
 * slot's lost date (those its tasks registered or were retiring), and cancels deferred revocations of them.
 * Returns what is left: the credentials and the open retire tasks.
 */
async function revokeLost(
  b: ProviderBackends,
  a: AssignmentInputs,
  tasks: Task[],
  retire: Task[],
  creds: Fido2Credential[],
): Promise<{ creds: Fido2Credential[]; retire: Task[] }> {
  if (!a.lostSince) return { creds, retire };
  const mine = new Set([
    ...tasks.map((t) => (t.result?.kind === "registered" ? t.result.methodId : "")),
    ...retire.map((t) => t.revoke?.methodId ?? ""),
  ]);
  const lost = creds.filter((c) => mine.has(c.id) && lostCredential(c.createdDateTime, a.lostSince));
  if (lost.length === 0) return { creds, retire };
  const reason = lostReason(a.assignmentId, a.lostSince);
  for (const c of lost) await b.revokeCredential(subjectOf(a, c.id), reason);
  const gone = new Set(lost.map((c) => c.id));
  const moot = retire.filter((t) => gone.has(t.revoke?.methodId ?? ""));
  for (const t of moot) await b.tasks.cancel(t.id, { reason, force: true });
  return { creds: creds.filter((c) => !gone.has(c.id)), retire: retire.filter((t) => !moot.includes(t)) };
}

/** A credential an `adopt` slot may take over: it fits the profile and every adopt criterion holds. */
function adoptable(c: Fido2Credential, inputs: AssignmentInputs): boolean {
  const k = inputs.adoptCriteria;
  if (lostCredential(c.createdDateTime, inputs.lostSince)) return false;
  if (!keyFitsProfile({ aaguid: c.aaGuid, model: c.model, credProtect: 0 }, inputs.profile)) return false;
  if (k.aaguids.length > 0 && !k.aaguids.includes(c.aaGuid.toLowerCase())) return false;
  if (k.displayNameContains && !c.displayName.includes(k.displayNameContains)) return false;
  if (k.createdBefore && !(c.createdDateTime !== "" && c.createdDateTime.slice(0, 10) < k.createdBefore))
    return false;
  return true;
}

export const assignmentProvider: Required<dynamic.ResourceProvider<AssignmentInputs, AssignmentOutputs>> = {
  async configure(req) {
    configureBackends(req.config);
  },

  async check(_olds, news) {
    return { inputs: news, failures: checkAssignmentInputs(news) };
  },

  async diff(_id, olds, news) {
    const d = diffAssignment(olds, news);
    if (d.deleteBeforeReplace && d.replaces?.includes("lostSince"))
      lostReplacements.set(olds.assignmentId, news.lostSince);
    return d;
  },

  async create(inputs) {
    const b = await backendsFor(`provision ${inputs.assignmentId}`);
    const base = emptyOutputs(inputs);
    const [tasks, listed, retiringNow] = await Promise.all([
      provisionTasks(b, inputs.assignmentId),
      b.directory.listFido2(inputs.objectId),
      retiringTasks(b, inputs.assignmentId),
    ]);
    // A lost key still registered (its revocation failed, or state was lost) goes now, before anything else.
    const { creds, retire } = await revokeLost(b, inputs, tasks, retiringNow, listed);
    const live = tasks.filter((t) => t.state !== "cancelled");
    const next = (tasks.at(-1)?.generation ?? 0) + 1;
    const id = (generation: number) => `${inputs.assignmentId}@${generation}`;

    // A credential Keyfleet already registered for this assignment (state lost, or a re-run after an interruption).
    for (const t of [...live].reverse()) {
      const cred = registered(t, creds);
      if (!cred) continue;
      if (
        keyFitsProfile(
          { aaguid: cred.aaGuid, model: cred.model, credProtect: t.profile.credProtect },
          inputs.profile,
        )
      ) {
        const retiring = retiringIds(retire, creds);
        return {
          id: id(t.generation),
          outs: { ...active(base, cred, t.generation, t.profile.credProtect, false), retiring },
        };
      }
      // The key on hand no longer fits: this is a replacement. Raise the new generation and gate the old
      // credential's revocation on it (the old resource's delete finds the same order and revokes nothing).
      const { task } = await b.tasks.raise(raiseInput(inputs, next), b.signer);
      const old = active(base, cred, t.generation, t.profile.credProtect, false);
      await raiseDeferredRevocation(b, old, task.generation);
      return { id: id(task.generation), outs: { ...pending(base, task), retiring: [cred.id] } };
    }

    // An open task for this assignment: keep waiting on it (raising is idempotent per generation).
    const open = live.filter(isOpen).at(-1);
    if (open) return { id: id(open.generation), outs: pending(base, open) };

    if (inputs.adopt) {
      const taken = await claimedElsewhere(b, inputs);
      const fitting = creds
        .filter((c) => !taken.has(c.id) && adoptable(c, inputs))
        .sort((x, y) => x.createdDateTime.localeCompare(y.createdDateTime) || x.id.localeCompare(y.id));
      const chosen = fitting[0];
      if (chosen) return { id: id(0), outs: active(base, chosen, 0, 0, true) };
    }

    const { task } = await b.tasks.raise(raiseInput(inputs, next), b.signer);
    return { id: id(task.generation), outs: pending(base, task) };
  },

  async read(id, props) {
    const olds = props as AssignmentOutputs;
    const b = await backendsFor(`read ${olds.assignmentId}`);
    const [tasks, creds, retire] = await Promise.all([
      provisionTasks(b, olds.assignmentId),
      b.directory.listFido2(olds.objectId),
      retiringTasks(b, olds.assignmentId),
    ]);
    const base: AssignmentOutputs = { ...emptyOutputs(olds), retiring: retiringIds(retire, creds) };
    const gone = { id: "" } as const;
    // A key registered before the slot's lost date is never the working key, even while Entra still lists it.
    const usable = creds.filter((c) => !lostCredential(c.createdDateTime, olds.lostSince));

    if (olds.adopted) {
      const cred = usable.find((c) => c.id === olds.methodId);
      return cred ? { id, props: active(base, cred, 0, 0, true) } : gone;
    }
    const mine = tasks.filter((t) => t.generation >= olds.generation && t.state !== "cancelled");
    // The newest generation that is registered and still in Entra wins; then an open one is pending.
    for (const t of [...mine].reverse()) {
      const cred = registered(t, usable);
      if (cred) return { id, props: active(base, cred, t.generation, t.profile.credProtect, false) };
    }
    const open = mine.filter(isOpen).at(-1);
    if (open) return { id, props: pending(base, open) };
    // Registered but deleted behind Pulumi's back, cancelled out of band, or the store lost it: gone, so the
    // engine shows the drift and the next `up` raises the key again.
    return gone;
  },

  async update(_id, olds, news) {
    const b = await backendsFor(`update ${news.assignmentId}`);
    const base = emptyOutputs(news);
    const [tasks, listed, retiringNow] = await Promise.all([
      provisionTasks(b, news.assignmentId),
      b.directory.listFido2(news.objectId),
      retiringTasks(b, news.assignmentId),
    ]);
    // A replaced key reported lost while its replacement is still pending must not wait for it.
    const { creds, retire } = await revokeLost(b, news, tasks, retiringNow, listed);
    if (olds.status === "active") {
      const current = tasks.find((t) => t.generation === olds.generation);
      const cred = creds.find((c) => c.id === olds.methodId);
      if (!cred)
        throw new Error(
          `keyfleet: ${news.assignmentId}: credential ${olds.methodId} is no longer in Entra; run 'pulumi up --refresh'`,
        );
      // The replacement is active: the deferred revocations it gates can run now.
      const due = retire.filter(
        (t) => (t.revoke?.afterGeneration ?? Number.POSITIVE_INFINITY) <= olds.generation,
      );
      await revokeNow(
        b,
        due,
        `revoked by the pipeline: ${news.assignmentId} generation ${olds.generation} is active`,
      );
      const left = retire.filter((t) => !due.includes(t));
      return {
        outs: {
          ...active(
            base,
            cred,
            olds.generation,
            current?.profile.credProtect ?? olds.keyCredProtect,
            olds.adopted,
          ),
          retiring: retiringIds(left, creds),
        },
      };
    }
    // Pending: the open task was raised with the old profile or display name; replace it with a new generation.
    const open = tasks.filter(isOpen);
    const changed =
      JSON.stringify(olds.profile) !== JSON.stringify(news.profile) ||
      olds.userPrincipalName !== news.userPrincipalName;
    if (open.length > 0 && !changed) {
      return { outs: { ...pending(base, open.at(-1)!), retiring: retiringIds(retire, creds) } };
    }
    if (!changed) {
      // Only the lost mark changed, and the key the state waits for may have been registered since the last
      // refresh: keep it rather than raise another (a lost one was revoked above and is not in `creds`).
      const mine = tasks.filter((t) => t.generation >= olds.generation && t.state !== "cancelled");
      for (const t of [...mine].reverse()) {
        const cred = registered(t, creds);
        if (!cred) continue;
        const outs = active(base, cred, t.generation, t.profile.credProtect, false);
        return { outs: { ...outs, retiring: retiringIds(retire, creds) } };
      }
    }
    for (const t of open)
      await b.tasks.cancel(t.id, {
        reason: `superseded: ${news.assignmentId} changed in the specs`,
        force: true,
      });
    const next = (tasks.at(-1)?.generation ?? 0) + 1;
    const { task } = await b.tasks.raise(raiseInput(news, next), b.signer);
    // Deferred revocations gated on the superseded generation need no change: a revoke task waits for any
    // generation at or above its gate to be done.
    return { outs: { ...pending(base, task), retiring: retiringIds(retire, creds) } };
  },

  async delete(_id, props) {
    const olds = props as AssignmentOutputs;
    const lostSince = lostReplacements.get(olds.assignmentId);
    lostReplacements.delete(olds.assignmentId);
    // Without Graph, Pulumi would drop the resource from state while Entra keeps the key: refuse instead.
    const b = await backendsFor(`revoke ${olds.assignmentId} (deleting needs a configured Graph connection)`);
    const [tasks, retire] = await Promise.all([
      provisionTasks(b, olds.assignmentId),
      retiringTasks(b, olds.assignmentId),
    ]);
    const newer = tasks.filter((t) => t.generation > olds.generation && t.state !== "cancelled");
    // A lost key is never kept until a replacement is active: it falls through to the immediate revocation.
    if (newer.length > 0 && !olds.adopted && lostSince === undefined) {
      // A replacement: its create raised the newer generation. Keep the old key until that one is active.
      const gate = newer.at(-1)!.generation;
      await raiseDeferredRevocation(b, olds, gate);
      for (const t of tasks) {
        if (t.generation <= olds.generation && isOpen(t))
          await b.tasks.cancel(t.id, { reason: "replaced", force: true });
      }
      return;
    }
    if (newer.length > 0 && olds.adopted && lostSince === undefined) {
      await raiseDeferredRevocation(b, { ...olds, generation: 0 }, newer.at(-1)!.generation);
      return;
    }
    // A real removal, or a lost key's delete-first replacement: cancel open work, revoke the credential and
    // any it was still retiring.
    const reason =
      lostSince === undefined
        ? `${olds.assignmentId} removed from the specs`
        : `${lostReason(olds.assignmentId, lostSince)}; a replacement follows`;
    for (const t of tasks.filter(isOpen)) await b.tasks.cancel(t.id, { reason, force: true });
    // The state may predate the station's registration: revoke what every done task registered, too (those
    // Entra still lists; the one state names is revoked, and recorded, even if it is already gone).
    const listed = new Set((await b.directory.listFido2(olds.objectId)).map((c) => c.id));
    const methods = new Set([
      olds.methodId,
      ...tasks
        .map((t) => (t.result?.kind === "registered" ? t.result.methodId : ""))
        .filter((m) => listed.has(m)),
    ]);
    for (const m of methods) if (m) await b.revokeCredential(subjectOf(olds, m), reason);
    await revokeNow(b, retire, reason);
  },
};
