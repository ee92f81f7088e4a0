// Encodings Graph uses for credential ids: the method `id` is the credential id in ASP.NET
// UrlTokenEncode form (base64url without padding, then one digit counting the removed `=`), as observed
// in real tenants (reference §2.1.1); and the lenient base64/base64url decoding Graph applies to POSTs.

export function urlTokenEncode(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes).toString("base64");
  const pad = b64.length - b64.replace(/=+$/, "").length;
  return `${b64
    .slice(0, b64.length - pad)
    .replace(/\+/g, "-")
    .replace(/\//g, "_")}${pad}`;
}

/** Decodes base64url or standard base64, with or without padding; undefined when it is neither. */
export function decodeLenientBase64(text: unknown): Buffer | undefined {
  if (typeof text !== "string" || text.length === 0) return undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const normal = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (normal.length % 4 === 1) return undefined;
  return Buffer.from(normal, "base64");
}
