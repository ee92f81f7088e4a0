import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadSpecDir, loadSpecFiles, type Spec } from "../../core/spec/index.js";
import { exampleFiles, specsDir } from "./exampleFiles.js";

function ok(files: Parameters<typeof loadSpecFiles>[0]): Spec {
  const r = loadSpecFiles(files);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join("\n"));
  return r.spec;
}

const stripSources = (spec: Spec) =>
  JSON.parse(JSON.stringify(spec, (k, v) => (k === "source" ? undefined : v)));

describe("spec loader", () => {
  const temps: string[] = [];
  afterEach(() => {
    for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
  });

  it("should load the example organisation without issues or warnings", async () => {
    const r = await loadSpecDir(specsDir);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings).toEqual([]);
    expect(r.spec.profiles.map((p) => p.name)).toEqual(["feitian-epass", "yubikey-5"]);
    expect(r.spec.groups.map((g) => g.name)).toEqual(["admins", "engineering", "plant-floor"]);
    expect(r.spec.people.length).toBe(30);
    expect(r.spec.inventory.length).toBe(10);
    expect(r.spec.policy.unmanaged).toEqual({
      action: "remove",
      aaguids: ["f8a011f3-8c0a-4d15-8006-17111f9edc7d"],
    });
  });

  it("should normalise values: credProtect names to levels, keys to key-N slots, defaults filled", () => {
    const spec = ok(exampleFiles());
    const yk = spec.profiles.find((p) => p.name === "yubikey-5");
    expect(yk?.credProtect).toBe(3);
    expect(yk?.pin).toEqual({ length: 8, forceChange: true });
    const elinor = spec.people.find((p) => p.userPrincipalName === "elinor.ostrom@northwindforge.example");
    expect(elinor?.slots.map((s) => s.name)).toEqual(["key-1", "key-2"]);
    const grace = spec.people.find((p) => p.userPrincipalName?.startsWith("grace"));
    expect(grace?.slots.map((s) => [s.name, s.state, s.since])).toEqual([
      ["backup", "lost", "2025-01-15"],
      ["primary", "active", undefined],
    ]);
    expect(Object.isFrozen(spec.people)).toBe(true);
    expect(Object.isFrozen(grace?.slots[0])).toBe(true);
  });

  it("should give the same spec whatever the file names, order and document order", () => {
    const files = exampleFiles();
    const base = stripSources(ok(files));
    const renamed = files
      .map((f, i) => ({ path: `z/${files.length - i}-${f.path.replace(/\//g, "_")}`, text: f.text }))
      .reverse();
    expect(stripSources(ok(renamed))).toEqual(base);
    // Every document in a file of its own, in reverse order.
    const split = files.flatMap((f) =>
      f.text
        .split(/^---$/m)
        .map((text, j) => ({ path: `${f.path}.${j}.yaml`, text: text.replace(/^\n/, "") })),
    );
    expect(stripSources(ok(split.reverse()))).toEqual(base);
  });

  it("should read files at any depth, .yml too, and skip hidden folders", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kf-spec-"));
    temps.push(dir);
    mkdirSync(join(dir, "a/b/c"), { recursive: true });
    mkdirSync(join(dir, ".git"));
    writeFileSync(
      join(dir, "a/b/c/profile.yml"),
      "apiVersion: keyfleet.dev/v1\nkind: KeyProfile\nname: p\nmodels: [Any Key]\n",
    );
    writeFileSync(join(dir, ".git/broken.yaml"), "this: [is not valid");
    writeFileSync(
      join(dir, "people.yaml"),
      "apiVersion: keyfleet.dev/v1\nkind: Person\nuserPrincipalName: a@b.example\nkeys: 1\nprofile: p\n",
    );
    const r = await loadSpecDir(dir);
    expect(r.ok).toBe(true);
    expect(r.files).toBe(2);
    // Both files lack the schema line: a warning each, not an error.
    expect(r.warnings.map((w) => `${w.file}:${w.line}:${w.col}`)).toEqual([
      `${dir}/a/b/c/profile.yml:1:1`,
      `${dir}/people.yaml:1:1`,
    ]);
  });

  it("should refuse a folder with no spec files and a missing folder", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kf-spec-"));
    temps.push(dir);
    await expect(loadSpecDir(dir)).rejects.toThrow(/no spec files/);
    await expect(loadSpecDir(join(dir, "nope"))).rejects.toThrow(/is not a folder/);
  });
});
