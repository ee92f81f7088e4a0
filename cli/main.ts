#!/usr/bin/env node
// The `keyfleet` command: parses arguments and hands each subcommand to the module that owns it.
// Subcommand modules register their own flags; their work is loaded lazily inside each action.
import { Command } from "commander";
import { registerDemo } from "./commands/demo.js";
import { registerDrift } from "./commands/drift.js";
import { registerEmulator } from "./commands/emulator.js";
import { registerKey } from "./commands/key.js";
import { registerPlan } from "./commands/plan.js";
import { registerRecords } from "./commands/records.js";
import { registerRevoke } from "./commands/revoke.js";
import { registerStation } from "./commands/station.js";
import { registerTasks } from "./commands/tasks.js";
import { registerValidate } from "./commands/validate.js";
import { registerVirtualKey } from "./commands/virtualKey.js";
import { ExitCode } from "./exit.js";

export function buildProgram(): Command {
  const program = new Command("keyfleet")
    .description("GitOps for FIDO2 security keys (passkeys) in Microsoft Entra ID")
    .version("0.1.0")
    .showHelpAfterError()
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 differences or work found, 2 bad input or failure.\nDocs: README.md",
    );
  program.exitOverride((err) => {
    // Commander's own usage errors (unknown option, missing argument) are bad input.
    process.exit(err.exitCode === 0 ? ExitCode.Ok : ExitCode.Failure);
  });
  for (const register of [
    registerValidate,
    registerPlan,
    registerDrift,
    registerTasks,
    registerRecords,
    registerStation,
    registerRevoke,
    registerKey,
    registerVirtualKey,
    registerEmulator,
    registerDemo,
  ]) {
    register(program);
  }
  return program;
}

await buildProgram().parseAsync(process.argv);
