// Who may call what: application permissions (roles) for app tokens; delegated permissions (scp) plus the
// signed-in user's directory roles for operator tokens. An Authentication Administrator may not manage the
// methods of a privileged user (one holding an admin role); a Privileged Authentication Administrator may.
import type { DirUser } from "./directory.js";
import { type GraphRequest, type GraphResponse, graphError } from "./graphHttp.js";
import {
  methodReaders,
  methodWriters,
  policyReaders,
  policyWriters,
  privilegedMethodWriters,
} from "./roles.js";

export type Permission =
  | "directory.read"
  | "groups.read"
  | "methods.read"
  | "methods.write"
  | "policy.read"
  | "policy.write";

/** Permission names that grant each operation (app and delegated; the least privileged first). */
const grants: Record<Permission, string[]> = {
  "directory.read": [
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "User.ReadBasic.All",
  ],
  "groups.read": [
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
  ],
  "methods.read": [
    "UserAuthMethod-Passkey.Read.All",
    "UserAuthMethod-Passkey.ReadWrite.All",
    "UserAuthenticationMethod.Read.All",
    "UserAuthenticationMethod.ReadWrite.All",
  ],
  "methods.write": ["UserAuthMethod-Passkey.ReadWrite.All", "UserAuthenticationMethod.ReadWrite.All"],
  "policy.read": [
    "Policy.Read.AuthenticationMethod",
    "Policy.ReadWrite.AuthenticationMethod",
    "Policy.Read.All",
  ],
  "policy.write": ["Policy.ReadWrite.AuthenticationMethod"],
};

function denied(req: GraphRequest, permission: Permission): GraphResponse {
  if (permission.startsWith("methods"))
    return graphError(req, 403, "accessDenied", "Request Authorization failed");
  return graphError(
    req,
    403,
    "Authorization_RequestDenied",
    "Insufficient privileges to complete the operation.",
  );
}

/** undefined when allowed, else the 403 to send. `target` is the user whose methods are touched. */
export function authorize(
  req: GraphRequest,
  permission: Permission,
  target?: DirUser,
): GraphResponse | undefined {
  const p = req.principal;
  const names = grants[permission];
  if (p.kind === "app") return names.some((n) => p.roles.includes(n)) ? undefined : denied(req, permission);
  if (!names.some((n) => p.scopes.includes(n) || p.scopes.includes(n.replace(/\.All$/, ""))))
    return denied(req, permission);
  const self = target !== undefined && target.id === p.userId;
  const has = (set: Set<string>) => p.wids.some((w) => set.has(w));
  switch (permission) {
    case "directory.read":
    case "groups.read":
      // Members may read the directory; roles are not needed.
      return undefined;
    case "methods.read":
      return self || has(methodReaders) ? undefined : denied(req, permission);
    case "methods.write":
      if (self) return undefined;
      if (target?.privileged) return has(privilegedMethodWriters) ? undefined : denied(req, permission);
      return has(methodWriters) ? undefined : denied(req, permission);
    case "policy.read":
      return has(policyReaders) ? undefined : denied(req, permission);
    case "policy.write":
      return has(policyWriters) ? undefined : denied(req, permission);
  }
}
