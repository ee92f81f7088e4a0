// Random PINs for new keys: decimal digits from the crypto RNG, the profile's length, never a trivial
// one. The PIN lives in a Buffer that the caller zeroes (pin.fill(0)) once it has been set and handed
// over; it is never turned into a string here.
//
// A PIN is trivial, and drawn again, when it is
//   1. one digit throughout (000000, 777777);
//   2. a run: each digit one more than the one before (345678, 7890123) or one less (654321, 3210987),
//      wrapping 9↔0;
//   3. a repeated short pattern: the PIN repeats its first p digits for some p ≤ length/2 (121212,
//      123123, 1231231, 4545454).
// Rule 3 with p = 1 is rule 1; both are named so the reason reads plainly.
import { randomInt } from "node:crypto";

/** CTAP2 limits: at least 4 code points, at most 63 bytes. */
export const PIN_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 63;

const ZERO = 0x30;

export type TrivialPinReason = "one-digit" | "ascending-run" | "descending-run" | "repeated-pattern";

/** Why `pin` (ASCII digits) is trivial under the rules above, or undefined when it is not. */
export function trivialPinReason(pin: Uint8Array): TrivialPinReason | undefined {
  const n = pin.length;
  if (n === 0) return "one-digit";
  const d = (i: number): number => pin[i]! - ZERO;
  let same = true;
  let up = true;
  let down = true;
  for (let i = 1; i < n; i++) {
    if (d(i) !== d(0)) same = false;
    if (d(i) !== (d(i - 1) + 1) % 10) up = false;
    if (d(i) !== (d(i - 1) + 9) % 10) down = false;
  }
  if (same) return "one-digit";
  if (up) return "ascending-run";
  if (down) return "descending-run";
  for (let p = 2; p <= n / 2; p++) {
    let periodic = true;
    for (let i = p; i < n && periodic; i++) if (pin[i] !== pin[i - p]) periodic = false;
    if (periodic) return "repeated-pattern";
  }
  return undefined;
}

/**
 * A random PIN of `length` ASCII digits that is not trivial. Each digit is an unbiased crypto draw;
 * rejected draws are zeroed before the next one.
 */
export function generatePin(length: number): Buffer {
  if (!Number.isInteger(length) || length < PIN_MIN_LENGTH || length > PIN_MAX_LENGTH) {
    throw new RangeError(`a PIN length must be ${PIN_MIN_LENGTH} to ${PIN_MAX_LENGTH} digits`);
  }
  // At length 4 about 1 draw in 90 is trivial; 1000 failures in a row means the RNG is broken.
  for (let attempt = 0; attempt < 1000; attempt++) {
    const pin = Buffer.alloc(length);
    for (let i = 0; i < length; i++) pin[i] = ZERO + randomInt(10);
    if (trivialPinReason(pin) === undefined) return pin;
    pin.fill(0);
  }
  throw new Error("the random number generator keeps producing trivial PINs");
}

/** True when every byte is an ASCII digit: the only PINs the delivery formats accept. */
export function isDigitPin(pin: Uint8Array): boolean {
  if (pin.length === 0) return false;
  for (const b of pin) if (b < ZERO || b > ZERO + 9) return false;
  return true;
}
