// Exit codes and the one place where a subcommand's failure becomes a message and a code.
import type { Command } from "commander";

export const ExitCode = {
  /** Nothing to report, or the command did what was asked. */
  Ok: 0,
  /** The command worked and found differences or work to do (plan, drift, verify). */
  Differences: 1,
  /** Bad input, a failed check or an error. */
  Failure: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is meant for the operator as it stands (no stack trace). */
export class UsageError extends Error {
  readonly brand = "keyfleet.UsageError";
  static isInstance(e: unknown): e is UsageError {
    return typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.UsageError";
  }
}

/**
 * Wraps a subcommand's action: the action returns its exit code; any error is printed once
 * (its message only, never the objects it carries) and exits 2.
 */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<ExitCode | undefined>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      process.exitCode = code ?? ExitCode.Ok;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`keyfleet: ${message}\n`);
      if (process.env.KEYFLEET_DEBUG && err instanceof Error && !UsageError.isInstance(err)) {
        process.stderr.write(`${err.stack ?? ""}\n`);
      }
      process.exitCode = ExitCode.Failure;
    }
  };
}

/** Prints a value as JSON on stdout (for `--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Commands that later issues fill say so plainly and fail, rather than pretending to work. */
export function registerPlanned(program: Command, name: string, summary: string, issue: string): void {
  program
    .command(name)
    .description(`${summary} (arrives with ${issue})`)
    .option("--json", "machine-readable output")
    .allowUnknownOption(true)
    .action(
      action(async () => {
        throw new UsageError(`'keyfleet ${name}' is planned (${issue}) and not part of this build`);
      }),
    );
}
