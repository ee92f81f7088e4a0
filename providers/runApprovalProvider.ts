// The RunApproval provider's implementation: installs the run's approval in this host process and records it
// (a signed `approval` record: how many revocations and replacements the plan approved, and its budget).
// Compiled to dist/providers/runApprovalProvider.js.
import type * as dynamic from "@pulumi/pulumi/dynamic/index.js";
import { canonicalJson } from "../core/signing/canonicalJson.js";
import { backendsFor, configureBackends } from "./configuredBackends.js";
import { PIPELINE_ACTOR, pipelineProvenance } from "./pipelineAudit.js";
import { installApproval, type RunApprovalInputs, type RunApprovalOutputs } from "./runApproval.js";

async function approve(inputs: RunApprovalInputs): Promise<RunApprovalOutputs> {
  installApproval(inputs);
  const b = await backendsFor("record this run's approval");
  const entries = Object.values(inputs.assignments);
  const count = (k: string) => entries.filter((e) => e.kind === k).length;
  await b.records.append({
    action: "approval",
    actor: { ...PIPELINE_ACTOR },
    subject: {},
    detail: `the plan approves ${inputs.revocations} revocation(s) (${count("revoke")} assignment(s) revoked, ${count("lost")} lost, ${inputs.unmanaged.length} unmanaged removed) and ${count("replace")} replacement(s), of ${inputs.atStake} passkeys at stake (maxRevokeShare ${inputs.maxRevokeShare}${inputs.allowMassRevoke ? ", mass revocation allowed" : ""})`,
    provenance: pipelineProvenance(),
  });
  return { ...inputs, approvedAt: new Date().toISOString() };
}

export const runApprovalProvider: Required<dynamic.ResourceProvider<RunApprovalInputs, RunApprovalOutputs>> =
  {
    async configure(req) {
      configureBackends(req.config);
    },
    async check(_olds, news) {
      const failures: dynamic.CheckFailure[] = [];
      if (typeof news.assignments !== "object" || news.assignments === null || !Array.isArray(news.unmanaged))
        failures.push({ property: "assignments", reason: "assignments and unmanaged are required" });
      if (!Number.isInteger(news.revocations) || news.revocations < 0)
        failures.push({ property: "revocations", reason: "revocations must be a count" });
      return { inputs: news, failures };
    },
    async diff(_id, olds, news) {
      // Installed here, changed or not: this run's deletes and creates consult it. Recorded when it changed.
      installApproval(news);
      const { approvedAt: _at, ...before } = olds;
      return { changes: canonicalJson(before) !== canonicalJson(news) };
    },
    async create(inputs) {
      return { id: "keyfleet-run-approval", outs: await approve(inputs) };
    },
    async read(id, props) {
      return { id, props: props as RunApprovalOutputs };
    },
    async update(_id, _olds, news) {
      return { outs: await approve(news) };
    },
    async delete() {},
  };
