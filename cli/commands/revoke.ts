// `keyfleet revoke`: revoke a lost or stolen key in Entra now, with a signed record of who and why.
// Signs in as the operator (device code) by default, like the station; station/runner/revokeKey.ts finds the
// key, and core/revocation deletes it and writes the record, as it does for the pipeline.
import type { Command } from "commander";
import { action, ExitCode, printJson } from "../exit.js";

interface RevokeFlags {
  user?: string;
  method?: string;
  task?: string;
  reason: string;
  store?: string;
  key?: string;
  anchor?: string;
  stationId?: string;
  appCredential?: boolean;
  json?: boolean;
}

export function registerRevoke(program: Command): void {
  program
    .command("revoke")
    .description("Revoke a lost or stolen key in Entra at once (audited, with a reason)")
    .option("--user <upn|id>", "the person whose key it is")
    .option("--method <id>", "the passkey's method id in Entra (see keyfleet tasks show)")
    .option("--task <id>", "the task that registered the key (person and method taken from it)")
    .requiredOption("--reason <text>", "why: lost, stolen, left the company…")
    .option("--store <location>", "task store holding the records (env KEYFLEET_TASK_STORE)")
    .option("--key <path>", "signing key for the record (default the station's)")
    .option("--anchor <path>", "records anchor file (env KEYFLEET_RECORDS_ANCHOR)")
    .option("--station-id <id>", "this station's name in the record (env KEYFLEET_STATION_ID)")
    .option("--app-credential", "sign in with the configured app credential, not the operator's")
    .option("--json", "machine-readable output")
    .action(
      action(async (flags: RevokeFlags) => {
        const { hostname } = await import("node:os");
        const { EntraClient } = await import("../../core/entra/client.js");
        const { loadEntraConfig } = await import("../../core/entra/config.js");
        const { openRecordStore } = await import("../../core/records/openRecordStore.js");
        const { defaultAnchorPath } = await import("../../core/records/anchor.js");
        const { openTaskStore } = await import("../../core/tasks/openTaskStore.js");
        const { loadSigningKey, privateKeyPath } = await import("../../core/signing/keyFiles.js");
        const { revokeKey } = await import("../../station/runner/revokeKey.js");
        const config = loadEntraConfig(flags.appCredential ? {} : { auth: "device-code" });
        const entra = new EntraClient(config, {
          credentialHooks: { onDeviceCode: (info) => process.stderr.write(`${info.message}\n`) },
        });
        const signer = loadSigningKey(flags.key ?? privateKeyPath("station"));
        const records = await openRecordStore(flags.store, {
          signer,
          anchorPath: flags.anchor ?? defaultAnchorPath(),
        });
        const tasks = flags.task ? await openTaskStore(flags.store, { mustExist: true }) : undefined;
        try {
          const operator = flags.appCredential
            ? undefined
            : (await entra.get<{ userPrincipalName?: string }>("/me")).userPrincipalName;
          const out = await revokeKey(
            { entra, records, ...(tasks ? { tasks } : {}) },
            {
              ...(flags.user ? { user: flags.user } : {}),
              ...(flags.method ? { methodId: flags.method } : {}),
              ...(flags.task ? { taskId: flags.task } : {}),
              reason: flags.reason,
              actor: {
                role: "operator",
                stationId: flags.stationId ?? process.env.KEYFLEET_STATION_ID ?? hostname(),
                ...(operator ? { operator } : {}),
              },
            },
          );
          if (flags.json) printJson(out);
          else
            process.stdout.write(
              `${out.outcome === "deleted" ? "Revoked" : "Already gone from Entra (recorded)"}: ${out.methodId} of ${out.userPrincipalName ?? out.personObjectId}\n`,
            );
          return ExitCode.Ok;
        } finally {
          await tasks?.close();
          await records.close();
          await entra.close();
        }
      }),
    );
}
