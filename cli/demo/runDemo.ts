// `keyfleet demo`'s loop, step by step, each step checked against what it must show: the emulator with the
// example organisation, `pulumi up`, the real station with virtual keys, `pulumi up --refresh` and a clean
// drift report, then a key deleted behind everyone's back (drift and preview catch it) and a person removed
// from git (the plan revokes their keys). Every process it starts is stopped when it ends, fails or is
// interrupted.
import { copyFileSync, existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { writeNewSigningKey } from "../../core/signing/keyFiles.js";
import { loadTenantSeed, type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { Children } from "./children.js";
import { type Cli, cliRunner } from "./cliRunner.js";
import { type DemoFolder, prepareFolder } from "./demoFolder.js";
import { DemoFailure, DemoOutput } from "./output.js";
import { createStack, type DemoStack, pulumiKeyLines, STACK } from "./pulumiStack.js";
import { removePerson } from "./specEdit.js";
import { DEMO_OPERATOR, DEMO_STATION } from "./stationIdentity.js";
import { inventorySlotsDone, provisionAll } from "./stationRounds.js";
import { type DemoKeys, startKeysForWaitingTasks } from "./virtualKeys.js";

/** The leaver whose removal from git the demo shows (Finance, two keys of their own, in no group). */
export const DEMO_LEAVER = {
  file: join("people", "finance.yaml"),
  upn: "luca.pacioli@northwindforge.example",
};

export interface DemoOptions {
  dir: string;
  out?: DemoOutput;
}

interface Running {
  children: Children;
  emu?: RunningEmulator;
  keys?: DemoKeys;
}

export async function runDemo(opts: DemoOptions): Promise<void> {
  const out = opts.out ?? new DemoOutput();
  const running: Running = { children: new Children() };
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    running.children.stopAll();
    await running.keys?.close().catch(() => {});
    await running.emu?.stop().catch(() => {});
  };
  const onSignal = (signal: NodeJS.Signals) => {
    out.line(`\nkeyfleet demo: ${signal}, stopping everything it started`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await steps(opts.dir, out, running);
  } catch (err) {
    // A tool's output quoted in the message passes the same redactor as everything the demo prints.
    const message = out.redact(err instanceof Error ? err.message : String(err));
    throw err instanceof DemoFailure ? new DemoFailure(message) : new Error(message);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

async function steps(dir: string, out: DemoOutput, running: Running): Promise<void> {
  const folder = prepareFolder(dir);
  out.line(`Keyfleet demo in ${folder.dir}`);

  out.heading(1, "the Entra emulator with the example organisation");
  const emu = await startEmulator({
    dataDir: folder.emulatorData,
    tenant: { ...loadTenantSeed(undefined), deviceCodeIntervalSeconds: 1 },
  });
  running.emu = emu;
  out.secret(emu.clientSecret);
  out.secret(emu.adminSecret);
  await emu.admin.setSignInOperator(DEMO_OPERATOR);
  out.line(`Emulator at ${emu.url} (tenant ${emu.tenantId}); its CA is ${emu.caCertPath}`);
  out.line(`Specs copied to ${folder.specs}`);
  const cli = cliRunner(folder, emu, running.children);

  out.heading(2, "pulumi up against a local file:// backend");
  writeNewSigningKey(folder.pipelineKey);
  writeNewSigningKey(folder.stationKey);
  // Enrolling the station: its public key in the folder the pipeline trusts results from.
  copyFileSync(`${folder.stationKey}.pub`, join(folder.stationKeys, `${DEMO_STATION}.ed25519.pub`));
  const stack = await createStack(folder, emu, running.children);
  out.line(`Stack ${STACK}, state in ${folder.state}, passphrase in ${folder.passphraseFile}`);
  const up = await stack.ok(["up", "--yes", "--skip-preview"]);
  out.block(up, (l) => /^Resources:|^\s*[+~-]?\s*\d+ (created|unchanged)|^Duration:/.test(l));
  const afterUp = await stack.counts();
  out.line(`Assignments: ${afterUp.pending} pending, ${afterUp.active} active`);
  if (afterUp.pending === 0) throw new DemoFailure("pulumi up raised no provisioning tasks");
  const firstPlan = await cli(["plan", folder.specs]);
  out.block(firstPlan.stdout, (l) => /desired keys/.test(l));
  if (firstPlan.code === 2) {
    throw new DemoFailure(
      `keyfleet plan is blocked on the example specs:\n${firstPlan.stdout}${firstPlan.stderr}`,
    );
  }

  out.heading(3, "the station provisions virtual keys until the queue is empty");
  running.keys = await startKeysForWaitingTasks(folder.taskStore, emu);
  out.line(
    `${running.keys.devices.length} virtual keys plugged in over UDP, their attestation roots trusted; ` +
      `${running.keys.serials.length} of them inventory keys whose enterprise attestation names their serial`,
  );
  const rounds = await provisionAll(cli, folder, running.keys.devices, afterUp.pending, out);
  const { provisioned } = rounds;
  await running.keys.close();
  running.keys = undefined;
  const envelopes = readdirSync(folder.pinEnvelopes);
  out.line(
    `${provisioned.length} keys provisioned; ${envelopes.length} PIN envelopes in ${folder.pinEnvelopes}`,
  );
  const inventory = await inventorySlotsDone(folder.taskStore);
  out.line(
    `${inventory} inventory slots done, each with the key whose enterprise attestation names its serial ` +
      `(${rounds.serialMismatches} ceremonies met another key's slot first: refused before anything was registered, the key went on to its own)`,
  );

  out.heading(4, "pulumi up --refresh, then the drift report");
  const refreshed = await stack.ok(["up", "--refresh", "--yes", "--skip-preview"]);
  out.block(refreshed, (l) => /^Resources:|^\s*[+~-]?\s*\d+ (updated|unchanged)|^Duration:/.test(l));
  const afterRefresh = await stack.counts();
  out.line(`Assignments: ${afterRefresh.pending} pending, ${afterRefresh.active} active`);
  if (afterRefresh.pending !== 0 || afterRefresh.active !== afterUp.pending) {
    throw new DemoFailure(`after the refresh ${afterRefresh.pending} assignments are still pending`);
  }
  const clean = await drift(cli, folder, folder.driftHtml, out);
  if (clean.code !== 0)
    throw new DemoFailure(`the drift report is not clean after the station (exit ${clean.code})`);

  out.heading(5, "a key deleted behind everyone's back, then a person removed from git");
  // The same victim each run (the station's order is the keys' race): the first key by person and slot.
  const victim = [...provisioned]
    .sort((a, b) =>
      `${a.task.userPrincipalName} ${a.task.slot}`.localeCompare(
        `${b.task.userPrincipalName} ${b.task.slot}`,
      ),
    )
    .find((p) => p.task.userPrincipalName !== DEMO_LEAVER.upn);
  if (!victim) throw new DemoFailure("no provisioned key to delete");
  await emu.admin.deleteMethod(victim.task.personObjectId, victim.methodId);
  out.line(
    `Deleted ${victim.task.userPrincipalName}'s ${victim.task.slot} key in Entra (the emulator's admin route)`,
  );
  const caught = await drift(cli, folder, folder.driftAfterDeleteHtml, out);
  if (caught.code !== 1) throw new DemoFailure(`drift did not report the deleted key (exit ${caught.code})`);
  if (!caught.stdout.includes(victim.task.userPrincipalName)) {
    throw new DemoFailure(`the drift report does not name ${victim.task.userPrincipalName}`);
  }
  const preview = await previewCatches(stack, out);
  const resource = `${victim.task.personObjectId}-${victim.task.slot}`;
  if (!preview.includes(resource)) throw new DemoFailure(`pulumi preview shows no change for ${resource}`);
  out.line(
    `(${resource} is ${victim.task.userPrincipalName}'s ${victim.task.slot} key: the preview re-provisions it)`,
  );

  removePerson(join(folder.specs, DEMO_LEAVER.file), DEMO_LEAVER.upn);
  out.line(`Removed ${DEMO_LEAVER.upn} from specs/${DEMO_LEAVER.file}; keyfleet plan (not applied):`);
  const plan = await cli(["plan", folder.specs]);
  out.block(plan.stdout, (l) => /^(ACTION|revoke|provision|replace)\b|desired keys/.test(l));
  const revokes = plan.stdout.split("\n").filter((l) => /^revoke\b/.test(l) && l.includes(DEMO_LEAVER.upn));
  if (plan.code !== 1 || revokes.length === 0) {
    throw new DemoFailure(
      `keyfleet plan shows no revocation for ${DEMO_LEAVER.upn} (exit ${plan.code}):\n${plan.stderr}`,
    );
  }

  out.heading(6, "where everything is");
  out.line(`PIN envelopes (printable, one per key): ${folder.pinEnvelopes}`);
  out.line(`Drift report (HTML):                    ${folder.driftHtml}`);
  out.line(`Drift report after the deletion (HTML): ${folder.driftAfterDeleteHtml}`);
  out.line(`Everything else (stack, store, keys):   ${folder.dir}`);
  out.line("\nThe demo behaved as expected.");
}

/** `keyfleet drift` as a table on screen and as HTML into the demo folder; returns the table run. */
async function drift(cli: Cli, folder: DemoFolder, html: string, out: DemoOutput) {
  const table = await cli(["drift", folder.specs]);
  out.block(table.stdout);
  if (table.code === 2) throw new DemoFailure(`keyfleet drift failed:\n${table.stderr}`);
  const page = await cli(["drift", folder.specs, "--format", "html", "--out", html]);
  if (page.code === 2 || !existsSync(html))
    throw new DemoFailure(`keyfleet drift --format html failed:\n${page.stderr}`);
  out.line(`drift exit ${table.code}; HTML report: ${html}`);
  return table;
}

/** `pulumi preview --refresh`, its changes printed; returns the lines of the resources it would change. */
async function previewCatches(stack: DemoStack, out: DemoOutput): Promise<string> {
  const preview = await stack.pulumi(["preview", "--refresh"]);
  if (preview.code !== 0)
    throw new DemoFailure(`pulumi preview failed:\n${preview.stdout}\n${preview.stderr}`);
  out.line("pulumi preview --refresh:");
  out.block(preview.stdout, (l) => pulumiKeyLines(l) && !/ refresh(ing)?$/.test(l.trimEnd()));
  return preview.stdout
    .split("\n")
    .filter((l) => /^\s*[+~-]{1,2}\s+\S+ \S+ (create|update|replace|delete)\b/.test(l))
    .join("\n");
}
