// The backends one provider host process works with: set by `configure` (the stack's `keyfleet:` config,
// secrets decrypted by the engine), opened on first use and shared by every resource the host serves, so a
// run of thousands of resources signs in to Entra and opens the task store once.
import type { ProviderBackends } from "./backends.js";
import { openBackends } from "./openBackends.js";
import { type ProviderSettings, providerSettings } from "./providerSettings.js";

export class ProviderConfigError extends Error {
  readonly brand = "keyfleet.ProviderConfigError";
  static isInstance(e: unknown): e is ProviderConfigError {
    return (
      typeof e === "object" &&
      e !== null &&
      (e as { brand?: unknown }).brand === "keyfleet.ProviderConfigError"
    );
  }
}

let settings: ProviderSettings | undefined;
let opened: Promise<ProviderBackends> | undefined;
let options: StackOptions = { allowDestroyRevocations: false };

/** Stack settings the providers act on beyond the backends. */
export interface StackOptions {
  /** `keyfleet:allowDestroyRevocations`: `pulumi destroy` revokes the stack's keys (otherwise it leaves them). */
  allowDestroyRevocations: boolean;
}

/** What a provider's `configure` receives: the stack config, keys with their `keyfleet:` prefix. */
export function configureBackends(config: { get(key: string): string | undefined }): void {
  settings = providerSettings((key) => config.get(`keyfleet:${key}`));
  opened = undefined;
  const allow = config.get("keyfleet:allowDestroyRevocations") ?? "";
  if (allow !== "" && !/^(true|false|1|0|yes|no)$/i.test(allow))
    throw new ProviderConfigError(`keyfleet:allowDestroyRevocations must be true or false, not '${allow}'`);
  options = { allowDestroyRevocations: /^(true|1|yes)$/i.test(allow) };
}

export function stackOptions(): StackOptions {
  return options;
}

/** The configured backends; `purpose` completes "cannot …" when they are missing or fail to open. */
export async function backendsFor(purpose: string): Promise<ProviderBackends> {
  if (!settings) {
    throw new ProviderConfigError(`keyfleet: the provider was not configured; cannot ${purpose}`);
  }
  const s = settings;
  opened ??= openBackends(s);
  try {
    return await opened;
  } catch (e) {
    opened = undefined;
    const why = e instanceof Error ? e.message : String(e);
    throw new ProviderConfigError(`keyfleet: cannot ${purpose}: ${why}`);
  }
}
