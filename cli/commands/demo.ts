// `keyfleet demo`: Run the whole loop on the embedded defaults.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerDemo(program: Command): void {
  registerPlanned(program, "demo", "Run the whole loop on the embedded defaults", "the demo issue");
}
