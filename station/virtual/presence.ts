// User presence for a key that has no button: a mode set at run time decides what "touch the key"
// does. approve answers at once (after an optional delay), deny answers CTAP2_ERR_OPERATION_DENIED, and
// timeout keeps the client waiting — KEEPALIVE with status UPNEEDED — until the configured time passes,
// then answers CTAP2_ERR_USER_ACTION_TIMEOUT. CANCEL from the client ends the wait with KEEPALIVE_CANCEL.
import { type CborRequestContext, KeepaliveStatus } from "./ctaphidDevice.js";
import { CtapStatusError, fail, Status } from "./status.js";

export type PresenceMode = "approve" | "deny" | "timeout";
export const PRESENCE_MODES: readonly PresenceMode[] = ["approve", "deny", "timeout"];

export interface PresenceSettings {
  mode: PresenceMode;
  /** How long "timeout" keeps the client waiting before USER_ACTION_TIMEOUT (real keys: about 30 s). */
  timeoutMs: number;
  /** How long "approve" waits before the simulated touch (0: at once). */
  approveDelayMs: number;
}

/** Waits for the simulated touch; throws a CtapStatusError when it is denied, times out or is cancelled. */
export async function collectUserPresence(
  settings: PresenceSettings,
  ctx: CborRequestContext,
): Promise<void> {
  ctx.setKeepaliveStatus(KeepaliveStatus.UpNeeded);
  try {
    if (settings.mode === "deny") fail(Status.OperationDenied, "user presence denied");
    const wait = settings.mode === "approve" ? settings.approveDelayMs : settings.timeoutMs;
    if (wait > 0 || ctx.signal.aborted) await sleep(wait, ctx.signal);
    if (settings.mode === "timeout") fail(Status.UserActionTimeout, "no touch in time");
  } finally {
    ctx.setKeepaliveStatus(KeepaliveStatus.Processing);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CtapStatusError(Status.KeepaliveCancel, "cancelled by the client"));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
