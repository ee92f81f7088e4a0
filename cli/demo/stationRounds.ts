// The station's part of the demo: `keyfleet station --json --until-idle` over the virtual keys, PINs as
// printable envelopes into the one folder, run again with the keys still blank while tasks wait. Keys claim
// in parallel, and a key that meets only tasks for other models (or held by other keys) gives up for the
// round (station/runner/claimFitting.ts), as it would at a real desk, where the operator plugs it in again.
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import type { StationEvent } from "../../station/runner/events.js";
import type { Cli } from "./cliRunner.js";
import type { DemoFolder } from "./demoFolder.js";
import { DemoFailure, type DemoOutput } from "./output.js";
import { DEMO_STATION } from "./stationIdentity.js";

const MAX_ROUNDS = 4;

export type Provisioned = Extract<StationEvent, { type: "provisioned" }>;

export async function provisionAll(
  cli: Cli,
  folder: DemoFolder,
  devices: readonly string[],
  expected: number,
  out: DemoOutput,
): Promise<Provisioned[]> {
  const provisioned: Provisioned[] = [];
  let blank = [...devices];
  for (let round = 1; round <= MAX_ROUNDS && provisioned.length < expected; round++) {
    const run = await cli(stationArgs(folder, blank), { operator: true, timeoutMs: 600_000 });
    // The --json events (never a PIN) stay in the folder, for a look at what each key went through.
    appendFileSync(join(folder.dir, "station-events.jsonl"), run.stdout);
    const events = parseEvents(run.stdout);
    const now = events.filter((e): e is Provisioned => e.type === "provisioned");
    const errors = events.filter((e) => e.type === "error" || e.type === "quarantined");
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
  return provisioned;
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
