// The HTTPS front door: reads each request, applies faults, sends Entra paths to the token service,
// /_emulator to the admin routes, and /v1.0 and /beta to Graph after the token check and the per-app
// throttle; writes every answer with Graph's headers (request-id, client-request-id echo, diagnostics).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { verifyGraphToken } from "./accessTokens.js";
import { adminHeader, handleAdmin } from "./adminRoutes.js";
import { type EmulatorContext, now } from "./context.js";
import { handleDeviceLogin } from "./deviceLogin.js";
import type { FaultRule } from "./faults.js";
import {
  type GraphRequest,
  type GraphResponse,
  type GraphVersion,
  graphError,
  throttledResponse,
  unavailableResponse,
} from "./graphHttp.js";
import { routeGraph } from "./graphRouter.js";
import { handleEntra } from "./tokenService.js";

const maxBody = 5 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size <= maxBody) chunks.push(c);
    });
    req.on("end", () => resolve(size > maxBody ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function createHandler(ctx: EmulatorContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(ctx, req, res).catch((err: unknown) => {
      // Never echo internals or request contents; the message is generic on purpose.
      process.stderr.write(`emulator: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify({
            error: { code: "generalException", message: "An internal server error occurred." },
          }),
        );
      } else {
        res.destroy();
      }
    });
  };
}

async function handle(ctx: EmulatorContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", ctx.url);
  const requestId = randomUUID();
  const clientRequestId =
    header(req, "client-request-id") ?? url.searchParams.get("client-request-id") ?? randomUUID();
  const ids = { requestId, clientRequestId };
  const rawBody = await readBody(req);
  // Once per request: another process (or an admin call) may have changed the directory.
  ctx.directory.refresh(ctx.store.read().directory);
  const retryAttempt = Number(header(req, "retry-attempt") ?? "") || undefined;
  let faultName: string | undefined;
  const send = (r: GraphResponse, drop = false) => {
    const headers: Record<string, string> = {
      "request-id": requestId,
      "client-request-id": clientRequestId,
      "x-ms-ags-diagnostic": JSON.stringify({
        ServerInfo: {
          DataCenter: "Loopback",
          Slice: "E",
          Ring: "0",
          ScaleUnit: "000",
          RoleInstance: "EMULATOR",
        },
      }),
      "Strict-Transport-Security": "max-age=31536000",
      ...(r.headers ?? {}),
    };
    let payload = "";
    if (r.body !== undefined) {
      payload = JSON.stringify(r.body);
      headers["Content-Type"] ??=
        url.pathname.startsWith("/v1.0/") || url.pathname.startsWith("/beta/")
          ? "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
          : "application/json; charset=utf-8";
    }
    ctx.log.add({
      at: new Date().toISOString(),
      method,
      path: url.pathname,
      status: r.status,
      ...(retryAttempt ? { retryAttempt } : {}),
      ...(faultName ? { fault: faultName } : {}),
    });
    if (drop) {
      // Headers and half the body go out, then the connection is cut: the work behind it has been done.
      headers["Content-Length"] = String(Buffer.byteLength(payload));
      res.writeHead(r.status, headers);
      res.write(payload.slice(0, Math.floor(payload.length / 2)));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    res.writeHead(r.status, headers);
    res.end(payload);
  };

  if (url.pathname === "/devicelogin") {
    const page = handleDeviceLogin(ctx, method, rawBody);
    ctx.log.add({ at: new Date().toISOString(), method, path: url.pathname, status: page.status });
    res.writeHead(page.status, {
      "request-id": requestId,
      "Content-Type": "text/html; charset=utf-8",
      "Content-Security-Policy": "default-src 'none'; form-action 'self'",
    });
    res.end(page.html);
    return;
  }

  if (url.pathname.startsWith("/_emulator/")) {
    let body: unknown = null;
    try {
      body = rawBody ? (JSON.parse(rawBody) as unknown) : null;
    } catch {
      send({ status: 400, body: { error: { code: "emulatorAdmin", message: "the body is not JSON" } } });
      return;
    }
    send(handleAdmin(ctx, method, url.pathname, header(req, adminHeader), body));
    return;
  }

  let drop = false;
  const faults: FaultRule[] = ctx.faults.pick(method, url.pathname);
  for (const fault of faults) {
    faultName = fault.kind;
    if (fault.kind === "latency") await new Promise((r) => setTimeout(r, fault.latencyMs ?? 1000));
    else if (fault.kind === "429") return send(throttledResponse(ids, fault.retryAfterSeconds ?? 2));
    else if (fault.kind === "503") return send(unavailableResponse(ids, fault.retryAfterSeconds));
    else if (fault.kind === "drop") drop = true;
  }

  const versionMatch = /^\/(v1\.0|beta)(\/.*)$/i.exec(url.pathname);
  if (!versionMatch) {
    const entra = rawBody === undefined ? undefined : await handleEntra(ctx, method, url.pathname, rawBody);
    send(
      entra ?? { status: 404, body: { error: { code: "NotFound", message: `No route ${url.pathname}` } } },
      drop,
    );
    return;
  }
  if (rawBody === undefined)
    return send(graphError(ids, 413, "RequestEntityTooLarge", "The request body is too large."));
  const version = (versionMatch[1] ?? "v1.0").toLowerCase() === "beta" ? "beta" : "v1.0";
  let path: string;
  try {
    path = decodeURIComponent(versionMatch[2] ?? "/");
  } catch {
    return send(graphError(ids, 400, "BadRequest", "The request URL is not valid."));
  }
  const auth = await verifyGraphToken(ctx, header(req, "authorization"));
  if (!auth.ok) {
    const r = graphError(ids, 401, "InvalidAuthenticationToken", auth.message, now(ctx));
    r.headers = {
      "WWW-Authenticate": `Bearer realm="", authorization_uri="${ctx.url}/${ctx.tenantId}/oauth2/v2.0/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    };
    return send(r);
  }
  const isBatch = /^\/\$batch$/i.test(path);
  if (!isBatch) {
    const budget = ctx.throttle.take(auth.principal.appId, ctx.tenantId, now(ctx));
    if (!budget.ok) return send(throttledResponse(ids, budget.retryAfterSeconds, budget.headers));
  }
  let body: unknown;
  if (rawBody.length > 0 && ["POST", "PATCH", "PUT"].includes(method)) {
    try {
      body = JSON.parse(rawBody) as unknown;
    } catch {
      return send(
        graphError(
          ids,
          400,
          "BadRequest",
          "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        ),
      );
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (typeof v === "string" && k !== "authorization") headers[k] = v;
  const graphReq: GraphRequest = {
    method,
    version: version as GraphVersion,
    path: path.length > 1 ? path.replace(/\/$/, "") : path,
    query: url.searchParams,
    headers,
    body,
    requestId,
    clientRequestId,
    principal: auth.principal,
  };
  send(await routeGraph(ctx, graphReq), drop);
}
