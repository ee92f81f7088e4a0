// `keyfleet records`: list, verify and export the signed, hash-chained audit records. `verify` checks the chain
// against the anchor file and, with `--head`, against the head the pipeline published outside the store (the
// stack output `recordsHead`), which the store's writers cannot reach.
import type { Command } from "commander";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface StoreOpts {
  store?: string;
  json?: boolean;
}

function storeOption(cmd: Command): Command {
  return cmd.option(
    "--store <location>",
    "store: sqlite:<path> or azure-table:<connection string|endpoint> (env KEYFLEET_TASK_STORE)",
  );
}

async function openLog(location: string | undefined) {
  const { requireExistingStore } = await import("../../core/tasks/openTaskStore.js");
  const { openRecordStore } = await import("../../core/records/openRecordStore.js");
  requireExistingStore(location);
  return openRecordStore(location);
}

/** `--head <seq>:<hash>` or the JSON `pulumi stack output recordsHead` prints (`{"seq":5,"hash":"…"}`). */
export function parseHeadOption(text: string): { seq: number; hash: string } {
  const usage = new UsageError(
    `--head takes <seq>:<hash> or {"seq":<n>,"hash":"<64 hex>"} (as 'pulumi stack output recordsHead' prints it), not '${text.slice(0, 100)}'`,
  );
  const t = text.trim();
  let seq: unknown;
  let hash: unknown;
  if (t.startsWith("{")) {
    try {
      ({ seq, hash } = JSON.parse(t) as { seq?: unknown; hash?: unknown });
    } catch {
      throw usage;
    }
  } else {
    const m = /^(\d+):([0-9a-fA-F]+)$/.exec(t);
    if (!m) throw usage;
    seq = Number(m[1]);
    hash = m[2];
  }
  if (!Number.isSafeInteger(seq) || (seq as number) < 0) throw usage;
  if (typeof hash !== "string" || !/^[0-9a-fA-F]{64}$/.test(hash)) throw usage;
  return { seq: seq as number, hash: hash.toLowerCase() };
}

function seqOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} takes a whole number`);
  return n;
}

async function queryFrom(opts: {
  action?: string;
  person?: string;
  task?: string;
  from?: string;
  to?: string;
  limit?: string;
}) {
  const { RECORD_ACTIONS } = await import("../../core/records/model.js");
  const q: import("../../core/records/model.js").RecordQuery = {};
  if (opts.action) {
    if (!(RECORD_ACTIONS as readonly string[]).includes(opts.action)) {
      throw new UsageError(`unknown action '${opts.action}': use ${RECORD_ACTIONS.join(", ")}`);
    }
    q.action = opts.action as import("../../core/records/model.js").RecordAction;
  }
  if (opts.person) q.personObjectId = opts.person;
  if (opts.task) q.taskId = opts.task;
  const from = seqOption(opts.from, "--from");
  const to = seqOption(opts.to, "--to");
  const limit = seqOption(opts.limit, "--limit");
  if (from !== undefined) q.fromSeq = from;
  if (to !== undefined) q.toSeq = to;
  if (limit !== undefined) q.limit = limit;
  return q;
}

function filterOptions(cmd: Command): Command {
  return cmd
    .option(
      "--action <action>",
      "only this action (raise, claim, registration, revocation, failure, cancellation, …)",
    )
    .option("--person <objectId>", "only records about this person")
    .option("--task <id>", "only records about this task")
    .option("--from <seq>", "from this sequence number")
    .option("--to <seq>", "up to this sequence number")
    .option("--limit <n>", "at most this many");
}

export function registerRecords(program: Command): void {
  const records = program.command("records").description("List, verify and export the audit records");

  filterOptions(storeOption(records.command("list").description("List audit records in order")))
    .option("--json", "machine-readable output")
    .action(
      action(async (opts: StoreOpts & Parameters<typeof queryFrom>[0]) => {
        const { formatRecordTable } = await import("../../core/records/formatRecords.js");
        const q = await queryFrom(opts);
        const log = await openLog(opts.store);
        try {
          const list = await log.list(q);
          if (opts.json) printJson(list);
          else process.stdout.write(formatRecordTable(list));
        } finally {
          await log.close();
        }
        return ExitCode.Ok;
      }),
    );

  storeOption(
    records
      .command("verify")
      .description(
        "Check the chain; exit 1 when any record was edited, deleted, reordered, truncated or rewritten",
      ),
  )
    .option("--anchor <path>", "anchor file with the last known (seq, hash) (env KEYFLEET_RECORDS_ANCHOR)")
    .option(
      "--head <seq:hash>",
      "the head published outside the store, as <seq>:<hash> or the JSON of 'pulumi stack output recordsHead'",
    )
    .option(
      "--trusted-keys <dir>",
      "folder of trusted public keys (*.pub); default: the key folder's pipeline, station and trusted/ keys",
    )
    .option("--json", "machine-readable output")
    .action(
      action(async (opts: StoreOpts & { anchor?: string; head?: string; trustedKeys?: string }) => {
        const { readAnchor, defaultAnchorPath } = await import("../../core/records/anchor.js");
        const { verifyChain } = await import("../../core/records/verifyChain.js");
        const { formatChainReport } = await import("../../core/records/formatRecords.js");
        const { loadTrustedKeys, loadPublicKey } = await import("../../core/signing/keyFiles.js");
        const anchorPath = opts.anchor ?? defaultAnchorPath();
        const head = opts.head === undefined ? undefined : parseHeadOption(opts.head);
        if (opts.anchor) {
          const { existsSync } = await import("node:fs");
          if (!existsSync(opts.anchor)) throw new UsageError(`no anchor file at ${opts.anchor}`);
        }
        let trustedKeys: import("node:crypto").KeyObject[];
        if (opts.trustedKeys) {
          const { readdirSync } = await import("node:fs");
          const { join } = await import("node:path");
          trustedKeys = readdirSync(opts.trustedKeys)
            .filter((f) => f.endsWith(".pub"))
            .map((f) => loadPublicKey(join(opts.trustedKeys as string, f)));
          if (trustedKeys.length === 0) throw new UsageError(`no *.pub keys in ${opts.trustedKeys}`);
        } else {
          trustedKeys = loadTrustedKeys();
        }
        const log = await openLog(opts.store);
        let report: import("../../core/records/verifyChain.js").ChainReport & { stackHead?: typeof head };
        try {
          const anchor = readAnchor(anchorPath);
          const verifyOpts: Parameters<typeof verifyChain>[1] = { trustedKeys };
          if (anchor) verifyOpts.anchor = anchor;
          const rows = await log.rows();
          report = verifyChain(rows, verifyOpts);
          if (head) {
            // The head is a second anchor: what it finds beyond the anchor file's check is its own finding.
            const byHead = verifyChain(rows, { trustedKeys, anchor: { ...head, at: "" } });
            const known = new Set(report.findings.map((f) => `${f.kind}@${f.seq}:${f.message}`));
            const extra = byHead.findings
              .filter((f) => !known.has(`${f.kind}@${f.seq}:${f.message}`))
              .map((f) => ({ ...f, message: `${f.message} (the published head, --head ${head.seq})` }));
            report = {
              ...report,
              ok: report.ok && extra.length === 0,
              findings: [...report.findings, ...extra].sort((a, b) => a.seq - b.seq),
              anchor: report.anchor ?? { ...head, at: "" },
              stackHead: head,
            };
          }
        } finally {
          await log.close();
        }
        if (opts.json) printJson(report);
        else {
          process.stdout.write(formatChainReport(report));
          if (head)
            process.stdout.write(`published head (--head): seq ${head.seq} ${head.hash.slice(0, 16)}…\n`);
        }
        return report.ok ? ExitCode.Ok : ExitCode.Differences;
      }),
    );

  filterOptions(
    storeOption(records.command("export").description("Export records as JSON lines (as stored) or CSV")),
  )
    .option("--format <format>", "jsonl or csv", "jsonl")
    .option("--out <file>", "write to this file instead of stdout")
    .action(
      action(async (opts: StoreOpts & Parameters<typeof queryFrom>[0] & { format: string; out?: string }) => {
        if (opts.format !== "jsonl" && opts.format !== "csv")
          throw new UsageError("--format is jsonl or csv");
        const { toCsv, toJsonLines } = await import("../../core/records/recordExport.js");
        const q = await queryFrom(opts);
        const log = await openLog(opts.store);
        let text: string;
        try {
          const list = await log.list(q);
          text = opts.format === "csv" ? toCsv(list) : toJsonLines(list);
        } finally {
          await log.close();
        }
        if (opts.out) {
          const { writeFileSync } = await import("node:fs");
          writeFileSync(opts.out, text);
        } else {
          process.stdout.write(text);
        }
        return ExitCode.Ok;
      }),
    );
}
