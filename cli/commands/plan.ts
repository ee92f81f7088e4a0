// `keyfleet plan [dir]`: what would be provisioned, kept, adopted, replaced and revoked. The actual state
// comes from Entra (settings from the environment, core/entra/README.md) and the task store, or, offline,
// from a JSON file given with --actual.
import type { Command } from "commander";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface PlanOpts {
  actual?: string;
  json?: boolean;
  today?: string;
  all?: boolean;
  allowMassRevoke?: boolean;
  store?: string;
  firstRun?: boolean;
  stack?: string;
}

export function registerPlan(program: Command): void {
  program
    .command("plan")
    .description("Show what would be provisioned, kept, adopted, replaced and revoked")
    .argument("[dir]", "folder of spec files", "specs")
    .option(
      "--actual <file>",
      "offline: actual state as JSON (specs/actual-state.schema.json) instead of Entra",
    )
    .option(
      "--store <location>",
      "task store for Entra mode (sqlite:<path> or azure-table:…; KEYFLEET_TASK_STORE)",
    )
    .option(
      "--first-run",
      "the pipeline has never run: there is no task store yet, plan as if it held no tasks (creates nothing)",
    )
    .option(
      "--stack <name>",
      "the Pulumi stack this plan is for (KEYFLEET_STACK): another stack's people and tasks are left to it",
    )
    .option("--today <YYYY-MM-DD>", "the day leaving dates compare against (default: today, UTC)")
    .option("--all", "also list keys that are kept or gone")
    .option("--allow-mass-revoke", "do not block a plan that revokes more than the policy's maxRevokeShare")
    .option("--json", "machine-readable output")
    .addHelpText("after", "\nExit codes: 0 nothing to do, 1 work to do, 2 bad input or a blocked plan.")
    .action(
      action(async (dir: string, opts: PlanOpts) => {
        const { loadSpecDir, formatIssue } = await import("../../core/spec/index.js");
        const { plan, formatPlanTable, formatPlanSummary } = await import("../../core/plan/index.js");
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
        const actual =
          opts.actual !== undefined
            ? await readActualFile(opts.actual)
            : await readActualFromEntra(dir, opts.store, opts.json === true, opts.firstRun === true);
        const stack = opts.stack ?? process.env.KEYFLEET_STACK;
        const result = plan(loaded.spec, actual, {
          today,
          allowMassRevoke: opts.allowMassRevoke === true,
          ...(stack ? { stack } : {}),
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

/** An offline actual state (`--actual`), checked; `keyfleet drift --actual` reads it the same way. */
export async function readActualFile(file: string) {
  const { readFile } = await import("node:fs/promises");
  const { parseActualState } = await import("../../core/plan/index.js");
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`);
  });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not JSON: ${(e as Error).message}`);
  }
  return parseActualState(json, file);
}

/** Entra (people, groups, methods), the task store's facts, and the tenant policy preflight, printed first. */
async function readActualFromEntra(
  dir: string,
  store: string | undefined,
  quiet: boolean,
  firstRun: boolean,
) {
  const { entraSettingsFromEnv } = await import("../../core/entra/index.js");
  const { readFleet } = await import("../../core/plan/readFleet.js");
  const fleet = await readFleet(dir, {
    entra: entraSettingsFromEnv(),
    taskStore: store ?? process.env.KEYFLEET_TASK_STORE,
    firstRun,
  });
  if (!quiet) {
    for (const f of fleet.preflight.findings) process.stderr.write(`preflight ${f.severity}: ${f.message}\n`);
    for (const who of fleet.unresolved) process.stderr.write(`not in the directory: ${who}\n`);
  }
  if (!fleet.preflight.ok)
    throw new UsageError("the tenant's FIDO2 policy would refuse this spec (see above)");
  return fleet.actual;
}
