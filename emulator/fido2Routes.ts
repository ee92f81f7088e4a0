// Graph routes for a user's FIDO2 methods: list, get, delete, creationOptions (v1.0 fixed 5 minutes; beta
// 5–43,200 minutes in the parenthesis, query or bare form) and POST (registration, see registration.ts).
import { authorize } from "./authorize.js";
import { issueChallenge, userHandle } from "./challenges.js";
import { type EmulatorContext, now } from "./context.js";
import type { DirUser } from "./directory.js";
import { userNotFound } from "./directoryRoutes.js";
import { type GraphRequest, type GraphResponse, graphError } from "./graphHttp.js";
import { registerFido2Method, rpId, supportedAlgorithms } from "./registration.js";
import type { StoredMethod } from "./stateStore.js";

export const minChallengeMinutes = 5;
export const maxChallengeMinutes = 43_200;

/** Resolves `/users/{id}` or `/me` to the target user, or the error to send. */
export function targetUser(
  ctx: EmulatorContext,
  req: GraphRequest,
  idOrMe: string | undefined,
): DirUser | GraphResponse {
  if (idOrMe === undefined) {
    if (req.principal.kind !== "delegated" || !req.principal.userId) {
      return graphError(
        req,
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
      );
    }
    return ctx.directory.user(req.principal.userId) ?? userNotFound(req, req.principal.userId);
  }
  return ctx.directory.user(idOrMe) ?? userNotFound(req, idOrMe);
}

function isUser(v: DirUser | GraphResponse): v is DirUser {
  return (v as DirUser).userPrincipalName !== undefined;
}

export function methodJson(m: StoredMethod, version: string): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.fido2AuthenticationMethod",
    id: m.id,
    displayName: m.displayName,
    createdDateTime: m.createdDateTime,
    aaGuid: m.aaGuid,
    model: m.model,
    attestationCertificates: m.attestationCertificates,
    attestationLevel: m.attestationLevel,
    passkeyType: m.passkeyType,
    ...(version === "beta" ? { lastUsedDateTime: null } : {}),
  };
}

function methodNotFound(req: GraphRequest, methodId: string): GraphResponse {
  return graphError(
    req,
    404,
    "itemNotFound",
    `The FIDO2 authentication method '${methodId}' was not found for this user.`,
  );
}

export function listMethods(ctx: EmulatorContext, req: GraphRequest, idOrMe?: string): GraphResponse {
  const user = targetUser(ctx, req, idOrMe);
  if (!isUser(user)) return user;
  const denied = authorize(req, "methods.read", user);
  if (denied) return denied;
  const methods = ctx.store.read().methods[user.id] ?? [];
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.url}/${req.version}/$metadata#users('${user.id}')/authentication/fido2Methods`,
      value: methods.map((m) => methodJson(m, req.version)),
    },
  };
}

export function getMethod(
  ctx: EmulatorContext,
  req: GraphRequest,
  idOrMe: string | undefined,
  methodId: string,
): GraphResponse {
  const user = targetUser(ctx, req, idOrMe);
  if (!isUser(user)) return user;
  const denied = authorize(req, "methods.read", user);
  if (denied) return denied;
  const m = (ctx.store.read().methods[user.id] ?? []).find((x) => x.id === methodId);
  if (!m) return methodNotFound(req, methodId);
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.url}/${req.version}/$metadata#users('${user.id}')/authentication/fido2Methods/$entity`,
      ...methodJson(m, req.version),
    },
  };
}

export function deleteMethod(
  ctx: EmulatorContext,
  req: GraphRequest,
  idOrMe: string | undefined,
  methodId: string,
): GraphResponse {
  const user = targetUser(ctx, req, idOrMe);
  if (!isUser(user)) return user;
  const denied = authorize(req, "methods.write", user);
  if (denied) return denied;
  const removed = ctx.store.mutate((s) => {
    const list = s.methods[user.id] ?? [];
    const next = list.filter((x) => x.id !== methodId);
    if (next.length === list.length) return false;
    s.methods[user.id] = next;
    return true;
  });
  return removed ? { status: 204 } : methodNotFound(req, methodId);
}

/** The challenge timeout asked for, from `creationOptions(challengeTimeoutInMinutes=N)` or the query. */
function requestedTimeout(req: GraphRequest, parens: string | undefined): { given: boolean; text?: string } {
  if (parens !== undefined && parens.trim() !== "") {
    const m = /^\s*challengeTimeoutInMinutes\s*=\s*(.+?)\s*$/i.exec(parens);
    if (!m) return { given: true, text: parens };
    let value = m[1] ?? "";
    // OData parameter alias (the Kiota template form): creationOptions(challengeTimeoutInMinutes=@x)?@x=10
    if (value.startsWith("@"))
      value = req.query.get(value) ?? req.query.get("challengeTimeoutInMinutes") ?? "";
    return { given: true, text: value };
  }
  const q = req.query.get("challengeTimeoutInMinutes");
  return q === null ? { given: false } : { given: true, text: q };
}

export function creationOptions(
  ctx: EmulatorContext,
  req: GraphRequest,
  idOrMe: string | undefined,
  parens: string | undefined,
): GraphResponse {
  const user = targetUser(ctx, req, idOrMe);
  if (!isUser(user)) return user;
  // Observed (I-WI13): creationOptions for the caller's own account answers 405.
  if (req.principal.kind === "delegated" && req.principal.userId === user.id) {
    return graphError(req, 405, "methodNotAllowed", "The method is not supported for this URL.");
  }
  const denied = authorize(req, "methods.write", user);
  if (denied) return denied;
  const timeout = requestedTimeout(req, parens);
  let minutes = minChallengeMinutes;
  if (timeout.given) {
    if (req.version === "v1.0") {
      return graphError(
        req,
        400,
        "badRequest",
        "Custom challenge timeout values are not supported in v1.0; the challenge timeout is 5 minutes.",
      );
    }
    const n = Number(timeout.text);
    if (!Number.isInteger(n) || n < minChallengeMinutes || n > maxChallengeMinutes) {
      return graphError(
        req,
        400,
        "badRequest",
        `challengeTimeoutInMinutes must be a whole number between ${minChallengeMinutes} and ${maxChallengeMinutes}.`,
      );
    }
    minutes = n;
  }
  // Whole seconds, as every captured challengeTimeoutDateTime.
  const exp = Math.floor((now(ctx) + minutes * 60_000) / 1000) * 1000;
  const { challenge } = issueChallenge(ctx.identity.challengeKey, { tid: ctx.tenantId, uid: user.id, exp });
  const existing = ctx.store.read().methods[user.id] ?? [];
  return {
    status: 200,
    body: {
      "@odata.context": `${ctx.url}/${req.version}/$metadata#microsoft.graph.webauthnCredentialCreationOptions`,
      challengeTimeoutDateTime: `${new Date(exp).toISOString().slice(0, 19)}Z`,
      publicKey: {
        challenge,
        timeout: 60000,
        attestation: "direct",
        rp: { id: rpId, name: "Microsoft" },
        user: {
          id: userHandle(ctx.identity.challengeKey, user.id),
          displayName: user.displayName,
          name: user.userPrincipalName,
        },
        pubKeyCredParams: supportedAlgorithms.map((alg) => ({ type: "public-key", alg })),
        // beta documents the padding-digit form; the v1.0 page says plain base64url (reference §2.2).
        excludeCredentials: existing.map((m) => ({
          id: req.version === "beta" ? m.id : m.credentialId,
          type: "public-key",
          transports: [],
        })),
        authenticatorSelection: {
          authenticatorAttachment: "cross-platform",
          requireResidentKey: true,
          userVerification: "required",
        },
        extensions: {
          hmacCreateSecret: true,
          enforceCredentialProtectionPolicy: true,
          credentialProtectionPolicy: "userVerificationOptional",
        },
      },
    },
  };
}

export async function postMethod(
  ctx: EmulatorContext,
  req: GraphRequest,
  idOrMe: string | undefined,
): Promise<GraphResponse> {
  const user = targetUser(ctx, req, idOrMe);
  if (!isUser(user)) return user;
  const denied = authorize(req, "methods.write", user);
  if (denied) return denied;
  const outcome = await registerFido2Method(ctx, req, user);
  if (!outcome.ok) return outcome.response;
  return {
    status: 201,
    headers: {
      Location: `${ctx.url}/${req.version}/users/${user.id}/authentication/fido2Methods/${outcome.method.id}`,
    },
    body: {
      "@odata.context": `${ctx.url}/${req.version}/$metadata#users('${user.id}')/authentication/fido2Methods/$entity`,
      ...methodJson(outcome.method, req.version),
    },
  };
}
