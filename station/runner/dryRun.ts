// A dry run: what the station would do, with nothing written — each key's getInfo, whether the station
// accepts it, whether it needs a reset, which waiting tasks it fits; the waiting tasks' signatures. No
// claim, no PIN, no Graph write, no record.
import { verifyTask } from "../../core/tasks/taskSignature.js";
import { Ctap2 } from "../ctap2/ctap2.js";
import { getInfo } from "../ctap2/getInfo.js";
import type { RunnerContext } from "./context.js";
import type { KeyHandle } from "./keySource.js";
import { resetNeeded } from "./profileCheck.js";
import { wantedSerials } from "./serialCheck.js";
import { pendingFor } from "./taskChoice.js";
import { refuseKey } from "./trust.js";

export interface DryRunReport {
  tasksWaiting: number;
  tasksUntrusted: number;
  keys: {
    keyId: string;
    aaguid?: string;
    refused?: string;
    needsReset?: string;
    fits: number;
    /** Fitting tasks whose slot names an inventory serial, and where this key's serial would come from. */
    serialTasks?: number;
    serialFrom?: "enterprise-attestation" | "label";
  }[];
}

export async function dryRun(ctx: RunnerContext, handles: readonly KeyHandle[]): Promise<DryRunReport> {
  const say = (message: string, keyId?: string) =>
    ctx.operator.event({ type: "dry-run", message, ...(keyId ? { keyId } : {}) });
  const waiting = await ctx.store.list({ state: ["pending", "failed"], kind: "provision", limit: 1000 });
  const untrusted = waiting.filter((t) => !verifyTask(t, ctx.pipelineKeys).trusted);
  say(`${waiting.length} provision task(s) waiting; ${untrusted.length} would be refused as untrusted`);
  const report: DryRunReport = { tasksWaiting: waiting.length, tasksUntrusted: untrusted.length, keys: [] };
  for (const h of handles) {
    const refused = refuseKey(h, ctx.trust);
    if (refused) {
      report.keys.push({ keyId: h.id, refused, fits: 0 });
      say(`would refuse: ${refused}`, h.id);
      continue;
    }
    const device = await h.open({ timeoutMs: ctx.callTimeoutMs });
    try {
      const info = await getInfo(new Ctap2(device), { timeoutMs: ctx.callTimeoutMs });
      const fits = (await pendingFor(ctx, info)).fitting.filter(
        (t) => verifyTask(t, ctx.pipelineKeys).trusted,
      );
      const entry: DryRunReport["keys"][number] = { keyId: h.id, aaguid: info.aaguid, fits: fits.length };
      const reset = resetNeeded(info);
      if (reset) entry.needsReset = reset;
      const serialTasks = fits.filter((t) => wantedSerials(t) !== undefined).length;
      let serialNote = "";
      if (serialTasks > 0) {
        entry.serialTasks = serialTasks;
        entry.serialFrom = info.options.ep !== undefined ? "enterprise-attestation" : "label";
        serialNote = `; ${serialTasks} of them name an inventory serial, read ${entry.serialFrom === "label" ? "off its label" : "from its enterprise attestation"}`;
      }
      report.keys.push(entry);
      say(
        `AAGUID ${info.aaguid}: fits ${fits.length} waiting task(s)${serialNote}${reset ? `; would ask to reset it (${reset})` : ""}`,
        h.id,
      );
    } finally {
      await device.close().catch(() => {});
    }
  }
  return report;
}
