// The station's part of the demo: `keyfleet station --json --until-idle` over the virtual keys, PINs as
// printable envelopes into the one folder, run again with the keys still blank while tasks wait. Keys claim
// in parallel, and a key that meets only tasks for other models (or held by other keys) gives up for the
// round (station/runner/claimFitting.ts), as it would at a real desk, where the operator plugs it in again.
// An inventory key that first meets another key's serial slot is refused there (serial-mismatch, nothing
// registered, the task handed back) and takes its own in its next ceremony: expected, and counted.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { openTaskStore } from "../../core/tasks/openTaskStore.js";
import type { StationEvent } from "../../station/runner/events.js";
import { namesSerial } from "../../station/runner/serialCheck.js";
import type { Cli } from "./cliRunner.js";
import type { DemoFolder } from "./demoFolder.js";
import { DemoFailure, type DemoOutput } from "./output.js";
import { DEMO_STATION } from "./stationIdentity.js";

const MAX_ROUNDS = 4;

export type Provisioned = Extract<StationEvent, { type: "provisioned" }>;

export interface StationRounds {
  provisioned: Provisioned[];
  /** Ceremonies refused because the key's enterprise attestation named another slot's serial. */
  serialMismatches: number;
}

/** A refusal the station recovers from itself: another serial, the task handed back, nothing registered. */
function isSerialMismatch(e: StationEvent): boolean {
  return e.type === "error" && e.reason === "serial-mismatch" && e.task === "released";
}

export async function provisionAll(
  cli: Cli,
  folder: DemoFolder,
  devices: readonly string[],
  expected: number,
  out: DemoOutput,
): Promise<StationRounds> {
  const provisioned: Provisioned[] = [];
  let serialMismatches = 0;
  let blank = [...devices];
  for (let round = 1; round <= MAX_ROUNDS && provisioned.length < expected; round++) {
    const run = await cli(stationArgs(folder, blank), { operator: true, timeoutMs: 600_000 });
    // The --json events (never a PIN) stay in the folder, for a look at what each key went through.
    appendFileSync(join(folder.dir, "station-events.jsonl"), run.stdout);
    const events = parseEvents(run.stdout);
    const now = events.filter((e): e is Provisioned => e.type === "provisioned");
    serialMismatches += events.filter(isSerialMismatch).length;
    const errors = events.filter(
      (e) => (e.type === "error" && !isSerialMismatch(e)) || e.type === "quarantined",
    );
    if (run.code !== 0 || errors.length > 0) {
      throw new DemoFailure(
        `the station failed in round ${round} (exit ${run.code}):\n` +
          `${errors.map((e) => JSON.stringify(e)).join("\n")}\n${withoutSignInPrompts(run.stderr)}`.trimEnd(),
      );
    }
    provisioned.push(...now);
    const used = new Set(now.map((p) => p.keyId));
    blank = blank.filter((d) => !used.has(d));
    out.line(`    round ${round}: ${now.length} keys provisioned, ${blank.length} still blank`);
    if (now.length === 0) break;
  }
  if (provisioned.length !== expected) {
    throw new DemoFailure(
      `the station provisioned ${provisioned.length} of ${expected} keys; see ${join(folder.dir, "station-events.jsonl")}`,
    );
  }
  return { provisioned, serialMismatches };
}

/** How many done tasks name an inventory serial; fails unless each recorded a serial its slot names. */
export async function inventorySlotsDone(taskStore: string): Promise<number> {
  const store = await openTaskStore(`sqlite:${taskStore}`, { readOnly: true });
  try {
    const done = await store.list({ state: "done", kind: "provision", limit: 10_000 });
    const named = done.filter((t) => (t.profile.serials?.length ?? 0) > 0);
    for (const t of named) {
      const r = t.result?.kind === "registered" ? t.result : undefined;
      const serial = r?.serial;
      if (serial === undefined || !namesSerial(t, serial) || r?.serialSource !== "enterprise-attestation")
        throw new DemoFailure(
          `${t.person.userPrincipalName} · ${t.slot} takes serial ${t.profile.serials!.join(" or ")}, but its result records ${serial ?? "no serial"}`,
        );
    }
    return named.length;
  } finally {
    await store.close();
  }
}

function stationArgs(folder: DemoFolder, devices: readonly string[]): string[] {
  return [
    "station",
    "--json",
    "--no-hid",
    "--until-idle",
    "--unattended",
    ...devices.flatMap((d) => ["--device", d]),
    "--pin-delivery",
    "envelope",
    "--pin-folder",
    folder.pinEnvelopes,
    "--store",
    `sqlite:${folder.taskStore}`,
    "--station-id",
    DEMO_STATION,
    "--key",
    folder.stationKey,
    "--pipeline-public-key",
    `${folder.pipelineKey}.pub`,
    "--anchor",
    folder.recordsAnchor,
  ];
}

function parseEvents(stdout: string): StationEvent[] {
  const events: StationEvent[] = [];
  for (const line of stdout.split("\n")) {
    if (line.trim() === "") continue;
    try {
      events.push(JSON.parse(line) as StationEvent);
    } catch {
      // not an event line
    }
  }
  return events;
}

/** The station's stderr without its device-code prompts (the emulator approves them; they say nothing here). */
function withoutSignInPrompts(stderr: string): string {
  return stderr
    .split("\n")
    .filter((l) => !l.startsWith("To sign in, use a web browser"))
    .join("\n");
}
