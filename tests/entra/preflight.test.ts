import { describe, expect, it } from "vitest";
import { parseFido2Policy } from "../../core/entra/policy.js";
import { type PreflightInput, preflight } from "../../core/entra/preflight.js";

const YUBI = "cb69481e-8ff7-4039-93ec-0a2729a154a8";
const OTHER = "ee882879-721c-4913-9775-3dfcce97072a";

const people = [
  { id: "u1", userPrincipalName: "ada@contoso.test" },
  { id: "u2", userPrincipalName: "bob@contoso.test" },
  { id: "u3", userPrincipalName: "cy@contoso.test" },
];

function input(policy: unknown, extra: Partial<PreflightInput> = {}): PreflightInput {
  return {
    policy: parseFido2Policy(policy),
    keyProfiles: [{ name: "yubikey", aaguids: [YUBI], allowsUnattested: false }],
    people,
    groupMembers: new Map([
      ["g-keys", new Set(["u1", "u2"])],
      ["g-admins", new Set(["u2"])],
    ]),
    ...extra,
  };
}

const openPolicy = {
  state: "enabled",
  isSelfServiceRegistrationAllowed: true,
  isAttestationEnforced: false,
  keyRestrictions: { isEnforced: false, enforcementType: "block", aaGuids: [] },
  includeTargets: [{ targetType: "group", id: "all_users", isRegistrationRequired: false }],
  excludeTargets: [],
};

describe("preflight", () => {
  it("should find nothing when the policy admits everyone and every key", () => {
    expect(preflight(input(openPolicy))).toEqual({ ok: true, findings: [] });
  });

  it("should report a disabled method and self-service set-up turned off", () => {
    const report = preflight(
      input({ ...openPolicy, state: "disabled", isSelfServiceRegistrationAllowed: false }),
    );
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => f.code)).toEqual(["policy-disabled", "self-service-disabled"]);
  });

  it("should report people outside the include targets and people excluded", () => {
    const report = preflight(
      input({
        ...openPolicy,
        includeTargets: [{ targetType: "group", id: "g-keys" }],
        excludeTargets: [{ targetType: "group", id: "g-admins" }],
      }),
    );
    const byCode = Object.fromEntries(report.findings.map((f) => [f.code, f]));
    expect(byCode["person-excluded"]?.people).toEqual(["bob@contoso.test"]);
    expect(byCode["person-not-targeted"]?.people).toEqual(["cy@contoso.test"]);
    expect(byCode["person-not-targeted"]?.peopleCount).toBe(1);
    expect(report.ok).toBe(false);
  });

  it("should report AAGUIDs an allow list leaves out and a block list names", () => {
    const allow = preflight(
      input({
        ...openPolicy,
        keyRestrictions: { isEnforced: true, enforcementType: "allow", aaGuids: [OTHER] },
      }),
    );
    expect(allow.findings).toMatchObject([
      { code: "aaguid-refused", aaguid: YUBI, keyProfile: "yubikey", peopleCount: 3 },
    ]);
    const block = preflight(
      input({
        ...openPolicy,
        keyRestrictions: { isEnforced: true, enforcementType: "block", aaGuids: [YUBI.toUpperCase()] },
      }),
    );
    expect(block.findings.map((f) => f.code)).toEqual(["aaguid-refused"]);
    const notEnforced = preflight(
      input({
        ...openPolicy,
        keyRestrictions: { isEnforced: false, enforcementType: "block", aaGuids: [YUBI] },
      }),
    );
    expect(notEnforced.findings).toEqual([]);
  });

  it("should report attestation enforced for a key profile that allows unattested keys", () => {
    const report = preflight(
      input(
        { ...openPolicy, isAttestationEnforced: true },
        { keyProfiles: [{ name: "virtual", aaguids: [], allowsUnattested: true }] },
      ),
    );
    expect(report.findings.map((f) => [f.code, f.keyProfile])).toEqual([
      ["attestation-unattested", "virtual"],
    ]);
  });

  it("should judge passkey profiles per target, falling back to the default profile", () => {
    const policy = {
      ...openPolicy,
      defaultPasskeyProfile: "p-default",
      includeTargets: [
        { targetType: "group", id: "g-keys", allowedPasskeyProfiles: ["p-strict"] },
        { targetType: "user", id: "u3" },
      ],
      passkeyProfiles: [
        {
          id: "p-default",
          name: "Default passkey profile",
          passkeyTypes: "deviceBound,synced",
          attestationEnforcement: "disabled",
          keyRestrictions: { isEnforced: false, enforcementType: "allow", aaGuids: [] },
        },
        {
          id: "p-strict",
          name: "strict",
          passkeyTypes: "deviceBound",
          attestationEnforcement: "registrationOnly",
          keyRestrictions: { isEnforced: true, enforcementType: "allow", aaGuids: [OTHER] },
        },
      ],
    };
    const report = preflight(input(policy));
    expect(report.findings).toMatchObject([
      { code: "aaguid-refused", passkeyProfile: "strict", people: ["ada@contoso.test", "bob@contoso.test"] },
    ]);
  });

  it("should report people allowed only synced passkeys", () => {
    const policy = {
      ...openPolicy,
      defaultPasskeyProfile: "p-synced",
      passkeyProfiles: [
        { id: "p-synced", name: "synced", passkeyTypes: "synced", attestationEnforcement: "disabled" },
      ],
    };
    expect(preflight(input(policy)).findings).toMatchObject([
      { code: "device-bound-refused", peopleCount: 3 },
    ]);
  });

  it("should warn when a key profile allows any key but the tenant allows only listed AAGUIDs", () => {
    const report = preflight(
      input(
        { ...openPolicy, keyRestrictions: { isEnforced: true, enforcementType: "allow", aaGuids: [YUBI] } },
        { keyProfiles: [{ name: "any", aaguids: [], allowsUnattested: false }] },
      ),
    );
    expect(report.ok).toBe(true);
    expect(report.findings).toMatchObject([{ code: "profile-unrestricted", severity: "warning" }]);
  });

  it("should apply a key profile only to the people given it", () => {
    const report = preflight(
      input(
        { ...openPolicy, keyRestrictions: { isEnforced: true, enforcementType: "block", aaGuids: [YUBI] } },
        { keyProfiles: [{ name: "yubikey", aaguids: [YUBI], allowsUnattested: false, people: ["u3"] }] },
      ),
    );
    expect(report.findings).toMatchObject([{ code: "aaguid-refused", people: ["cy@contoso.test"] }]);
  });

  it("should read the policy's flags string and missing fields defensively", () => {
    const policy = parseFido2Policy({ passkeyProfiles: [{ id: "p", passkeyTypes: "deviceBound, synced" }] });
    expect(policy.state).toBe("disabled");
    expect(policy.passkeyProfiles[0]?.passkeyTypes).toEqual(["deviceBound", "synced"]);
    expect(parseFido2Policy(null).includeTargets).toEqual([]);
  });
});
