// A small fleet for drift tests against the emulator: a real HTTPS emulator (the example organisation), the
// real Entra client, a real SQLite task store with signed tasks, and the steps a station takes (claim, mark
// registering, complete or fail). Passkeys come from the emulator's admin route (as a station would have
// registered them, with a chosen type and attestation) or from a real Graph registration.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { desiredAssignments } from "../../../core/assignment.js";
import { computeDrift, type DriftReport, readDriftState } from "../../../core/drift/index.js";
import type { EntraClient } from "../../../core/entra/client.js";
import { taskProfileOf } from "../../../core/plan/taskProfile.js";
import { generateSigningKey } from "../../../core/signing/ed25519.js";
import { loadSpecFiles, type Spec } from "../../../core/spec/index.js";
import type { Task } from "../../../core/tasks/model.js";
import { openTaskStore } from "../../../core/tasks/openTaskStore.js";
import type { TaskStore } from "../../../core/tasks/store.js";
import type { RunningEmulator } from "../../../emulator/index.js";

export const YK = "ee882879-721c-4913-9775-3dfcce97072a";
export const FT = "833b721a-ff5f-4d00-bb2e-bdda3ec01e29";

export const PROFILES = `apiVersion: keyfleet.dev/v1
kind: KeyProfile
name: yubikey-5
aaguids: [${YK}]
`;

export function personYaml(upn: string, slots: string[], extra = ""): string {
  const lines = slots.map((s) => `  ${s}: { profile: yubikey-5 }`).join("\n");
  return `---\napiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: ${upn}\n${extra}slots:\n${lines}\n`;
}

export function specOf(yaml: string): Spec {
  const r = loadSpecFiles([
    { path: "profiles.yaml", text: PROFILES },
    { path: "people.yaml", text: yaml },
  ]);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.file}:${i.line}: ${i.message}`).join("\n"));
  return r.spec;
}

export interface Person {
  id: string;
  upn: string;
}

export class DriftFleet {
  private readonly signer = generateSigningKey();
  private constructor(
    readonly emu: RunningEmulator,
    readonly entra: EntraClient,
    readonly store: TaskStore,
    readonly dir: string,
  ) {}

  static async open(emu: RunningEmulator, entra: EntraClient): Promise<DriftFleet> {
    const dir = mkdtempSync(join(tmpdir(), "keyfleet-drift-"));
    const store = await openTaskStore(`sqlite:${join(dir, "tasks.db")}`);
    return new DriftFleet(emu, entra, store, dir);
  }

  async person(upn: string): Promise<Person> {
    const u = await this.entra.get<{ id: string; userPrincipalName: string }>(
      `/users/${encodeURIComponent(upn)}`,
    );
    return { id: u.id.toLowerCase(), upn: u.userPrincipalName.toLowerCase() };
  }

  /** Raises a task as the pipeline would, carrying the profile the plan derives for the slot. */
  async raise(p: Person, slot: string, generation = 1): Promise<Task> {
    const spec = specOf(personYaml(p.upn, [slot]));
    const [assignment] = desiredAssignments(spec, {
      people: [{ id: p.id, userPrincipalName: p.upn, fido2Methods: [] }],
      groups: [],
    });
    if (!assignment) throw new Error(`no assignment for ${p.upn}/${slot}`);
    const { task } = await this.store.raise(
      {
        assignmentId: assignment.id,
        generation,
        person: { objectId: p.id, userPrincipalName: p.upn },
        slot,
        profile: taskProfileOf(assignment, spec.inventory),
      },
      this.signer,
    );
    return task;
  }

  /** A passkey as the tenant lists it; attested, device-bound, a YubiKey unless told otherwise. */
  async passkey(
    p: Person,
    opts: {
      aaGuid?: string;
      passkeyType?: "deviceBound" | "synced";
      attestationLevel?: "attested" | "notAttested";
    } = {},
  ): Promise<string> {
    const m = await this.emu.admin.addSelfRegisteredPasskey(p.id, {
      aaGuid: opts.aaGuid ?? YK,
      displayName: "primary YK5",
      passkeyType: opts.passkeyType ?? "deviceBound",
      attestationLevel: opts.attestationLevel ?? "attested",
    });
    return m.id;
  }

  /** The station's steps for a task: claim, record the credential about to be registered, complete. */
  async complete(task: Task, methodId: string, aaGuid = YK): Promise<void> {
    const lease = await this.claim(task);
    const registering = await this.store.markRegistering(task.id, lease, { credentialId: methodId });
    await this.store.complete(task.id, registering.lease ?? lease, {
      kind: "registered",
      methodId,
      aaGuid,
      credentialId: methodId,
      registeredAt: new Date().toISOString(),
    });
  }

  async fail(task: Task, reason: string): Promise<void> {
    await this.store.fail(task.id, await this.claim(task), { reason, retryable: false });
  }

  private async claim(task: Task): Promise<NonNullable<Task["lease"]>> {
    const claimed = await this.store.claimNext({ stationId: "drift-test", leaseMs: 60_000 });
    if (!claimed?.lease || claimed.id !== task.id) throw new Error(`expected to claim ${task.id}`);
    return claimed.lease;
  }

  /** Reads Entra and the store as `keyfleet drift` does and computes the report. */
  async drift(spec: string, opts: { now?: Date } = {}): Promise<DriftReport> {
    const tasks = await this.store.list();
    const parsed = specOf(spec);
    const { actual, timings } = await readDriftState(this.entra, parsed, tasks);
    const now = opts.now ?? new Date();
    return computeDrift(parsed, actual, {
      today: now.toISOString().slice(0, 10),
      now,
      timings,
    });
  }

  async close(): Promise<void> {
    await this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
