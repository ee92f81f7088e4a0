// Each drift category built as that exact situation in the emulator (real HTTPS, the real Entra client,
// a real SQLite task store, tenant changes through the emulator's admin routes) and read as `keyfleet drift`
// reads it: readDriftState ($batch) then computeDrift.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DriftReport } from "../../core/drift/index.js";
import type { EntraClient } from "../../core/entra/client.js";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { entraClientFor, registerPasskey } from "../providers/stationStandIn.js";
import { DriftFleet, FT, personYaml } from "./support/driftFleet.js";

let dir: string;
let emu: RunningEmulator;
let entra: EntraClient;
const fleets: DriftFleet[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "keyfleet-drift-entra-"));
  emu = await startEmulator({ dataDir: join(dir, "emulator") });
  entra = entraClientFor(emu);
});
afterAll(async () => {
  for (const f of fleets) await f.close();
  await entra?.close();
  await emu?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function fleet(): Promise<DriftFleet> {
  const f = await DriftFleet.open(emu, entra);
  fleets.push(f);
  return f;
}
const upn = (name: string) => `${name}@northwindforge.example`;
const kinds = (r: DriftReport) => r.findings.map((f) => f.kind);
const DAY = 86_400_000;

describe("drift against the emulator: each category as it happens", () => {
  it("should find no drift when the key a station registered is listed, attested and device-bound", async () => {
    const f = await fleet();
    const p = await f.person(upn("ada.lindqvist"));
    await f.complete(await f.raise(p, "primary"), await f.passkey(p));
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(r.findings).toEqual([]);
    expect(r.drift).toBe(false);
    expect(r.coverage).toMatchObject({ held: 1, desired: 1 });
  });

  it("should report a key missing when nothing was raised, and when the key was deleted behind everyone's back", async () => {
    const f = await fleet();
    const p = await f.person(upn("ben.adeyemi"));
    const m = await f.passkey(p);
    await f.complete(await f.raise(p, "primary"), m);
    await emu.admin.deleteMethod(p.id, m);
    const r = await f.drift(personYaml(p.upn, ["primary", "backup"]));
    expect(kinds(r)).toEqual(["missing", "missing"]);
    expect(r.findings.map((x) => `${x.slot}: ${x.message}`)).toEqual([
      "backup: no credential and no open task (new key)",
      "primary: no credential and no open task (the registered credential is no longer in Entra)",
    ]);
  });

  it("should report a pending task as not drift within its time, and as stale drift after it", async () => {
    const f = await fleet();
    const p = await f.person(upn("chloe.martin"));
    await f.raise(p, "primary");
    const spec = personYaml(p.upn, ["primary"]);
    const fresh = await f.drift(spec);
    expect(kinds(fresh)).toEqual(["pending"]);
    expect(fresh.drift).toBe(false);
    const later = await f.drift(spec, { now: new Date(Date.now() + 10 * DAY) });
    expect(kinds(later)).toEqual(["stale-pending"]);
    expect(later.findings[0]?.ageDays).toBe(10);
    expect(later.drift).toBe(true);
  });

  it("should report a failed task with the station's reason", async () => {
    const f = await fleet();
    const p = await f.person(upn("dev.patel"));
    await f.fail(await f.raise(p, "primary"), "the key refused the PIN");
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["failed"]);
    expect(r.findings[0]?.message).toBe("task g1 failed: the key refused the PIN");
  });

  it("should report a passkey the person registered themselves as unmanaged", async () => {
    const f = await fleet();
    const p = await f.person(upn("elena.rossi"));
    await f.complete(await f.raise(p, "primary"), await f.passkey(p));
    const own = await f.passkey(p, { aaGuid: FT });
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["unmanaged"]);
    expect(r.findings[0]?.methodIds).toEqual([own]);
  });

  it("should report a held credential whose AAGUID the profile does not allow", async () => {
    const f = await fleet();
    const p = await f.person(upn("farid.haddad"));
    await f.complete(await f.raise(p, "primary"), await f.passkey(p, { aaGuid: FT }), FT);
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["aaguid-not-allowed"]);
    expect(r.coverage.held).toBe(0);
  });

  it("should report a key registered without attestation (a real Graph registration, `none` format)", async () => {
    const f = await fleet();
    const p = await f.person(upn("grace.oduya"));
    const m = await registerPasskey(entra, p.id, "ee882879-721c-4913-9775-3dfcce97072a", "primary YK5");
    await f.complete(await f.raise(p, "primary"), m);
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["unattested"]);
  });

  it("should report a synced passkey in a key slot", async () => {
    const f = await fleet();
    const p = await f.person(upn("hiro.tanaka"));
    await f.complete(await f.raise(p, "primary"), await f.passkey(p, { passkeyType: "synced" }));
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["synced"]);
    expect(r.findings[0]?.severity).toBe("high");
  });

  it("should report a replacement's predecessor still registered as a duplicate", async () => {
    const f = await fleet();
    const p = await f.person(upn("ines.moreau"));
    await f.complete(await f.raise(p, "primary", 1), await f.passkey(p));
    await f.complete(await f.raise(p, "primary", 2), await f.passkey(p));
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["duplicate"]);
  });

  it("should report the keys of a person removed from the specs", async () => {
    const f = await fleet();
    const stays = await f.person(upn("jonas.berg"));
    const left = await f.person(upn("ada.lovelace"));
    await f.complete(await f.raise(stays, "primary"), await f.passkey(stays));
    const m = await f.passkey(left);
    await f.complete(await f.raise(left, "primary"), m);
    const r = await f.drift(personYaml(stays.upn, ["primary"]));
    expect(kinds(r)).toEqual(["orphan"]);
    expect(r.findings[0]).toMatchObject({ userPrincipalName: left.upn, methodIds: [m] });
  });

  it("should report a person disabled in Entra who still holds a key", async () => {
    const f = await fleet();
    const p = await f.person(upn("grace.hopper"));
    await f.complete(await f.raise(p, "primary"), await f.passkey(p));
    await emu.admin.disableUser(p.id);
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["disabled"]);
  });

  it("should report the tasks of a person deleted in Entra", async () => {
    const f = await fleet();
    const stays = await f.person(upn("alan.turing"));
    const gone = await f.person(upn("barbara.liskov"));
    await f.complete(await f.raise(stays, "primary"), await f.passkey(stays));
    await f.raise(gone, "primary");
    await emu.admin.deleteUser(gone.id);
    const r = await f.drift(personYaml(stays.upn, ["primary"]));
    expect(kinds(r)).toEqual(["deleted"]);
    expect(r.findings[0]?.personId).toBe(gone.id);
  });

  it("should report a UPN in the specs that was renamed in Entra", async () => {
    const f = await fleet();
    const p = await f.person(upn("edsger.dijkstra"));
    await emu.admin.renameUser(p.id, upn("edsger.w.dijkstra"));
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["stale-upn"]);
    expect(r.findings[0]?.message).toMatch(
      /^edsger\.dijkstra@northwindforge\.example is not in the directory; the spec still names them$/,
    );
  });

  it("should report a renamed person whose key stays held, found through the UPN their task recorded", async () => {
    const f = await fleet();
    const p = await f.person(upn("margaret.hamilton"));
    await f.complete(await f.raise(p, "primary"), await f.passkey(p));
    await emu.admin.renameUser(p.id, upn("margaret.h.hamilton"));
    const r = await f.drift(personYaml(p.upn, ["primary"]));
    expect(kinds(r)).toEqual(["stale-upn"]);
    expect(r.findings[0]?.message).toMatch(
      /'margaret\.hamilton@northwindforge\.example' is now 'margaret\.h\.hamilton@/,
    );
    expect(r.coverage).toMatchObject({ held: 1, desired: 1 });
  });
});
