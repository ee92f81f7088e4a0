import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  formatIssue,
  type LoadResult,
  loadSpecDir,
  loadSpecFiles,
  type SpecFile,
  type SpecIssue,
} from "../../core/spec/index.js";
import { MAX_FILE_ISSUES, MAX_ISSUES } from "../../core/spec/load.js";

// Input a hostile or careless user writes: each class is refused with file:line:col (or read as the
// author meant), never silently dropped or half-read.
const YK = "ee882879-721c-4913-9775-3dfcce97072a";
const H = "apiVersion: keyfleet.dev/v1\n";
const PROFILE: SpecFile = {
  path: "profiles.yaml",
  text: `${H}kind: KeyProfile\nname: yk\naaguids: [${YK}]\n`,
};
const ADA = `${H}kind: Person\nuserPrincipalName: ada@corp.example\nkeys: 1\nprofile: yk\n`;

const load = (...files: SpecFile[]) => loadSpecFiles([PROFILE, ...files]);
const at = (i: SpecIssue) => `${i.file}:${i.line}:${i.col}`;
function issues(r: LoadResult): SpecIssue[] {
  if (r.ok) throw new Error("expected the spec to be refused");
  return [...r.issues];
}
function problem(r: LoadResult, where: string, fragment: string): SpecIssue {
  const all = issues(r);
  const hit = all.find((i) => at(i) === where && i.message.includes(fragment));
  expect(hit, all.map(formatIssue).join("\n")).toBeDefined();
  return hit as SpecIssue;
}
const stripSources = (value: unknown) =>
  JSON.parse(JSON.stringify(value, (k, v) => (k === "source" ? undefined : v)));
function spec(r: LoadResult) {
  if (!r.ok) throw new Error(r.issues.map(formatIssue).join("\n"));
  return r.spec;
}

describe("CR-only line endings", () => {
  it("should read a classic Mac OS file line by line, with a warning, keeping its policy", () => {
    const text = `# policy\r${H}kind: Policy\runmanaged:\r  action: remove\r  aaguids: [${YK}]\r`.replace(
      /\n/g,
      "\r",
    );
    const r = load({ path: "policy.yaml", text });
    expect(spec(r).policy.unmanaged).toEqual({ action: "remove", aaguids: [YK] });
    expect(r.warnings.map((w) => `${at(w)} ${w.message}`)).toContainEqual(
      expect.stringMatching(/^policy\.yaml:1:1 line breaks are CR only/),
    );
  });

  it("should point into the right line of a CR-only file", () => {
    const r = load({
      path: "p.yaml",
      text: `${H}kind: Person\ruserPrincipalName: nope\rkeys: 1\rprofile: yk\r`,
    });
    problem(r, "p.yaml:3:20", "userPrincipalName must be");
  });
});

describe("files a folder holds but the loader does not read", () => {
  const dir = mkdtempSync(join(tmpdir(), "kf-strict-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "profiles.yaml"), PROFILE.text);
  writeFileSync(join(dir, "ada.yaml"), ADA);
  const outside = mkdtempSync(join(tmpdir(), "kf-strict-outside-"));
  writeFileSync(join(outside, "bob.yaml"), ADA.replace("ada@", "bob@"));

  it("should refuse a symbolic link to a spec file, a dangling one and a link to a folder", async () => {
    symlinkSync(join(outside, "bob.yaml"), join(dir, "bob.yaml"));
    symlinkSync(join(outside, "gone.yaml"), join(dir, "gone.yaml"));
    symlinkSync(outside, join(dir, "more"));
    const r = await loadSpecDir(dir);
    problem(r, `${dir}/bob.yaml:1:1`, "a symbolic link: Keyfleet reads only regular files");
    problem(r, `${dir}/gone.yaml:1:1`, "a dangling symbolic link");
    problem(r, `${dir}/more:1:1`, "a symbolic link to a folder");
    rmSync(join(dir, "bob.yaml"));
    rmSync(join(dir, "gone.yaml"));
    rmSync(join(dir, "more"));
  });

  it("should refuse spec files under a node_modules/ folder", async () => {
    mkdirSync(join(dir, "team/node_modules/pkg"), { recursive: true });
    writeFileSync(join(dir, "team/node_modules/pkg/people.yaml"), ADA.replace("ada@", "carol@"));
    const r = await loadSpecDir(dir);
    problem(r, `${dir}/team/node_modules/pkg/people.yaml:1:1`, "under a node_modules/ folder");
    expect(r.files).toBe(3);
    rmSync(join(dir, "team"), { recursive: true });
    expect((await loadSpecDir(dir)).ok).toBe(true);
  });
});

describe("empty documents and document markers", () => {
  const base = stripSources(spec(load({ path: "a.yaml", text: ADA })));
  it("should skip an empty file and a file of markers alike, with a warning", () => {
    for (const text of ["", "---\n", "---\n...\n", "# only a comment\n---\n# and another\n"]) {
      const r = load({ path: "a.yaml", text: ADA }, { path: "empty.yaml", text });
      expect(stripSources(spec(r)), JSON.stringify(text)).toEqual(base);
      expect(r.warnings.map((w) => `${at(w)} ${w.message}`)).toContain(
        "empty.yaml:1:1 holds no document: nothing in this file is read",
      );
    }
  });

  it("should accept a leading, trailing or extra --- and ... around documents", () => {
    for (const text of [
      `---\n${ADA}`,
      `${ADA}---\n`,
      `${ADA}...\n`,
      `${ADA}---\n---\n`,
      `---\n${ADA}...\n---\n...\n`,
    ]) {
      expect(stripSources(spec(load({ path: "a.yaml", text }))), JSON.stringify(text)).toEqual(base);
    }
  });

  it("should still refuse a document that is an explicit null", () => {
    problem(load({ path: "a.yaml", text: `${ADA}---\nnull\n` }), "a.yaml:7:1", "a document must be a map");
  });
});

describe("aliases", () => {
  it("should report an alias without an anchor at the alias", () => {
    const r = load({
      path: "a.yaml",
      text: `${H}kind: Person\nuserPrincipalName: ada@corp.example\nkeys: *n\nprofile: yk\n`,
    });
    problem(r, "a.yaml:4:7", "alias *n has no anchor &n before it");
  });

  it("should report an alias to an anchor of another document", () => {
    const r = load({
      path: "a.yaml",
      text: `${ADA.replace("keys: 1", "keys: &n 1")}---\n${ADA.replace("ada@", "bob@").replace("keys: 1", "keys: *n")}`,
    });
    problem(r, "a.yaml:10:7", "alias *n has no anchor &n before it in this document");
  });

  it("should refuse an alias bomb at its first alias, and keep every other file's problems", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let l = 1; l < 9; l++) {
      const prev = String.fromCharCode(96 + l);
      levels.push(
        `${String.fromCharCode(97 + l)}: &${String.fromCharCode(97 + l)} [${Array(9).fill(`*${prev}`).join(", ")}]`,
      );
    }
    const r = load(
      { path: "bomb.yaml", text: `${levels.join("\n")}\n` },
      { path: "b.yaml", text: `${H}kind: Nope\n` },
    );
    problem(r, "bomb.yaml:2:8", "aliases expand this document");
    problem(r, "b.yaml:2:7", "unknown kind 'Nope'");
  });

  it("should cap what aliases under yaml's own limit amplify: a 100 KB file stays a short report", () => {
    // One broken person, aliased hundreds of times into a People list, each copy full of mistakes.
    const bad = `{ userPrincipalName: x, objectId: y, leaving: z, keys: 99, groupKeys: maybe, ${Array.from({ length: 40 }, (_, i) => `f${i}: 1`).join(", ")} }`;
    const lines = [`${H}kind: People`, `base: &p ${bad}`, "people:"];
    lines.push("  - *p\n".repeat(Math.ceil(100_000 / 7)));
    const text = lines.join("\n");
    expect(text.length).toBeGreaterThan(100_000);
    const all = issues(load({ path: "amp.yaml", text }));
    expect(all.map((i) => `${at(i)} ${i.message}`)).toEqual([
      expect.stringMatching(/^amp\.yaml:5:5 aliases expand this document from \d+ written nodes to \d+/),
    ]);
  });

  it("should list at most a bounded number of problems, counting the rest", () => {
    const people = Array.from(
      { length: 1500 },
      (_, i) => `  - { userPrincipalName: bad${i}, keys: 1, profile: yk }`,
    );
    const files = Array.from({ length: 6 }, (_, f) => ({
      path: `p${f}.yaml`,
      text: `${H}kind: People\npeople:\n${people.join("\n")}\n`,
    }));
    const all = issues(load(...files));
    expect(all.length).toBeLessThanOrEqual(MAX_ISSUES + 1);
    const perFile = all.filter((i) => i.file === "p0.yaml");
    expect(perFile.length).toBe(MAX_FILE_ISSUES + 1);
    expect(perFile[MAX_FILE_ISSUES]?.message).toMatch(/^\d+ more problems in this file not shown/);
    expect(all[all.length - 1]?.message).toMatch(/more problems in all not shown/);
  });
});

describe("bytes and characters", () => {
  const dir = mkdtempSync(join(tmpdir(), "kf-strict-bytes-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "profiles.yaml"), PROFILE.text);

  it("should refuse a Latin-1 byte at its line and column", async () => {
    const latin1 = Buffer.concat([
      Buffer.from(`${H}kind: Person\nuserPrincipalName: ada@corp.example\ndisplayName: Ad`),
      Buffer.from([0xe9]),
      Buffer.from("le\nkeys: 1\nprofile: yk\n"),
    ]);
    writeFileSync(join(dir, "latin1.yaml"), latin1);
    const hit = problem(await loadSpecDir(dir), `${dir}/latin1.yaml:4:16`, "byte 0xE9 is not UTF-8");
    expect(hit.excerpt).toBe("displayName: Ad\ufffdle\n               ^");
    rmSync(join(dir, "latin1.yaml"));
  });

  it("should refuse UTF-16, with or without a byte order mark", async () => {
    writeFileSync(
      join(dir, "bom16.yaml"),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ADA, "utf16le")]),
    );
    writeFileSync(join(dir, "raw16.yaml"), Buffer.from(ADA, "utf16le"));
    const r = await loadSpecDir(dir);
    problem(r, `${dir}/bom16.yaml:1:1`, "is UTF-16");
    const nul = problem(r, `${dir}/raw16.yaml:1:2`, "a NUL character (U+0000; is the file UTF-16?)");
    expect(nul.excerpt).not.toContain("\u0000");
    expect(nul.excerpt.startsWith("a\\x00p\\x00")).toBe(true);
    rmSync(join(dir, "bom16.yaml"));
    rmSync(join(dir, "raw16.yaml"));
  });

  it("should refuse a NUL byte, and text someone else decoded with replacement characters", () => {
    problem(load({ path: "a.yaml", text: `${H}kind: Person\u0000\n` }), "a.yaml:2:13", "NUL character");
    const decoded = `${H}kind: Person\nuserPrincipalName: ada@corp.example\ndisplayName: Ad\ufffdle\nkeys: 1\nprofile: yk\n`;
    problem(load({ path: "a.yaml", text: decoded }), "a.yaml:4:16", "a replacement character (U+FFFD");
  });

  it("should refuse an unknown tag such as !vault", () => {
    const r = load({
      path: "a.yaml",
      text: `${H}kind: Person\nuserPrincipalName: !vault ada@corp.example\nkeys: 1\nprofile: yk\n`,
    });
    problem(r, "a.yaml:3:20", "unknown tag !vault");
  });

  it("should refuse tags yaml knows beyond the core schema, such as !!set and !!binary", () => {
    const r = load({
      path: "a.yaml",
      text: `${H}kind: Person\nuserPrincipalName: ada@corp.example\nslots:\n  primary: { profile: yk, adopt: &a !!set {} }\n`,
    });
    problem(r, "a.yaml:5:37", "unknown tag !!set");
    const b = load({ path: "b.yaml", text: `${H}kind: Policy\nmaxRevokeShare: !!binary aGVsbG8=\n` });
    problem(b, "b.yaml:3:17", "unknown tag !!binary");
    expect(load({ path: "c.yaml", text: `${H}kind: Policy\nmaxRevokeShare: !!float 0.5\n` }).ok).toBe(true);
  });

  it("should refuse terminal escape codes and never echo them raw", () => {
    const r = load({
      path: "a.yaml",
      text: `${H}kind: Person\nuserPrincipalName: ada\u001b[2K\u001b[1A@corp.example\nkeys: 1\nprofile: yk\n`,
    });
    const hit = problem(r, "a.yaml:3:23", "an escape character (U+001B");
    expect(hit.excerpt).toBe("userPrincipalName: ada\\x1b[2K\\x1b[1A@corp.example\n                      ^");
    for (const i of issues(r)) expect(formatIssue(i)).not.toContain("\u001b");
  });

  it("should count columns on the first line of a file with a byte order mark as an editor shows them", () => {
    const r = load({ path: "a.yaml", text: `\ufeffapiVersion: keyfleet.dev/v2\nkind: Person\n` });
    const hit = problem(r, "a.yaml:1:13", "apiVersion must be keyfleet.dev/v1");
    expect(hit.excerpt).toBe("apiVersion: keyfleet.dev/v2\n            ^");
  });

  it("should not warn about the schema line of a file with a byte order mark", () => {
    const r = load({
      path: "a.yaml",
      text: `\ufeff# yaml-language-server: $schema=keyfleet.schema.json\n${ADA}`,
    });
    expect(r.warnings.filter((w) => w.file === "a.yaml")).toEqual([]);
  });
});

describe("nesting", () => {
  it("should refuse flow, list and block nesting a parser would recurse on without end", () => {
    const flow = `${H}kind: Policy\nchallenge: ${"[".repeat(5000)}${"]".repeat(5000)}\n`;
    problem(load({ path: "flow.yaml", text: flow }), "flow.yaml:3:75", "nests deeper than 64 levels");
    const dashes = `${H}kind: Policy\nx:\n  ${"- ".repeat(5000)}1\n`;
    problem(load({ path: "dash.yaml", text: dashes }), "dash.yaml:4:3", "nests deeper than 64 levels");
    const block = `${H}kind: Policy\nx:\n${Array.from({ length: 5000 }, (_, i) => `${" ".repeat(i + 1)}k${i}:`).join("\n")} 1\n`;
    problem(load({ path: "block.yaml", text: block }), "block.yaml:67:65", "nests deeper than 64 levels");
  });

  it("should read the nesting real specs use", () => {
    const ok = `${H}kind: Person\nuserPrincipalName: ada@corp.example\nslots:\n  primary:\n    profile: yk\n    adopt: { aaguids: [${YK}] }\n`;
    expect(load({ path: "a.yaml", text: ok }).ok).toBe(true);
  });
});

describe("messages that name the real mistake", () => {
  it("should report one bad profile field once, not a cascade of unknown profiles", () => {
    const people = Array.from(
      { length: 20 },
      (_, i) => `  - { userPrincipalName: u${i}@corp.example, keys: 1, profile: ft }`,
    ).join("\n");
    const r = loadSpecFiles([
      { path: "a-people.yaml", text: `${H}kind: People\npeople:\n${people}\n` },
      {
        path: "z-profile.yaml",
        text: `${H}kind: KeyProfile\nname: ft\nmodels: [ePass]\npin: { length: 3 }\n`,
      },
    ]);
    expect(issues(r).map((i) => `${at(i)} ${i.message}`)).toEqual([
      "z-profile.yaml:5:16 pin.length must be >= 4",
    ]);
  });

  it("should not call serials of a broken inventory unknown", () => {
    const r = load(
      {
        path: "inv.yaml",
        text: `${H}kind: Inventory\nkeys:\n  - { serial: "7", aaguid: ${YK}, colour: red }\n`,
      },
      {
        path: "p.yaml",
        text: `${H}kind: Person\nuserPrincipalName: ada@corp.example\nslots:\n  primary: { profile: yk, serial: "7" }\n`,
      },
    );
    expect(issues(r).map((i) => at(i))).toEqual(["inv.yaml:4:66"]);
  });

  it("should name unknown fields inside adopt, group and challenge", () => {
    const adopt = load({
      path: "a.yaml",
      text: `${H}kind: Person\nuserPrincipalName: ada@corp.example\nslots:\n  primary: { profile: yk, adopt: { aaguid: [${YK}] } }\n`,
    });
    problem(
      adopt,
      "a.yaml:5:36",
      "unknown field 'aaguid' in slots.primary.adopt (allowed: aaguids, displayNameContains, createdBefore)",
    );
    const group = load({
      path: "g.yaml",
      text: `${H}kind: GroupAssignment\nname: staff\ngroup: { mail: staff@corp.example }\nprofile: yk\nkeys: 1\n`,
    });
    problem(group, "g.yaml:4:10", "unknown field 'mail' in group (allowed: objectId, displayName)");
    problem(group, "g.yaml:4:8", "group must be {objectId} or {displayName}");
    const challenge = load({
      path: "pol.yaml",
      text: `${H}kind: Policy\nchallenge:\n  mode: beta\n  minute: 10\n`,
    });
    problem(challenge, "pol.yaml:5:3", "unknown field 'minute' in challenge (allowed: mode, minutes)");
  });

  it("should name a repeated key and where it first appeared", () => {
    const r = load({
      path: "a.yaml",
      text: `${H}kind: Person\nuserPrincipalName: ada@corp.example\nslots:\n  primary: { profile: yk }\n  primary: { profile: yk }\n`,
    });
    problem(r, "a.yaml:6:3", "Map keys must be unique: 'primary' is already at a.yaml:5:3");
  });

  it("should check assignedTo against the people of the specs, by UPN or object id", () => {
    const id = "0000000a-0000-4000-8000-00000000000a";
    const inventory = (holder: string) => ({
      path: "inv.yaml",
      text: `${H}kind: Inventory\nkeys:\n  - { serial: "1", aaguid: ${YK}, assignedTo: ${holder} }\n`,
    });
    const byId = { path: "b.yaml", text: `${H}kind: Person\nobjectId: ${id}\nkeys: 1\nprofile: yk\n` };
    expect(load(inventory("ADA@corp.example"), { path: "a.yaml", text: ADA }).ok).toBe(true);
    expect(load(inventory(id.toUpperCase()), byId).ok).toBe(true);
    problem(
      load(inventory("nobody@corp.example"), { path: "a.yaml", text: ADA }),
      "inv.yaml:4:78",
      "who is not a person in the specs",
    );
    problem(
      load(inventory("bob"), { path: "a.yaml", text: ADA }),
      "inv.yaml:4:78",
      "assignedTo must be a userPrincipalName or an Entra object id",
    );
  });
});
