// `keyfleet tasks`: List, show, cancel and retry provisioning tasks.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerTasks(program: Command): void {
  registerPlanned(program, "tasks", "List, show, cancel and retry provisioning tasks", "issue 5");
}
