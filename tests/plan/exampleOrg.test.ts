// The example organisation (specs/) against the emulator's default tenant: `keyfleet plan specs` must
// resolve every person and group the specs name, since the demo runs exactly this pair.
import "reflect-metadata";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Spec } from "../../core/spec/index.js";
import { loadSpecDir } from "../../core/spec/index.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { loadTenantSeed, type TenantSeed } from "../../emulator/tenant.js";
import { emulatorEntraEnv, repoRoot, runCli } from "../support/cli.js";

interface PlanAction {
  kind: string;
  personId?: string;
  userPrincipalName?: string;
  slot?: string;
}
interface PlanOutput {
  actions: PlanAction[];
  blocked: boolean;
  summary: { counts: Record<string, number> };
}

// Fixed so that nobody's `leaving` day (2025-02-28, 2025-06-30) has passed and the lost keys' `since`
// (2025-01-15, 2025-01-20) has: every person the specs name still gets keys.
const today = "2025-02-01";

let emu: RunningEmulator;
let dir: string;
let spec: Spec;
let seed: TenantSeed;
let code: number;
let stderr: string;
let out: PlanOutput;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "keyfleet-example-org-"));
  emu = await startEmulator({ dataDir: join(dir, "emulator") });
  const loaded = await loadSpecDir(join(repoRoot, "specs"));
  if (!loaded.ok) throw new Error("the example specs do not validate");
  spec = loaded.spec;
  seed = loadTenantSeed(undefined);
  const r = await runCli(["plan", join(repoRoot, "specs"), "--json", "--first-run", "--today", today], {
    env: {
      ...emulatorEntraEnv(emu),
      KEYFLEET_TASK_STORE: `sqlite:${join(dir, "tasks.db")}`,
    },
  });
  code = r.code;
  stderr = r.stderr;
  out = (r.code === 0 || r.code === 1 ? JSON.parse(r.stdout) : { actions: [] }) as PlanOutput;
});
afterAll(async () => {
  await emu?.stop();
  await rm(dir, { recursive: true, force: true });
});

const users = () => [...(seed.users ?? []), ...(seed.operators ?? [])];

function userId(upnOrId: string): string | undefined {
  const k = upnOrId.toLowerCase();
  return users().find((u) => u.id.toLowerCase() === k || u.userPrincipalName.toLowerCase() === k)?.id;
}

/** Transitive user ids of a tenant group, as Graph's transitiveMembers flattens them. */
function groupUserIds(groupId: string, seen = new Set<string>()): Set<string> {
  const ids = new Set<string>();
  if (seen.has(groupId)) return ids;
  seen.add(groupId);
  const group = seed.groups?.find((g) => g.id === groupId);
  for (const m of group?.members ?? []) {
    const nested = seed.groups?.find((g) => g.id === m.toLowerCase());
    if (nested) for (const id of groupUserIds(nested.id, seen)) ids.add(id);
    else {
      const id = userId(m);
      if (id) ids.add(id);
    }
  }
  return ids;
}

function provisionedSlots(personId: string): string[] {
  return out.actions
    .filter((a) => a.kind === "provision" && a.personId === personId)
    .map((a) => a.slot ?? "");
}

describe("keyfleet plan specs against the default emulator tenant", () => {
  it("should succeed with work to do (exit 1), unblocked, with nobody unresolved", () => {
    expect(stderr).toBe("");
    expect(code).toBe(1);
    expect(out.blocked).toBe(false);
    expect(out.actions.filter((a) => a.kind === "unresolved")).toEqual([]);
    expect(out.summary.counts.unresolved ?? 0).toBe(0);
  });

  it("should find every person the specs name in the tenant, by the spec's object id where it gives one", () => {
    expect(spec.people.length).toBeGreaterThanOrEqual(30);
    for (const p of spec.people) {
      const byUpn = p.userPrincipalName ? userId(p.userPrincipalName) : undefined;
      const id = p.objectId ?? byUpn;
      expect(id && userId(id), `${p.userPrincipalName ?? p.objectId} is not in the tenant`).toBeTruthy();
      if (p.objectId && byUpn) expect(byUpn).toBe(p.objectId);
    }
  });

  it("should give every spec person provision actions", () => {
    for (const p of spec.people) {
      const id = p.objectId ?? userId(p.userPrincipalName ?? "");
      expect(provisionedSlots(id ?? "").length, `${p.userPrincipalName ?? p.objectId}`).toBeGreaterThan(0);
    }
  });

  it("should resolve the three groups to exactly one tenant group each, every member getting its group keys", () => {
    expect(spec.groups.map((g) => g.name).sort()).toEqual(["admins", "engineering", "plant-floor"]);
    for (const assignment of spec.groups) {
      const ref = assignment.group;
      const matches = (seed.groups ?? []).filter((g) =>
        "objectId" in ref ? g.id === ref.objectId : g.displayName === ref.displayName,
      );
      expect(matches, assignment.name).toHaveLength(1);
      const members = groupUserIds(matches[0]?.id ?? "");
      expect(members.size, assignment.name).toBeGreaterThan(0);
      for (const member of members) {
        expect(provisionedSlots(member).length, `${assignment.name}: ${member}`).toBeGreaterThan(0);
        const own = spec.people.find((p) => (p.objectId ?? userId(p.userPrincipalName ?? "")) === member);
        if (own?.groupKeys === "exclude") continue;
        for (let k = 1; k <= assignment.keys; k++) {
          const slot = `group-${assignment.name}-${k}`;
          // A person's own slot of the same name replaces the group's (Barbara adopts her own key there).
          if (own?.slots.some((s) => s.name === slot)) continue;
          expect(provisionedSlots(member), `${assignment.name}: ${member}`).toContain(slot);
        }
      }
    }
  });

  it("should mark the tenant admins privileged, so Authentication Administrators cannot manage their keys", () => {
    const admins = seed.groups?.find((g) => g.displayName === "Northwind Forge Tenant Admins");
    const ids = groupUserIds(admins?.id ?? "");
    expect(ids.size).toBeGreaterThan(0);
    for (const id of ids) expect(users().find((u) => u.id === id)?.privileged, id).toBe(true);
  });
});
