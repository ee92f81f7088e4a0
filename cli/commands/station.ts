// `keyfleet station`: Claim tasks and provision keys plugged into this machine.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerStation(program: Command): void {
  registerPlanned(
    program,
    "station",
    "Claim tasks and provision keys plugged into this machine",
    "the station-runner issue",
  );
}
