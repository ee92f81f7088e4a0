// Graph directory routes: users (by id or UPN, list with paging, $select and a simple $filter), groups,
// and a group's direct and transitive members (users and nested groups), paged.
import { authorize } from "./authorize.js";
import type { EmulatorContext } from "./context.js";
import type { DirGroup, DirUser } from "./directory.js";
import { type GraphRequest, type GraphResponse, graphError } from "./graphHttp.js";
import { pageOf, project, selection } from "./paging.js";

const userDefault = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];
const userKnown = [...userDefault, "accountEnabled", "userType"];
const groupDefault = ["id", "displayName", "description", "groupTypes", "mailEnabled", "securityEnabled"];

export function userJson(u: DirUser, withType = false): Record<string, unknown> {
  return {
    ...(withType ? { "@odata.type": "#microsoft.graph.user" } : {}),
    businessPhones: [],
    displayName: u.displayName,
    givenName: u.givenName,
    jobTitle: u.jobTitle,
    mail: u.mail,
    mobilePhone: null,
    officeLocation: null,
    preferredLanguage: null,
    surname: u.surname,
    userPrincipalName: u.userPrincipalName,
    id: u.id,
    accountEnabled: u.accountEnabled,
    userType: "Member",
  };
}

function defaultUser(u: DirUser, withType = false): Record<string, unknown> {
  const full = userJson(u, withType);
  const out: Record<string, unknown> = withType ? { "@odata.type": "#microsoft.graph.user" } : {};
  for (const k of userDefault) out[k] = full[k];
  return out;
}

function groupJson(g: DirGroup, withType = false): Record<string, unknown> {
  return {
    ...(withType ? { "@odata.type": "#microsoft.graph.group" } : {}),
    id: g.id,
    displayName: g.displayName,
    description: null,
    groupTypes: [],
    mailEnabled: false,
    securityEnabled: true,
  };
}

export function userNotFound(req: GraphRequest, id: string): GraphResponse {
  return graphError(
    req,
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );
}

/** `$filter` forms accepted on /users: `prop eq 'value'` for id, userPrincipalName, mail, displayName. */
function filterUsers(req: GraphRequest, users: readonly DirUser[]): readonly DirUser[] | GraphResponse {
  const text = req.query.get("$filter");
  if (text === null) return users;
  const m = /^\s*(id|userPrincipalName|mail|displayName)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(text);
  if (!m)
    return graphError(
      req,
      400,
      "Request_UnsupportedQuery",
      "Unsupported or invalid query filter clause specified for property or its value.",
    );
  const prop = (m[1] ?? "").toLowerCase();
  const value = (m[2] ?? "").replace(/''/g, "'").toLowerCase();
  return users.filter((u) => {
    const v =
      prop === "id"
        ? u.id
        : prop === "mail"
          ? u.mail
          : prop === "displayname"
            ? u.displayName
            : u.userPrincipalName;
    return (v ?? "").toLowerCase() === value;
  });
}

export function listUsers(ctx: EmulatorContext, req: GraphRequest): GraphResponse {
  const denied = authorize(req, "directory.read");
  if (denied) return denied;
  const select = selection(req, userKnown, "user");
  if (select && !Array.isArray(select)) return select;
  const users = filterUsers(req, ctx.directory.users);
  if (!Array.isArray(users)) return users as GraphResponse;
  const page = pageOf(
    ctx,
    req,
    users,
    (u) => (select ? project(userJson(u), select) : defaultUser(u)),
    "users",
  );
  return page.ok ? { status: 200, body: page.body } : page.response;
}

export function getUser(ctx: EmulatorContext, req: GraphRequest, id: string): GraphResponse {
  const denied = authorize(req, "directory.read");
  if (denied) return denied;
  const user = ctx.directory.user(id);
  if (!user) return userNotFound(req, id);
  const select = selection(req, userKnown, "user");
  if (select && !Array.isArray(select)) return select;
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.url}/${req.version}/$metadata#users/$entity`,
      ...(select ? project(userJson(user), select) : defaultUser(user)),
    },
  };
}

export function getMe(ctx: EmulatorContext, req: GraphRequest): GraphResponse {
  if (req.principal.kind !== "delegated" || !req.principal.userId) {
    return graphError(
      req,
      400,
      "BadRequest",
      "/me request is only valid with delegated authentication flow.",
    );
  }
  return getUser(ctx, req, req.principal.userId);
}

export function listGroups(ctx: EmulatorContext, req: GraphRequest): GraphResponse {
  const denied = authorize(req, "groups.read");
  if (denied) return denied;
  const select = selection(req, groupDefault, "group");
  if (select && !Array.isArray(select)) return select;
  const page = pageOf(ctx, req, ctx.directory.groups, (g) => project(groupJson(g), select), "groups");
  return page.ok ? { status: 200, body: page.body } : page.response;
}

export function getGroup(ctx: EmulatorContext, req: GraphRequest, id: string): GraphResponse {
  const denied = authorize(req, "groups.read");
  if (denied) return denied;
  const group = ctx.directory.group(id);
  if (!group) return userNotFound(req, id);
  const select = selection(req, groupDefault, "group");
  if (select && !Array.isArray(select)) return select;
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.url}/${req.version}/$metadata#groups/$entity`,
      ...project(groupJson(group), select),
    },
  };
}

export function listMembers(
  ctx: EmulatorContext,
  req: GraphRequest,
  id: string,
  transitive: boolean,
): GraphResponse {
  const denied = authorize(req, "groups.read");
  if (denied) return denied;
  const group = ctx.directory.group(id);
  if (!group) return userNotFound(req, id);
  const select = selection(req, [...new Set([...userKnown, ...groupDefault])], "directoryObject");
  if (select && !Array.isArray(select)) return select;
  const ids = transitive ? ctx.directory.transitiveMembers(group.id) : group.members;
  const render = (memberId: string): Record<string, unknown> => {
    const u = ctx.directory.user(memberId);
    if (u) return select ? project(userJson(u, true), select) : defaultUser(u, true);
    const g = ctx.directory.group(memberId);
    return g
      ? project(groupJson(g, true), select)
      : { "@odata.type": "#microsoft.graph.directoryObject", id: memberId };
  };
  const page = pageOf(ctx, req, ids, render, "directoryObjects");
  return page.ok ? { status: 200, body: page.body } : page.response;
}
