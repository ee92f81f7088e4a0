// The Pulumi program's reads are the plan's: core/plan/readFleet.ts is the one reader, so a pull request's
// plan comment and `pulumi up` stand on the same facts. Re-exported under the program's older names.
export {
  type FleetData,
  readFleet as gatherFleet,
  taskFacts,
} from "../core/plan/readFleet.js";
