// The JSON Schemas Keyfleet publishes under specs/, by file name, from the definitions the code validates with.
import { specJsonSchema } from "../spec/schema.js";
import { ActualStateSchema } from "./actual.js";

export function publishedSchemas(): Record<string, Record<string, unknown>> {
  return {
    "keyfleet.schema.json": specJsonSchema(),
    "actual-state.schema.json": {
      $schema: "http://json-schema.org/draft-07/schema#",
      $id: "https://keyfleet.dev/schemas/actual-state.schema.json",
      title: "Keyfleet actual state (keyfleet plan --actual)",
      ...(JSON.parse(JSON.stringify(ActualStateSchema)) as Record<string, unknown>),
    },
  };
}
