// Access tokens: signed (RS256) by the emulator's key, and checked by the Graph routes. Claims follow
// Entra's v1 Graph tokens: aud, iss, tid, appid, idtyp, roles (app) or scp + wids + oid (delegated), exp.
import { createHash, randomUUID, type webcrypto } from "node:crypto";
import { errors, importJWK, jwtVerify, SignJWT } from "jose";
import { type EmulatorContext, issuer, now } from "./context.js";
import type { Principal } from "./graphHttp.js";

export const graphAudiences = ["https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"];
export const tokenLifetimeSeconds = 3599;

export interface TokenClaims {
  aud: string;
  appid: string;
  appidacr: "0" | "1" | "2";
  roles?: string[];
  scp?: string;
  wids?: string[];
  oid: string;
  upn?: string;
  name?: string;
}

/** A stable object id for an app's service principal, derived from its client id. */
export function servicePrincipalId(clientId: string): string {
  const h = createHash("sha256").update(`sp:${clientId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export async function signToken(
  ctx: EmulatorContext,
  claims: TokenClaims & Record<string, unknown>,
): Promise<string> {
  const t = Math.floor(now(ctx) / 1000);
  return new SignJWT({
    ...claims,
    tid: ctx.tenantId,
    ver: "1.0",
    idtyp: claims.scp !== undefined ? "user" : "app",
    uti: randomUUID().replace(/-/g, "").slice(0, 22),
  })
    .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: ctx.identity.signingKid })
    .setIssuer(issuer(ctx))
    .setSubject(claims.oid)
    .setIssuedAt(t)
    .setNotBefore(t)
    .setExpirationTime(t + tokenLifetimeSeconds + 1)
    .sign(ctx.identity.signingPrivate);
}

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; message: string };

let publicKeyCache: { kid: string; key: webcrypto.CryptoKey | Uint8Array } | undefined;

/** Checks a bearer token for the Graph routes; the message is Graph's 401 text. */
export async function verifyGraphToken(
  ctx: EmulatorContext,
  authorization: string | undefined,
): Promise<TokenCheck> {
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
  const token = m?.[1]?.trim();
  if (!token) return { ok: false, message: "Access token is empty." };
  if (publicKeyCache?.kid !== ctx.identity.signingKid) {
    publicKeyCache = {
      kid: ctx.identity.signingKid,
      key: await importJWK(ctx.identity.signingPublicJwk, "RS256"),
    };
  }
  try {
    const { payload } = await jwtVerify(token, publicKeyCache.key, {
      algorithms: ["RS256"],
      issuer: issuer(ctx),
      currentDate: new Date(now(ctx)),
    });
    if (typeof payload.aud !== "string" || !graphAudiences.includes(payload.aud)) {
      return { ok: false, message: "Access token validation failure. Invalid audience." };
    }
    if (payload.tid !== ctx.tenantId) return { ok: false, message: "Access token validation failure." };
    const scp = typeof payload.scp === "string" ? payload.scp.split(" ").filter(Boolean) : undefined;
    const principal: Principal = {
      kind: scp ? "delegated" : "app",
      appId: String(payload.appid ?? ""),
      roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
      scopes: scp ?? [],
      wids: Array.isArray(payload.wids) ? payload.wids.map(String) : [],
      ...(scp && typeof payload.oid === "string" ? { userId: payload.oid } : {}),
    };
    return { ok: true, principal };
  } catch (err) {
    if (err instanceof errors.JWTExpired)
      return { ok: false, message: "Lifetime validation failed, the token is expired." };
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === "nbf") {
      return { ok: false, message: "Lifetime validation failed, the token is not yet valid." };
    }
    return { ok: false, message: "Access token validation failure." };
  }
}
