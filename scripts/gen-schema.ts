// Writes the published JSON Schemas from their TypeBox definitions: specs/keyfleet.schema.json (spec
// documents) and specs/actual-state.schema.json (the `keyfleet plan --actual` input).
// Run: npx tsx scripts/gen-schema.ts   (tests/spec/schema.test.ts fails when the files are stale)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { publishedSchemas } from "../core/plan/publishedSchemas.js";

for (const [name, schema] of Object.entries(publishedSchemas())) {
  const path = fileURLToPath(new URL(`../specs/${name}`, import.meta.url));
  writeFileSync(path, `${JSON.stringify(schema, null, 2)}\n`);
  process.stdout.write(`wrote ${path}\n`);
}
