// Base64url as Graph uses it (RFC 4648 §5, no padding), and the defensive decoding of the credential ids
// in creationOptions.excludeCredentials, which have been seen in three encodings (graph-fido2.md §2.2).

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

const URL_ALPHABET = /^[A-Za-z0-9_-]*$/;
const STD_ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64url without padding: throws on anything that does not re-encode to the same text. */
export function fromBase64Url(text: string): Uint8Array {
  if (!URL_ALPHABET.test(text) || text.length % 4 === 1) throw new SyntaxError("not base64url");
  const bytes = Buffer.from(text, "base64url");
  if (bytes.toString("base64url") !== text) throw new SyntaxError("not canonical base64url");
  return Uint8Array.from(bytes);
}

function fromStandardBase64(text: string): Uint8Array | undefined {
  if (!STD_ALPHABET.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  const again = bytes.toString("base64");
  return again === text || again.replace(/=+$/, "") === text ? Uint8Array.from(bytes) : undefined;
}

function tryUrl(text: string): Uint8Array | undefined {
  try {
    return fromBase64Url(text);
  } catch {
    return undefined;
  }
}

/**
 * Every byte string a credential id from excludeCredentials can stand for: standard base64 (with `+`,
 * `/` or `=`), plain base64url, or base64url with a trailing padding-count digit (0, 1 or 2). Some texts
 * are valid in two of these readings; both are returned, since excluding a credential id that does not
 * exist is harmless while missing a real one lets a key register twice. Empty when nothing decodes.
 */
export function credentialIdCandidates(text: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  const add = (b: Uint8Array | undefined): void => {
    if (b && b.length > 0 && !out.some((o) => Buffer.compare(o, b) === 0)) out.push(b);
  };
  if (/[+/=]/.test(text)) {
    add(fromStandardBase64(text));
    return out;
  }
  add(tryUrl(text));
  const digit = text.at(-1);
  if (digit === "0" || digit === "1" || digit === "2") {
    const body = text.slice(0, -1);
    // The digit counts the '=' that were cut off, so body plus that many characters is whole quads.
    if ((body.length + Number(digit)) % 4 === 0) add(tryUrl(body));
  }
  return out;
}
