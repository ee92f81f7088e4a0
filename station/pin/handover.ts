// What a PIN handover is, whichever way it goes: the person and key it belongs to, the PIN bytes, and
// the receipt the runner records (which never holds the PIN). Shared by every delivery method.

export interface PinPerson {
  displayName?: string;
  userPrincipalName: string;
}

export interface PinHandover {
  person: PinPerson;
  /** The label the operator puts on the key (e.g. "primary"). */
  keyLabel: string;
  /** The key's model, so the person knows which key the PIN opens. */
  model: string;
  /**
   * ASCII digits. Delivery never zeroes it (the caller owns it and zeroes it afterwards); every copy a
   * delivery method makes is zeroed before it returns.
   */
  pin: Buffer;
  /** The key will ask for a new PIN on first use (forceChangePin was set). */
  pinChangeRequired?: boolean;
}

export type DeliveryKind = "sealed" | "envelope" | "screen";

/** What the runner may record: where the handover went, never what it carried. */
export interface DeliveryReceipt {
  kind: DeliveryKind;
  /** The file written (sealed, envelope); absent for the screen. */
  location?: string;
}

export interface PinDelivery {
  readonly kind: DeliveryKind;
  deliver(handover: PinHandover): Promise<DeliveryReceipt>;
}

/** The name a person goes by on paper: the display name, else the UPN. */
export function personName(p: PinPerson): string {
  return p.displayName?.trim() || p.userPrincipalName;
}

/** A file name part from free text: letters, digits, dot, dash and underscore only. */
export function fileNamePart(s: string): string {
  const safe = s.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._]+/, "");
  return (safe || "key").slice(0, 80);
}
