// The handover on screen: the runner's own interface shows the PIN once (and clears it when the
// operator is done); this module never writes to a console itself.
import type { PinDelivery, PinHandover } from "./handover.js";

/** Given by the runner (terminal, test, automation). It must not keep `handover.pin` after it resolves. */
export interface PinScreen {
  showPinOnce(handover: Readonly<PinHandover>): Promise<void>;
}

export function screenDelivery(screen: PinScreen): PinDelivery {
  return {
    kind: "screen",
    async deliver(h) {
      await screen.showPinOnce(h);
      return { kind: "screen" };
    },
  };
}
