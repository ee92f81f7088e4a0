// The shapes every Graph route shares: a parsed request, a response, and Graph's error envelope
// (`error.code`, `message`, `innerError` with `date`, `request-id`, `client-request-id`).

export type GraphVersion = "v1.0" | "beta";

export interface Principal {
  kind: "app" | "delegated";
  appId: string;
  /** Application permissions (app tokens). */
  roles: string[];
  /** Delegated permissions (user tokens). */
  scopes: string[];
  /** Directory role template ids of the signed-in user. */
  wids: string[];
  /** The signed-in user's object id (delegated only). */
  userId?: string;
}

export interface GraphRequest {
  method: string;
  version: GraphVersion;
  /** Decoded path after the version, e.g. `/users/a@b.example/authentication/fido2Methods`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: unknown;
  requestId: string;
  clientRequestId: string;
  principal: Principal;
}

export interface GraphResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Graph's timestamp in error bodies: seconds, no zone (as captured in I-941). */
export function graphDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19);
}

export function graphError(
  req: Pick<GraphRequest, "requestId" | "clientRequestId">,
  status: number,
  code: string,
  message: string,
  nowMs = Date.now(),
): GraphResponse {
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: graphDate(nowMs),
          "request-id": req.requestId,
          "client-request-id": req.clientRequestId,
        },
      },
    },
  };
}

/** The documented 429 (D-THROTTLE): code TooManyRequests and an innerError with code/status "429". */
export function throttledResponse(
  req: Pick<GraphRequest, "requestId" | "clientRequestId">,
  retryAfterSeconds: number,
  extraHeaders: Record<string, string> = {},
): GraphResponse {
  return {
    status: 429,
    headers: { "Retry-After": String(retryAfterSeconds), ...extraHeaders },
    body: {
      error: {
        code: "TooManyRequests",
        message: "Please retry again later.",
        innerError: {
          code: "429",
          date: graphDate(Date.now()),
          message: "Please retry after",
          "request-id": req.requestId,
          "client-request-id": req.clientRequestId,
          status: "429",
        },
      },
    },
  };
}

export function unavailableResponse(
  req: Pick<GraphRequest, "requestId" | "clientRequestId">,
  retryAfterSeconds?: number,
): GraphResponse {
  const r = graphError(
    req,
    503,
    "serviceNotAvailable",
    "The service is temporarily unavailable. Please retry later.",
  );
  if (retryAfterSeconds !== undefined) r.headers = { "Retry-After": String(retryAfterSeconds) };
  return r;
}
