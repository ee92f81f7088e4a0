// `keyfleet demo`: the whole loop on the embedded defaults (the emulator's example organisation, a local
// file:// Pulumi backend, the real station with virtual keys), its files in one folder (cli/demo/ owns it).
import type { Command } from "commander";
import { action, ExitCode, UsageError } from "../exit.js";

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description("Run the whole loop on the embedded defaults")
    .option(
      "--dir <dir>",
      "the one folder the demo's files go to (emptied if an earlier demo made it)",
      "keyfleet-demo",
    )
    .addHelpText(
      "after",
      "\nNeeds pulumi and pulumi-language-nodejs on PATH and the build (npm run build).\n" +
        "Exit codes: 0 every step behaved as expected, 2 a step did not (the message says which).",
    )
    .action(
      action(async (opts: { dir: string }) => {
        const { runDemo } = await import("../demo/runDemo.js");
        const { DemoFailure } = await import("../demo/output.js");
        try {
          await runDemo({ dir: opts.dir });
        } catch (err) {
          if (err instanceof DemoFailure) throw new UsageError(`demo failed: ${err.message}`);
          throw err;
        }
        return ExitCode.Ok;
      }),
    );
}
