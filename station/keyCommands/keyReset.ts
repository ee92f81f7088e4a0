// `keyfleet key reset`: authenticatorReset after the operator confirmed. Keys accept it only shortly
// after being plugged in (often 10 s, some 5 s) and only with a touch, hence the explanation first.
import { reset } from "../ctap2/reset.js";
import type { KeySession } from "./session.js";

export const RESET_WARNING = [
  "Resetting erases every credential on this key and its PIN. Accounts registered with it stop working.",
  "Most keys accept a reset only within about 10 seconds of being plugged in, and only with a touch:",
  "unplug the key, plug it back in, confirm at once, then touch the key when it blinks.",
];

export async function resetKey(
  session: KeySession,
  opts: { onKeepalive?: (status: number) => void; timeoutMs?: number } = {},
): Promise<void> {
  await reset(session.ctap, {
    timeoutMs: opts.timeoutMs ?? 30_000,
    ...(opts.onKeepalive ? { onKeepalive: opts.onKeepalive } : {}),
  });
}
