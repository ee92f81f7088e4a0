// `keyfleet virtual-key`: Serve a software FIDO2 key over UDP.
import type { Command } from "commander";
import { registerPlanned } from "../exit.js";

export function registerVirtualKey(program: Command): void {
  registerPlanned(program, "virtual-key", "Serve a software FIDO2 key over UDP", "issue 6");
}
