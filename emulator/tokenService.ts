// The Entra side: OpenID metadata, signing keys, the OAuth 2.0 token endpoint (client credentials with a
// secret, a certificate assertion or a federated assertion; device code for operators) and the device-code
// endpoint — what @azure/identity / MSAL call with `authorityHost` set to the emulator.
import { randomUUID, timingSafeEqual } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, importSPKI, importX509, type JWTPayload, jwtVerify } from "jose";
import { servicePrincipalId, signToken, tokenLifetimeSeconds } from "./accessTokens.js";
import { type EmulatorContext, issuer, now } from "./context.js";
import type { AppRegistration } from "./directory.js";
import type { GraphResponse } from "./graphHttp.js";

const jsonHeaders = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** Entra's OAuth error body: error, error_description with an AADSTS code, error_codes and ids. */
function oauthError(status: number, error: string, code: number, description: string): GraphResponse {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  return {
    status,
    headers: jsonHeaders,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${new Date().toISOString().replace("T", " ").slice(0, 19)}Z`,
      error_codes: [code],
      timestamp: `${new Date().toISOString().replace("T", " ").slice(0, 19)}Z`,
      trace_id: traceId,
      correlation_id: correlationId,
    },
  };
}

function tenantMatches(ctx: EmulatorContext, segment: string): boolean {
  const s = segment.toLowerCase();
  return s === ctx.tenantId || s === ctx.domain.toLowerCase();
}

/** Handles `/{tenant}/...` Entra paths; undefined when the path is not one of them. */
export async function handleEntra(
  ctx: EmulatorContext,
  method: string,
  path: string,
  rawBody: string,
): Promise<GraphResponse | undefined> {
  const m =
    /^\/([^/]+)\/(v2\.0\/\.well-known\/openid-configuration|\.well-known\/openid-configuration|discovery\/v2\.0\/keys|discovery\/keys|oauth2\/v2\.0\/token|oauth2\/v2\.0\/devicecode|oauth2\/v2\.0\/authorize)$/i.exec(
      path,
    );
  if (!m) return undefined;
  const [, tenant = "", endpoint = ""] = m;
  if (!tenantMatches(ctx, tenant)) {
    return oauthError(
      400,
      "invalid_request",
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }
  const base = `${ctx.url}/${ctx.tenantId}`;
  const ep = endpoint.toLowerCase();
  if (ep.endsWith("openid-configuration")) {
    if (method !== "GET") return { status: 405, body: { error: "invalid_request" } };
    return {
      status: 200,
      body: {
        issuer: issuer(ctx),
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        token_endpoint: `${base}/oauth2/v2.0/token`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        token_endpoint_auth_methods_supported: [
          "client_secret_post",
          "private_key_jwt",
          "client_secret_basic",
        ],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        tenant_region_scope: "EU",
        cloud_instance_name: "microsoftonline.com",
      },
    };
  }
  if (ep.includes("keys")) return { status: 200, body: { keys: [ctx.identity.signingPublicJwk] } };
  if (ep.endsWith("authorize")) {
    return oauthError(
      400,
      "unsupported_response_type",
      70049,
      "The emulator supports no interactive sign-in; use the device code flow.",
    );
  }
  if (method !== "POST")
    return oauthError(400, "invalid_request", 900561, "The endpoint only accepts POST requests.");
  const form = new URLSearchParams(rawBody);
  if (ep.endsWith("devicecode")) return deviceCode(ctx, form);
  return token(ctx, form, `${ctx.url}${path}`);
}

function findApp(ctx: EmulatorContext, clientId: string | null): AppRegistration | undefined {
  return clientId ? ctx.directory.apps.get(clientId.toLowerCase()) : undefined;
}

function appNotFound(ctx: EmulatorContext, clientId: string): GraphResponse {
  return oauthError(
    400,
    "unauthorized_client",
    700016,
    `Application with identifier '${clientId}' was not found in the directory '${ctx.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
  );
}

/** The resource a `.default` scope names, mapped to a token audience. */
function audienceOf(scope: string): string | undefined {
  const first = scope.split(" ").find((s) => s.endsWith("/.default"));
  if (!first) return undefined;
  const resource = first.slice(0, -"/.default".length);
  if (resource === "00000003-0000-0000-c000-000000000000") return "https://graph.microsoft.com";
  return resource;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function authenticateClient(
  ctx: EmulatorContext,
  app: AppRegistration,
  form: URLSearchParams,
  tokenUrl: string,
): Promise<{ ok: true; acr: "1" | "2" } | { ok: false; response: GraphResponse }> {
  const secret = form.get("client_secret");
  const assertion = form.get("client_assertion");
  if (secret !== null) {
    if (app.secret && safeEqual(secret, app.secret)) return { ok: true, acr: "1" };
    return {
      ok: false,
      response: oauthError(
        401,
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app.",
      ),
    };
  }
  if (assertion !== null) {
    if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
      return {
        ok: false,
        response: oauthError(400, "invalid_request", 50027, "Invalid client_assertion_type."),
      };
    }
    return verifyAssertion(ctx, app, assertion, tokenUrl);
  }
  return {
    ok: false,
    response: oauthError(
      401,
      "invalid_client",
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ),
  };
}

async function verifyAssertion(
  ctx: EmulatorContext,
  app: AppRegistration,
  assertion: string,
  tokenUrl: string,
): Promise<{ ok: true; acr: "2" } | { ok: false; response: GraphResponse }> {
  const fail = (code: number, text: string) => ({
    ok: false as const,
    response: oauthError(401, "invalid_client", code, text),
  });
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(assertion);
    claims = decodeJwt(assertion);
  } catch {
    return fail(50027, "JWT token is invalid or malformed.");
  }
  const alg = typeof header.alg === "string" ? header.alg : "";
  const currentDate = new Date(now(ctx));
  if (typeof claims.iss === "string" && claims.iss.toLowerCase() === app.clientId) {
    // A certificate credential: the assertion must verify against a certificate registered for the app.
    const thumb = (header as Record<string, unknown>)["x5t#S256"] ?? header.x5t;
    const candidates = app.certificates.filter((c) => !thumb || c.x5tS256 === thumb || c.x5t === thumb);
    if (candidates.length === 0)
      return fail(
        700027,
        "Client assertion contains an invalid signature. [Reason - The key was not found.]",
      );
    for (const cert of candidates) {
      try {
        const key = await importX509(cert.pem, alg);
        // Entra tolerates five minutes of clock skew on assertions.
        const { payload } = await jwtVerify(assertion, key, {
          currentDate,
          clockTolerance: 300,
          algorithms: ["PS256", "RS256"],
        });
        if (String(payload.sub ?? "").toLowerCase() !== app.clientId)
          return fail(700021, "Client assertion subject does not match the client id.");
        const aud = String(payload.aud ?? "");
        if (aud !== tokenUrl && !aud.startsWith(`${ctx.url}/`)) {
          return fail(
            700212,
            "No matching federated identity record found for presented assertion audience.",
          );
        }
        return { ok: true, acr: "2" };
      } catch {
        // Try the next registered certificate.
      }
    }
    return fail(700027, "Client assertion failed signature validation.");
  }
  // A federated credential (workload identity federation): issuer and subject must match a record.
  const record = app.federatedCredentials.find((f) => f.issuer === claims.iss && f.subject === claims.sub);
  if (!record) return fail(70021, "No matching federated identity record found for presented assertion.");
  try {
    const pem = record.publicKeyPem;
    const key = pem.includes("CERTIFICATE") ? await importX509(pem, alg) : await importSPKI(pem, alg);
    await jwtVerify(assertion, key, {
      currentDate,
      clockTolerance: 300,
      issuer: record.issuer,
      subject: record.subject,
      audience: record.audience ?? "api://AzureADTokenExchange",
    });
    return { ok: true, acr: "2" };
  } catch {
    return fail(
      700024,
      "Client assertion is not within its valid time range or failed signature validation.",
    );
  }
}

async function token(ctx: EmulatorContext, form: URLSearchParams, tokenUrl: string): Promise<GraphResponse> {
  const grant = form.get("grant_type");
  const clientId = form.get("client_id") ?? "";
  const app = findApp(ctx, clientId);
  if (grant === "client_credentials") {
    if (!app) return appNotFound(ctx, clientId);
    const auth = await authenticateClient(ctx, app, form, tokenUrl.split("?")[0] ?? tokenUrl);
    if (!auth.ok) return auth.response;
    const aud = audienceOf(form.get("scope") ?? "");
    if (!aud) {
      return oauthError(
        400,
        "invalid_scope",
        1002012,
        "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).",
      );
    }
    const accessToken = await signToken(ctx, {
      aud,
      appid: app.clientId,
      appidacr: auth.acr,
      oid: servicePrincipalId(app.clientId),
      app_displayname: app.displayName,
      ...(app.roles.length > 0 ? { roles: app.roles } : {}),
    });
    return {
      status: 200,
      headers: jsonHeaders,
      body: {
        token_type: "Bearer",
        expires_in: tokenLifetimeSeconds,
        ext_expires_in: tokenLifetimeSeconds,
        access_token: accessToken,
      },
    };
  }
  if (grant === "device_code" || grant === "urn:ietf:params:oauth:grant-type:device_code") {
    const code = ctx.deviceCodes.find(form.get("device_code") ?? "");
    if (!code || code.redeemed)
      return oauthError(
        400,
        "invalid_grant",
        70000,
        "The provided value for the input parameter 'device_code' is not valid.",
      );
    if (now(ctx) > code.expiresAt)
      return oauthError(
        400,
        "expired_token",
        70020,
        "The provided authorization code or refresh token has expired due to inactivity.",
      );
    if (!code.approvedUserId)
      return oauthError(
        400,
        "authorization_pending",
        70016,
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
      );
    const user = ctx.directory.user(code.approvedUserId);
    const codeApp = findApp(ctx, code.clientId);
    if (!user || !codeApp)
      return oauthError(400, "invalid_grant", 50034, "The user account does not exist in the directory.");
    code.redeemed = true;
    return delegatedTokens(ctx, codeApp, user.id, code.scopes);
  }
  if (!grant)
    return oauthError(
      400,
      "invalid_request",
      900144,
      "The request body must contain the following parameter: 'grant_type'.",
    );
  return oauthError(
    400,
    "unsupported_grant_type",
    70003,
    `The app requested an unsupported grant type '${grant}'.`,
  );
}

async function delegatedTokens(
  ctx: EmulatorContext,
  app: AppRegistration,
  userId: string,
  scopes: string[],
): Promise<GraphResponse> {
  const user = ctx.directory.user(userId);
  if (!user)
    return oauthError(400, "invalid_grant", 50034, "The user account does not exist in the directory.");
  if (!user.accountEnabled) return oauthError(400, "invalid_grant", 50057, "The user account is disabled.");
  const aud = audienceOf(scopes.join(" ")) ?? "https://graph.microsoft.com";
  const requested = scopes
    .filter((s) => s.startsWith("https://graph.microsoft.com/") && !s.endsWith("/.default"))
    .map((s) => s.slice("https://graph.microsoft.com/".length));
  const scp =
    requested.length > 0 ? requested.filter((s) => app.delegatedScopes.includes(s)) : app.delegatedScopes;
  const accessToken = await signToken(ctx, {
    aud,
    appid: app.clientId,
    appidacr: "0",
    oid: user.id,
    upn: user.userPrincipalName,
    name: user.displayName,
    scp: scp.join(" "),
    ...(user.roleIds.length > 0 ? { wids: user.roleIds } : {}),
  });
  const t = Math.floor(now(ctx) / 1000);
  // MSAL keeps the account only when an id token comes back; its signature is not checked by MSAL.
  const idToken = await signToken(ctx, {
    aud: app.clientId,
    appid: app.clientId,
    appidacr: "0",
    oid: user.id,
    preferred_username: user.userPrincipalName,
    name: user.displayName,
    scp: "openid profile",
  });
  const clientInfo = Buffer.from(JSON.stringify({ uid: user.id, utid: ctx.tenantId })).toString("base64url");
  return {
    status: 200,
    headers: jsonHeaders,
    body: {
      token_type: "Bearer",
      scope: scp.map((s) => `https://graph.microsoft.com/${s}`).join(" "),
      expires_in: tokenLifetimeSeconds,
      ext_expires_in: tokenLifetimeSeconds,
      access_token: accessToken,
      id_token: idToken,
      client_info: clientInfo,
      not_before: t,
    },
  };
}

function deviceCode(ctx: EmulatorContext, form: URLSearchParams): GraphResponse {
  const clientId = form.get("client_id") ?? "";
  const app = findApp(ctx, clientId);
  if (!app) return appNotFound(ctx, clientId);
  if (app.delegatedScopes.length === 0) {
    return oauthError(
      400,
      "invalid_client",
      7000218,
      "The application has no delegated permissions; device code sign-in is not allowed for it.",
    );
  }
  const scopes = (form.get("scope") ?? "").split(" ").filter(Boolean);
  const interval = ctx.deviceCodeIntervalSeconds;
  const code = ctx.deviceCodes.issue(app.clientId, scopes, now(ctx));
  const verificationUri = `${ctx.url}/devicelogin`;
  return {
    status: 200,
    headers: jsonHeaders,
    body: {
      user_code: code.userCode,
      device_code: code.deviceCode,
      verification_uri: verificationUri,
      expires_in: 900,
      interval,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${code.userCode} to authenticate.`,
    },
  };
}
