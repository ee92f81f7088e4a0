// EntraClient: every Graph call Keyfleet makes goes through here. Reads are retried (retry.ts); writes
// that create something are sent once (`postOnce`) and their callers decide what an ambiguous failure
// means. Errors leave as EntraError, classified at this boundary.
import type { TokenCredential } from "@azure/identity";
import type { Client } from "@microsoft/microsoft-graph-client";
import { classifyFailure } from "./classify.js";
import type { EntraConfig } from "./config.js";
import { type CredentialHooks, createCredential, trustedCaPem } from "./credential.js";
import { createGraphConnection, type TransportStats } from "./graphClient.js";
import { type Clock, type RetryEvent, type RetryPolicy, systemClock, withRetry } from "./retry.js";

export type GraphVersion = "v1.0" | "beta";

export interface EntraStats extends TransportStats {
  /** Waits before a repeated request or batch item. */
  retries: number;
  /** 429 answers seen, batch items included. */
  throttled: number;
}

export interface EntraClientOptions {
  credential?: TokenCredential | undefined;
  credentialHooks?: CredentialHooks | undefined;
  clock?: Clock | undefined;
  /** Overrides the config's attempts and deadline, and sets the backoff base. */
  retry?: Partial<RetryPolicy> | undefined;
  /** Called before each retry wait (for logs); never given a token. */
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

export class EntraClient {
  readonly config: EntraConfig;
  readonly stats: EntraStats;
  readonly policy: RetryPolicy;
  readonly clock: Clock;
  private readonly graph: Client;
  private readonly closeTransport: () => Promise<void>;
  private readonly secrets: string[];
  private readonly onRetryHook: ((event: RetryEvent) => void) | undefined;

  constructor(config: EntraConfig, options: EntraClientOptions = {}) {
    this.config = config;
    const credential = options.credential ?? createCredential(config, options.credentialHooks);
    const connection = createGraphConnection(credential, {
      graphUrl: config.graphUrl,
      scope: config.graphScope,
      caCertPem: trustedCaPem(config),
      requestTimeoutMs: config.requestTimeoutMs,
    });
    this.graph = connection.client;
    this.closeTransport = connection.close;
    this.stats = Object.assign(connection.stats, { retries: 0, throttled: 0 });
    this.clock = options.clock ?? systemClock;
    this.policy = {
      maxAttempts: config.maxAttempts,
      deadlineMs: config.deadlineMs,
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      ...options.retry,
    };
    this.secrets = [config.clientSecret, config.clientCertificatePassword].filter(
      (s): s is string => typeof s === "string" && s !== "",
    );
    this.onRetryHook = options.onRetry;
  }

  /** GET with retries; `path` is relative to the version root, or an absolute @odata.nextLink. */
  async get<T>(path: string, version: GraphVersion = "v1.0"): Promise<T> {
    return this.retrying(() => this.send<T>("GET", path, version));
  }

  /** DELETE with retries (deleting twice is harmless; a 404 after a retry is reported to the caller). */
  async delete(path: string, version: GraphVersion = "v1.0"): Promise<void> {
    await this.retrying(() => this.send<unknown>("DELETE", path, version));
  }

  /** POST exactly once: never retried here (see registration.ts for what happens after a failure). */
  async postOnce<T>(path: string, body: unknown, version: GraphVersion = "v1.0"): Promise<T> {
    return this.send<T>("POST", path, version, body);
  }

  /**
   * POST that only reads (a $batch of GETs): safe to repeat, so it is retried like a GET.
   * @internal
   */
  async postIdempotent<T>(path: string, body: unknown, version: GraphVersion = "v1.0"): Promise<T> {
    return this.retrying(() => this.send<T>("POST", path, version, body));
  }

  /** Every item of a paged collection, following @odata.nextLink; each page is retried on its own. */
  async *pages<T>(path: string, version: GraphVersion = "v1.0"): AsyncGenerator<T[]> {
    let next: string | undefined = path;
    while (next !== undefined) {
      const page: { value?: T[]; "@odata.nextLink"?: string } = await this.get(next, version);
      yield page.value ?? [];
      next = page["@odata.nextLink"];
    }
  }

  /** Runs `op` under this client's retry policy, counting retries. */
  retrying<T>(op: () => Promise<T>): Promise<T> {
    return withRetry(op, {
      policy: this.policy,
      clock: this.clock,
      onRetry: (event) => {
        this.noteRetry(event.error.kind === "Throttled");
        this.onRetryHook?.(event);
      },
    });
  }

  /** @internal */
  noteRetry(throttled: boolean): void {
    this.stats.retries++;
    if (throttled) this.stats.throttled++;
  }

  /** @internal */
  redactionList(): readonly string[] {
    return this.secrets;
  }

  async close(): Promise<void> {
    await this.closeTransport();
  }

  private async send<T>(method: string, path: string, version: GraphVersion, body?: unknown): Promise<T> {
    const absolute = /^https:\/\//i.test(path);
    try {
      const request = absolute ? this.graph.api(path) : this.graph.api(path).version(version);
      switch (method) {
        case "GET":
          return (await request.get()) as T;
        case "POST":
          return (await request.post(body)) as T;
        case "DELETE":
          return (await request.delete()) as T;
        default:
          throw new Error(`unsupported method ${method}`);
      }
    } catch (err) {
      const shown = absolute ? new URL(path).pathname.replace(/^\/(v1\.0|beta)/, "") : path;
      throw classifyFailure(err, {
        method,
        path: `/${version}${shown.startsWith("/") ? "" : "/"}${shown}`,
        secrets: this.secrets,
      });
    }
  }
}
