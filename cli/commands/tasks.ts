// `keyfleet tasks`: list, show, cancel and retry provisioning tasks; keygen makes the signing keys.
import type { Command } from "commander";
import { action, ExitCode, printJson, UsageError } from "../exit.js";

interface StoreOpts {
  store?: string;
  json?: boolean;
}

const STATES = ["pending", "claimed", "registering", "done", "failed", "cancelled"];

/** For reads: never creates a store, and needs no write access (a file owned by another user is fine). */
async function openStore(location: string | undefined) {
  const { openTaskStore } = await import("../../core/tasks/openTaskStore.js");
  return openTaskStore(location, { readOnly: true });
}

/** Opens the store wrapped so that the change is written, signed, to the audit records. */
async function openAudited(opts: StoreOpts & { key?: string; operator?: string; anchor?: string }) {
  const { existsSync } = await import("node:fs");
  const { userInfo } = await import("node:os");
  const { loadSigningKey, privateKeyPath } = await import("../../core/signing/keyFiles.js");
  const { openRecordStore } = await import("../../core/records/openRecordStore.js");
  const { defaultAnchorPath } = await import("../../core/records/anchor.js");
  const { AuditedTaskStore } = await import("../../core/records/auditedTaskStore.js");
  const keyPath =
    opts.key ?? [privateKeyPath("station"), privateKeyPath("pipeline")].find((p) => existsSync(p));
  if (!keyPath) {
    throw new UsageError(
      "this change is recorded in the signed audit log: create a key with 'keyfleet tasks keygen' or pass --key",
    );
  }
  const signer = loadSigningKey(keyPath);
  const { openTaskStore } = await import("../../core/tasks/openTaskStore.js");
  const tasks = await openTaskStore(opts.store, { mustExist: true });
  const records = await openRecordStore(opts.store, {
    signer,
    anchorPath: opts.anchor ?? defaultAnchorPath(),
  });
  return new AuditedTaskStore(tasks, records, {
    actor: { role: "operator", operator: opts.operator ?? userInfo().username },
  });
}

function storeOption(cmd: Command): Command {
  return cmd
    .option(
      "--store <location>",
      "task store: sqlite:<path> or azure-table:<connection string|endpoint> (env KEYFLEET_TASK_STORE)",
    )
    .option("--json", "machine-readable output");
}

export function registerTasks(program: Command): void {
  const tasks = program.command("tasks").description("List, show, cancel and retry provisioning tasks");

  storeOption(tasks.command("list").description("List tasks (oldest first)"))
    .option("--state <states>", `comma-separated states (${STATES.join(", ")})`)
    .option("--kind <kind>", "provision or revoke")
    .option("--person <who>", "person object id or user principal name")
    .option("--older-than <age>", "created longer ago than this (e.g. 30m, 2h, 7d)")
    .option("--newer-than <age>", "created more recently than this")
    .option("--limit <n>", "at most this many")
    .action(
      action(
        async (
          opts: StoreOpts & {
            state?: string;
            kind?: string;
            person?: string;
            olderThan?: string;
            newerThan?: string;
            limit?: string;
          },
        ) => {
          const { parseDuration, formatTaskTable } = await import("../../core/tasks/formatTasks.js");
          const query: import("../../core/tasks/model.js").TaskQuery = {};
          if (opts.state) {
            const states = opts.state.split(",").map((s) => s.trim());
            const bad = states.filter((s) => !STATES.includes(s));
            if (bad.length > 0)
              throw new UsageError(`unknown state ${bad.join(", ")}: use ${STATES.join(", ")}`);
            query.state = states as import("../../core/tasks/model.js").TaskState[];
          }
          if (opts.kind) {
            if (opts.kind !== "provision" && opts.kind !== "revoke")
              throw new UsageError("--kind is provision or revoke");
            query.kind = opts.kind;
          }
          if (opts.person) {
            if (opts.person.includes("@")) query.userPrincipalName = opts.person;
            else query.personObjectId = opts.person;
          }
          for (const [flag, text, key] of [
            ["--older-than", opts.olderThan, "createdBefore"],
            ["--newer-than", opts.newerThan, "createdAfter"],
          ] as const) {
            if (text === undefined) continue;
            const ms = parseDuration(text);
            if (ms === undefined)
              throw new UsageError(`${flag} takes an age such as 30m, 2h or 7d, not '${text}'`);
            query[key] = new Date(Date.now() - ms);
          }
          if (opts.limit !== undefined) {
            const n = Number(opts.limit);
            if (!Number.isInteger(n) || n < 0) throw new UsageError("--limit takes a whole number");
            query.limit = n;
          }
          const store = await openStore(opts.store);
          const malformed: import("../../core/tasks/taskDoc.js").MalformedTaskRow[] = [];
          try {
            const list = await store.list(query, { onMalformed: (m) => malformed.push(m) });
            if (opts.json)
              printJson([...list, ...malformed.map((m) => ({ id: m.id, malformed: m.problem }))]);
            else process.stdout.write(formatTaskTable(list, new Date(), malformed));
          } finally {
            await store.close();
          }
          if (malformed.length === 0) return ExitCode.Ok;
          process.stderr.write(
            `keyfleet: ${malformed.length} malformed task row${malformed.length === 1 ? "" : "s"} (${malformed.map((m) => m.id).join(", ")}), marked MALFORMED\n`,
          );
          return ExitCode.Differences;
        },
      ),
    );

  storeOption(
    tasks.command("show").description("Show one task").argument("<id>", "task id (or a unique prefix)"),
  )
    .option(
      "--pipeline-key <path>",
      "the pipeline's public key to check the task's signature with (default: the key folder's)",
    )
    .action(
      action(async (id: string, opts: StoreOpts & { pipelineKey?: string }) => {
        const { formatTaskDetail } = await import("../../core/tasks/formatTasks.js");
        const { verifyTask } = await import("../../core/tasks/taskSignature.js");
        const { loadPipelinePublicKeys, loadPublicKey, loadStationKeys } = await import(
          "../../core/signing/keyFiles.js"
        );
        const keys = {
          pipelineKeys: opts.pipelineKey ? [loadPublicKey(opts.pipelineKey)] : loadPipelinePublicKeys(),
          stationKeys: loadStationKeys(),
        };
        const store = await openStore(opts.store);
        try {
          const task = await findTask(store, id);
          if (opts.json) {
            const trust = keys.pipelineKeys.length === 0 ? undefined : verifyTask(task, keys.pipelineKeys);
            printJson({ ...task, signatureValid: trust ? trust.trusted : null });
          } else process.stdout.write(formatTaskDetail(task, keys));
        } finally {
          await store.close();
        }
        return ExitCode.Ok;
      }),
    );

  storeOption(
    tasks
      .command("cancel")
      .description("Cancel an open task (recorded in the audit log)")
      .argument("<id>", "task id or prefix"),
  )
    .option("--reason <text>", "why (kept in the task and the record)")
    .option("--force", "also cancel a task that is registering right now (check Entra afterwards)")
    .option("--operator <name>", "who is cancelling (default: the login name)")
    .option(
      "--key <path>",
      "private key that signs the audit record (default: the station's, else the pipeline's)",
    )
    .option("--anchor <path>", "records anchor file (env KEYFLEET_RECORDS_ANCHOR)")
    .action(
      action(
        async (
          id: string,
          opts: StoreOpts & {
            reason?: string;
            force?: boolean;
            operator?: string;
            key?: string;
            anchor?: string;
          },
        ) => {
          const store = await openAudited(opts);
          try {
            const task = await findTask(store, id);
            const cancelOpts: { reason?: string; force?: boolean } = {};
            if (opts.reason) cancelOpts.reason = opts.reason;
            if (opts.force) cancelOpts.force = true;
            const out = await store.cancel(task.id, cancelOpts);
            if (opts.json) printJson(out);
            else process.stdout.write(`cancelled ${out.id} (${out.person.userPrincipalName}, ${out.slot})\n`);
          } finally {
            await store.close();
          }
          return ExitCode.Ok;
        },
      ),
    );

  storeOption(
    tasks
      .command("retry")
      .description("Put a failed task back to pending now (recorded)")
      .argument("<id>", "task id or prefix"),
  )
    .option("--operator <name>", "who is retrying (default: the login name)")
    .option("--key <path>", "private key that signs the audit record")
    .option("--anchor <path>", "records anchor file")
    .action(
      action(async (id: string, opts: StoreOpts & { operator?: string; key?: string; anchor?: string }) => {
        const store = await openAudited(opts);
        try {
          const task = await findTask(store, id);
          const out = await store.retry(task.id);
          if (opts.json) printJson(out);
          else process.stdout.write(`retrying ${out.id} (${out.person.userPrincipalName}, ${out.slot})\n`);
        } finally {
          await store.close();
        }
        return ExitCode.Ok;
      }),
    );

  tasks
    .command("keygen")
    .description("Create an Ed25519 key pair: the pipeline's signs tasks, a station's signs its records")
    .option("--role <role>", "pipeline or station", "station")
    .option("--out <path>", "private key file (default: .keyfleet/keys/<role>.ed25519; env KEYFLEET_KEY_DIR)")
    .option("--json", "machine-readable output")
    .action(
      action(async (opts: { role: string; out?: string; json?: boolean }) => {
        if (opts.role !== "pipeline" && opts.role !== "station")
          throw new UsageError("--role is pipeline or station");
        const { privateKeyPath, writeNewSigningKey } = await import("../../core/signing/keyFiles.js");
        const path = opts.out ?? privateKeyPath(opts.role);
        const key = writeNewSigningKey(path);
        const info = { role: opts.role, privateKey: path, publicKey: `${path}.pub`, keyId: key.keyId };
        if (opts.json) printJson(info);
        else {
          process.stdout.write(`wrote ${path} (private, 0600) and ${path}.pub; key id ${key.keyId}\n`);
          if (opts.role === "station")
            process.stdout.write(
              `enrol this station with the pipeline: copy ${path}.pub into its .keyfleet/keys/stations/ folder (e.g. as <station id>.pub), under review\n`,
            );
        }
        return ExitCode.Ok;
      }),
    );
}

async function findTask(store: import("../../core/tasks/store.js").TaskStore, id: string) {
  const exact = await store.get(id);
  if (exact) return exact;
  if (id.length >= 4) {
    const matches = (await store.list({}, { onMalformed: () => {} })).filter((t) => t.id.startsWith(id));
    if (matches.length === 1 && matches[0]) return matches[0];
    if (matches.length > 1)
      throw new UsageError(`'${id}' matches ${matches.length} tasks; give more of the id`);
  }
  throw new UsageError(`no task '${id}' in ${store.location}`);
}
