// The example organisation's spec files (specs/), read as the loader would, for tests.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SpecFile } from "../../core/spec/index.js";
import { repoRoot } from "../support/cli.js";

export const specsDir = join(repoRoot, "specs");

export function exampleFiles(): SpecFile[] {
  return readdirSync(specsDir, { recursive: true, encoding: "utf8" })
    .filter((p) => /\.ya?ml$/.test(p))
    .sort()
    .map((p) => ({ path: `specs/${p}`, text: readFileSync(join(specsDir, p), "utf8") }));
}
