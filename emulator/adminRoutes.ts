// The emulator's own admin routes under /_emulator, guarded by the admin secret (header
// `x-emulator-admin-secret`): faults, trust anchors, clock offset, throttling, operator sign-in approval,
// read-only inspection of state and stored methods, and the request log. The routes that change users,
// groups and passkeys while the emulator runs are in adminDirectoryRoutes.ts.
import { timingSafeEqual, X509Certificate } from "node:crypto";
import { handleDirectoryAdmin } from "./adminDirectoryRoutes.js";
import type { EmulatorContext } from "./context.js";
import { checkFaultRules, FaultRuleError } from "./faults.js";
import type { GraphResponse } from "./graphHttp.js";

export const adminHeader = "x-emulator-admin-secret";

function err(status: number, message: string): GraphResponse {
  return { status, body: { error: { code: "emulatorAdmin", message } } };
}

function record(body: unknown): Record<string, unknown> {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

export function handleAdmin(
  ctx: EmulatorContext,
  method: string,
  path: string,
  secretHeader: string | undefined,
  body: unknown,
): GraphResponse {
  if (path === "/_emulator/health" && method === "GET")
    return { status: 200, body: { ok: true, tenantId: ctx.tenantId } };
  const given = Buffer.from(secretHeader ?? "");
  const want = Buffer.from(ctx.identity.adminSecret);
  if (given.length !== want.length || !timingSafeEqual(given, want))
    return err(401, `the admin routes need the ${adminHeader} header`);
  const b = record(body);
  const route = `${method} ${path}`;
  const changed = handleDirectoryAdmin(ctx, method, path, b);
  if (changed) return changed;
  const userMethods = /^GET \/_emulator\/users\/([^/]+)\/methods$/.exec(route);
  if (userMethods) {
    const user = ctx.directory.user(decodeURIComponent(userMethods[1] ?? ""));
    if (!user) return err(404, "no such user");
    return { status: 200, body: { userId: user.id, methods: ctx.store.read().methods[user.id] ?? [] } };
  }
  switch (route) {
    case "GET /_emulator/state": {
      const s = ctx.store.read();
      const methods = Object.values(s.methods).reduce((n, l) => n + l.length, 0);
      return {
        status: 200,
        body: {
          tenantId: ctx.tenantId,
          users: ctx.directory.users.length,
          groups: ctx.directory.groups.length,
          methods,
          methodsByUser: Object.fromEntries(
            Object.entries(s.methods).map(([k, v]) => [k, v.map((m) => m.id)]),
          ),
          policy: s.policy,
          trustAnchors: s.trustAnchors.length + ctx.seedTrustAnchors.length,
          clockOffsetMs: s.clockOffsetMs,
          directoryRevision: s.directory?.revision ?? 0,
          throttle: ctx.throttle.current(),
          faults: ctx.faults.describe(),
        },
      };
    }
    case "PUT /_emulator/faults":
      try {
        ctx.faults.set(checkFaultRules(b.rules ?? []), typeof b.seed === "number" ? b.seed : 1);
      } catch (e) {
        if (FaultRuleError.isInstance(e)) return err(400, e.message);
        throw e;
      }
      return { status: 200, body: ctx.faults.describe() };
    case "GET /_emulator/faults":
      return { status: 200, body: ctx.faults.describe() };
    case "DELETE /_emulator/faults":
      ctx.faults.set([], 1);
      return { status: 204 };
    case "POST /_emulator/trust-anchors": {
      const pem = b.pem;
      if (typeof pem !== "string") return err(400, "pem is required");
      try {
        new X509Certificate(pem);
      } catch {
        return err(400, "pem is not an X.509 certificate");
      }
      ctx.store.mutate((s) => {
        if (!s.trustAnchors.includes(pem)) s.trustAnchors.push(pem);
      });
      return { status: 204 };
    }
    case "GET /_emulator/trust-anchors":
      return { status: 200, body: { anchors: [...ctx.seedTrustAnchors, ...ctx.store.read().trustAnchors] } };
    case "DELETE /_emulator/trust-anchors":
      ctx.store.mutate((s) => {
        s.trustAnchors = [];
      });
      return { status: 204 };
    case "PUT /_emulator/clock": {
      const offset = b.offsetMs;
      if (typeof offset !== "number" || !Number.isFinite(offset))
        return err(400, "offsetMs must be a number");
      ctx.store.mutate((s) => {
        s.clockOffsetMs = offset;
      });
      return { status: 204 };
    }
    case "PUT /_emulator/throttle": {
      if (b.requestsPerWindow === null || body === null) {
        ctx.throttle.configure(null);
        return { status: 204 };
      }
      const n = b.requestsPerWindow;
      const w = b.windowSeconds;
      if (typeof n !== "number" || n < 1 || typeof w !== "number" || w <= 0) {
        return err(
          400,
          "requestsPerWindow (≥ 1) and windowSeconds (> 0) are required, or requestsPerWindow: null",
        );
      }
      ctx.throttle.configure({ requestsPerWindow: n, windowSeconds: w });
      return { status: 204 };
    }
    case "PUT /_emulator/sign-in-operator": {
      if (b.userPrincipalName === null) {
        ctx.deviceCodes.autoApproveUserId = undefined;
        return { status: 204 };
      }
      const user =
        typeof b.userPrincipalName === "string" ? ctx.directory.user(b.userPrincipalName) : undefined;
      if (!user) return err(404, "no such user");
      ctx.deviceCodes.autoApproveUserId = user.id;
      return { status: 204 };
    }
    case "GET /_emulator/device-codes":
      return {
        status: 200,
        body: {
          pending: ctx.deviceCodes.pending().map((c) => ({ userCode: c.userCode, clientId: c.clientId })),
        },
      };
    case "POST /_emulator/device-codes/approve": {
      const user =
        typeof b.userPrincipalName === "string" ? ctx.directory.user(b.userPrincipalName) : undefined;
      if (!user) return err(404, "no such user");
      if (typeof b.userCode !== "string" || !ctx.deviceCodes.approve(b.userCode, user.id))
        return err(404, "no such pending user code");
      return { status: 204 };
    }
    case "GET /_emulator/requests":
      return { status: 200, body: { requests: ctx.log.list() } };
    case "DELETE /_emulator/requests":
      ctx.log.clear();
      return { status: 204 };
    default:
      return err(404, `no admin route ${route}`);
  }
}
