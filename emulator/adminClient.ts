// A small client for the admin routes, for tests, the demo and other processes: it trusts the emulator's
// CA and sends the admin secret. Works against an emulator in this process or another one.
import { request } from "node:https";
import type { SelfRegisteredPasskey } from "./adminDirectoryRoutes.js";
import { adminHeader } from "./adminRoutes.js";
import type { FaultRule } from "./faults.js";
import type { LoggedRequest } from "./requestLog.js";
import type { StoredMethod } from "./stateStore.js";
import type { ThrottleSeed } from "./tenant.js";

export interface AdminTarget {
  url: string;
  adminSecret: string;
  caCertPem: string;
}

export class EmulatorAdminError extends Error {
  readonly brand = "keyfleet.emulator.EmulatorAdminError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
  static isInstance(e: unknown): e is EmulatorAdminError {
    return (
      typeof e === "object" &&
      e !== null &&
      (e as { brand?: unknown }).brand === "keyfleet.emulator.EmulatorAdminError"
    );
  }
}

function call<T>(target: AdminTarget, method: string, path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${target.url}/_emulator${path}`,
      {
        method,
        ca: target.caCertPem,
        headers: {
          [adminHeader]: target.adminSecret,
          ...(payload
            ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) }
            : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const parsed = text ? (JSON.parse(text) as unknown) : undefined;
          if ((res.statusCode ?? 500) >= 400) {
            const msg = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? text;
            reject(
              new EmulatorAdminError(
                `emulator admin ${method} ${path}: ${res.statusCode} ${msg}`,
                res.statusCode ?? 500,
              ),
            );
          } else {
            resolve(parsed as T);
          }
        });
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

export interface EmulatorUserSummary {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
}

export interface EmulatorStateSummary {
  tenantId: string;
  users: number;
  groups: number;
  methods: number;
  methodsByUser: Record<string, string[]>;
  clockOffsetMs: number;
  /** Bumped by every rename, enable/disable, delete and membership change. */
  directoryRevision: number;
  /** This process's fault rules, each with how often it fired. */
  faults: { seed: number; rules: (FaultRule & { fired: number })[] };
}

/** The admin routes as functions. */
export class EmulatorAdmin {
  constructor(private readonly target: AdminTarget) {}

  /** Trusts a PEM root for attestation chains (e.g. the virtual authenticator's batch root). */
  addTrustedRoot(pem: string): Promise<void> {
    return call(this.target, "POST", "/trust-anchors", { pem });
  }
  clearTrustedRoots(): Promise<void> {
    return call(this.target, "DELETE", "/trust-anchors");
  }
  /** Moves the emulator's clock (challenge and token expiry) by offsetMs from real time. */
  setClockOffset(offsetMs: number): Promise<void> {
    return call(this.target, "PUT", "/clock", { offsetMs });
  }
  setFaults(rules: FaultRule[], seed = 1): Promise<void> {
    return call(this.target, "PUT", "/faults", { rules, seed });
  }
  clearFaults(): Promise<void> {
    return call(this.target, "DELETE", "/faults");
  }
  /** Per-app request budget; null turns throttling off. */
  setThrottle(config: ThrottleSeed | null): Promise<void> {
    return call(this.target, "PUT", "/throttle", config ?? { requestsPerWindow: null });
  }
  /** Device-code sign-ins are approved at once as this operator (null: wait for approveDeviceCode). */
  setSignInOperator(userPrincipalName: string | null): Promise<void> {
    return call(this.target, "PUT", "/sign-in-operator", { userPrincipalName });
  }
  async pendingDeviceCodes(): Promise<{ userCode: string; clientId: string }[]> {
    return (
      await call<{ pending: { userCode: string; clientId: string }[] }>(this.target, "GET", "/device-codes")
    ).pending;
  }
  approveDeviceCode(userCode: string, userPrincipalName: string): Promise<void> {
    return call(this.target, "POST", "/device-codes/approve", { userCode, userPrincipalName });
  }
  /** The stored methods of a user (by id or UPN), with credential ids and public keys. */
  async storedMethods(user: string): Promise<StoredMethod[]> {
    return (
      await call<{ methods: StoredMethod[] }>(
        this.target,
        "GET",
        `/users/${encodeURIComponent(user)}/methods`,
      )
    ).methods;
  }
  /** Changes a user's userPrincipalName (by id or current UPN); the object id stays. */
  renameUser(user: string, userPrincipalName: string): Promise<EmulatorUserSummary> {
    return call(this.target, "PATCH", `/users/${encodeURIComponent(user)}`, { userPrincipalName });
  }
  /** Sets accountEnabled (a disabled user is still listed and readable; operators cannot sign in). */
  setAccountEnabled(user: string, accountEnabled: boolean): Promise<EmulatorUserSummary> {
    return call(this.target, "PATCH", `/users/${encodeURIComponent(user)}`, { accountEnabled });
  }
  disableUser(user: string): Promise<EmulatorUserSummary> {
    return this.setAccountEnabled(user, false);
  }
  enableUser(user: string): Promise<EmulatorUserSummary> {
    return this.setAccountEnabled(user, true);
  }
  /** Deletes a user: Graph answers 404 for it, and it leaves listings, groups and $batch reads. */
  deleteUser(user: string): Promise<void> {
    return call(this.target, "DELETE", `/users/${encodeURIComponent(user)}`);
  }
  /** Adds direct members (user ids or UPNs, group ids) to a group. */
  async addGroupMembers(groupId: string, members: string[]): Promise<string[]> {
    return (
      await call<{ members: string[] }>(
        this.target,
        "POST",
        `/groups/${encodeURIComponent(groupId)}/members`,
        {
          members,
        },
      )
    ).members;
  }
  /** Removes one direct member (user id or UPN, group id) from a group. */
  removeGroupMember(groupId: string, member: string): Promise<void> {
    return call(
      this.target,
      "DELETE",
      `/groups/${encodeURIComponent(groupId)}/members/${encodeURIComponent(member)}`,
    );
  }
  /** Deletes one FIDO2 method of a user, as someone in the Entra portal would (no Graph permission check). */
  deleteMethod(user: string, methodId: string): Promise<void> {
    return call(
      this.target,
      "DELETE",
      `/users/${encodeURIComponent(user)}/methods/${encodeURIComponent(methodId)}`,
    );
  }
  /** Adds a passkey the user registered themselves (not through Keyfleet); returns it as stored. */
  async addSelfRegisteredPasskey(user: string, passkey: SelfRegisteredPasskey): Promise<StoredMethod> {
    return (
      await call<{ method: StoredMethod }>(
        this.target,
        "POST",
        `/users/${encodeURIComponent(user)}/methods`,
        passkey,
      )
    ).method;
  }
  state(): Promise<EmulatorStateSummary> {
    return call(this.target, "GET", "/state");
  }
  async requests(): Promise<LoggedRequest[]> {
    return (await call<{ requests: LoggedRequest[] }>(this.target, "GET", "/requests")).requests;
  }
  clearRequests(): Promise<void> {
    return call(this.target, "DELETE", "/requests");
  }
}
