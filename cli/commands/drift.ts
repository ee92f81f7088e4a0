// `keyfleet drift [dir]`: what differs between git (the specs), the task store and Entra, headed by the
// coverage figure. Reads Entra and the task store as `keyfleet plan` does (or, offline, an actual-state
// JSON file), computes with core/drift, renders as a table, JSON, Markdown or HTML.
import type { Command } from "commander";
import { action, ExitCode, UsageError } from "../exit.js";

const FORMATS = ["table", "json", "markdown", "html"] as const;
type Format = (typeof FORMATS)[number];

interface DriftOpts {
  actual?: string;
  store?: string;
  today?: string;
  format?: string;
  json?: boolean;
  out?: string;
  staleAfter?: string;
}

export function registerDrift(program: Command): void {
  program
    .command("drift")
    .description("Report what differs between git, the task store and Entra")
    .argument("[dir]", "folder of spec files", "specs")
    .option(
      "--actual <file>",
      "offline: actual state as JSON (specs/actual-state.schema.json) instead of Entra",
    )
    .option(
      "--store <location>",
      "task store for Entra mode (sqlite:<path> or azure-table:…; KEYFLEET_TASK_STORE)",
    )
    .option("--today <YYYY-MM-DD>", "the day leaving dates compare against (default: today, UTC)")
    .option("--format <format>", `output: ${FORMATS.join(", ")}`, "table")
    .option("--json", "same as --format json")
    .option("--out <file>", "write the report to this file instead of standard output")
    .option("--stale-after <days>", "a task open longer than this is drift (default 7)")
    .addHelpText(
      "after",
      "\nExit codes: 0 git and Entra agree, 1 they differ (drift), 2 bad input or an error\n" +
        "(like `terraform plan -detailed-exitcode`). Tasks pending within --stale-after days are reported\n" +
        "but are not drift.",
    )
    .action(
      action(async (dir: string, opts: DriftOpts) => {
        const format = (opts.json ? "json" : (opts.format ?? "table")) as Format;
        if (!FORMATS.includes(format)) {
          throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, not ${opts.format}`);
        }
        const today = opts.today ?? new Date().toISOString().slice(0, 10);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(today))
          throw new UsageError(`--today must be YYYY-MM-DD, not ${today}`);
        const staleAfterDays = opts.staleAfter === undefined ? undefined : Number(opts.staleAfter);
        if (staleAfterDays !== undefined && !(Number.isInteger(staleAfterDays) && staleAfterDays >= 0)) {
          throw new UsageError(`--stale-after must be a whole number of days, not ${opts.staleAfter}`);
        }
        const { loadSpecDir, formatIssue } = await import("../../core/spec/index.js");
        const drift = await import("../../core/drift/index.js");
        const loaded = await loadSpecDir(dir);
        if (!loaded.ok) {
          process.stderr.write(`${loaded.issues.map(formatIssue).join("\n")}\n`);
          throw new UsageError(
            `the spec has ${loaded.issues.length} problem(s); run keyfleet validate ${dir}`,
          );
        }
        const input =
          opts.actual !== undefined
            ? { actual: await (await import("./plan.js")).readActualFile(opts.actual), timings: [] }
            : await readFromEntra(loaded.spec, opts.store, format === "table");
        const report = drift.computeDrift(loaded.spec, input.actual, {
          today,
          ...(staleAfterDays !== undefined ? { staleAfterDays } : {}),
          timings: input.timings,
        });
        const text =
          format === "json"
            ? `${JSON.stringify(report, null, 2)}\n`
            : format === "markdown"
              ? drift.formatDriftMarkdown(report)
              : format === "html"
                ? drift.renderDriftHtml(report)
                : `${drift.formatDriftTable(report)}\n`;
        if (opts.out !== undefined) {
          const { writeFile } = await import("node:fs/promises");
          await writeFile(opts.out, text).catch((e: NodeJS.ErrnoException) => {
            throw new UsageError(`cannot write ${opts.out}: ${e.code ?? e.message}`);
          });
          process.stdout.write(`${drift.formatDriftVerdict(report)} Report: ${opts.out}\n`);
        } else {
          process.stdout.write(text);
        }
        return report.drift ? ExitCode.Differences : ExitCode.Ok;
      }),
    );
}

/** Entra (people, groups, passkeys, and everyone the task store refers to) plus the store's facts and times. */
async function readFromEntra(
  spec: import("../../core/spec/model.js").Spec,
  store: string | undefined,
  talk: boolean,
) {
  const { EntraClient, entraSettingsFromEnv, resolveEntraConfig } = await import("../../core/entra/index.js");
  const { openTaskStore } = await import("../../core/tasks/openTaskStore.js");
  const { readDriftState } = await import("../../core/drift/index.js");
  const tasks = await (async () => {
    const opened = await openTaskStore(store ?? process.env.KEYFLEET_TASK_STORE);
    try {
      return await opened.list();
    } finally {
      await opened.close();
    }
  })();
  const entra = new EntraClient(resolveEntraConfig(entraSettingsFromEnv()));
  try {
    const state = await readDriftState(entra, spec, tasks);
    if (talk) for (const who of state.unresolved) process.stderr.write(`not in the directory: ${who}\n`);
    return { actual: state.actual, timings: state.timings };
  } finally {
    await entra.close();
  }
}
