// `keyfleet emulator`: Run the local Entra ID and Microsoft Graph emulator.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerEmulator(program: Command): void {
  registerPlanned(program, "emulator", "Run the local Entra ID and Microsoft Graph emulator", "issue 3");
}
