// Preflight against a tenant whose FIDO2 policy refuses things: read through Graph, judged by preflight().
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntraClient, listGroupUsers, runPreflight } from "../../core/entra/index.js";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";

const ALL_STAFF = "d397b649-2c1c-5ac0-8b47-8f0e52a76139";
const FINANCE = "6e83bc55-9e10-54b6-9d5d-e3b4904902ed";
const PILOT = "c1760e28-99a6-5388-be75-5ca89af53540";
const YUBIKEY_5 = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const ALLOWED = "ee882879-721c-4913-9775-3dfcce97072a";

let t: TestTenant;

beforeAll(async () => {
  t = await startTestTenant((seed) => ({
    ...seed,
    fido2Policy: {
      state: "enabled",
      isSelfServiceRegistrationAllowed: false,
      isAttestationEnforced: true,
      keyRestrictions: { isEnforced: true, enforcementType: "allow", aaGuids: [ALLOWED] },
      includeTargets: [{ targetType: "group", id: PILOT, isRegistrationRequired: false }],
      excludeTargets: [{ targetType: "group", id: FINANCE }],
    } as never,
  }));
});
afterAll(async () => {
  await t?.stop();
});

describe("preflight against the emulator", () => {
  it("should report what the tenant's policy would refuse before any work is raised", async () => {
    const entra = new EntraClient(t.config());
    const people = (await listGroupUsers(entra, ALL_STAFF)).map((u) => ({
      id: u.id,
      userPrincipalName: u.userPrincipalName,
    }));
    const { report, policy } = await runPreflight(entra, people, [
      { name: "yubikey", aaguids: [YUBIKEY_5], allowsUnattested: false },
      { name: "virtual", aaguids: [ALLOWED], allowsUnattested: true },
    ]);
    await entra.close();
    expect(policy.isSelfServiceRegistrationAllowed).toBe(false);
    expect(report.ok).toBe(false);
    const byCode = new Map(
      report.findings.map((f) => [`${f.code}${f.keyProfile ? `:${f.keyProfile}` : ""}`, f]),
    );
    expect([...byCode.keys()].sort()).toEqual([
      "aaguid-refused:yubikey",
      "attestation-unattested:virtual",
      "person-excluded",
      "person-not-targeted",
      "self-service-disabled",
    ]);
    expect(byCode.get("person-excluded")?.people?.sort()).toEqual([
      "chloe.martin@northwindforge.example",
      "elena.rossi@northwindforge.example",
    ]);
    // Pilot = Engineering (3) + Farid; of All Staff's 8, Ines and Jonas are outside it.
    expect(byCode.get("person-not-targeted")?.people?.sort()).toEqual([
      "ines.moreau@northwindforge.example",
      "jonas.berg@northwindforge.example",
    ]);
    expect(byCode.get("aaguid-refused:yubikey")?.peopleCount).toBe(4);
  });
});
