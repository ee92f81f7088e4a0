// Contract: users by id or UPN, lists with paging ($top, @odata.nextLink, $skiptoken), $select and a
// simple $filter, groups, and direct and transitive (nested) members, through the real Graph client.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/index.js";
import { expectGraphError, groups, people, rawClient } from "./support/fixture.js";
import { graphClient, graphScope, secretCredential } from "./support/graphClients.js";

let emu: RunningEmulator;
let graph: ReturnType<typeof graphClient>;
let raw: ReturnType<typeof rawClient>;
let token: string;

beforeAll(async () => {
  emu = await startEmulator({ synthetic: 250 });
  graph = graphClient(emu, secretCredential(emu));
  raw = rawClient(emu);
  token = (await secretCredential(emu).getToken(graphScope)).token;
});
afterAll(async () => {
  await graph?.close();
  await raw?.close();
  await emu?.stop();
});

async function collect(first: string): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let pages = 0;
  let next: string | undefined = first;
  while (next) {
    const page: { value: Record<string, unknown>[]; "@odata.nextLink"?: string } = await graph.client
      .api(next)
      .get();
    items.push(...page.value);
    pages++;
    next = page["@odata.nextLink"];
  }
  return { items, pages };
}

describe("users", () => {
  it("should get a user by UPN and by id with Graph's default properties", async () => {
    const byUpn = await graph.client.api(`/users/${encodeURIComponent(people.ada)}`).get();
    const byId = await graph.client.api(`/users/${byUpn.id}`).get();
    expect(byId).toEqual(byUpn);
    expect(Object.keys(byUpn).sort()).toEqual(
      [
        "@odata.context",
        "businessPhones",
        "displayName",
        "givenName",
        "id",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
      ].sort(),
    );
    const upper = await graph.client.api(`/users/${encodeURIComponent(people.ada.toUpperCase())}`).get();
    expect(upper.id).toBe(byUpn.id);
  });

  it("should answer 404 Request_ResourceNotFound for an unknown user", async () => {
    expectGraphError(
      await raw.call("GET", "/v1.0/users/nobody%40northwindforge.example", { token }),
      404,
      "Request_ResourceNotFound",
    );
  });

  it("should page through every user with $top and @odata.nextLink, keeping $select", async () => {
    const { items, pages } = await collect("/users?$top=100&$select=id,userPrincipalName");
    // 12 seed users, the example organisation's 36 (specs/) and the 250 synthetic ones.
    expect(items).toHaveLength(12 + 36 + 250);
    expect(pages).toBe(3);
    expect(new Set(items.map((u) => u.id)).size).toBe(items.length);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(["id", "userPrincipalName"]);
  });

  it("should refuse $top out of 1..999, an unknown $select property and a stale $skiptoken", async () => {
    expectGraphError(await raw.call("GET", "/v1.0/users?$top=1000", { token }), 400, "Request_BadRequest");
    expectGraphError(
      await raw.call("GET", "/v1.0/users?$select=shoeSize", { token }),
      400,
      "Request_BadRequest",
    );
    expectGraphError(
      await raw.call("GET", "/v1.0/users?$skiptoken=garbage", { token }),
      400,
      "Directory_ExpiredPageToken",
    );
  });

  it("should filter users by userPrincipalName and refuse other filters", async () => {
    const r = await graph.client.api("/users").filter(`userPrincipalName eq '${people.ben}'`).get();
    expect(r.value.map((u: { userPrincipalName: string }) => u.userPrincipalName)).toEqual([people.ben]);
    expectGraphError(
      await raw.call("GET", "/v1.0/users?$filter=startswith(displayName,'A')", { token }),
      400,
      "Request_UnsupportedQuery",
    );
  });
});

describe("groups", () => {
  it("should list groups and get one", async () => {
    const { items } = await collect("/groups");
    expect(items.map((g) => g.displayName)).toContain("Passkey Pilot");
    const g = await graph.client.api(`/groups/${groups.pilot}`).get();
    expect(g.displayName).toBe("Passkey Pilot");
  });

  it("should list direct members including nested groups, and transitive members flattened", async () => {
    const direct = (await collect(`/groups/${groups.allStaff}/members`)).items;
    expect(direct.filter((m) => m["@odata.type"] === "#microsoft.graph.group")).toHaveLength(3);
    const transitive = (await collect(`/groups/${groups.allStaff}/transitiveMembers`)).items;
    const users = transitive
      .filter((m) => m["@odata.type"] === "#microsoft.graph.user")
      .map((m) => m.userPrincipalName);
    expect(users).toEqual(
      expect.arrayContaining([people.ada, people.ben, people.jonas, "farid.haddad@northwindforge.example"]),
    );
    expect(users).toHaveLength(8);
  });

  it("should page transitive members of a large nested group", async () => {
    const all = (await collect("/groups")).items.find((g) => g.displayName === "Synthetic All Staff");
    const { items, pages } = await collect(`/groups/${String(all?.id)}/transitiveMembers?$top=120`);
    expect(items.filter((m) => m["@odata.type"] === "#microsoft.graph.user")).toHaveLength(250);
    expect(items.filter((m) => m["@odata.type"] === "#microsoft.graph.group")).toHaveLength(3);
    expect(pages).toBe(3);
  });

  it("should answer 404 for an unknown group", async () => {
    expectGraphError(
      await raw.call("GET", "/v1.0/groups/00000000-0000-4000-8000-00000000abcd/transitiveMembers", { token }),
      404,
      "Request_ResourceNotFound",
    );
  });
});
