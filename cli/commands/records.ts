// `keyfleet records`: List, verify and export the audit records.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerRecords(program: Command): void {
  registerPlanned(program, "records", "List, verify and export the audit records", "issue 5");
}
