// What the world looks like once every action of a plan has been carried out in full (tasks done, keys
// registered, credentials revoked). Tests use it to check that a plan converges; a what-if view may too.
import type { Spec } from "../spec/model.js";
import type { ActualState, DirectoryPerson, Fido2Method, TaskFact } from "./actual.js";
import type { Plan } from "./plan.js";

const NO_AAGUID = "00000000-0000-0000-0000-000000000000";

export function simulatePlan(desired: Spec, actual: ActualState, result: Plan, today: string): ActualState {
  const people = new Map<string, DirectoryPerson>(
    actual.people.map((p) => [p.id, { ...p, fido2Methods: [...p.fido2Methods] }]),
  );
  let tasks: TaskFact[] = [...actual.tasks];
  const profiles = new Map(desired.profiles.map((p) => [p.name, p]));
  const serials = new Map(desired.inventory.map((k) => [k.serial, k]));
  const remove = (personId: string | undefined, ids: readonly string[]) => {
    const p = personId === undefined ? undefined : people.get(personId);
    if (p) p.fido2Methods = p.fido2Methods.filter((m) => !ids.includes(m.id));
  };
  const cancel = (assignmentId: string | undefined, generations: readonly number[]) => {
    tasks = tasks.map((t) =>
      t.assignmentId === assignmentId && generations.includes(t.generation)
        ? { ...t, state: "cancelled" }
        : t,
    );
  };
  const register = (
    assignmentId: string,
    personId: string,
    profileName: string,
    generation: number,
    serial?: string,
  ) => {
    const profile = profiles.get(profileName);
    const item = serial === undefined ? undefined : serials.get(serial);
    const method: Fido2Method = {
      id: `kf-${assignmentId}-g${generation}`,
      displayName: null,
      aaGuid: item?.aaguid ?? profile?.aaguids[0] ?? NO_AAGUID,
      model: item?.model ?? profile?.models[0] ?? null,
      createdDateTime: `${today}T12:00:00Z`,
    };
    people.get(personId)?.fido2Methods.push(method);
    tasks = tasks.filter((t) => !(t.assignmentId === assignmentId && t.generation === generation));
    tasks.push({ assignmentId, generation, state: "done", methodId: method.id, aaGuid: method.aaGuid });
    return method;
  };

  for (const a of result.actions) {
    switch (a.kind) {
      case "provision":
        cancel(a.assignmentId, a.supersedes);
        register(a.assignmentId as string, a.personId as string, a.profile, a.generation, a.serial);
        break;
      case "replace":
        register(a.assignmentId as string, a.personId as string, a.profile, a.generation);
        remove(a.personId, [a.retiringMethodId]);
        break;
      case "wait": {
        const t = tasks.find((x) => x.assignmentId === a.assignmentId && x.generation === a.generation);
        if (!t) break;
        // The open task may be a replacement: once it is active, what it replaces retires.
        const older = tasks
          .filter((x) => x.assignmentId === a.assignmentId && x.generation < a.generation && x.methodId)
          .map((x) => x.methodId as string);
        register(a.assignmentId as string, a.personId as string, a.profile, a.generation);
        remove(a.personId, older);
        break;
      }
      case "adopt":
        cancel(a.assignmentId, a.cancelGenerations);
        tasks.push({
          adopted: true,
          assignmentId: a.assignmentId as string,
          generation: a.generation,
          state: "done",
          methodId: a.methodId,
          aaGuid: a.aaGuid,
        });
        break;
      case "revoke":
        remove(a.personId, a.methodIds);
        cancel(a.assignmentId, a.cancelGenerations);
        break;
      case "gone":
        cancel(a.assignmentId, a.cancelGenerations);
        break;
      case "revoke-retired":
      case "unmanaged-remove":
        remove(a.personId, [a.methodId]);
        break;
      default:
        break;
    }
  }
  return { ...actual, people: [...people.values()], tasks };
}
