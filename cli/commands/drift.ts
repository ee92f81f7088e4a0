// `keyfleet drift`: Report what differs between git, the task store and Entra.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerDrift(program: Command): void {
  registerPlanned(
    program,
    "drift",
    "Report what differs between git, the task store and Entra",
    "the drift-report issue",
  );
}
