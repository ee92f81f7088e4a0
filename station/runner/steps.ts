// The named steps of one key's ceremony, in order. Events, the terminal's live line, recovery and the
// crash tests all speak of a step by these names.

export const CEREMONY_STEPS = [
  "detect",
  "info",
  "check",
  "reset",
  "claim",
  "options",
  "set-pin",
  "min-pin-length",
  "make-credential",
  "registering",
  "register",
  "confirm",
  "self-test",
  "force-change-pin",
  "handover",
  "complete",
  "label",
] as const;
export type CeremonyStep = (typeof CEREMONY_STEPS)[number];

export function isCeremonyStep(s: string): s is CeremonyStep {
  return (CEREMONY_STEPS as readonly string[]).includes(s);
}

/**
 * Fault injection for the crash tests: `KEYFLEET_STATION_CRASH_AFTER=<step>` makes the station kill
 * itself with SIGKILL right after that step's effect is durable, as a power cut would. Read once.
 */
export function crashAfterFromEnv(env: NodeJS.ProcessEnv = process.env): CeremonyStep | undefined {
  const v = env.KEYFLEET_STATION_CRASH_AFTER;
  if (v === undefined || v === "") return undefined;
  if (!isCeremonyStep(v)) throw new Error(`KEYFLEET_STATION_CRASH_AFTER: '${v}' is not a ceremony step`);
  return v;
}
