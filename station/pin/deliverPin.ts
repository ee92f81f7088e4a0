// The one entry point the station runner uses to hand a PIN over: build a PinDelivery from the
// station's configuration once (bad settings fail here, before any key is touched), then call
// deliver() for each key. Sealed to age recipients is the default; envelope and screen are explicit.

import { envelopeDelivery } from "./envelope.js";
import type { PinDelivery } from "./handover.js";
import { type PinScreen, screenDelivery } from "./screenPin.js";
import { sealedDelivery } from "./sealedPin.js";

export type PinDeliveryConfig =
  | { method: "sealed"; recipients: string[]; folder: string }
  | { method: "envelope"; folder: string }
  | { method: "screen"; screen: PinScreen };

export function createPinDelivery(config: PinDeliveryConfig): Promise<PinDelivery> {
  switch (config.method) {
    case "sealed":
      return sealedDelivery(config);
    case "envelope":
      return envelopeDelivery(config);
    case "screen":
      return Promise.resolve(screenDelivery(config.screen));
  }
}

export type { DeliveryKind, DeliveryReceipt, PinDelivery, PinHandover, PinPerson } from "./handover.js";
export type { PinScreen } from "./screenPin.js";
export { PinDeliveryError } from "./secretFile.js";
