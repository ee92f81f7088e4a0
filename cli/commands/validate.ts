// `keyfleet validate [dir]`: checks spec files; prints a summary, or every problem with file:line:col.
import type { Command } from "commander";
import { action, ExitCode, printJson } from "../exit.js";

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("Check spec files and summarise them (every problem, with file:line:col)")
    .argument("[dir]", "folder of spec files (any depth)", "specs")
    .option("--json", "machine-readable output")
    .action(
      action(async (dir: string, opts: { json?: boolean }) => {
        const { loadSpecDir, formatIssue, summariseSpec, formatSummary } = await import(
          "../../core/spec/index.js"
        );
        const result = await loadSpecDir(dir);
        const strip = ({
          excerpt: _e,
          ...rest
        }: {
          excerpt: string;
          file: string;
          line: number;
          col: number;
          message: string;
        }) => rest;
        if (opts.json) {
          printJson(
            result.ok
              ? {
                  ok: true,
                  files: result.files,
                  summary: summariseSpec(result.spec),
                  warnings: result.warnings.map(strip),
                }
              : {
                  ok: false,
                  files: result.files,
                  issues: result.issues.map(strip),
                  warnings: result.warnings.map(strip),
                },
          );
          return result.ok ? ExitCode.Ok : ExitCode.Failure;
        }
        for (const w of result.warnings) process.stderr.write(`warning: ${formatIssue(w)}\n`);
        if (!result.ok) {
          process.stdout.write(`${result.issues.map(formatIssue).join("\n")}\n`);
          const files = new Set(result.issues.map((i) => i.file)).size;
          process.stdout.write(
            `\n${result.issues.length} problem${result.issues.length === 1 ? "" : "s"} in ${files} file${files === 1 ? "" : "s"}\n`,
          );
          return ExitCode.Failure;
        }
        process.stdout.write(`${formatSummary(summariseSpec(result.spec), result.files)}\n`);
        return ExitCode.Ok;
      }),
    );
}
