// `keyfleet plan --actual state.json [dir]`: what would be provisioned, kept, adopted, replaced and revoked.
import type { Command } from "commander";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface PlanOpts {
  actual?: string;
  json?: boolean;
  today?: string;
  all?: boolean;
  allowMassRevoke?: boolean;
}

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("Show what would be provisioned, kept, adopted, replaced and revoked")
    .argument("[dir]", "folder of spec files", "specs")
    .requiredOption("--actual <file>", "actual state as JSON (specs/actual-state.schema.json); Entra later")
    .option("--today <YYYY-MM-DD>", "the day leaving dates compare against (default: today, UTC)")
    .option("--all", "also list keys that are kept or gone")
    .option("--allow-mass-revoke", "do not block a plan that revokes more than the policy's maxRevokeShare")
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nExit codes: 0 nothing to do, 1 work to do, 2 bad input or a blocked plan.")
    .action(
      action(async (dir: string, opts: PlanOpts) => {
        const { readFile } = await import("node:fs/promises");
        const { loadSpecDir, formatIssue } = await import("../../core/spec/index.js");
        const { parseActualState, plan, formatPlanTable, formatPlanSummary } = await import(
          "../../core/plan/index.js"
        );
        const today = opts.today ?? new Date().toISOString().slice(0, 10);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(today))
          throw new UsageError(`--today must be YYYY-MM-DD, not ${today}`);
        const loaded = await loadSpecDir(dir);
        if (!loaded.ok) {
          process.stderr.write(`${loaded.issues.map(formatIssue).join("\n")}\n`);
          throw new UsageError(
            `the spec has ${loaded.issues.length} problem(s); run keyfleet validate ${dir}`,
          );
        }
        const file = opts.actual as string;
        const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
          throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`);
        });
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (e) {
          throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
        }
        const result = plan(loaded.spec, parseActualState(json, file), {
          today,
          allowMassRevoke: opts.allowMassRevoke === true,
        });
        if (opts.json) printJson({ today, ...result });
        else {
          const table = formatPlanTable(result, { all: opts.all === true });
          process.stdout.write(`${table ? `${table}\n\n` : ""}${formatPlanSummary(result)}\n`);
        }
        if (result.blocked) return ExitCode.Failure;
        return result.hasWork ? ExitCode.Differences : ExitCode.Ok;
      }),
    );
}
