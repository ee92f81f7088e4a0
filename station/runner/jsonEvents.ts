// The `--json` event stream: one JSON object per line, the station's events as they are. A failure that
// ends the run is an event too ({"type":"error",…}), so automation never has to parse prose.
import type { StationEvent } from "./events.js";

export function jsonEventWriter(write: (line: string) => void): (e: StationEvent) => void {
  return (e) => write(`${JSON.stringify({ at: new Date().toISOString(), ...e })}\n`);
}

/** The error object for a failure outside any ceremony (bad settings, sign-in refused). */
export function fatalEvent(err: unknown): StationEvent {
  const e = err as { message?: unknown; code?: unknown; kind?: unknown; requestId?: unknown };
  const reason =
    typeof e?.kind === "string"
      ? `graph-${e.kind.toLowerCase()}`
      : typeof e?.code === "string"
        ? e.code
        : "station";
  return {
    type: "error",
    reason,
    retryable: false,
    message: typeof e?.message === "string" ? e.message : String(err),
  };
}
