// The WebAuthn layer's pure parts: excludeCredentials ids in three encodings, clientDataJSON bytes,
// creationOptions validation, the extension mapping, and the registration body.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuthenticatorInfo } from "../../station/ctap2/getInfo.js";
import { credentialIdCandidates, fromBase64Url } from "../../station/webauthn/base64url.js";
import {
  clientDataJson,
  makeCredentialParams,
  planRegistration,
} from "../../station/webauthn/creationOptions.js";
import { WebAuthnError } from "../../station/webauthn/errors.js";
import { registrationBody } from "../../station/webauthn/registration.js";
import { entraCreationOptions } from "./entraFixture.js";

const info21: AuthenticatorInfo = {
  versions: ["FIDO_2_0", "FIDO_2_1"],
  extensions: ["credProtect", "hmac-secret"],
  aaguid: "00000000-0000-0000-0000-000000000000",
  options: { rk: true, clientPin: true, pinUvAuthToken: true },
  pinUvAuthProtocols: [2, 1],
  forcePINChange: false,
  minPINLength: 4,
  algorithms: [{ alg: -7, type: "public-key" }],
  maxCredentialCountInList: 8,
};

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("credentialIdCandidates", () => {
  const cases: [number, number][] = [
    [32, 1],
    [48, 0],
    [16, 2],
    [169, 2],
  ];
  for (const [n, pad] of cases) {
    it(`should decode a ${n}-byte id from standard base64, base64url and base64url with digit ${pad}`, () => {
      const id = createHash("sha512").update(String(n)).digest().subarray(0, Math.min(n, 64));
      const raw = n > 64 ? Buffer.concat([id, Buffer.alloc(n - 64, 0xfe)]) : id;
      const std = raw.toString("base64");
      const url = raw.toString("base64url");
      expect((std.match(/=/g) ?? []).length).toBe(pad);
      for (const text of [std, url, `${url}${pad}`]) {
        expect(credentialIdCandidates(text).map(hex), text).toContain(hex(raw));
      }
    });
  }

  it("should decode the padding-digit ids captured from Graph to their documented lengths", () => {
    expect(
      credentialIdCandidates("prXptqCfm_ohEAcE2Jw6CUtUb4uWpb2vaS-cFB82ruMhcIRAE17S0g1bkPjtsC6S0").map(
        (b) => b.length,
      ),
    ).toContain(48);
    expect(
      credentialIdCandidates("MMeD8wrNCZ-0hbfdYvvAIzrsrTGd_uXdt2iXbYlGJSs1").map((b) => b.length),
    ).toContain(32);
    expect(credentialIdCandidates("GshyINLMaOOwqt1LNUi0gQ==")[0]?.length).toBe(16);
  });

  it("should return nothing for text that is no encoding of bytes", () => {
    expect(credentialIdCandidates("not base64!")).toEqual([]);
    expect(credentialIdCandidates("")).toEqual([]);
  });

  it("should refuse non-canonical base64url", () => {
    expect(() => fromBase64Url("AB")).toThrow(SyntaxError);
    expect(hex(fromBase64Url("AA"))).toBe("00");
  });
});

describe("planRegistration", () => {
  it("should build clientDataJSON byte for byte and hash it", () => {
    const bytes = clientDataJson("abc-_");
    expect(Buffer.from(bytes).toString()).toBe(
      '{"type":"webauthn.create","challenge":"abc-_","origin":"https://login.microsoft.com","crossOrigin":false}',
    );
    const options = entraCreationOptions();
    const plan = planRegistration(options);
    expect(hex(plan.clientDataHash)).toBe(createHash("sha256").update(plan.clientDataJSON).digest("hex"));
    expect(plan.user.id.length).toBe(51);
    expect(plan).toMatchObject({
      residentKey: true,
      userVerification: "required",
      credProtect: 1,
      enforceCredProtect: true,
      hmacSecret: true,
    });
  });

  it("should map the three credential protection policies to credProtect 1, 2 and 3", () => {
    const levels = [
      "userVerificationOptional",
      "userVerificationOptionalWithCredentialIDList",
      "userVerificationRequired",
    ].map((p) => {
      const o = entraCreationOptions();
      (o.publicKey as { extensions: Record<string, unknown> }).extensions.credentialProtectionPolicy = p;
      return planRegistration(o).credProtect;
    });
    expect(levels).toEqual([1, 2, 3]);
  });

  const broken: [string, (pk: Record<string, unknown>) => void][] = [
    ["no challenge", (pk) => delete pk.challenge],
    ["no rp id", (pk) => (pk.rp = {})],
    ["a user id that is not base64", (pk) => (pk.user = { id: "!!" })],
    ["no algorithms", (pk) => (pk.pubKeyCredParams = [])],
    ["an undecodable excluded id", (pk) => (pk.excludeCredentials = [{ type: "public-key", id: "@@" }])],
    [
      "an unknown protection policy",
      (pk) => ((pk.extensions as Record<string, unknown>).credentialProtectionPolicy = "maybe"),
    ],
  ];
  for (const [name, breakIt] of broken) {
    it(`should refuse creationOptions with ${name} as bad-options`, () => {
      const o = entraCreationOptions();
      breakIt(o.publicKey as Record<string, unknown>);
      const e = (() => {
        try {
          planRegistration(o);
        } catch (x) {
          return x;
        }
      })();
      expect(WebAuthnError.isInstance(e) && e.code).toBe("bad-options");
    });
  }

  it("should fail when credProtect is enforced and the key lacks it, and drop it when not enforced", () => {
    const plan = planRegistration(entraCreationOptions());
    const auth = { pinUvAuthParam: new Uint8Array(32), pinUvAuthProtocol: 2 };
    const noExt = { ...info21, extensions: [] };
    expect(() => makeCredentialParams(plan, noExt, auth)).toThrow(/credProtect/);
    const relaxed = makeCredentialParams({ ...plan, enforceCredProtect: false }, noExt, auth);
    expect(relaxed.extensions).toEqual({});
    expect(makeCredentialParams(plan, info21, auth).extensions).toEqual({ credProtect: 1, hmacSecret: true });
  });

  it("should require a PIN when user verification is required and no token is given", () => {
    const plan = planRegistration(entraCreationOptions());
    expect(() => makeCredentialParams(plan, info21)).toThrow(WebAuthnError);
  });

  it("should keep the display name within 30 characters", () => {
    const plan = planRegistration(entraCreationOptions());
    const result = { fmt: "none", authData: new Uint8Array(37), attStmt: new Map() };
    expect(registrationBody(plan, result, "x".repeat(30), Uint8Array.of(1)).displayName).toHaveLength(30);
    expect(() => registrationBody(plan, result, "x".repeat(31), Uint8Array.of(1))).toThrow(WebAuthnError);
  });
});
