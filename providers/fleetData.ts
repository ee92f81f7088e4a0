// The Pulumi program's reads are the plan's: core/plan/readFleet.ts is the one reader, so a pull request's
// plan comment and `pulumi up` stand on the same facts. The pipeline owns its task store and meets it before
// its first task exists, so its reads may find none (they never create one either).
import { type FleetData, type FleetReadSettings, readFleet } from "../core/plan/readFleet.js";

export { type FleetData, taskFacts } from "../core/plan/readFleet.js";

export function gatherFleet(specDir: string, settings: FleetReadSettings): Promise<FleetData> {
  return readFleet(specDir, { storeMayBeNew: true, ...settings });
}
