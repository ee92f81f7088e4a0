// `keyfleet plan`: Show what would be provisioned, kept, revoked and adopted.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerPlan(program: Command): void {
  registerPlanned(program, "plan", "Show what would be provisioned, kept, revoked and adopted", "issue 2");
}
