// The Microsoft Graph client with Keyfleet's own middleware chain: authentication, redirects and telemetry
// from the SDK, then our transport (undici, with the configured CA, a per-request timeout and a request
// count). The SDK's RetryHandler is left out on purpose: it retries POST on 429/503/504, and a blind
// retry of a registration could register a key twice. Retries live in retry.ts, where POST never goes.

import type { TokenCredential } from "@azure/identity";
import {
  AuthenticationHandler,
  Client,
  type Context,
  type Middleware,
  RedirectHandler,
  RedirectHandlerOptions,
  TelemetryHandler,
} from "@microsoft/microsoft-graph-client";
// The package has no exports map: ESM must name the file, not the folder.
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js";
import { Agent, fetch as undiciFetch } from "undici";

/** Name given to transport failures so the boundary can tell them from Graph's answers. */
export const TRANSPORT_ERROR_NAME = "KeyfleetTransportError";

/** Counters shared by everything that uses one client (benchmarks report them). */
export interface TransportStats {
  /** HTTP requests sent to Graph (a $batch counts once). */
  requests: number;
}

export interface GraphClientOptions {
  graphUrl: string;
  scope: string;
  caCertPem?: string | undefined;
  requestTimeoutMs: number;
}

export interface GraphConnection {
  client: Client;
  stats: TransportStats;
  close(): Promise<void>;
}

export function createGraphConnection(
  credential: TokenCredential,
  options: GraphClientOptions,
): GraphConnection {
  const stats: TransportStats = { requests: 0 };
  const agent = new Agent({
    ...(options.caCertPem !== undefined ? { connect: { ca: options.caCertPem } } : {}),
    keepAliveTimeout: 10_000,
  });
  const authProvider = new TokenCredentialAuthenticationProvider(credential, { scopes: [options.scope] });
  const client = Client.initWithMiddleware({
    baseUrl: options.graphUrl,
    // Host only, no port: the AuthenticationHandler matches hostnames and silently drops the token otherwise.
    customHosts: new Set([new URL(options.graphUrl).hostname]),
    middleware: [
      new AuthenticationHandler(authProvider),
      new RedirectHandler(new RedirectHandlerOptions()),
      new TelemetryHandler(),
      new TransportHandler(agent, options.requestTimeoutMs, stats),
    ],
  });
  return { client, stats, close: () => agent.close() };
}

class TransportHandler implements Middleware {
  constructor(
    private readonly agent: Agent,
    private readonly timeoutMs: number,
    private readonly stats: TransportStats,
  ) {}

  async execute(context: Context): Promise<void> {
    this.stats.requests++;
    const init = (context.options ?? {}) as Record<string, unknown>;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const given = init.signal as AbortSignal | undefined;
    const signal = given ? AbortSignal.any([given, timeout]) : timeout;
    const url =
      typeof context.request === "string" ? context.request : (context.request as { url: string }).url;
    try {
      const response = await undiciFetch(url, { ...init, signal, dispatcher: this.agent } as Parameters<
        typeof undiciFetch
      >[1]);
      // Read the whole body here: a connection dropped mid-body must surface as a transport failure,
      // not later as a parse error on a response that looked like a 200.
      const body = await response.arrayBuffer();
      const empty = body.byteLength === 0 || [204, 205, 304].includes(response.status);
      context.response = new Response(empty ? null : body, {
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers.entries()],
      });
    } catch (err) {
      throw transportFailure(err);
    }
  }
}

/**
 * The SDK turns a thrown Error into a GraphError keeping only name and message; so the network code
 * travels in both, and errors.ts reads it back.
 */
function transportFailure(err: unknown): Error {
  const cause = (err as { cause?: { code?: unknown; name?: unknown } }).cause;
  const name = (err as { name?: unknown }).name;
  let code = "EUNKNOWN";
  if (typeof cause?.code === "string") code = cause.code;
  else if (name === "TimeoutError" || cause?.name === "TimeoutError") code = "ETIMEDOUT";
  else if (name === "AbortError") code = "EABORTED";
  else if (typeof cause?.name === "string") code = cause.name;
  const failure = new Error(`connection failed [${code}]`);
  failure.name = TRANSPORT_ERROR_NAME;
  return failure;
}

/** Reads back the network code from a transport failure's message. */
export function transportCodeOf(message: string): string | undefined {
  return /connection failed \[([A-Za-z0-9_]+)\]/.exec(message)?.[1];
}
