// The Pulumi program (Pulumi.yaml runs its compiled form, dist/index.js): reads the specs, the directory, the
// task store and the tenant policy, then declares one KeyAssignment per (person, slot), one UnmanagedRemoval per
// credential the policy removes, and the stack outputs, among them the records chain head (`recordsHead`) that
// `keyfleet records verify --head` checks the store against.
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { gatherFleet } from "./providers/fleetData.js";
import { declareFleet, fleetOptionsFromConfig } from "./providers/fleetDeclaration.js";
import { readRecordsHead } from "./providers/pipelineAudit.js";
import { prepareSdkForScale } from "./providers/programRuntime.js";
import { pipelineTrust, providerSettings } from "./providers/providerSettings.js";

export default async function keyfleet() {
  const config = new pulumi.Config("keyfleet");
  const get = (key: string) => config.get(key);
  const options = { ...fleetOptionsFromConfig(get), stack: pulumi.getStack() };
  // Relative to Pulumi.yaml: the program's own working directory follows where dist/index.js really lives.
  const specs = resolve(pulumi.runtime.getRootDirectory(), get("specs") || "specs");
  const settings = providerSettings(get);
  // The pipeline owns its store (its first run meets none), and trusts rows and results only as signed.
  const data = await gatherFleet(specs, { ...settings, storeMayBeNew: true, trust: pipelineTrust(settings) });
  for (const warning of data.preflight.findings.filter((f) => f.severity === "warning")) {
    pulumi.log.warn(`keyfleet preflight: ${warning.message}`);
  }
  if (data.unresolved.length > 0) {
    pulumi.log.warn(
      `keyfleet: the directory does not know ${data.unresolved.join(", ")}; their keys are not declared`,
    );
  }
  prepareSdkForScale();
  return declareFleet(data, options, () => readRecordsHead(settings));
}
