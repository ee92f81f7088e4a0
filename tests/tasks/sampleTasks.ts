// Sample raise inputs for the task tests.
import type { RaiseInput } from "../../core/tasks/model.js";

export function sampleRaise(n: number, overrides: Partial<RaiseInput> = {}): RaiseInput {
  const objectId = `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
  return {
    assignmentId: `${objectId}/primary`,
    generation: 1,
    person: { objectId, userPrincipalName: `person${n}@contoso.example` },
    slot: "primary",
    profile: {
      name: "standard",
      allowedAaguids: ["cb69481e-8ff7-4039-93ec-0a2729a154a8"],
      allowedModels: ["YubiKey 5 NFC"],
      pinLength: 8,
      forceChangePin: true,
      credProtect: 2,
      displayName: `primary key ${n}`.slice(0, 30),
    },
    provenance: {
      gitCommit: "0123456789abcdef0123456789abcdef01234567",
      pullRequest: "42",
      pipelineRun: "run-7",
    },
    ...overrides,
  };
}

/** A movable clock for lease and backoff tests. */
export class TestClock {
  t = Date.parse("2030-01-01T00:00:00.000Z");
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}
