// `keyfleet validate`: Check spec files and summarise them.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerValidate(program: Command): void {
  registerPlanned(program, "validate", "Check spec files and summarise them", "issue 2");
}
