// Reads of a tenant changed behind Keyfleet's back, against the emulator: readUsersByIds (bulk by object id
// through $batch, accountEnabled read, deleted and unknown people reported missing, every other failure
// thrown, never mistaken for "missing"), and FIDO2 methods carrying passkeyType and attestationLevel.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readUsersByIds } from "../../core/entra/directory.js";
import {
  EntraClient,
  EntraError,
  listFido2MethodsBulk,
  listGroupUsers,
  resolveUsers,
} from "../../core/entra/index.js";
import { startTestTenant, type TestTenant } from "./support/emulatorTenant.js";

let t: TestTenant;
let ids: string[] = [];
const noDirectory = { clientId: "0c0c0c0c-0000-4000-8000-000000000001", clientSecret: "no-directory-secret" };
const fast = { baseDelayMs: 5, maxDelayMs: 20 };

beforeAll(async () => {
  t = await startTestTenant((seed) => {
    seed.apps = [
      ...(seed.apps ?? []),
      {
        clientId: noDirectory.clientId,
        secret: noDirectory.clientSecret,
        roles: ["UserAuthMethod-Passkey.Read.All"],
      },
    ];
    return seed;
  }, 60);
  const entra = new EntraClient(t.config());
  for await (const page of entra.pages<{ id: string }>("/users?$select=id&$top=999")) {
    ids.push(...page.map((u) => u.id));
  }
  await entra.close();
  ids = ids.slice(0, 45);
});
afterAll(async () => {
  await t?.stop();
});
afterEach(async () => {
  await t.emu.admin.clearFaults();
});

describe("readUsersByIds", () => {
  it("should read people by object id in batches of 20, with accountEnabled, deleted and unknown ones missing", async () => {
    const [disabled, deleted] = ids as [string, string];
    await t.emu.admin.disableUser(disabled);
    await t.emu.admin.deleteUser(deleted);
    const unknown = "9e9e9e9e-0000-4000-8000-00000000abcd";
    const entra = new EntraClient(t.config());
    const before = entra.stats.requests;
    const result = await readUsersByIds(entra, [...ids, disabled.toUpperCase(), unknown]);
    const batches = entra.stats.requests - before;
    await entra.close();
    expect(batches).toBe(Math.ceil(46 / 20));
    expect(result.missing.sort()).toEqual([deleted, unknown].sort());
    expect(result.found.size).toBe(44);
    expect(result.found.get(disabled)).toMatchObject({ id: disabled, accountEnabled: false });
    expect(result.found.get(ids[2] as string)?.accountEnabled).toBe(true);
    expect(result.found.get(ids[2] as string)?.userPrincipalName).toMatch(/@/);
    await t.emu.admin.enableUser(disabled);
  });

  it("should report a renamed person under the same id with the new name", async () => {
    const id = ids[3] as string;
    await t.emu.admin.renameUser(id, "renamed.person@northwindforge.example");
    const entra = new EntraClient(t.config());
    const result = await readUsersByIds(entra, [id]);
    await entra.close();
    expect(result.found.get(id)?.userPrincipalName).toBe("renamed.person@northwindforge.example");
  });

  it("should throw a 403 rather than call anyone missing", async () => {
    const entra = new EntraClient(t.config(noDirectory));
    const failure = await readUsersByIds(entra, ids.slice(4, 10)).catch((e: unknown) => e);
    await entra.close();
    expect(EntraError.isInstance(failure)).toBe(true);
    expect((failure as EntraError).kind).toBe("Forbidden");
    expect((failure as EntraError).code).toBe("Authorization_RequestDenied");
    expect((failure as EntraError).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("should throw when Graph keeps failing one person, after retrying it", async () => {
    const victim = ids[5] as string;
    await t.emu.admin.setFaults([{ kind: "503", route: `^/v1\\.0/users/${victim}$`, method: "GET" }]);
    const entra = new EntraClient(t.config({ maxAttempts: "3" }), { retry: fast });
    const failure = await readUsersByIds(entra, ids.slice(4, 10)).catch((e: unknown) => e);
    await entra.close();
    expect(EntraError.isInstance(failure)).toBe(true);
    expect((failure as EntraError).kind).toBe("Unavailable");
    expect((failure as EntraError).attempts).toBe(3);
    expect((failure as EntraError).path).toBe(`/users/${victim}`);
  });

  it("should refuse something that is not an object id, asking Graph nothing", async () => {
    const entra = new EntraClient(t.config());
    const before = entra.stats.requests;
    await expect(readUsersByIds(entra, [ids[0] as string, "ada@northwindforge.example"])).rejects.toThrow(
      /not an object id/,
    );
    expect(entra.stats.requests).toBe(before);
    await entra.close();
  });
});

describe("accountEnabled in every user read", () => {
  it("should read a disabled person as such by UPN and in a group's transitive members", async () => {
    const entra = new EntraClient(t.config());
    let team = "";
    for await (const page of entra.pages<{ id: string; displayName: string }>("/groups?$top=999")) {
      team = page.find((g) => g.displayName === "Synthetic Team 0")?.id ?? team;
    }
    const member = (await listGroupUsers(entra, team))[10];
    if (member === undefined) throw new Error("Synthetic Team 0 has no eleventh member");
    await t.emu.admin.disableUser(member.id);
    const byUpn = await resolveUsers(entra, [member.userPrincipalName]);
    const inGroup = (await listGroupUsers(entra, team)).find((u) => u.id === member.id);
    await entra.close();
    await t.emu.admin.enableUser(member.id);
    expect(member.accountEnabled).toBe(true);
    expect(byUpn.found.get(member.userPrincipalName)?.accountEnabled).toBe(false);
    expect(inGroup?.accountEnabled).toBe(false);
  });
});

describe("FIDO2 methods", () => {
  it("should carry Graph's passkeyType and attestationLevel for self-registered passkeys", async () => {
    const id = ids[6] as string;
    const synced = await t.emu.admin.addSelfRegisteredPasskey(id, {
      aaGuid: "fbfc3007-154e-4ecc-8c0b-6e020557d7bd",
      displayName: "iCloud Keychain",
      passkeyType: "synced",
      attestationLevel: "notAttested",
      createdDateTime: "2026-01-02T03:04:05Z",
    });
    const bound = await t.emu.admin.addSelfRegisteredPasskey(id, {
      aaGuid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      displayName: "desk key",
      attestationLevel: "attested",
    });
    const entra = new EntraClient(t.config());
    const methods = (await listFido2MethodsBulk(entra, [id])).get(id) ?? [];
    await entra.close();
    expect(methods.find((m) => m.id === synced.id)).toMatchObject({
      passkeyType: "synced",
      attestationLevel: "notAttested",
      displayName: "iCloud Keychain",
      createdDateTime: "2026-01-02T03:04:05Z",
      model: undefined,
    });
    expect(methods.find((m) => m.id === bound.id)).toMatchObject({
      passkeyType: "deviceBound",
      attestationLevel: "attested",
      model: "YubiKey 5 Series",
    });
  });
});
