import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { publishedSchemas } from "../../core/plan/publishedSchemas.js";
import { repoRoot } from "../support/cli.js";
import { exampleFiles } from "./exampleFiles.js";

describe("published JSON Schemas", () => {
  it("should equal what the TypeBox definitions produce (run npx tsx scripts/gen-schema.ts)", () => {
    for (const [name, schema] of Object.entries(publishedSchemas())) {
      const committed = readFileSync(`${repoRoot}/specs/${name}`, "utf8");
      expect(committed, name).toBe(`${JSON.stringify(schema, null, 2)}\n`);
    }
  });

  it("should accept every example document and reject a broken one, as an editor would", () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(publishedSchemas()["keyfleet.schema.json"] ?? {});
    let documents = 0;
    for (const file of exampleFiles()) {
      for (const doc of parseAllDocuments(file.text) as ReturnType<typeof parseAllDocuments> & unknown[]) {
        documents++;
        expect(validate(doc.toJS()), `${file.path}: ${JSON.stringify(validate.errors)}`).toBe(true);
      }
    }
    expect(documents).toBeGreaterThanOrEqual(10);
    expect(
      validate({ apiVersion: "keyfleet.dev/v1", kind: "KeyProfile", name: "x", aaguids: ["nope"] }),
    ).toBe(false);
    expect(
      validate({
        apiVersion: "keyfleet.dev/v1",
        kind: "Person",
        userPrincipalName: "a@b.example",
        colour: 1,
      }),
    ).toBe(false);
  });

  it("should start every example spec file with the yaml-language-server schema line", () => {
    for (const file of exampleFiles()) {
      expect(file.text.split("\n")[0], file.path).toMatch(
        /^# yaml-language-server: \$schema=(\.\.\/)*keyfleet\.schema\.json$/,
      );
    }
  });
});
