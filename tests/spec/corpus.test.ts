import { describe, expect, it } from "vitest";
import { formatIssue, loadSpecFiles, type SpecFile } from "../../core/spec/index.js";

// A corpus of broken specs: each case is one mistake, checked for its exact position and message.
const YK = "ee882879-721c-4913-9775-3dfcce97072a";
const H = "apiVersion: keyfleet.dev/v1\n";
const BASE: SpecFile[] = [
  { path: "base/profiles.yaml", text: `${H}kind: KeyProfile\nname: yk\naaguids: [${YK}]\n` },
  {
    path: "base/inventory.yaml",
    text: `${H}kind: Inventory\nkeys:\n  - { serial: "100", aaguid: ${YK}, assignedTo: ada@corp.example }\n  - { serial: "200", aaguid: ${YK} }\n`,
  },
];
const ada = (slots: string, extra = "") =>
  `${H}kind: Person\nuserPrincipalName: ada@corp.example\n${extra}slots:\n${slots}`;

interface Case {
  name: string;
  files: Record<string, string>;
  /** `file:line:col` and a fragment of the message. */
  at: string;
  message: string;
}

const cases: Case[] = [
  {
    name: "YAML syntax: unclosed flow sequence",
    files: { "a.yaml": `${H}kind: KeyProfile\nname: x\naaguids: [${YK}\n` },
    at: "a.yaml:5:1",
    message: "YAML:",
  },
  {
    name: "YAML syntax: bad indentation",
    files: {
      "a.yaml": `${H}kind: Person\nuserPrincipalName: ada@corp.example\nslots:\n  primary:\n    profile: yk\n   state: lost\n`,
    },
    at: "a.yaml:7:1",
    message: "YAML: All mapping items must start at the same column",
  },
  {
    name: "duplicate slot key",
    files: { "a.yaml": ada("  primary: { profile: yk }\n  primary: { profile: yk }\n") },
    at: "a.yaml:6:3",
    message: "YAML: Map keys must be unique",
  },
  {
    name: "document is a list",
    files: { "a.yaml": "- apiVersion: keyfleet.dev/v1\n" },
    at: "a.yaml:1:1",
    message: "a document must be a map",
  },
  {
    name: "missing kind",
    files: { "a.yaml": `${H}name: yk\n` },
    at: "a.yaml:1:1",
    message: "missing required field 'kind'",
  },
  {
    name: "unknown kind",
    files: { "a.yaml": `${H}kind: KeyPolicy\n` },
    at: "a.yaml:2:7",
    message: "unknown kind 'KeyPolicy'",
  },
  {
    name: "wrong apiVersion",
    files: {
      "a.yaml": `apiVersion: keyfleet.dev/v2\nkind: Person\nuserPrincipalName: ada@corp.example\nkeys: 1\nprofile: yk\n`,
    },
    at: "a.yaml:1:13",
    message: "apiVersion must be keyfleet.dev/v1",
  },
  {
    name: "unknown field",
    files: { "a.yaml": ada("  primary: { profile: yk, colour: red }\n") },
    at: "a.yaml:5:27",
    message: "unknown field 'colour' in slots.primary",
  },
  {
    name: "wrong type",
    files: { "a.yaml": `${H}kind: Person\nuserPrincipalName: ada@corp.example\nkeys: two\nprofile: yk\n` },
    at: "a.yaml:4:7",
    message: "keys must be a whole number",
  },
  {
    name: "malformed UPN",
    files: { "a.yaml": `${H}kind: Person\nuserPrincipalName: ada.corp.example\nkeys: 1\nprofile: yk\n` },
    at: "a.yaml:3:20",
    message: "userPrincipalName must be a userPrincipalName like name@domain.example",
  },
  {
    name: "malformed AAGUID",
    files: { "a.yaml": `${H}kind: KeyProfile\nname: x\naaguids:\n  - ee882879-721c-4913-9775\n` },
    at: "a.yaml:5:5",
    message: "aaguids[0] must be a GUID",
  },
  {
    name: "malformed objectId",
    files: { "a.yaml": `${H}kind: Person\nobjectId: 1234\nkeys: 1\nprofile: yk\n` },
    at: "a.yaml:3:11",
    message: "objectId must be a GUID",
  },
  {
    name: "leaving date malformed",
    files: { "a.yaml": ada("  primary: { profile: yk }\n", "leaving: 31/03/2025\n") },
    at: "a.yaml:4:10",
    message: "leaving must be a date written YYYY-MM-DD",
  },
  {
    name: "leaving date not in the calendar",
    files: { "a.yaml": ada("  primary: { profile: yk }\n", 'leaving: "2025-02-30"\n') },
    at: "a.yaml:4:10",
    message: "2025-02-30 is not a calendar date",
  },
  {
    name: "unknown profile reference",
    files: { "a.yaml": ada("  primary: { profile: yubikey }\n") },
    at: "a.yaml:5:23",
    message: "unknown profile 'yubikey' (profiles: yk)",
  },
  {
    name: "unknown profile in a group assignment",
    files: {
      "g.yaml": `${H}kind: GroupAssignment\nname: staff\ngroup: { displayName: Staff }\nprofile: nope\nkeys: 1\n`,
    },
    at: "g.yaml:5:10",
    message: "unknown profile 'nope'",
  },
  {
    name: "duplicate person across files",
    files: {
      "a.yaml": ada("  primary: { profile: yk }\n"),
      "b/b.yaml": `${H}kind: People\npeople:\n  - userPrincipalName: ADA@corp.example\n    keys: 1\n    profile: yk\n`,
    },
    at: "b/b.yaml:4:24",
    message: "ada@corp.example is already listed at a.yaml:3:20",
  },
  {
    name: "duplicate profile name",
    files: { "p.yaml": `${H}kind: KeyProfile\nname: yk\nmodels: [Other]\n` },
    at: "p.yaml:3:7",
    message: "profile 'yk' is already defined at base/profiles.yaml",
  },
  {
    name: "slots and keys both given",
    files: { "a.yaml": ada("  primary: { profile: yk }\n", "keys: 2\n") },
    at: "a.yaml:4:1",
    message: "has both slots and keys",
  },
  {
    name: "keys without a profile",
    files: { "a.yaml": `${H}kind: Person\nuserPrincipalName: ada@corp.example\nkeys: 2\n` },
    at: "a.yaml:4:1",
    message: "keys needs a profile",
  },
  {
    name: "count out of range",
    files: { "a.yaml": `${H}kind: Person\nuserPrincipalName: ada@corp.example\nkeys: 11\nprofile: yk\n` },
    at: "a.yaml:4:7",
    message: "keys must be <= 10",
  },
  {
    name: "lost slot without a date",
    files: { "a.yaml": ada("  primary: { profile: yk, state: lost }\n") },
    at: "a.yaml:5:3",
    message: "slot 'primary' is lost: add since",
  },
  {
    name: "lost and adopt together",
    files: { "a.yaml": ada('  primary: { profile: yk, state: lost, since: "2025-01-01", adopt: true }\n') },
    at: "a.yaml:5:61",
    message: "slot 'primary' is lost: it cannot also adopt",
  },
  {
    name: "unknown slot state",
    files: { "a.yaml": ada("  primary: { profile: yk, state: stolen }\n") },
    at: "a.yaml:5:34",
    message: "slots.primary.state must be active, lost or retired",
  },
  {
    name: "invalid slot name",
    files: { "a.yaml": ada("  Primary_Key: { profile: yk }\n") },
    at: "a.yaml:5:3",
    message: "invalid slot name 'Primary_Key'",
  },
  {
    name: "same inventory serial on two slots",
    files: {
      "a.yaml": ada('  primary: { profile: yk, serial: "200" }\n  backup: { profile: yk, serial: "200" }\n'),
    },
    at: "a.yaml:6:34",
    message: "serial 200 is already given to the slot at a.yaml:5:35",
  },
  {
    name: "serial not in the inventory",
    files: { "a.yaml": ada('  primary: { profile: yk, serial: "999" }\n') },
    at: "a.yaml:5:35",
    message: "serial 999 is not in the inventory",
  },
  {
    name: "serial assigned to someone else",
    files: {
      "b.yaml": `${H}kind: Person\nuserPrincipalName: bob@corp.example\nslots:\n  primary: { profile: yk, serial: "100" }\n`,
    },
    at: "b.yaml:5:35",
    message: "serial 100 is assigned to ada@corp.example",
  },
  {
    name: "unquoted numeric serial",
    files: { "a.yaml": ada("  primary: { profile: yk, serial: 200 }\n") },
    at: "a.yaml:5:35",
    message: "must be a quoted serial number",
  },
  {
    name: "profile allowing no key",
    files: { "p.yaml": `${H}kind: KeyProfile\nname: empty\n` },
    at: "p.yaml:3:7",
    message: "profile 'empty' allows no key",
  },
  {
    name: "display name template too long",
    files: {
      "p.yaml": `${H}kind: KeyProfile\nname: long\nmodels: [X]\ndisplayName: "Northwind Forge corporate security key {serial}"\n`,
    },
    at: "p.yaml:5:14",
    message: "Entra keeps at most 30",
  },
  {
    name: "unknown display name placeholder",
    files: { "p.yaml": `${H}kind: KeyProfile\nname: t\nmodels: [X]\ndisplayName: "{slot} {owner}"\n` },
    at: "p.yaml:5:14",
    message: "unknown placeholder {owner}",
  },
  {
    name: "credProtect out of range",
    files: { "p.yaml": `${H}kind: KeyProfile\nname: t\nmodels: [X]\ncredProtect: 4\n` },
    at: "p.yaml:5:14",
    message: "credProtect must be 1, 2, 3",
  },
  {
    name: "PIN too short",
    files: { "p.yaml": `${H}kind: KeyProfile\nname: t\nmodels: [X]\npin: { length: 3 }\n` },
    at: "p.yaml:5:16",
    message: "pin.length must be >= 4",
  },
  {
    name: "remove without AAGUIDs",
    files: { "pol.yaml": `${H}kind: Policy\nunmanaged: { action: remove }\n` },
    at: "pol.yaml:3:22",
    message: "remove needs an aaguids list",
  },
  {
    name: "malformed policy AAGUID",
    files: { "pol.yaml": `${H}kind: Policy\nunmanaged:\n  action: remove\n  aaguids: [not-a-guid]\n` },
    at: "pol.yaml:5:13",
    message: "unmanaged.aaguids[0] must be a GUID",
  },
  {
    name: "two policies",
    files: { "pol.yaml": `${H}kind: Policy\n---\n${H}kind: Policy\nmaxRevokeShare: 0.5\n` },
    at: "pol.yaml:4:1",
    message: "only one Policy is allowed; the first is at pol.yaml:1:1",
  },
  {
    name: "beta challenge minutes out of range",
    files: { "pol.yaml": `${H}kind: Policy\nchallenge: { mode: beta, minutes: 2 }\n` },
    at: "pol.yaml:3:12",
    message: "challenge must be {mode: v1} or {mode: beta, minutes: 5-43200}",
  },
  {
    name: "maxRevokeShare above 1",
    files: { "pol.yaml": `${H}kind: Policy\nmaxRevokeShare: 10\n` },
    at: "pol.yaml:3:17",
    message: "maxRevokeShare must be <= 1",
  },
  {
    name: "group by neither objectId nor displayName",
    files: {
      "g.yaml": `${H}kind: GroupAssignment\nname: staff\ngroup: { mail: staff@corp.example }\nprofile: yk\nkeys: 1\n`,
    },
    at: "g.yaml:4:8",
    message: "group must be {objectId} or {displayName}",
  },
  {
    name: "adopt AAGUIDs outside the profile",
    files: {
      "a.yaml": ada(
        "  primary:\n    profile: yk\n    adopt: { aaguids: [833b721a-ff5f-4d00-bb2e-bdda3ec01e29] }\n",
      ),
    },
    at: "a.yaml:7:23",
    message: "which profile 'yk' does not allow",
  },
  {
    name: "person without identity",
    files: { "a.yaml": `${H}kind: People\npeople:\n  - displayName: Ada\n    keys: 1\n    profile: yk\n` },
    at: "a.yaml:4:5",
    message: "'Ada' needs a userPrincipalName or an objectId",
  },
  {
    name: "since on an active slot",
    files: { "a.yaml": ada('  primary: { profile: yk, since: "2025-01-01" }\n') },
    at: "a.yaml:5:27",
    message: "since applies only to lost or retired slots",
  },
];

describe("broken spec corpus", () => {
  it("should hold at least 25 distinct mistakes", () => {
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.length).toBeGreaterThanOrEqual(25);
  });

  for (const c of cases) {
    it(`should report ${c.name} at ${c.at}`, () => {
      const files = [...BASE, ...Object.entries(c.files).map(([path, text]) => ({ path, text }))];
      const r = loadSpecFiles(files);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      const printed = r.issues.map(formatIssue).join("\n");
      const hit = r.issues.find(
        (i) => `${i.file}:${i.line}:${i.col}` === c.at && i.message.includes(c.message),
      );
      expect(hit, printed).toBeDefined();
      // The excerpt is the offending line with a caret under the column.
      const [line, caret] = (hit?.excerpt ?? "").split("\n");
      const source = files.find((f) => f.path === hit?.file)?.text.split("\n")[(hit?.line ?? 1) - 1];
      expect(line).toBe(source);
      expect(caret).toBe(`${" ".repeat((hit?.col ?? 1) - 1)}^`);
    });
  }

  it("should report every problem of every file in one run, ordered by file and position", () => {
    const files = [...BASE];
    for (const c of cases.slice(3)) {
      for (const [path, text] of Object.entries(c.files))
        files.push({ path: `${c.name.replace(/\W+/g, "-")}/${path}`, text });
    }
    const r = loadSpecFiles(files);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const positions = r.issues.map((i) => [i.file, i.line, i.col] as const);
    const sorted = [...positions].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2],
    );
    expect(positions).toEqual(sorted);
    expect(new Set(r.issues.map((i) => i.file.split("/")[0])).size).toBeGreaterThanOrEqual(
      cases.length - 3 - 2,
    );
  });
});
