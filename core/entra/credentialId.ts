// Credential ids as Entra writes them. Graph's method id is the credential id in .NET's UrlTokenEncode
// form: base64url without padding, then one digit giving how many '=' were removed. excludeCredentials
// ids come in that form, or as standard base64 in older captures, or plain base64url. We read all three.

export type CredentialIdEncoding = "base64" | "base64url" | "urltoken";

/** .NET UrlTokenEncode: base64url, padding removed, padding count appended as a digit. */
export function encodeUrlToken(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  const b64 = Buffer.from(bytes).toString("base64");
  const pad = b64.length - b64.replace(/=+$/, "").length;
  return `${toUrl(b64.replace(/=+$/, ""))}${pad}`;
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** Every way the same credential id may appear as a method id or in excludeCredentials. */
export function credentialIdForms(bytes: Uint8Array): string[] {
  return [...new Set([encodeUrlToken(bytes), encodeBase64Url(bytes), encodeBase64(bytes)])];
}

export class CredentialIdError extends Error {
  readonly brand = "keyfleet.CredentialIdError";
  static isInstance(e: unknown): e is CredentialIdError {
    return (
      typeof e === "object" && e !== null && (e as { brand?: unknown }).brand === "keyfleet.CredentialIdError"
    );
  }
}

export interface DecodedCredentialId {
  bytes: Uint8Array;
  encoding: CredentialIdEncoding;
}

/**
 * Every reading of `text` that is well formed, most likely first. A string can be both a UrlToken and
 * plain base64url (e.g. length ≡ 0 mod 4 ending in "1"); callers that compare ids use all readings.
 */
export function decodeCredentialIdCandidates(text: string): DecodedCredentialId[] {
  const s = text.trim();
  const out: DecodedCredentialId[] = [];
  if (s === "") return out;
  const keep = (bytes: Uint8Array, encoding: CredentialIdEncoding, reencoded: string) => {
    // Node's decoders are lenient (they drop stray bits and bad characters); a reading counts only if it
    // re-encodes to the very text it came from.
    if (bytes.length > 0 && reencoded === s) out.push({ bytes, encoding });
  };
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(s) && /[+/=]/.test(s)) {
    const bytes = fromB64(s);
    keep(bytes, "base64", s.endsWith("=") ? encodeBase64(bytes) : encodeBase64(bytes).replace(/=+$/, ""));
    return out;
  }
  if (!/^[A-Za-z0-9_-]+$/.test(s)) return out;
  const last = s.charCodeAt(s.length - 1) - 48;
  const body = s.slice(0, -1);
  if (last >= 0 && last <= 2 && body.length > 0 && (body.length + last) % 4 === 0) {
    const bytes = fromB64Url(body);
    keep(bytes, "urltoken", encodeUrlToken(bytes));
  }
  if (s.length % 4 !== 1) {
    const bytes = fromB64Url(s);
    keep(bytes, "base64url", encodeBase64Url(bytes));
  }
  return out;
}

/** The most likely reading of a credential id, or a CredentialIdError saying why none fits. */
export function decodeCredentialId(text: string): DecodedCredentialId {
  const first = decodeCredentialIdCandidates(text)[0];
  if (first === undefined) {
    throw new CredentialIdError(
      `not a credential id in base64, base64url or base64url with a padding digit: '${text.slice(0, 80)}'`,
    );
  }
  return first;
}

/** True when `text` (any of the three forms) names the credential `bytes`. */
export function credentialIdMatches(text: string, bytes: Uint8Array): boolean {
  const want = Buffer.from(bytes);
  return decodeCredentialIdCandidates(text).some((c) => want.equals(Buffer.from(c.bytes)));
}

function toUrl(b64: string): string {
  return b64.replace(/\+/g, "-").replace(/\//g, "_");
}

function fromB64(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "base64"));
}

function fromB64Url(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, "base64url"));
}
