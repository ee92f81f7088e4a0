// creationOptions challenges: self-contained and authenticated, like Entra's (an opaque base64url text
// that decodes to ASCII with dot-separated parts). Each names the tenant, the user, its expiry and a nonce,
// with an HMAC under the emulator's challenge key; spent nonces are kept in state until they expire.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface ChallengeClaims {
  tid: string;
  uid: string;
  /** Expiry, ms since epoch. */
  exp: number;
  nonce: string;
}

export function issueChallenge(
  key: Buffer,
  claims: Omit<ChallengeClaims, "nonce">,
): { challenge: string; nonce: string } {
  const nonce = randomBytes(16).toString("base64url");
  const payload = Buffer.from(JSON.stringify({ ...claims, nonce })).toString("base64url");
  const mac = createHmac("sha256", key).update(payload).digest("base64url");
  return { challenge: Buffer.from(`${payload}.${mac}`, "ascii").toString("base64url"), nonce };
}

/** The claims of a challenge this emulator issued, or undefined when it did not issue it. */
export function readChallenge(key: Buffer, challenge: string): ChallengeClaims | undefined {
  const inner = Buffer.from(challenge, "base64url").toString("ascii");
  const [payload, mac, extra] = inner.split(".");
  if (!payload || !mac || extra !== undefined) return undefined;
  const expected = createHmac("sha256", key).update(payload).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as ChallengeClaims;
  } catch {
    return undefined;
  }
}

/** WebAuthn user handle: "OF:" then the object id bytes and a keyed digest (51 bytes, as observed). */
export function userHandle(key: Buffer, userId: string): string {
  const idBytes = Buffer.from(userId.replace(/-/g, ""), "hex");
  const digest = createHmac("sha256", key).update(`user:${userId}`).digest();
  return Buffer.concat([Buffer.from("OF:"), idBytes, digest]).toString("base64url");
}
