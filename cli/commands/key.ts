// `keyfleet key`: Inspect, test and reset FIDO2 keys plugged into this machine.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerKey(program: Command): void {
  registerPlanned(program, "key", "Inspect, test and reset FIDO2 keys plugged into this machine", "issue 6");
}
