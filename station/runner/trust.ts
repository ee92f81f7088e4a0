// Which keys a station may provision with: virtual and UDP keys are software anyone can run, so they are
// refused unless Graph is the emulator (a loopback endpoint) or the operator set the explicit test flag.
import type { EntraConfig } from "../../core/entra/config.js";
import type { KeyHandle } from "./keySource.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** True when Graph is served from this machine's loopback (the emulator); real Graph never is. */
export function graphIsEmulator(config: Pick<EntraConfig, "graphUrl" | "authorityHost">): boolean {
  const host = (u: string) => new URL(u).hostname.toLowerCase();
  return LOOPBACK.has(host(config.graphUrl)) && LOOPBACK.has(host(config.authorityHost));
}

export interface KeyTrustOptions {
  graphIsEmulator: boolean;
  /** The explicit test flag (`--allow-test-keys`). */
  allowTestKeys: boolean;
}

/** Undefined when the key may be used, else why not. */
export function refuseKey(
  handle: Pick<KeyHandle, "transport" | "id">,
  opts: KeyTrustOptions,
): string | undefined {
  if (handle.transport === "hid") return undefined;
  if (opts.graphIsEmulator || opts.allowTestKeys) return undefined;
  return `${handle.id} is a ${handle.transport === "udp" ? "UDP (simulated)" : "virtual"} key: software keys are refused against a real Entra (use the emulator, or --allow-test-keys for a test tenant)`;
}
