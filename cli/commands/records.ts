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

/** Read-only: never creates a store, needs no write access to the file or its folder. */
async function openLog(location: string | undefined) {
  const { openRecordStore } = await import("../../core/records/openRecordStore.js");
  return openRecordStore(location, { readOnly: true });
}

/**
 * `--head <seq>:<hash>` (a head of the legacy chain, as older builds printed it) or the JSON that
 * `keyfleet records head --json` and `pulumi stack output recordsHead` print: `{"seq":…,"hash":…}`, with
 * `"chains":{…}` (every chain's head) for stores with per-writer chains.
 */
export async function parseHeadOption(
  text: string,
): Promise<import("../../core/records/recordsHead.js").RecordsHead> {
  const { parseRecordsHead } = await import("../../core/records/recordsHead.js");
  const usage = (why?: string) =>
    new UsageError(
      `--head takes <seq>:<hash> or {"seq":<n>,"hash":"<64 hex>"} (with "chains":{…} for a store of several chains: as 'keyfleet records head --json' and 'pulumi stack output recordsHead' print it), not '${text.slice(0, 100)}'${why ? ` (${why})` : ""}`,
    );
  const t = text.trim();
  let raw: unknown;
  if (t.startsWith("{")) {
    try {
      raw = JSON.parse(t);
    } catch {
      throw usage();
    }
  } else {
    const m = /^(\d+):([0-9a-fA-F]+)$/.exec(t);
    if (!m) throw usage();
    raw = { seq: Number(m[1]), hash: m[2] };
  }
  const head = parseRecordsHead(raw);
  if (typeof head === "string")
    throw usage(head.startsWith("seq") || head.startsWith("hash") ? undefined : head);
  return head;
}

function seqOption(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} takes a whole number`);
  return n;
}

async function queryFrom(opts: {
  chain?: string;
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
  if (opts.chain) q.chain = opts.chain;
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
    .option("--chain <id>", "only this chain (a writer's key id, or 'legacy')")
    .option("--from <seq>", "from this sequence number (within each chain)")
    .option("--to <seq>", "up to this sequence number (within each chain)")
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
        let entries: import("../../core/records/recordStore.js").RecordEntry[];
        try {
          entries = await log.listEntries(q);
        } finally {
          await log.close();
        }
        if (opts.json) printJson(entries.map((e) => e.record ?? { seq: e.seq, malformed: e.problem }));
        else process.stdout.write(formatRecordTable(entries));
        return reportMalformed(entries);
      }),
    );

  storeOption(
    records
      .command("verify")
      .description(
        "Check the chain against trusted keys and an anchor or published head; exit 1 when any record was edited, deleted, reordered, truncated or rewritten, 2 when it could not be checked",
      ),
  )
    .option("--anchor <path>", "anchor file with the last known (seq, hash) (env KEYFLEET_RECORDS_ANCHOR)")
    .option(
      "--head <seq:hash>",
      "the head published outside the store, as <seq>:<hash> or the JSON of 'pulumi stack output recordsHead'",
    )
    .option(
      "--trusted-keys <dir>",
      "folder of trusted public keys (*.pub); default: the key folder's pipeline, station, stations/ and trusted/ keys",
    )
    .option(
      "--allow-untrusted-signers",
      "pass without checking signers against trusted keys (said in the output)",
    )
    .option("--allow-no-anchor", "pass without an anchor or --head (said in the output)")
    .option("--json", "machine-readable output")
    .action(
      action(
        async (
          opts: StoreOpts & {
            anchor?: string;
            head?: string;
            trustedKeys?: string;
            allowUntrustedSigners?: boolean;
            allowNoAnchor?: boolean;
          },
        ) => {
          const { readAnchor, requireAnchor, defaultAnchorPath } = await import(
            "../../core/records/anchor.js"
          );
          const { verifyChain, NOT_CHECKED_END, NOT_CHECKED_SIGNERS } = await import(
            "../../core/records/verifyChain.js"
          );
          const { formatChainReport } = await import("../../core/records/formatRecords.js");
          const { loadTrustedKeys, loadPublicKeyFolder } = await import("../../core/signing/keyFiles.js");
          const head = opts.head === undefined ? undefined : await parseHeadOption(opts.head);
          // An anchor named on the command line must be there; the default one may be absent (then the
          // chain's end is unchecked unless --head is given). Unreadable or malformed is an error either way.
          const anchor = opts.anchor ? requireAnchor(opts.anchor) : readAnchor(defaultAnchorPath());
          let trustedKeys: import("node:crypto").KeyObject[];
          if (opts.trustedKeys) {
            const { existsSync } = await import("node:fs");
            if (!existsSync(opts.trustedKeys)) throw new UsageError(`no folder ${opts.trustedKeys}`);
            trustedKeys = loadPublicKeyFolder(opts.trustedKeys);
            if (trustedKeys.length === 0) throw new UsageError(`no *.pub keys in ${opts.trustedKeys}`);
          } else {
            trustedKeys = loadTrustedKeys();
          }
          const allowed: string[] = [];
          if (opts.allowUntrustedSigners) allowed.push(NOT_CHECKED_SIGNERS);
          if (opts.allowNoAnchor) allowed.push(NOT_CHECKED_END);
          const log = await openLog(opts.store);
          let report: import("../../core/records/verifyChain.js").ChainReport & {
            stackHead?: typeof head;
            verified?: boolean;
          };
          try {
            const verifyOpts: Parameters<typeof verifyChain>[1] = { trustedKeys };
            if (anchor) verifyOpts.anchor = anchor;
            const rows = await log.rows();
            report = verifyChain(rows, verifyOpts);
            if (head) {
              // The head is a second anchor: what it finds beyond the anchor file's check is its own finding.
              const byHead = verifyChain(rows, { trustedKeys, anchor: { ...head, at: "" } });
              const known = new Set(report.findings.map((f) => `${f.kind}@${f.chain}/${f.seq}:${f.message}`));
              const extra = byHead.findings
                .filter((f) => !known.has(`${f.kind}@${f.chain}/${f.seq}:${f.message}`))
                .map((f) => ({ ...f, message: `${f.message} (the published head, --head ${head.seq})` }));
              report = {
                ...report,
                ok: report.ok && extra.length === 0,
                findings: [...report.findings, ...extra].sort((a, b) =>
                  a.chain === b.chain ? a.seq - b.seq : a.chain < b.chain ? -1 : 1,
                ),
                anchor: report.anchor ?? { ...head, at: "" },
                notChecked: report.notChecked.filter((n) => n !== NOT_CHECKED_END),
                stackHead: head,
              };
            }
          } finally {
            await log.close();
          }
          const unchecked = report.notChecked.filter((n) => !allowed.includes(n));
          report.verified = report.ok && unchecked.length === 0;
          if (opts.json) printJson(report);
          else {
            process.stdout.write(formatChainReport(report, { allowed }));
            if (head)
              process.stdout.write(
                `published head (--head): seq ${head.seq} ${head.hash.slice(0, 16)}…${head.chains ? ` over ${Object.keys(head.chains).length} chains` : ""}\n`,
              );
          }
          if (!report.ok) return ExitCode.Differences;
          if (unchecked.length > 0) {
            const how = [
              unchecked.includes(NOT_CHECKED_SIGNERS) &&
                "give trusted keys (--trusted-keys <dir>, or the key folder's stations/ and trusted/) or --allow-untrusted-signers",
              unchecked.includes(NOT_CHECKED_END) &&
                "give the published head (--head, e.g. from 'keyfleet records head' or the stack output) or an anchor (--anchor), or --allow-no-anchor",
            ].filter(Boolean);
            process.stderr.write(`keyfleet: records not verified: ${how.join("; ")}\n`);
            return ExitCode.Failure;
          }
          return ExitCode.Ok;
        },
      ),
    );

  storeOption(
    records
      .command("head")
      .description(
        "Print the records head (every chain's last seq and hash) for publishing outside the store, e.g. as a pipeline step after 'pulumi up'",
      ),
  )
    .option("--json", "machine-readable output")
    .action(
      action(async (opts: StoreOpts) => {
        const { EMPTY_RECORDS_HEAD } = await import("../../core/records/recordsHead.js");
        const log = await openLog(opts.store);
        let head: import("../../core/records/recordsHead.js").RecordsHead | undefined;
        try {
          head = await log.head();
        } finally {
          await log.close();
        }
        const out = head ?? EMPTY_RECORDS_HEAD;
        if (opts.json) printJson(out);
        // The short form names one chain only: a head over several is printed whole, as --head takes it.
        else if (out.chains) process.stdout.write(`${JSON.stringify(out)}\n`);
        else process.stdout.write(`${out.seq}:${out.hash}\n`);
        return ExitCode.Ok;
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
        let entries: import("../../core/records/recordStore.js").RecordEntry[];
        try {
          entries = await log.listEntries(q);
          text = opts.format === "csv" ? toCsv(entries) : toJsonLines(entries);
        } finally {
          await log.close();
        }
        if (opts.out) {
          const { writeFileSync } = await import("node:fs");
          writeFileSync(opts.out, text);
        } else {
          process.stdout.write(text);
        }
        return reportMalformed(entries);
      }),
    );
}

/** Malformed rows were listed in their place; the command still says so on stderr and exits 1. */
function reportMalformed(entries: readonly { chain: string; seq: number; problem?: string }[]): ExitCode {
  const bad = entries.filter((e) => e.problem !== undefined);
  if (bad.length === 0) return ExitCode.Ok;
  process.stderr.write(
    `keyfleet: ${bad.length} malformed record row${bad.length === 1 ? "" : "s"} (${bad.map((e) => (e.chain === "legacy" ? `seq ${e.seq}` : `${e.chain.slice(0, 12)}:${e.seq}`)).join(", ")}), marked MALFORMED; run 'keyfleet records verify'\n`,
  );
  return ExitCode.Differences;
}
